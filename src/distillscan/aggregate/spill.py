"""Partial aggregates held while a scan streams, spilled to disk so memory stays flat.

Each batch of requests becomes a small partial `Aggregates`. Summing them in memory as
they arrive makes the running tables (one row per account × frame, most of them
one-off prompts) grow with the log, and re-summing that growing table every few batches
makes time grow faster than the log. `PartialStore` instead gathers every MERGE_EVERY
batches into a chunk and, given a folder, writes the chunk to Parquet and forgets it:
memory holds a few batches' aggregates while reading. `finish` sums all chunks once
with the streaming engine (`features.complete_aggregates`); the two completed tables
that grow with traffic (account × frame, account × 10-minute slot) are written to a
second temporary folder and read from there, so what stays in memory is bounded by
accounts and repeated frames.

A store can be rolled back to a checkpoint (a file that fails part-way is read again),
and it removes its folder when closed, whatever happened.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Final

import polars as pl

from distillscan.aggregate.complete import complete_aggregates
from distillscan.aggregate.partial import MERGE_EVERY, combine_aggregates
from distillscan.aggregate.ranges import RANGE_KEYS
from distillscan.errors import UsageError
from distillscan.model.aggregates import TABLES, Aggregates
from distillscan.stages import stage

SPILL_COMPRESSION: Final = "lz4"
"""Spilled chunks are read back once per range of keys; lz4 writes several times faster than zstd."""
SPILL_ROW_GROUP_ROWS: Final = 16_384
"""Rows a spilled row group holds. A chunk of a ranged table is its batches' rows one
after the other, each batch's in key order (`ranges.RANGE_KEYS`), so a row group spans
a slice of one batch's keys (about a tenth, at 200k-row batches) and a range of keys
reads the groups it overlaps, about two a batch."""

Mark = tuple[int, int]
"""A checkpoint: chunks spilled and parts held at the time."""


def _spill_error(folder: str, error: BaseException) -> UsageError:
    """A full or unwritable temporary disk: the environment's fault, and what to do."""
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error).splitlines()[0]
    return UsageError(
        f"cannot write the scan's spill folder {folder}: {reason}; pass --temp-dir (or set "
        "TMPDIR) to a folder with room (about 70 bytes per request read)"
    )


class PartialStore:
    """Partial aggregates of one scan: held in memory, chunked, spilled under `folder`.

    With `folder=None` nothing is written and chunks stay in memory (small inputs,
    tests, notebooks); with a folder (a fresh temporary one by default, see
    `temporary`) each chunk goes to disk.
    """

    def __init__(self, folder: Path | None = None, merge_every: int = MERGE_EVERY) -> None:
        self._folder = folder
        self._merge_every = merge_every
        self._held: list[Aggregates] = []
        self._chunks: list[Path] = []
        self._committed = 0
        """Held parts before this index predate the last checkpoint and are never
        combined with later ones, so a restore can drop exactly what came after."""

    @classmethod
    def temporary(cls, merge_every: int = MERGE_EVERY, parent: Path | None = None) -> PartialStore:
        """A store spilling to a new folder (mode 0700) under `parent`, by default the
        system's temporary directory ($TMPDIR), removed on `close`."""
        try:
            return cls(Path(tempfile.mkdtemp(prefix="distillscan-", dir=parent)), merge_every)
        except OSError as error:
            raise _spill_error(str(parent) if parent is not None else tempfile.gettempdir(), error) from error

    def __enter__(self) -> PartialStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    @property
    def chunks_spilled(self) -> int:
        return len(self._chunks)

    def add(self, part: Aggregates) -> None:
        """Hold one partial aggregate; every `merge_every` parts since the last
        checkpoint are summed into one chunk (and spilled, given a folder)."""
        self._held.append(part)
        if len(self._held) - self._committed >= self._merge_every:
            with stage("spill"):
                self._chunk(self._committed)

    def checkpoint(self) -> Mark:
        """Commit what is held; `restore` with the result forgets everything added since."""
        if len(self._held) >= self._merge_every:
            self._chunk(0)
        self._committed = len(self._held)
        return len(self._chunks), self._committed

    def restore(self, mark: Mark) -> None:
        """Drop the parts and chunks added since the checkpoint `mark`."""
        chunks, held = mark
        for chunk in self._chunks[chunks:]:
            shutil.rmtree(chunk, ignore_errors=True)
        self._chunks = self._chunks[:chunks]
        self._held = self._held[:held]
        self._committed = held

    def finish(self) -> Aggregates:
        """The completed aggregates of everything added (exact: see `complete_aggregates`).

        A store with a folder writes the two tables that grow with traffic to a new
        temporary folder beside its own, which lives as long as the aggregates read from
        it: they are lazy scans, so memory holds neither table."""
        sources: dict[str, list[pl.LazyFrame]] = {}
        for name in TABLES:
            held = [getattr(part, name).lazy() for part in self._held]
            spilled = [pl.scan_parquet(chunk / f"{name}.parquet") for chunk in self._chunks]
            sources[name] = held + spilled
        if self._folder is None:
            return complete_aggregates(sources)
        parent = self._folder.parent
        try:
            tables = tempfile.TemporaryDirectory(prefix="distillscan-tables-", dir=parent)
            return complete_aggregates(sources, tables)
        except OSError as error:
            raise _spill_error(str(parent), error) from error
        except pl.exceptions.PolarsError as error:
            # A write that fails for want of room surfaces as the OS's error, wrapped.
            if "os error" not in str(error):
                raise
            raise _spill_error(str(parent), error) from error

    def close(self) -> None:
        """Forget everything and remove the spill folder."""
        self._held, self._chunks, self._committed = [], [], 0
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def _chunk(self, start: int) -> None:
        """Make the held parts from `start` on one chunk: summed in memory, or, given a
        folder, written to it as they are. Batches rarely share an (account, frame) or
        (account, 10-minute slot) key, so summing before writing saves little disk and
        costs a group-by per table; `finish` sums everything once anyway. The tables
        completed a range at a time are written with statistics (see `RANGE_KEYS`)."""
        parts = self._held[start:]
        if self._folder is None:
            self._held[start:] = [combine_aggregates(parts)]
            return
        chunk = self._folder / f"chunk-{len(self._chunks):06d}"
        self._chunks.append(chunk)  # before writing, so a failed chunk is removed with the rest
        try:
            chunk.mkdir()
            for name in TABLES:
                stacked = pl.concat([getattr(part, name) for part in parts], how="vertical_relaxed")
                ranged = name in RANGE_KEYS
                stacked.write_parquet(chunk / f"{name}.parquet", compression=SPILL_COMPRESSION, statistics=ranged,
                                      row_group_size=SPILL_ROW_GROUP_ROWS if ranged else None)
        except (OSError, pl.exceptions.PolarsError) as error:
            raise _spill_error(str(self._folder), error) from error
        del self._held[start:]
