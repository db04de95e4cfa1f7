"""Exact dedupe across pieces of a log reduced apart: which requests each piece must
leave to an earlier one.

A request repeats an earlier one when its key (`read.dedupe.request_keys`: request id,
account, model, system prompt and prompt) matches; the first row in input order is
kept. Within one piece the task's own `SeenRequests` finds repeats as the local engine
does. Across pieces, each piece's sorted distinct keys (`shard_keys`, a cheap first
pass over five columns) are enough: a key is kept by the first piece, in log order,
that holds it, and `counted_elsewhere` gives every later piece the keys it must drop
(`drop_counted`). Keys are 8 bytes per distinct request, so the driver holds
8 bytes per request (plus a sort of them) while it decides; rows never travel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import polars as pl

from distillscan.aggregate.partial import BATCH_ROWS
from distillscan.read import SeenRequests, Shard, read_batches
from distillscan.read.dedupe import IDENTITY_COLUMNS, request_keys

KEY_DTYPE: Final = pl.UInt64


def no_keys() -> pl.Series:
    """An empty set of request keys."""
    return pl.Series("key", [], dtype=KEY_DTYPE)


def shard_keys(shards: Iterable[Shard]) -> pl.Series:
    """The sorted distinct request keys of the shards' rows (rows without a request id
    have none; shards without the column are passed over, as dedupe passes them)."""
    runs = [
        request_keys(batch).drop_nulls().unique()
        for shard in shards
        if "request_id" in shard.available
        for batch in read_batches(shard.frame.select(IDENTITY_COLUMNS), BATCH_ROWS, shard.read_rows)
    ]
    keys: pl.Series = pl.concat([no_keys(), *runs]).unique().sort()
    return keys.rename("key")


def counted_elsewhere(keys_by_piece: Sequence[pl.Series | None]) -> list[pl.Series]:
    """For each piece, in log order, the sorted keys an earlier piece already holds.

    A piece whose keys are not known yet (None) holds nothing here and is told to drop
    nothing; it is asked again once its keys are known."""
    held = [
        keys.to_frame("key").with_columns(piece=pl.lit(index, pl.UInt32))
        for index, keys in enumerate(keys_by_piece)
        if keys is not None and not keys.is_empty()
    ]
    if not held:
        return [no_keys() for _ in keys_by_piece]
    repeats = (
        pl.concat(held)
        .sort("key", "piece")
        .filter(~pl.col("key").is_first_distinct())
        .partition_by("piece", as_dict=True, include_key=False)
    )
    return [
        repeats[(index,)]["key"] if (index,) in repeats else no_keys()
        for index in range(len(keys_by_piece))
    ]


def drop_counted(batch: pl.DataFrame, counted: pl.Series | None, seen: SeenRequests) -> pl.DataFrame:
    """The rows of `batch` whose request an earlier piece holds removed, and counted in
    `seen.dropped` with the other repeats (`counted` is empty for the local engine,
    which sees every earlier row itself)."""
    if counted is None or counted.is_empty():
        return batch
    known = request_keys(batch).is_in(counted.implode()).fill_null(False)
    kept = batch.filter(~known)
    seen.dropped += batch.height - kept.height
    return kept
