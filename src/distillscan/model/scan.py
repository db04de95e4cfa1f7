"""A scan's options and result: what the CLI passes in and every renderer reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import polars as pl

from distillscan.model.aggregates import Aggregates
from distillscan.model.groups import GroupReport, Linkage
from distillscan.model.inputs import SkippedInput

if TYPE_CHECKING:
    from distillscan.model.triage import Allowlist, BaselineComparison, Suppression
    from distillscan.read.preset import Preset


@dataclass(frozen=True)
class ScanOptions:
    """What the user asked for, independent of how it is rendered."""

    column_map: Mapping[str, str] = field(default_factory=dict)
    skip_errors: bool = False
    input_format: Literal["parquet", "jsonl"] | None = None
    preset: str | None = None
    """A preset name; None (or 'auto') detects it per file from its first records."""
    presets: Mapping[str, Preset] | None = None
    """Presets to choose from (built-ins plus a config file's); None: the built-ins."""
    allow: Allowlist | None = None
    """Known legitimate accounts/orgs: kept out of linking, scored apart, reported suppressed."""
    temp_dir: Path | None = None
    """The folder the spill folder is made in; None: the system's ($TMPDIR)."""
    engine: Literal["local", "ray"] = "local"
    """Where the shard stage runs: in this process, or as Ray tasks (`distillscan.engine`)."""
    ray_address: str | None = None
    """The Ray cluster to join (`auto`, HOST:PORT); None starts a local Ray runtime."""


@dataclass(frozen=True)
class ScanSummary:
    """Facts about the input that every report carries."""

    files: tuple[str, ...]
    rows_in: int
    rows_read: int
    rows_skipped: int
    skipped: tuple[SkippedInput, ...]
    accounts: int
    first_seen: datetime | None
    last_seen: datetime | None
    columns_available: tuple[str, ...]
    signals: dict[str, bool]
    preset: str = "native"
    """The preset every file was read with, or `mixed` (see `presets_by_file`)."""
    preset_reason: str = ""
    """Why that preset: named on the command line, or what auto-detection matched."""
    presets_by_file: Mapping[str, str] = field(default_factory=dict)
    """file → the preset it was read with."""
    signals_unknown: Mapping[str, str] = field(default_factory=dict)
    """Evidence families the log cannot show, and why (see `model.evidence`): scoring
    leaves them out rather than reading them as zero."""
    rows_duplicate: int = 0
    """Rows dropped as repeats of an earlier request (see `dedupe`):
    rows_in = rows_read + rows_skipped + rows_duplicate."""


@dataclass(frozen=True)
class ScanResult:
    summary: ScanSummary
    report: GroupReport
    linkage: Linkage
    aggregates: Aggregates
    """The merged per-account tables, for drill-down views and exports."""
    templates: pl.DataFrame
    """frame_fp → template_fp: which distinct frames were merged into one template."""
    suppression: Suppression | None = None
    """The allowlisted accounts' own groups, when an allowlist was given."""
    baseline: BaselineComparison | None = None
    """Each group's status against a previous report, once compared (`baseline.compare`)."""

    def close(self) -> None:
        """Remove the files the large tables are read from (see `Aggregates.folder`); they
        go anyway once the result is garbage, this says when."""
        self.aggregates.close()
