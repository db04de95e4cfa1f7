"""Drill-down views over a finished scan: one group, every template, every account.

These are pure functions over a `ScanResult` (its merged per-account `Aggregates`, the
template map and the scored report), returning Polars frames and small dataclasses;
`views.py` and `html.py` render them. They never touch raw rows — except
`example_requests`, which reads the logs a second time, streamed and filtered to one
group's accounts, and stops as soon as it holds enough examples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Final

import polars as pl

from distillscan.aggregate.features import (
    BUCKET_SECONDS,
    BUCKETS_PER_DAY,
    VALUE_COLUMNS,
    newest_model_release,
)
from distillscan.errors import UsageError
from distillscan.fingerprint.fingerprint import (
    HIGH_VALUE_TOPICS,
    MIN_TEMPLATE_REQUESTS,
    annotate_requests,
    stable_fp,
)
from distillscan.model.aggregates import Table
from distillscan.model.scan import ScanOptions, ScanResult
from distillscan.pipeline import choose_presets, read_shards
from distillscan.read import discover_sources
from distillscan.score.score import (
    ACCOUNTS_FOR_FULL_SCALE,
    BEHAVIOUR_WEIGHTS,
    COT_SATURATION,
    EVIDENCE_PRIOR_REQUESTS,
    PIVOT_LOOKBACK_DAYS,
    STREAM_SHARE_SATURATION,
    SUPPORT_WEIGHT,
)

# Characters of a prompt or system prompt kept in an example request.
EXAMPLE_CHARS: Final = 240
# Rows of a group's traffic annotated at a time while looking for examples.
EXAMPLE_BATCH_ROWS: Final = 50_000
# An activity strip has at most this many rows; longer logs fold several days per row.
MAX_ACTIVITY_ROWS: Final = 31
# How many suggestions an unknown id gets.
SUGGESTIONS: Final = 3

TEMPLATE_SORTS: Final[dict[str, tuple[tuple[str, ...], tuple[bool, ...]]]] = {
    "requests": (("n_requests", "n_accounts", "template", "skeleton"), (True, True, False, False)),
    "accounts": (("n_accounts", "n_requests", "template", "skeleton"), (True, True, False, False)),
    "first-seen": (("first_seen", "n_requests", "template", "skeleton"), (False, True, False, False)),
}
ACCOUNT_SORTS: Final[dict[str, tuple[tuple[str, ...], tuple[bool, ...]]]] = {
    "score": (("score", "n_requests", "account_id"), (True, True, False)),
    "requests": (("n_requests", "score", "account_id"), (True, True, False)),
    "first-seen": (("first_seen", "account_id"), (False, False)),
    "last-seen": (("last_seen", "account_id"), (True, False)),
    "cot": (("cot_share", "n_requests", "account_id"), (True, True, False)),
    "templated": (("templated_share", "n_requests", "account_id"), (True, True, False)),
}
# Columns of the per-account figures `explain` shows for each member.
MEMBER_COLUMNS: Final[tuple[str, ...]] = (
    "account_id", "n_requests", "first_seen", "last_seen", "active_days", "templated_share",
    "cot_share", "top_topic", "topic_focus", "multi_turn_share", "quiet_share",
    "new_model_share_24h", "n_ips", "n_subnets", "n_payments", "n_user_agents", "n_orgs",
    "created_first",
)


@dataclass(frozen=True)
class ScoreComponent:
    """One number the score is built from, with where it goes and how much it weighs."""

    name: str
    value: float
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
    """One row per member (MEMBER_COLUMNS), busiest first."""
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
    one_off_requests: int = 0
    """Requests whose frame appears once in the whole log: no template, not listed."""
    examples: pl.DataFrame | None = None
    """template_fp, template, account_id, timestamp, model, system, prompt, prompt_chars
    (text cut to EXAMPLE_CHARS); None when not fetched."""

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


def _with_templates(account_frames: Table, templates: pl.DataFrame) -> pl.LazyFrame:
    """Account frames with the template each frame was merged into, as a query: the table
    may be a scan of files larger than memory, so callers collect what they need."""
    return account_frames.lazy().join(templates.lazy(), on="frame_fp", how="left", maintain_order="left").with_columns(
        template_fp=pl.col("template_fp").fill_null(pl.col("frame_fp"))
    )


def _template_text(result: ScanResult, per_template: pl.DataFrame) -> pl.DataFrame:
    """Add each template's skeleton (its representative frame's) and public id."""
    skeletons = (
        result.aggregates.frames.join(per_template.select(frame_fp="template_fp"), on="frame_fp", how="semi")
        .select(template_fp="frame_fp", skeleton="skeleton")
        .unique("template_fp", keep="first", maintain_order=True)
    )
    return per_template.join(skeletons, on="template_fp", how="left", maintain_order="left").with_columns(
        template=pl.col("skeleton").map_elements(stable_fp, return_dtype=pl.String)
    )


def _bucket_day(bucket: pl.Expr) -> pl.Expr:
    return (bucket // BUCKETS_PER_DAY).cast(pl.Int32).cast(pl.Date)


def _bucket_time(bucket: pl.Expr) -> pl.Expr:
    return pl.from_epoch(bucket * BUCKET_SECONDS, time_unit="s").dt.replace_time_zone("UTC")


def _bucket_datetime(bucket: int) -> datetime:
    return pl.select(_bucket_time(pl.lit(bucket, dtype=pl.Int64))).item()


def _suggest(candidates: pl.Series, wanted: str) -> list[str]:
    """A few ids sharing the longest prefix (at least half) with what was typed, else
    ids containing it: cheap on millions of ids, and it catches a mistyped tail."""
    for cut in range(len(wanted), max(len(wanted) // 2, 1) - 1, -1):
        prefix = candidates.filter(candidates.str.starts_with(wanted[:cut])).sort().head(SUGGESTIONS)
        if prefix.len():
            return prefix.to_list()
    return candidates.filter(candidates.str.contains(wanted, literal=True)).sort().head(SUGGESTIONS).to_list()


def resolve_group(result: ScanResult, wanted: str) -> str:
    """The group id that `wanted` names: a group id, or a rank ('3' or '#3').

    Unknown names raise UsageError with suggestions and how to list the groups.
    """
    groups = result.report.groups
    text = wanted.strip()
    if text.lstrip("#").isdigit():
        rank = int(text.lstrip("#"))
        found = groups.filter(pl.col("rank") == rank)
        if found.height:
            return str(found["group_id"][0])
        raise UsageError(f"no group ranked {rank}: this log has {groups.height} group(s)")
    if groups.filter(pl.col("group_id") == text).height:
        return text
    hint = "list groups with `distillscan scan LOGS --format csv --min-severity info` (group_id column)"
    owner = result.linkage.membership.filter(pl.col("account_id") == text)
    if owner.height:
        raise UsageError(f"{text!r} is an account, not a group: it is in group {owner['group_id'][0]}")
    similar = _suggest(groups["group_id"], text)
    maybe = f" (did you mean {', '.join(similar)}?)" if similar else ""
    raise UsageError(f"unknown group {text!r}{maybe}; {hint}")


def template_catalog(result: ScanResult, min_requests: int = MIN_TEMPLATE_REQUESTS) -> pl.DataFrame:
    """Every prompt template with at least `min_requests` requests in the log.

    Columns: template_fp (internal), template, skeleton, n_requests, n_accounts, share
    (of all requests), cot_share, first_seen, last_seen, n_groups, groups (group ids, most
    suspicious first), max_severity. Sorted by requests; see `sort_templates`.
    """
    frames = _with_templates(result.aggregates.account_frames, result.templates)
    total = max(int(result.aggregates.accounts["n"].sum()), 1)
    per_template = (
        frames.group_by("template_fp")
        .agg(
            n_requests=pl.col("n").sum(),
            n_accounts=pl.col("account_id").n_unique(),
            n_cot=pl.col("n_cot").sum(),
            first_seen=pl.col("first_ts").min(),
            last_seen=pl.col("last_ts").max(),
        )
        # One-off prompts (null: frames seen once) are no template.
        .filter(pl.col("template_fp").is_not_null() & (pl.col("n_requests") >= min_requests))
        .collect(engine="streaming")
    )
    ranks = result.report.groups.select("group_id", "rank", "severity")
    groups = (
        frames.join(per_template.lazy().select("template_fp"), on="template_fp", how="semi")
        .join(result.linkage.membership.lazy(), on="account_id")
        .select("template_fp", "group_id")
        .unique()
        .collect(engine="streaming")
        .join(ranks, on="group_id")
        .sort("template_fp", "rank")
        .group_by("template_fp", maintain_order=True)
        .agg(n_groups=pl.len(), groups=pl.col("group_id"), max_severity=pl.col("severity").first())
    )
    catalog = _template_text(result, per_template).join(groups, on="template_fp", how="left", maintain_order="left")
    return sort_templates(
        catalog.select(
            "template_fp", "template", "skeleton", "n_requests", "n_accounts",
            share=pl.col("n_requests") / total,
            cot_share=pl.col("n_cot") / pl.col("n_requests"),
            first_seen="first_seen", last_seen="last_seen", n_groups="n_groups", groups="groups",
            max_severity="max_severity",
        ),
        "requests",
    )


def sort_templates(catalog: pl.DataFrame, by: str) -> pl.DataFrame:
    """Templates in the order `by` names (a key of TEMPLATE_SORTS); ties broken by id."""
    columns, descending = TEMPLATE_SORTS[by]
    return catalog.sort(list(columns), descending=list(descending), nulls_last=True)


def account_table(result: ScanResult) -> pl.DataFrame:
    """Per-account features (as `profile` computes them) with group id, rank, severity
    and score; sorted by score. See `sort_accounts` and `filter_accounts`."""
    ranks = result.report.groups.select("group_id", "rank")
    accounts = result.report.accounts.join(ranks, on="group_id", how="left", maintain_order="left")
    leading = ["account_id", "group_id", "rank", "severity", "score", "n_requests"]
    rest = [name for name in accounts.columns if name not in leading and name != "n_accounts"]
    return sort_accounts(accounts.select(*leading, *rest), "score")


def sort_accounts(accounts: pl.DataFrame, by: str) -> pl.DataFrame:
    """Accounts in the order `by` names (a key of ACCOUNT_SORTS)."""
    columns, descending = ACCOUNT_SORTS[by]
    return accounts.sort(list(columns), descending=list(descending), nulls_last=True)


def filter_accounts(
    accounts: pl.DataFrame, account_ids: Sequence[str] = (), group_ids: Sequence[str] = ()
) -> pl.DataFrame:
    """Only the named accounts and/or the members of the named groups (all if none named).

    An id that is not in the log raises UsageError, with ids it may have meant.
    """
    for column, wanted, kind in (("account_id", account_ids, "account"), ("group_id", group_ids, "group")):
        known = accounts[column]
        asked = pl.Series(list(dict.fromkeys(wanted)), dtype=pl.String)
        missing = asked.filter(~asked.is_in(known.implode())).to_list()
        if missing:
            similar = _suggest(known.unique(), missing[0])
            maybe = f" (did you mean {', '.join(similar)}?)" if similar else ""
            raise UsageError(f"unknown {kind} {missing[0]!r}{maybe}")
    chosen = accounts
    if account_ids:
        chosen = chosen.filter(pl.col("account_id").is_in(pl.Series(list(account_ids), dtype=pl.String).implode()))
    if group_ids:
        chosen = chosen.filter(pl.col("group_id").is_in(pl.Series(list(group_ids), dtype=pl.String).implode()))
    return chosen


def _members(result: ScanResult, group_id: str) -> pl.DataFrame:
    return result.linkage.membership.filter(pl.col("group_id") == group_id).select("account_id")


def _one_off_requests(result: ScanResult, members: pl.DataFrame) -> int:
    """The members' requests whose frame appears once in the whole log."""
    one_offs = result.aggregates.account_frames.lazy().filter(pl.col("frame_fp").is_null())
    mine = one_offs.join(members.lazy(), on="account_id", how="semi")
    return int(mine.select(pl.col("n").sum()).collect(engine="streaming").item() or 0)


