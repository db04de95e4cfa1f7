"""The load stage: turn the paths a user names into canonical request frames.

`discover_sources` (see `sources`) expands the paths into `LogSource`s; `iter_shards`
reads them as a stream of `Shard`s whose frames hold exactly the columns of
`CANONICAL_SCHEMA`, each source with the reader of its format (`parquet`, `jsonl`);
`load_frame` does both and concatenates the result, for tests and small inputs.

Nothing is ever silently dropped: for every shard `rows_in` equals the rows in
its frame plus the rows its `skipped` records account for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import BinaryIO, Final

import polars as pl

from distillscan.errors import UsageError
from distillscan.model.inputs import Format, LogSource, SkippedInput
from distillscan.read.columns import ColumnSpecs
from distillscan.read.jsonl import DEFAULT_BATCH_BYTES, JsonlReader
from distillscan.read.parquet import ParquetReader
from distillscan.read.preset import Preset
from distillscan.read.reader import Reader, SkipFile
from distillscan.read.shards import Shard, empty_frame, merge_skipped
from distillscan.read.sources import discover_sources

_NO_MAP: Final[Mapping[str, str]] = MappingProxyType({})


@dataclass(frozen=True)
class LoadReport:
    """What `load_frame` read, and what it had to skip."""

    files: tuple[str, ...]
    rows_in: int
    rows_read: int
    rows_skipped: int
    skipped: tuple[SkippedInput, ...]
    """Merged per (file, reason, field); first location kept, rows summed."""
    available: frozenset[str]
    """Canonical columns available in at least one shard."""


def iter_shards(
    sources: Sequence[LogSource],
    *,
    column_map: Mapping[str, str] = _NO_MAP,
    skip_errors: bool = False,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    preset: Preset | None = None,
    decode_all: bool = False,
) -> Iterator[Shard]:
    """Read sources as canonical shards, streaming.

    `preset` says where each canonical column is found (default: the native schema);
    `column_map` entries override it. Without `skip_errors` the first bad file, line or
    row raises InputError; with it, they are dropped and recorded in the shard's
    `skipped`. `batch_bytes` is the size of a JSONL batch. With `decode_all`, the
    Parquet checking pass decodes every column it maps, not only the checked ones, so
    a damaged row group anywhere is found and located here (see `rowgroups`); scans
    use it to re-read a file whose later read failed.
    """
    if batch_bytes < 1:
        raise UsageError(f"batch size must be positive, got {batch_bytes}")
    specs = ColumnSpecs.build(column_map, preset)
    readers: dict[Format, Reader] = {
        "parquet": ParquetReader(specs, skip_errors=skip_errors, decode_all=decode_all),
        "jsonl": JsonlReader(specs, skip_errors=skip_errors, batch_bytes=batch_bytes),
    }
    for source in sources:
        yield from _shards_or_record(readers[source.format], source, skip_errors)


def _shards_or_record(reader: Reader, source: LogSource, skip_errors: bool) -> Iterator[Shard]:
    """The reader's shards of `source`. A whole file it cannot read raises its error, or
    with `skip_errors` gives an empty shard whose record accounts for the file."""
    try:
        yield from reader.shards(source)
    except SkipFile as skipped:
        if not skip_errors:
            raise skipped.error from None
        error, rows = skipped.error, skipped.rows
        reason = error.reason if rows is not None else f"{error.reason} (row count unknown)"
        record = SkippedInput(
            source.path,
            reason,
            line=error.line,
            row=error.row,
            field=error.field,
            rows=rows or 0,
        )
        yield Shard(source, empty_frame(), rows or 0, (record,), frozenset())


def load_frame(
    paths: Sequence[str],
    *,
    fmt: Format | None = None,
    column_map: Mapping[str, str] = _NO_MAP,
    skip_errors: bool = False,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    preset: Preset | None = None,
    stdin: BinaryIO | None = None,
) -> tuple[pl.DataFrame, LoadReport]:
    """Discover, read and concatenate everything (for tests and small inputs); `-`
    reads `stdin` (default: the process's standard input)."""
    sources = discover_sources(paths, fmt, stdin=stdin)
    frames: list[pl.DataFrame] = []
    rows_in = 0
    records: list[SkippedInput] = []
    available: set[str] = set()
    for shard in iter_shards(
        sources,
        column_map=column_map,
        skip_errors=skip_errors,
        batch_bytes=batch_bytes,
        preset=preset,
    ):
        frames.append(shard.frame.collect())
        rows_in += shard.rows_in
        records.extend(shard.skipped)
        available |= shard.available
    frame = pl.concat(frames, how="vertical") if frames else empty_frame().collect()
    skipped = merge_skipped(records)
    rows_skipped = sum(record.rows for record in skipped)
    report = LoadReport(
        files=tuple(source.path for source in sources),
        rows_in=rows_in,
        rows_read=frame.height,
        rows_skipped=rows_skipped,
        skipped=skipped,
        available=frozenset(available),
    )
    return frame, report
