"""Pieces: how a log is cut into tasks, and how a task reads its piece.

A piece is a whole source, or, for a Parquet file of more than `PIECE_ROWS` rows, a
range of consecutive row groups holding at least that many. Every piece is read with
the reader the local engine uses (`read_shards`, with the source's preset, column map
and skip-errors); a range is a slice of the file's one shard, so the rows of a file's
ranges, in order, are exactly the rows the local engine reads from it. Each range
task runs the reader's checking pass over the whole file (its row count and bad-row
records): the first range reports them, the others only their own rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import polars as pl
from pyarrow import ArrowException  # type: ignore[import-untyped]

from distillscan.model.inputs import LogSource
from distillscan.model.scan import ScanOptions
from distillscan.read import Preset, PresetChoice, Shard, read_shards
from distillscan.read.detect import Detection
from distillscan.read.rowgroups import row_groups

PIECE_ROWS: Final = 2_000_000
"""Rows a task reduces at least (a file with fewer is one task): about 10 annotation
batches, so a task's start-up and the reader's checking pass are small beside it."""
WHOLE: Final = -1
"""The `part` of a piece that is a whole source."""


class WholeSourceNeeded(Exception):
    """A range's read failed part-way: the file must be read whole, as the local engine
    rereads it (the damaged row groups are located only over the whole file)."""


@dataclass(frozen=True)
class Piece:
    """One task's share of the log: source `index` (in the order named), whole or the
    `part`-th range of its rows."""

    index: int
    part: int
    entry: tuple[LogSource, Preset, Detection]
    first_row: int = 0
    rows: int | None = None
    """Rows of the file's shard from `first_row`; None: to the end."""

    @property
    def source(self) -> LogSource:
        return self.entry[0]

    @property
    def preset(self) -> Preset:
        return self.entry[1]

    @property
    def key(self) -> tuple[int, int]:
        """Where the piece comes in the log (source, then range)."""
        return self.index, self.part

    def whole(self) -> Piece:
        """The whole source this piece is part of."""
        return Piece(self.index, WHOLE, self.entry)


def plan_pieces(choice: PresetChoice, piece_rows: int = PIECE_ROWS) -> list[Piece]:
    """The pieces of every source, in log order."""
    pieces: list[Piece] = []
    for index, entry in enumerate(choice.sources):
        ranges = _row_ranges(entry[0], piece_rows)
        if len(ranges) < 2:
            pieces.append(Piece(index, WHOLE, entry))
            continue
        for part, (first, rows) in enumerate(ranges):
            last = part == len(ranges) - 1
            pieces.append(Piece(index, part, entry, first, None if last else rows))
    return pieces


def _row_ranges(source: LogSource, piece_rows: int) -> list[tuple[int, int]]:
    """(first row, rows) of consecutive row groups, each range at least `piece_rows`
    rows but the last; [] for anything but a Parquet file whose footer can be read."""
    if source.format != "parquet":
        return []
    try:
        groups = row_groups(source.path)
    except (OSError, ArrowException):
        return []
    ranges: list[tuple[int, int]] = []
    for group in groups:
        if ranges and ranges[-1][1] < piece_rows:
            ranges[-1] = (ranges[-1][0], ranges[-1][1] + group.rows)
        else:
            ranges.append((group.first_row, group.rows))
    return ranges


def read_piece(piece: Piece, options: ScanOptions) -> Iterator[Shard]:
    """The piece's rows as canonical shards, read as the local engine reads them."""
    shards = read_shards(PresetChoice((piece.entry,)), options)
    if piece.part == WHOLE:
        yield from shards
        return
    for shard in shards:
        frame = shard.frame.slice(piece.first_row, piece.rows)
        try:
            rows = int(frame.select(pl.len()).collect().item())
        except pl.exceptions.PolarsError as error:
            raise WholeSourceNeeded from error
        lead = piece.part == 0
        skipped = shard.skipped if lead else ()
        # A piece starts at a row group, so the groups still line up with its rows.
        yield Shard(
            shard.source, frame, rows + sum(record.rows for record in skipped), skipped, shard.available,
            shard.read_rows,
        )
