"""Which groups a report shows: the user's cut by rank, score and severity."""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from distillscan.model.groups import SEVERITIES, severity_rank
from distillscan.model.scan import ScanResult
from distillscan.model.triage import Suppression


@dataclass(frozen=True)
class Selection:
    """Which groups a report shows."""

    top: int | None = None
    min_score: float = 0.0
    min_severity: str = "info"


def select_groups(result: ScanResult, selection: Selection) -> pl.DataFrame:
    """The ranked groups that pass the selection, in rank order."""
    allowed = SEVERITIES[: severity_rank(selection.min_severity) + 1]
    chosen = result.report.groups.filter(
        (pl.col("score") >= selection.min_score) & pl.col("severity").is_in(list(allowed))
    ).sort("rank")
    return chosen.head(selection.top) if selection.top is not None else chosen


def select_suppressed(result: ScanResult, selection: Selection) -> pl.DataFrame | None:
    """The allowlisted groups that pass the selection (None without an allowlist)."""
    if result.suppression is None:
        return None
    return select_groups(suppressed_scan(result, result.suppression), selection)


def suppressed_scan(result: ScanResult, suppression: Suppression) -> ScanResult:
    """The allowlisted accounts' own groups as a scan result of their own, to render
    with the same code as the reported groups."""
    return replace(result, report=suppression.report, linkage=suppression.linkage, baseline=None, suppression=None)
