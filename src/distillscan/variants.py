"""Harder variants of a labelled log, for measuring how detection degrades.

Gateway logs often lack whole families of signals (no payment, no account creation
time, no conversation history), and replays or test captures span seconds. `write_variant`
rewrites a log as such a log: the named canonical columns removed, and every request
timestamp squeezed linearly into a window ending at the last one. The variant is written as
native-schema Parquet, one file per shard, so a scan of its folder reads it exactly as a
log that never had those columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

import polars as pl

from distillscan.errors import UsageError
from distillscan.model.scan import ScanOptions
from distillscan.read import Shard, choose_presets, discover_sources, read_shards
from distillscan.schema import CANONICAL_SCHEMA, REQUIRED_COLUMNS

DROPPABLE: Final = frozenset(CANONICAL_SCHEMA) - frozenset(REQUIRED_COLUMNS)
"""Canonical columns a variant may drop; account id, timestamp and prompt are required."""


@dataclass(frozen=True)
class Variant:
    """How a variant differs from its log."""

    drop_columns: frozenset[str] = frozenset()
    time_window: timedelta | None = None
    """Squeeze every timestamp into this span from the first; None keeps them."""

    def __post_init__(self) -> None:
        unknown = sorted(self.drop_columns - DROPPABLE)
        if unknown:
            raise UsageError(
                f"cannot drop {', '.join(unknown)}: droppable columns are {', '.join(sorted(DROPPABLE))}"
            )
        if self.time_window is not None and self.time_window <= timedelta(0):
            raise UsageError("the time window must be positive")

    @property
    def changes_anything(self) -> bool:
        return bool(self.drop_columns) or self.time_window is not None


def parse_columns(text: str) -> frozenset[str]:
    """A comma-separated list of canonical column names."""
    return frozenset(name.strip() for name in text.split(",") if name.strip())


def write_variant(paths: Sequence[str], options: ScanOptions, variant: Variant, folder: Path) -> list[Path]:
    """Write the variant of the logs at `paths` (read as `options` say) into `folder`,
    one Parquet file per shard; the files written, in input order. The logs are read
    once more first when timestamps are squeezed (their first and last are needed), and
    one shard is held at a time."""
    squeeze = _squeeze(_time_bounds(paths, options), variant.time_window) if variant.time_window else None
    written: list[Path] = []
    for index, shard in enumerate(_shards(paths, options)):
        kept = [name for name in CANONICAL_SCHEMA if name in shard.available and name not in variant.drop_columns]
        frame = shard.frame.select(kept)
        if squeeze is not None:
            frame = frame.with_columns(timestamp=squeeze)
        path = folder / f"part-{index:05d}.parquet"
        frame.sink_parquet(path)
        written.append(path)
    return written


def _shards(paths: Sequence[str], options: ScanOptions) -> Iterator[Shard]:
    return read_shards(choose_presets(discover_sources(paths, options.input_format), options), options)


def _time_bounds(paths: Sequence[str], options: ScanOptions) -> tuple[datetime | None, datetime | None]:
    """The first and last request timestamp of the logs."""
    first: datetime | None = None
    last: datetime | None = None
    for shard in _shards(paths, options):
        ends = shard.frame.select(low=pl.col("timestamp").min(), high=pl.col("timestamp").max())
        low, high = ends.collect().row(0)
        if isinstance(low, datetime):
            first = low if first is None else min(first, low)
        if isinstance(high, datetime):
            last = high if last is None else max(last, high)
    return first, last


def _squeeze(bounds: tuple[datetime | None, datetime | None], window: timedelta) -> pl.Expr:
    """Timestamps mapped linearly from the logs' [first, last] onto [last - window, last]:
    with a window shorter than the log no request moves earlier, as a replay comes after
    the traffic it replays (a longer window stretches the log back in time). Squeezed
    onto the first timestamp instead, every account created during the log was seen
    before its creation time."""
    first, last = bounds
    if first is None or last is None or last <= first:
        return pl.col("timestamp")
    ratio = window / (last - first)
    offset = (pl.col("timestamp") - pl.lit(first)).dt.total_microseconds()
    start = last - window
    return pl.lit(start) + pl.duration(microseconds=(offset.cast(pl.Float64) * ratio).round().cast(pl.Int64))
