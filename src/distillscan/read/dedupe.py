"""Count a request once however often it was logged.

Gateways retry, log shippers deliver at least once and exports overlap, so the same
request can appear several times, in one batch, in later batches or in other files.
`SeenRequests` remembers every request already counted and drops its repeats before
aggregation, streaming: its state is one 64-bit key per distinct request, never rows.

**Which rows are repeats.** A row repeats an earlier one when both carry the same
`request_id` *and* the same account, model, system prompt and prompt. The id alone is
not enough: batch APIs take client-chosen ids (`custom_id`, unique only within one
batch, so `request-1` recurs in every batch of every customer), and a client could
also reuse one id on purpose to shrink its own traffic. Rows without a request id
(null or blank) are never repeats. The first row in input order (files in the order
named, rows in file order) is kept; its repeats may differ only in the remaining
columns (timestamp, IP, tokens, ...), whose values then come from that first row.
Verbatim repeats therefore give the same aggregates in any file order or split.

**Keys and their collision odds.** A key XORs Polars' 64-bit hashes of the five
columns, each with its own seed (values swapped between columns give different keys).
Two distinct requests share a key with probability about 2⁻⁶⁴, so among n distinct
requests some collision, which would drop one genuine row, has probability about
n² / 2⁶⁵: 3·10⁻⁸ at 1 million, 3·10⁻⁴ at 100 million. The seeds are fixed, so a run is
reproducible; Polars' hash is not cryptographic, and a client who can craft colliding
requests against these seeds could hide its own later requests (the count of dropped
rows in the summary shows it).

**Memory and time.** Keys live in sorted runs of UInt64, each at most half the size of
the one before, merged when a new run outgrows that bound (a log-structured merge):
8 bytes per distinct request plus, while two runs merge, a copy of them (and, while
a file is read, the runs merged since it began, so that a read that fails part-way can
be undone: at most twice the keys; a merge, in the core, copies both runs into a new
one). A batch costs one hash per column, a sort of its keys and one forward walk over
each of the ≤ log₂(n / batch) runs (galloping: about log₂(run / batch) steps a key).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import reduce
from operator import xor
from typing import Final

import polars as pl

from distillscan import _core
from distillscan.read.shards import read_batches
from distillscan.stages import stage

IDENTITY_COLUMNS: Final[tuple[str, ...]] = ("request_id", "account_id", "model", "system", "prompt")
"""The canonical columns that together say which request a row is."""
_SEEDS: Final[tuple[int, ...]] = (0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F)
_KEY: Final = "__request_key"


def request_keys(frame: pl.DataFrame) -> pl.Series:
    """One 64-bit key per row from its identity columns; null where the row has no
    request id (null or blank), as such rows are never repeats."""
    request_id = pl.col("request_id")
    hashed = reduce(xor, [pl.col(name).hash(seed) for name, seed in zip(IDENTITY_COLUMNS, _SEEDS, strict=True)])
    has_id = request_id.is_not_null() & (request_id.str.strip_chars() != "")
    return frame.select(pl.when(has_id).then(hashed).alias(_KEY)).to_series()


class SeenRequests:
    """The keys of the requests counted so far; drops repeats from later batches."""

    def __init__(self) -> None:
        self._runs: list[pl.Series] = []
        self.dropped = 0
        """Rows dropped so far as repeats of an earlier row."""

    def __len__(self) -> int:
        """Distinct requests with an id seen so far."""
        return sum(run.len() for run in self._runs)

    @property
    def runs(self) -> int:
        """Sorted runs the keys are kept in (at most about log₂ of keys per batch)."""
        return len(self._runs)

    def memory_bytes(self) -> int:
        """Bytes held by the remembered keys."""
        return sum(int(run.estimated_size()) for run in self._runs)

    def checkpoint(self) -> tuple[tuple[pl.Series, ...], int]:
        """The current state, for `restore` (runs are never modified in place)."""
        return tuple(self._runs), self.dropped

    def restore(self, state: tuple[tuple[pl.Series, ...], int]) -> None:
        """Forget everything remembered since `checkpoint` (a shard that failed part-way)."""
        runs, self.dropped = state
        self._runs = list(runs)

    def first_sightings(self, batch: pl.DataFrame) -> pl.DataFrame:
        """The rows of `batch` (in order) that repeat no earlier row of this batch or of
        an earlier one; their keys are remembered.

        One call into the core sorts the batch's (key, row) pairs, takes each key's first
        row, walks every run once for the keys seen before (galloping forwards: the keys
        are in order) and returns the new keys already sorted, as the next run. With
        Polars (first-distinct by a hash set, a binary search per key in each run, a
        sort, a merge) the check took 80 ms a 200k-row batch at 30M keys; see
        `benchmarks/results.md` for the figures since."""
        keys = request_keys(batch)
        if keys.null_count() == keys.len():
            return batch
        kept, fresh = _core.first_sightings(keys, self._runs)
        new_keys = pl.DataFrame(fresh).get_column("fresh").rename(_KEY)
        self._remember(new_keys)
        if new_keys.len() + keys.null_count() == batch.height:
            return batch
        unique = batch.filter(pl.DataFrame(kept).get_column("kept"))
        self.dropped += batch.height - unique.height
        return unique

    def forget(self) -> None:
        """Drop the remembered keys once every input is read (`dropped` stays): 8 bytes
        per distinct request that the stages after reading have no use for."""
        self._runs = []

    def _remember(self, keys: pl.Series) -> None:
        """Add new keys (sorted) as a run; merge runs so each is under half the one before."""
        if keys.is_empty():
            return
        self._runs.append(keys)
        while len(self._runs) >= 2 and 2 * self._runs[-1].len() > self._runs[-2].len():
            newer = self._runs.pop()
            older = self._runs.pop()
            # In the core: Polars' merge_sorted took half the repeat check's time at 30M keys.
            merged = pl.DataFrame(_core.merge_sorted(older, newer)).get_column("key").rename(_KEY)
            self._runs.append(merged)


def unique_batches(frame: pl.LazyFrame, seen: SeenRequests, batch_rows: int) -> Iterator[pl.DataFrame]:
    """Stream `frame` in batches of `batch_rows`, in order, without repeated requests."""
    for batch in read_batches(frame, batch_rows):
        with stage("dedupe"):
            unique = seen.first_sightings(batch)
        yield unique
