"""Which requests a piece leaves to an earlier one: keys, the keys counted elsewhere,
and dropping them."""

from __future__ import annotations

import polars as pl

from distillscan.engine.keys import counted_elsewhere, drop_counted, no_keys, shard_keys
from distillscan.model.inputs import LogSource
from distillscan.read import SeenRequests, Shard
from distillscan.read.dedupe import request_keys
from tests.helpers import at, requests_frame


def _rows(ids: list[str | None], prompt: str = "Explain step by step") -> pl.DataFrame:
    return requests_frame([
        {"request_id": rid, "account_id": "a1", "timestamp": at(minutes=index), "prompt": f"{prompt} {rid}"}
        for index, rid in enumerate(ids)
    ])


def _shard(rows: pl.DataFrame, available: frozenset[str] | None = None) -> Shard:
    columns = frozenset(rows.columns) if available is None else available
    return Shard(LogSource("log.parquet", "parquet", None), rows.lazy(), rows.height, (), columns)


def _keys(*values: int) -> pl.Series:
    return pl.Series("key", values, dtype=pl.UInt64)


def test_shard_keys_are_sorted_distinct_and_skip_rows_without_ids() -> None:
    rows = _rows(["r1", "r2", "r1", None, " "])
    keys = shard_keys([_shard(rows)])
    expected = request_keys(rows).drop_nulls().unique().sort()
    assert keys.to_list() == expected.to_list() and keys.len() == 2 and keys.dtype == pl.UInt64


def test_shards_without_request_ids_have_no_keys() -> None:
    rows = _rows(["r1", "r2"])
    assert shard_keys([_shard(rows, frozenset(rows.columns) - {"request_id"})]).is_empty()
    assert shard_keys([]).is_empty()


def test_a_key_belongs_to_the_first_piece_that_holds_it() -> None:
    counted = counted_elsewhere([_keys(1, 5, 9), None, _keys(2, 5), _keys(1, 2, 3), no_keys(), _keys(9)])
    assert [keys.to_list() for keys in counted] == [[], [], [5], [1, 2], [], [9]]


def test_nothing_is_counted_elsewhere_without_keys() -> None:
    assert [keys.to_list() for keys in counted_elsewhere([None, no_keys()])] == [[], []]


def test_drop_counted_removes_the_rows_an_earlier_piece_holds_and_counts_them() -> None:
    rows = _rows(["r1", "r2", "r1", None, "r3"])
    held = request_keys(rows.slice(0, 1)).sort()
    seen = SeenRequests()
    kept = drop_counted(rows, held, seen)
    assert kept["request_id"].to_list() == ["r2", None, "r3"]
    assert seen.dropped == 2
    assert drop_counted(rows, no_keys(), seen) is rows and seen.dropped == 2