def _group_templates(result: ScanResult, members: pl.DataFrame) -> pl.DataFrame:
    """Every template the members send, with its reach inside and outside the group."""
    frames = _with_templates(result.aggregates.account_frames, result.templates)
    mine = frames.join(members.lazy(), on="account_id", how="semi", maintain_order="left").collect(
        engine="streaming"
    )
    # Shares count one-off prompts (null: frames seen once), which are listed as no template.
    group_requests = max(int(mine["n"].sum()), 1)
    per_template = mine.drop_nulls("template_fp").group_by("template_fp").agg(
        n_requests=pl.col("n").sum(),
        n_accounts=pl.col("account_id").n_unique(),
        n_cot=pl.col("n_cot").sum(),
        first_seen=pl.col("first_ts").min(),
        last_seen=pl.col("last_ts").max(),
    )
    reach = (
        frames.join(per_template.lazy().select("template_fp"), on="template_fp", how="semi")
        .group_by("template_fp")
        .agg(n_accounts_total=pl.col("account_id").n_unique())
        .collect(engine="streaming")
    )
    with_text = _template_text(result, per_template).join(reach, on="template_fp", how="left")
    return with_text.select(
        "template_fp", "template", "skeleton", "n_requests", "n_accounts", "n_accounts_total",
        share=pl.col("n_requests") / group_requests,
        cot_share=pl.col("n_cot") / pl.col("n_requests"),
        first_seen="first_seen", last_seen="last_seen",
    ).sort(["n_requests", "template", "skeleton"], descending=[True, False, False], nulls_last=True)


