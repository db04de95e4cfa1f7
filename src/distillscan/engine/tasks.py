"""What a distributed task runs: plain functions over one piece, which the driver
submits as Ray tasks (and tests call directly).

`piece_keys` is the cheap first pass (the piece's request keys). `reduce_piece` is the
shard stage of the local engine, `shard_stage.reduce_shards`, over one piece, into a
list of partial aggregates that it sums once (`combine_aggregates`) and returns
beside a small report: the tally of what it read, or the input error it met, or, for
a range of a file whose read failed part-way, that the file must be read whole.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

import polars as pl

from distillscan.aggregate.partial import combine_aggregates
from distillscan.engine.keys import shard_keys
from distillscan.engine.pieces import WHOLE, Piece, WholeSourceNeeded, read_piece
from distillscan.engine.shard_stage import InputTally, reduce_shards, reread_source
from distillscan.errors import DistillscanError, InputError
from distillscan.model.aggregates import TABLES, Aggregates
from distillscan.model.inputs import LogSource
from distillscan.model.scan import ScanOptions
from distillscan.read import SeenRequests, Shard

KILL_MARKER_VARIABLE: Final = "DISTILLSCAN_TEST_KILL_MARKER"
"""Tests only: a file path; the first reduce task to find no file there creates it and
kills its worker process before returning, as a machine lost mid-task would."""


@dataclass(frozen=True)
class PieceFailure:
    """An input error met by a task, as plain fields (InputError's constructor takes
    keywords, so the exception itself does not survive pickling)."""

    path: str
    reason: str
    line: int | None = None
    row: int | None = None
    field: str | None = None
    last_row: int | None = None
    row_group: int | None = None

    @classmethod
    def of(cls, error: InputError) -> PieceFailure:
        return cls(error.path, error.reason, error.line, error.row, error.field, error.last_row, error.row_group)

    def error(self) -> InputError:
        return InputError(self.path, self.reason, line=self.line, row=self.row, field=self.field,
                          last_row=self.last_row, row_group=self.row_group)


@dataclass(frozen=True)
class PieceReport:
    """What a reduce task says about its piece; its partial aggregates travel apart."""

    tally: InputTally | None = None
    """What the piece read (None when it failed)."""
    failure: PieceFailure | None = None
    whole_source: bool = False
    """A range whose read failed part-way: the driver reads the file whole instead."""
    keys: pl.Series | None = None
    """The piece's request keys, when they may differ from the first pass's: the piece
    was read again after a failed read, or the first pass could not read it."""
    part_bytes: int = 0
    """In-memory (Arrow) size of the partial aggregates returned."""


class PartList:
    """A task's partial aggregates, held in memory until the task returns them."""

    def __init__(self) -> None:
        self.parts: list[Aggregates] = []

    def add(self, part: Aggregates) -> None:
        self.parts.append(part)

    def checkpoint(self) -> int:
        return len(self.parts)

    def restore(self, mark: int) -> None:
        del self.parts[mark:]

    def combined(self) -> Aggregates | None:
        """The sum of the parts (None for a piece without rows)."""
        return combine_aggregates(self.parts) if self.parts else None


def piece_keys(piece: Piece, options: ScanOptions) -> pl.Series | None:
    """The piece's sorted distinct request keys; None when it cannot be read (the
    reduce task then meets the error, or reads the file again, and reports its keys)."""
    try:
        return shard_keys(read_piece(piece, options))
    except (DistillscanError, WholeSourceNeeded, pl.exceptions.PolarsError, OSError):
        return None


def reduce_piece(
    piece: Piece, options: ScanOptions, counted_elsewhere: pl.Series, keys_known: bool
) -> tuple[PieceReport, Aggregates | None]:
    """The piece's report and partial aggregates, its requests in `counted_elsewhere`
    (held by an earlier piece) dropped as repeats, like its own repeats."""
    seen = SeenRequests()
    parts = PartList()
    read: list[Shard] = []
    # Parquet shards are lazy scans, cheap to hold; a JSONL batch holds its rows.
    keep = read.append if piece.source.format == "parquet" else None
    try:
        tally = reduce_shards(read_piece(piece, options), seen, parts, _rereader(piece, options), keep,
                              counted_elsewhere)
    except WholeSourceNeeded:
        return PieceReport(whole_source=True), None
    except InputError as error:
        return PieceReport(failure=PieceFailure.of(error)), None
    keys = None
    if tally.rereads or not keys_known:
        keys = shard_keys(read if keep is not None else read_piece(piece, options))
    combined = parts.combined()
    size = sum(int(getattr(combined, name).estimated_size()) for name in TABLES) if combined is not None else 0
    _exit_once_for_tests()
    return PieceReport(tally, keys=keys, part_bytes=size), combined


def _rereader(piece: Piece, options: ScanOptions) -> Callable[[LogSource], Iterable[Shard]]:
    """How a shard whose read failed part-way is read again: a whole source as the local
    engine does; a range not at all (the driver reads its file whole)."""
    if piece.part == WHOLE:
        return lambda source: reread_source(source, piece.preset, options)

    def whole_source_needed(source: LogSource) -> Iterable[Shard]:
        raise WholeSourceNeeded(source.path)

    return whole_source_needed


def _exit_once_for_tests() -> None:
    """See KILL_MARKER_VARIABLE: a no-op unless the variable names a missing file."""
    marker = os.environ.get(KILL_MARKER_VARIABLE)
    if not marker:
        return
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    os._exit(1)
