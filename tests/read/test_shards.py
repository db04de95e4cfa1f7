"""Shards as later stages consume them: batches of one shard, merged skip records."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from distillscan.model.inputs import SkippedInput
from distillscan.read import merge_skipped, read_batches
from distillscan.read.shards import empty_frame
from distillscan.schema import CANONICAL_SCHEMA


def test_read_batches_gives_consecutive_non_empty_slices() -> None:
    frame = pl.DataFrame({"n": range(10)})
    batches = list(read_batches(frame.lazy(), 4))
    assert [batch.height for batch in batches] == [4, 4, 2]
    assert_frame_equal(pl.concat(batches), frame)
    assert [batch.height for batch in read_batches(frame.lazy(), 5)] == [5, 5]
    assert list(read_batches(frame.clear().lazy(), 5)) == []


def test_read_batches_reads_whole_units_and_cuts_them_into_batches() -> None:
    frame = pl.DataFrame({"n": range(10)})
    # Units of 3 rows, batches of 2: reads of 3 rows, never across a unit's middle.
    assert [batch["n"].to_list() for batch in read_batches(frame.lazy(), 2, 3)] == [
        [0, 1], [2], [3, 4], [5], [6, 7], [8], [9]
    ]
    # Units smaller than a batch: as many whole units as make a batch.
    assert [batch.height for batch in read_batches(frame.lazy(), 4, 2)] == [4, 4, 2]


def test_merge_skipped_keeps_the_first_location_and_sums_rows() -> None:
    records = [
        SkippedInput("a.jsonl", "malformed JSON", line=4, rows=2),
        SkippedInput("a.jsonl", "account id is missing", line=5, field="account_id"),
        SkippedInput("a.jsonl", "malformed JSON", line=9, rows=3),
        SkippedInput("b.jsonl", "malformed JSON", line=1),
    ]
    assert merge_skipped(records) == (
        SkippedInput("a.jsonl", "malformed JSON", line=4, rows=5),
        SkippedInput("a.jsonl", "account id is missing", line=5, field="account_id"),
        SkippedInput("b.jsonl", "malformed JSON", line=1),
    )


def test_empty_frame_is_canonical() -> None:
    assert list(empty_frame().collect_schema().items()) == list(CANONICAL_SCHEMA.items())