def _group_topics(result: ScanResult, members: pl.DataFrame) -> pl.DataFrame:
    topics = (
        result.aggregates.account_topics.join(members, on="account_id", how="semi")
        .group_by("topic")
        .agg(n=pl.col("n").sum())
    )
    return topics.with_columns(
        share=pl.col("n") / pl.col("n").sum(),
        high_value=pl.col("topic").is_in(sorted(HIGH_VALUE_TOPICS)),
    ).sort(["n", "topic"], descending=[True, False])


def _group_infrastructure(result: ScanResult, members: pl.DataFrame) -> pl.DataFrame:
    """IPs, subnets, user agents, payment fingerprints and orgs the members use."""
    values = result.aggregates.account_values
    mine = values.join(members, on="account_id", how="semi")
    per_value = mine.group_by("kind", "value").agg(
        n_requests=pl.col("n").sum(), n_accounts=pl.col("account_id").n_unique()
    )
    reach = (
        values.join(per_value.select("kind", "value"), on=["kind", "value"], how="semi")
        .group_by("kind", "value")
        .agg(n_accounts_total=pl.col("account_id").n_unique())
    )
    order = {kind: index for index, kind in enumerate(VALUE_COLUMNS)}
    return (
        per_value.join(reach, on=["kind", "value"], how="left")
        .with_columns(_order=pl.col("kind").replace_strict(order, default=len(order), return_dtype=pl.Int32))
        .sort(["_order", "n_accounts", "n_requests", "value"], descending=[False, True, True, False])
        .drop("_order")
    )


