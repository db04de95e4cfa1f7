"""The Parquet reader: a lazy scan per file, unreadable files, zero-based rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from polars.testing import assert_frame_equal

from distillscan.model.inputs import SkippedInput
from distillscan.read import discover_sources, iter_shards, load_frame, read_batches
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
    # Rows were dropped, so the file's row groups no longer line up with the frame's.
    assert shard.read_rows is None


def test_a_parquet_shard_reads_whole_row_groups(tmp_path: Path) -> None:
    # A slice inside a row group decodes the whole group: batches are read a group at a time.
    frame = typed_frame(RECORDS * 100)
    path = tmp_path / "groups.parquet"
    frame.write_parquet(path, row_group_size=70)
    (shard,) = iter_shards(discover_sources([str(path)]))
    assert shard.read_rows == 70
    batches = list(read_batches(shard.frame, 40, shard.read_rows))
    assert [batch.height for batch in batches] == [40, 30, 40, 30, 40, 30, 40, 30, 20]
    assert_frame_equal(pl.concat(batches), shard.frame.collect())
    uneven = tmp_path / "uneven.parquet"
    pq.write_table(
        pa.concat_tables([frame.head(50).to_arrow(), frame.slice(50, 80).to_arrow()]), uneven, row_group_size=50
    )
    with pq.ParquetFile(uneven) as written:
        assert [written.metadata.row_group(i).num_rows for i in range(written.num_row_groups)] == [50, 50, 30]
    (even_enough,) = iter_shards(discover_sources([str(uneven)]))
    assert even_enough.read_rows == 50
