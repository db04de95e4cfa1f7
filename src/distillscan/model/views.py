"""The drill-down views of one group (`explain`): what `investigate` builds from a scan
and the terminal, JSON and HTML renderers draw."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

import polars as pl

from distillscan.model.groups import LINK_KIND_LABELS

# An activity strip has at most this many rows; longer logs fold several days per row.
MAX_ACTIVITY_ROWS: Final = 31


@dataclass(frozen=True)
class ScoreComponent:
    """One number the score is built from, with where it goes and how much it weighs."""

    name: str
    value: float | None
    """None when the log cannot show it (see `model.evidence`): left out of the score."""
    feeds: str
    """What it feeds: 'score', 'content', 'support', 'behaviour', 'coordination'…"""
    weight: float | None
    """Its weight where it is combined with a weight (noisy-OR or weighted mean)."""
    meaning: str


@dataclass(frozen=True)
class ModelRelease:
    """How a group met the newest model that appeared during the log."""

    model: str
    released_at: datetime
    """Start of the 10-minute slot the model first appears in, anywhere in the log."""
    group_first_use: datetime | None
    lag_hours: float | None
    """Hours from the model's first appearance to the group's first request on it."""
    group_share_24h: float | None
    """Share of the group's traffic on the model in the 24 h after release (None: idle)."""
    platform_share_24h: float
    pivot_lift: float
    """The group's 24 h share minus the platform's, as scored (0 unless active before)."""
    active_before: bool
    """Whether the group sent traffic in the week before the release."""


@dataclass(frozen=True)
class GroupView:
    """Everything `explain` shows about one group."""

    group: dict[str, Any]
    """The group's row of the report: counts, features, components, score, severity, rank."""
    reasons: list[str]
    accounts: pl.DataFrame
    """One row per member (`investigate.group.MEMBER_COLUMNS`), busiest first."""
    templates: pl.DataFrame
    """template_fp, template, skeleton, n_requests, n_accounts, n_accounts_total, share,
    cot_share, first_seen, last_seen — every template the group sends, busiest first."""
    topics: pl.DataFrame
    """topic, n, share, high_value — largest first."""
    activity: pl.DataFrame
    """day, hour (UTC), n."""
    model_days: pl.DataFrame
    """day, model, n."""
    infrastructure: pl.DataFrame
    """kind, value, n_requests, n_accounts (in the group), n_accounts_total (whole log)."""
    models: pl.DataFrame
    """model, n_requests, share, first_seen, last_seen (starts of 10-minute slots),
    log_first_seen (the model's first slot anywhere in the log), lag_hours."""
    release: ModelRelease | None
    components: list[ScoreComponent]
    links: pl.DataFrame
    """a, b, similarity, kinds: the strongest link of each linked member whose partner is
    a member too (`Linkage.edges`), strongest first."""
    one_off_requests: int = 0
    """Requests whose frame appears once in the whole log: no template, not listed."""
    examples: pl.DataFrame | None = None
    """template_fp, template, account_id, timestamp, model, system, prompt, prompt_chars
    (text cut to `investigate.examples.EXAMPLE_CHARS`); None when not fetched."""

    @property
    def group_id(self) -> str:
        return str(self.group["group_id"])


@dataclass(frozen=True)
class ActivityGrid:
    """Requests per (row of days, hour of day), ready to draw."""

    rows: list[tuple[date, int]]
    """(first day, number of days) of each row."""
    cells: list[list[int]]
    """cells[row][hour]."""
    row_totals: list[int]
    hour_totals: list[int]

    @property
    def peak(self) -> int:
        return max((max(row) for row in self.cells), default=0)


def activity_grid(activity: pl.DataFrame, max_rows: int | None = MAX_ACTIVITY_ROWS) -> ActivityGrid:
    """Fold (day, hour, n) into a grid of at most `max_rows` rows of whole days × 24 hours.

    Every day from the first to the last active one gets a row (idle days too), so gaps
    show; a longer span puts ceil(days / max_rows) days in each row. `max_rows=None`:
    a row per day.
    """
    if activity.height == 0:
        return ActivityGrid(rows=[], cells=[], row_totals=[], hour_totals=[0] * 24)
    first: date = activity["day"].min()  # type: ignore[assignment]
    last: date = activity["day"].max()  # type: ignore[assignment]
    span = (last - first).days + 1
    per_row = 1 if max_rows is None else max(1, math.ceil(span / max_rows))
    n_rows = math.ceil(span / per_row)
    folded = (
        activity.with_columns(row=((pl.col("day") - pl.lit(first)).dt.total_days() // per_row).cast(pl.Int32))
        .group_by("row", "hour")
        .agg(n=pl.col("n").sum())
    )
    cells = [[0] * 24 for _ in range(n_rows)]
    for row, hour, n in folded.iter_rows():
        cells[row][hour] = int(n)
    rows = [(first + timedelta(days=index * per_row), min(per_row, span - index * per_row)) for index in range(n_rows)]
    return ActivityGrid(
        rows=rows,
        cells=cells,
        row_totals=[sum(row) for row in cells],
        hour_totals=[sum(row[hour] for row in cells) for hour in range(24)],
    )


def link_summary(links: pl.DataFrame) -> pl.DataFrame:
    """kind, label, links, members: per kind of evidence, how many of `links` (a group
    view's) share it and how many members those links touch, most links first (ties:
    kind). A link sharing several kinds counts under each."""
    by_kind = links.select("a", "b", kind=pl.col("kinds")).explode("kind").drop_nulls("kind")
    counted = by_kind.group_by("kind").agg(
        links=pl.len(), members=pl.concat_list("a", "b").explode().n_unique()
    )
    return counted.select(
        "kind",
        label=pl.col("kind").replace_strict(LINK_KIND_LABELS, default=pl.col("kind"), return_dtype=pl.String),
        links=pl.col("links").cast(pl.UInt32),
        members=pl.col("members").cast(pl.UInt32),
    ).sort(["links", "kind"], descending=[True, False])