def _group_models(result: ScanResult, buckets: pl.DataFrame) -> pl.DataFrame:
    """Per model the group used: volume, share, its first use and the lag behind the log's."""
    log_first = result.aggregates.account_buckets.lazy().drop_nulls("model").group_by("model").agg(
        log_first=pl.col("bucket").min()
    ).collect(engine="streaming")
    per_model = buckets.group_by("model").agg(
        n_requests=pl.col("n").sum(), first=pl.col("bucket").min(), last=pl.col("bucket").max()
    )
    return (
        per_model.join(log_first, on="model", how="left")
        .select(
            "model",
            "n_requests",
            share=pl.col("n_requests") / pl.col("n_requests").sum(),
            first_seen=_bucket_time(pl.col("first")),
            last_seen=_bucket_time(pl.col("last")),
            log_first_seen=_bucket_time(pl.col("log_first")),
            lag_hours=(pl.col("first") - pl.col("log_first")) * BUCKET_SECONDS / 3600,
        )
        .sort(["first_seen", "model"], nulls_last=True)
    )


def _group_release(result: ScanResult, buckets: pl.DataFrame) -> ModelRelease | None:
    """The newest model's release (see `features.newest_model_release`) from the group's side."""
    release = newest_model_release(result.aggregates.account_buckets)
    if release is None:
        return None
    model, first = release
    in_window = pl.col("bucket").is_between(first, first + BUCKETS_PER_DAY - 1)
    on_model = pl.col("model") == model
    platform = result.aggregates.account_buckets.lazy().filter(in_window).collect(engine="streaming")
    platform_share = platform.filter(on_model)["n"].sum() / max(int(platform["n"].sum()), 1)
    window = buckets.filter(in_window)
    window_total = float(window["n"].sum())
    used = buckets.filter(on_model)["bucket"].min()
    before = buckets.filter(
        pl.col("bucket").is_between(first - PIVOT_LOOKBACK_DAYS * BUCKETS_PER_DAY, first - 1)
    ).height
    return ModelRelease(
        model=model,
        released_at=_bucket_datetime(first),
        group_first_use=None if used is None else _bucket_datetime(int(used)),  # type: ignore[arg-type]
        lag_hours=None if used is None else (int(used) - first) * BUCKET_SECONDS / 3600,  # type: ignore[arg-type]
        group_share_24h=float(window.filter(on_model)["n"].sum()) / window_total if window_total else None,
        platform_share_24h=float(platform_share),
        pivot_lift=0.0,
        active_before=before > 0,
    )


