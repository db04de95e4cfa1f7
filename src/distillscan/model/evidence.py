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
CREATION_SKEW: Final = timedelta(hours=1)
"""A first request this long before its account's creation cannot be: the clocks disagree."""
CLOCK_MISMATCH_SHARE: Final = 0.01
"""Past this share of the accounts with a creation time seen CREATION_SKEW or more before
it, the log's creation times and request clock disagree (a capture re-stamped, creation
times in another zone) and no account's age is known: read as it came, every such
account would count as new."""

FAMILY_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    # Billed input tokens show earlier turns where depth itself is not logged.
    "conversation_depth": ("n_turns", "turn", "input_tokens"),
    "fixed_parameters": ("temperature", "max_tokens"),
    "account_creation": ("account_created_at",),
    "account_age": ("account_created_at",),
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
        clock_mismatch: tuple[int, int] = (0, 0),
    ) -> Measurable:
        """What a log with values in these canonical `columns`, this time span and (or
        not) a model released during it can show; `clock_mismatch` is (accounts first
        seen CREATION_SKEW or more before their creation time, accounts with one)."""
        unknown: dict[str, str] = {}
        early, dated = clock_mismatch
        if dated and early > CLOCK_MISMATCH_SHARE * dated:
            unknown["account_age"] = (
                f"{early:,} of {dated:,} accounts were first seen over {_duration(CREATION_SKEW)} before their "
                "creation time: the creation times and the request clock disagree"
            )
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
