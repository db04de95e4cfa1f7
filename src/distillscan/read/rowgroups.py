"""Locate the damaged row groups of a Parquet file, so the rest of it can still be read.

A Parquet file is a sequence of row groups, each decoded on its own: a corrupt page
(bad compression, a mangled page header) spoils its row group only. When reading a
file fails, `unreadable_row_groups` reads each row group alone to find the damaged
ones, and `readable_rows` gives the rows of the others, each with its row number in
the file, so errors name exact rows and `--skip-errors` drops only what is damaged.
This runs only after a read has failed; an intact file is never read twice for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl
import pyarrow.parquet as pq  # type: ignore[import-untyped]

ROW_NUMBER = "__row"
"""The column `readable_rows` adds: the row's 0-based position in the file."""


@dataclass(frozen=True)
class RowGroup:
    """One row group: its index and the file rows it holds (0-based, contiguous)."""

    index: int
    first_row: int
    rows: int

    @property
    def last_row(self) -> int:
        return self.first_row + self.rows - 1

    def describe(self) -> str:
        """`rows 200000–299999 (row group 2)`."""
        return f"rows {self.first_row}–{self.last_row} (row group {self.index})"


@dataclass(frozen=True)
class Damage:
    """A row group that cannot be read, and the reader's one-line reason."""

    group: RowGroup
    reason: str


def row_groups(path: str) -> list[RowGroup]:
    """The row groups listed in the file's footer (raises OSError/ArrowException if
    the footer itself is unreadable)."""
    metadata = pq.read_metadata(path)
    groups: list[RowGroup] = []
    first = 0
    for index in range(metadata.num_row_groups):
        rows = metadata.row_group(index).num_rows
        groups.append(RowGroup(index, first, rows))
        first += rows
    return groups


def unreadable_row_groups(
    groups: Sequence[RowGroup],
    probe: Callable[[int, int], object],
    describe_error: Callable[[BaseException], str],
) -> list[Damage]:
    """The row groups for which `probe(first_row, rows)` fails with a read error."""
    damaged: list[Damage] = []
    for group in groups:
        if group.rows == 0:
            continue
        try:
            probe(group.first_row, group.rows)
        except (pl.exceptions.PolarsError, OSError) as error:
            damaged.append(Damage(group, describe_error(error)))
    return damaged


def readable_rows(scan: pl.LazyFrame, groups: Sequence[RowGroup], damaged: Sequence[Damage]) -> pl.LazyFrame:
    """The rows of every undamaged row group, in file order, numbered in ROW_NUMBER.

    Adjacent readable groups are read as one slice; the reader skips the row groups a
    slice does not cover, so damaged pages are never decoded.
    """
    bad = {damage.group.index for damage in damaged}
    ranges: list[tuple[int, int]] = []
    for group in groups:
        if group.index in bad or group.rows == 0:
            continue
        if ranges and ranges[-1][0] + ranges[-1][1] == group.first_row:
            ranges[-1] = (ranges[-1][0], ranges[-1][1] + group.rows)
        else:
            ranges.append((group.first_row, group.rows))
    if not ranges:
        return scan.head(0).with_row_index(ROW_NUMBER)
    return pl.concat(
        [scan.slice(first, rows).with_row_index(ROW_NUMBER, offset=first) for first, rows in ranges],
        how="vertical",
    )