def score_components(group: dict[str, Any]) -> list[ScoreComponent]:
    """Each component of the group's score with what it feeds and its weight (score.py)."""
    support = SUPPORT_WEIGHT / 3
    behaviour = "behaviour"
    parts: list[tuple[str, str, float | None, str]] = [
        ("content", "score", None,
         f"content = max(harvest × (1 − {SUPPORT_WEIGHT} + {SUPPORT_WEIGHT} × support), cot_stream) "
         f"× n / (n + {EVIDENCE_PRIOR_REQUESTS}); score = √(content × behaviour)"),
        ("behaviour", "score", None, "noisy-OR of the behaviour parts: 1 − Π(1 − weight × part)"),
        ("templated", "content (harvest)", None,
         "share of first-turn requests on repeated templates; harvest = 1 − (1 − templated)(1 − cot)"),
        ("cot", "content (harvest)", None,
         f"share of requests asking for step-by-step reasoning, / {COT_SATURATION}"),
        ("capability", "content (support)", support, "share on high-value capabilities above 50%"),
        ("single_turn", "content (support)", support, "share of single-turn requests above 60%"),
        ("fixed_params", "content (support)", support, "share sent with one temperature/max_tokens set"),
        ("cot_stream", "content", None,
         f"used instead of harvest when larger: templated reasoning asks, full at "
         f"{STREAM_SHARE_SATURATION:.0%} of requests"),
        ("automation", behaviour, BEHAVIOUR_WEIGHTS["automation"],
         "flat hour-of-day profile per member (traffic in its quietest 6 hours)"),
        ("coordination", behaviour, BEHAVIOUR_WEIGHTS["coordination"],
         "scale × max(shared_infra, creation_burst, load_balance)"),
        ("pivot", behaviour, BEHAVIOUR_WEIGHTS["pivot"],
         "extra share moved to the newest model within 24 h of its release, × scale"),
        ("shared_stream", behaviour, BEHAVIOUR_WEIGHTS["shared_stream"],
         "several accounts sending one reasoning-eliciting template, × days active / 7"),
        ("fresh_accounts", behaviour, BEHAVIOUR_WEIGHTS["fresh_accounts"],
         "share of accounts first used within 30 days of their creation"),
        ("shared_infra", "coordination", None, "accounts per payment method or subnet (log scale)"),
        ("creation_burst", "coordination", None, "share of accounts created within 48 hours"),
        ("load_balance", "coordination", None, "volume spread evenly over accounts: 1 − cv / 1.5"),
        ("scale", "coordination, pivot", None, f"log10(accounts) / log10({ACCOUNTS_FOR_FULL_SCALE})"),
    ]
    components = []
    for name, feeds, weight, meaning in parts:
        value = group.get(name if name in {"content", "behaviour"} else f"c_{name}")
        number = float(value) if isinstance(value, (int, float)) and not math.isnan(value) else 0.0
        components.append(ScoreComponent(name=name, value=number, feeds=feeds, weight=weight, meaning=meaning))
    return components


