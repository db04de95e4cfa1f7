"""What reading reports about its input: the sources found and the input it skipped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Format = Literal["parquet", "jsonl"]
Compression = Literal["gzip", "zstd"]


@dataclass(frozen=True)
class LogSource:
    """One input to read: a file, or standard input."""

    path: str
    """The path as the user will recognise it; `<stdin>` for `-`."""
    format: Format
    compression: Compression | None


@dataclass(frozen=True)
class SkippedInput:
    """Input rows dropped under `skip_errors`, grouped by file and reason."""

    path: str
    reason: str
    line: int | None = None
    """First offending JSONL line (1-based)."""
    row: int | None = None
    """First offending Parquet row (0-based)."""
    field: str | None = None
    rows: int = 1
    """Input rows this record accounts for (0 when a skipped file's rows are unknown)."""
