"""The Parquet reader: a lazy scan per file, unreadable files, zero-based rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from distillscan.model.inputs import SkippedInput
from distillscan.read import discover_sources, iter_shards, load_frame
from tests.read.helpers import (
    RECORDS,
    accounting,
    load,
    raises_input,
    typed_frame,
    write_parquet,
)


def test_parquet_shard_is_a_lazy_scan(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "a.parquet", typed_frame(RECORDS * 100))
    (shard,) = iter_shards(discover_sources([str(path)]))
    plan = shard.frame.explain()
    assert "PARQUET" in plan.upper() and shard.rows_in == 300
    # Later stages can push projections down: selecting one column reads one column.
    assert shard.frame.select("account_id").collect().height == 300


def test_truncated_parquet(tmp_path: Path) -> None:
    whole = write_parquet(tmp_path / "whole.parquet", typed_frame(RECORDS))
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(whole.read_bytes()[:-30])
    with raises_input("not a readable Parquet file") as caught:
        load([cut])
    assert caught.value.path == str(cut)


def test_skip_errors_in_parquet_uses_zero_based_rows(tmp_path: Path) -> None:
    frame = typed_frame(RECORDS * 2).with_columns(
        pl.when(pl.int_range(pl.len()).is_in([1, 4]))
        .then(None)
        .otherwise(pl.col("account_id"))
        .alias("account_id")
    )
    path = write_parquet(tmp_path / "a.parquet", frame)
    with raises_input("account id") as caught:
        load([path])
    assert (caught.value.row, caught.value.line) == (1, None)
    out, report = load_frame([str(path)], skip_errors=True)
    assert out.height == 4
    assert report.skipped == (
        SkippedInput(
            str(path), "account id is missing or empty", row=1, field="account_id", rows=2
        ),
    )
    (shard,) = iter_shards(discover_sources([str(path)]), skip_errors=True)
    assert accounting([shard]) == (6, 4, 2)
