"""Which families of behavioural evidence a log lets the scorer measure.

A signal the log cannot show is *unknown*, not innocent: a gateway log without payment
or account-creation values says nothing about shared billing or creation bursts, and a
replay whose timestamps span seconds says nothing about sleep. Scoring leaves unknown
components out (their weight goes to the known ones) instead of reading them as zero,
and the report names them with the reason. A family is known when the log holds at
least one value for it (a column present but empty counts as absent).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

TIMING_MIN_SPAN: Final = timedelta(days=2)
"""A daily rhythm (sleep, 24/7 service) needs at least this much of the log's time."""

FAMILY_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    # Billed input tokens show earlier turns where depth itself is not logged.
    "conversation_depth": ("n_turns", "turn", "input_tokens"),
    "fixed_parameters": ("temperature", "max_tokens"),
    "account_creation": ("account_created_at",),
    "shared_infrastructure": ("ip", "payment_fingerprint", "org_id"),
    "model_pivot": ("model",),
}
"""Families measured from columns: known when any of their columns holds a value."""
FAMILIES: Final[tuple[str, ...]] = ("daily_timing", *FAMILY_COLUMNS)


@dataclass(frozen=True)
class Measurable:
    """The evidence families this log can show; `unknown` maps the others to why."""

    unknown: Mapping[str, str] = field(default_factory=dict)

    def knows(self, family: str) -> bool:
        return family not in self.unknown

    @classmethod
    def of_log(
        cls,
        columns: Collection[str],
        first_seen: datetime | None,
        last_seen: datetime | None,
        model_release: bool,
    ) -> Measurable:
        """What a log with values in these canonical `columns`, this time span and (or
        not) a model released during it can show."""
        unknown: dict[str, str] = {}
        span = (last_seen - first_seen) if first_seen is not None and last_seen is not None else timedelta(0)
        if span < TIMING_MIN_SPAN:
            unknown["daily_timing"] = f"the log spans {_duration(span)}, under {_duration(TIMING_MIN_SPAN)}"
        for family, family_columns in FAMILY_COLUMNS.items():
            if not any(column in columns for column in family_columns):
                unknown[family] = "no " + " / ".join(family_columns) + " values"
        if "model_pivot" not in unknown and not model_release:
            unknown["model_pivot"] = "no model is released during the log"
        return cls({family: unknown[family] for family in FAMILIES if family in unknown})


def _duration(span: timedelta) -> str:
    seconds = span.total_seconds()
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7_200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3_600:.0f} h"
    return f"{seconds / 86_400:.0f} days"
