"""Cell text every human-facing renderer (terminal tables, HTML) shows the same way:
percentages, times, topics, counts, example prompts and each group's top template.

These return plain strings of log-derived text: the caller makes them inert for where
they land (`terminal_safe` into a Rich `Text`, or HTML escaping).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from distillscan.model.scan import ScanResult


def percent(value: float | None) -> str:
    """A share as a whole percentage; '—' when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * value:.0f}%"


def minute(value: datetime | None) -> str:
    """A time to the minute; '—' when unknown."""
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M}"


def day(value: datetime | None) -> str:
    """A time's day; '—' when unknown."""
    return "—" if value is None else f"{value:%Y-%m-%d}"


def topic_name(topic: str) -> str:
    """A topic as words: `data_analysis` → `data analysis`."""
    return topic.replace("_", " ")


def top_topic_cell(row: dict[str, Any]) -> str:
    """An account's largest topic and its share of the account's traffic."""
    return f"{topic_name(str(row['top_topic'] or '—'))} {percent(row['topic_focus'])}"


def quiet_hours_cell(row: dict[str, Any]) -> str:
    """Share of an account's traffic in its quietest 6 hours: `quiet_share` is scaled ×4
    (24 h / 6 h) so that a flat profile scores 1; this undoes that."""
    return percent(row["quiet_share"] / 4 if row["quiet_share"] is not None else None)


def count_cell(value: object) -> str:
    """A count as it is; '—' when the column behind it is missing."""
    return "—" if value is None else str(value)


def lag_cell(hours: float | None) -> str:
    """Hours behind a model's first appearance; '—' when never used."""
    return "—" if hours is None else f"{hours:.1f} h"


def example_prompt(example: dict[str, Any]) -> str:
    """An example request's prompt as fetched, with '…' where it was cut."""
    prompt = example["prompt"] or ""
    return prompt + ("…" if example["prompt_chars"] > len(prompt) else "")


def top_skeletons(result: ScanResult) -> dict[str, str]:
    """group_id → the skeleton of the group's busiest template."""
    return {
        row["group_id"]: row["skeleton"]
        for row in result.report.templates.sort(["n_requests", "template"], descending=[True, False])
        .unique("group_id", keep="first", maintain_order=True)
        .iter_rows(named=True)
    }
