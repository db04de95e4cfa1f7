"""The CI gate: which groups make `scan` exit 1 (`--fail-on`, `--fail-on-new`).

Only reported-side groups count: allowlisted groups live in the suppression and can
never fail the gate. Every group is considered, not only those shown (`--top` limits
what is printed, not what is found).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan.errors import UsageError
from distillscan.model.groups import SEVERITIES
from distillscan.model.scan import ScanResult

FAIL_ON_NEW_DEFAULT: Final = "high"
"""The severity `--fail-on-new` gates at when `--fail-on` is not given."""
FAILING_STATUSES: Final[tuple[str, ...]] = ("new", "grown")


def gate_failures(result: ScanResult, severity: str, only_new: bool = False) -> pl.DataFrame:
    """Groups at or above `severity` (and, with `only_new`, new or grown against the
    baseline): group_id, rank, severity, status; in rank order. Empty: the gate passes."""
    if severity not in SEVERITIES:
        raise UsageError(f"unknown severity {severity!r} (known: {', '.join(SEVERITIES)})")
    allowed = list(SEVERITIES[: SEVERITIES.index(severity) + 1])
    groups = result.report.groups.filter(pl.col("severity").is_in(allowed)).select("group_id", "rank", "severity")
    if result.baseline is None:
        if only_new:
            raise UsageError("--fail-on-new needs --baseline PREVIOUS.json")
        return groups.with_columns(status=pl.lit(None, dtype=pl.String)).sort("rank")
    with_status = groups.join(result.baseline.statuses.select("group_id", "status"), on="group_id", how="left")
    if only_new:
        with_status = with_status.filter(pl.col("status").is_in(list(FAILING_STATUSES)))
    return with_status.sort("rank")


def describe_failures(failures: pl.DataFrame, severity: str, only_new: bool, limit: int = 5) -> str:
    """One line naming the groups that failed the gate (ids, ranks, severities, statuses)."""
    what = "new or grown group(s)" if only_new else "group(s)"
    listed = ", ".join(
        f"{row['group_id']} (#{row['rank']} {row['severity']}{' ' + row['status'] if row['status'] else ''})"
        for row in failures.head(limit).iter_rows(named=True)
    )
    more = f" and {failures.height - limit} more" if failures.height > limit else ""
    return f"--fail-on {severity}: {failures.height} {what} at or above {severity}: {listed}{more}"