def group_view(result: ScanResult, group_id: str) -> GroupView:
    """Everything about one group (an id or rank, see `resolve_group`), from the scan's
    aggregates: no second read of the logs."""
    group_id = resolve_group(result, group_id)
    group = result.report.groups.filter(pl.col("group_id") == group_id).row(0, named=True)
    members = _members(result, group_id)
    buckets = (
        result.aggregates.account_buckets.lazy()
        .join(members.lazy(), on="account_id", how="semi", maintain_order="left")
        .collect(engine="streaming")
    )
    accounts = (
        result.report.accounts.join(members, on="account_id", how="semi")
        .select(MEMBER_COLUMNS)
        .sort(["n_requests", "account_id"], descending=[True, False])
    )
    activity = (
        buckets.group_by(
            day=_bucket_day(pl.col("bucket")),
            hour=((pl.col("bucket") % BUCKETS_PER_DAY) * BUCKET_SECONDS // 3600).cast(pl.Int8),
        )
        .agg(n=pl.col("n").sum())
        .sort("day", "hour")
    )
    model_days = (
        buckets.group_by(day=_bucket_day(pl.col("bucket")), model=pl.col("model"))
        .agg(n=pl.col("n").sum())
        .sort("day", "model", nulls_last=True)
    )
    release = _group_release(result, buckets)
    if release is not None:
        release = replace(release, pivot_lift=float(group.get("pivot_lift") or 0.0))
    return GroupView(
        group=group,
        reasons=list(result.report.reasons.get(group_id, [])),
        accounts=accounts,
        templates=_group_templates(result, members),
        one_off_requests=_one_off_requests(result, members),
        topics=_group_topics(result, members),
        activity=activity,
        model_days=model_days,
        infrastructure=_group_infrastructure(result, members),
        models=_group_models(result, buckets),
        release=release,
        components=score_components(group),
    )


def activity_grid(activity: pl.DataFrame, max_rows: int = MAX_ACTIVITY_ROWS) -> ActivityGrid:
    """Fold (day, hour, n) into a grid of at most `max_rows` rows of whole days × 24 hours.

    Every day from the first to the last active one gets a row (idle days too), so gaps
    show; a longer span puts ceil(days / max_rows) days in each row.
    """
    if activity.height == 0:
        return ActivityGrid(rows=[], cells=[], row_totals=[], hour_totals=[0] * 24)
    first: date = activity["day"].min()  # type: ignore[assignment]
    last: date = activity["day"].max()  # type: ignore[assignment]
    span = (last - first).days + 1
    per_row = max(1, math.ceil(span / max_rows))
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


def example_requests(
    paths: Sequence[str],
    options: ScanOptions,
    result: ScanResult,
    view: GroupView,
    templates: int = 5,
    per_template: int = 2,
    max_chars: int = EXAMPLE_CHARS,
) -> pl.DataFrame:
    """Up to `per_template` raw requests for each of the group's top `templates` templates.

    A second, streamed pass over the logs, read with the preset the scan used and
    filtered on the group's accounts before anything is annotated; it stops as soon as
    every template has its examples. Examples come in log order, text cut to `max_chars`.
    """
    schema = pl.Schema({
        "template_fp": pl.UInt64(), "template": pl.String(), "account_id": pl.String(),
        "timestamp": pl.Datetime("us", "UTC"), "model": pl.String(), "system": pl.String(),
        "prompt": pl.String(), "prompt_chars": pl.UInt32(),
    })
    wanted = view.templates.head(templates).select("template_fp", "template")
    if per_template < 1 or wanted.height == 0:
        return pl.DataFrame(schema=schema)
    if "-" in paths:
        raise UsageError("examples need a second read of the logs, and standard input cannot be read twice")
    sources = discover_sources(paths, options.input_format)
    choice = choose_presets(sources, options)
    members = view.accounts["account_id"].implode()
    need = dict.fromkeys(wanted["template_fp"].to_list(), per_template)
    found: list[pl.DataFrame] = []
    shards = read_shards(choice, options)
    for shard in shards:
        rows = shard.frame.filter(pl.col("account_id").is_in(members))
        for batch in rows.collect_batches(chunk_size=EXAMPLE_BATCH_ROWS, maintain_order=True):
            still = pl.DataFrame(
                {"template_fp": list(need), "need": list(need.values())},
                schema={"template_fp": pl.UInt64, "need": pl.Int64},
            )
            picked = (
                annotate_requests(batch.lazy())
                .join(result.templates.lazy(), on="frame_fp", how="left", maintain_order="left")
                .with_columns(template_fp=pl.col("template_fp").fill_null(pl.col("frame_fp")))
                .join(still.lazy(), on="template_fp", maintain_order="left")
                .filter(pl.int_range(pl.len()).over("template_fp") < pl.col("need"))
                .select(
                    "template_fp", "account_id", "timestamp", "model",
                    system=pl.col("system").str.slice(0, max_chars),
                    prompt=pl.col("prompt").str.slice(0, max_chars),
                    prompt_chars=pl.col("prompt").str.len_chars().cast(pl.UInt32),
                )
                .collect()
            )
            found.append(picked)
            for template_fp, n in picked.group_by("template_fp").len().iter_rows():
                need[template_fp] -= n
                if need[template_fp] <= 0:
                    del need[template_fp]
            if not need:
                break
        if not need:
            break
    if not found:
        return pl.DataFrame(schema=schema)
    order = wanted.with_row_index("_order")
    return (
        pl.concat(found)
        .with_row_index("_seen")
        .join(order, on="template_fp")
        .sort("_order", "_seen")
        .select(schema.names())
        .cast(schema)
    )

