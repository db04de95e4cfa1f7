"""A Parquet file with a corrupt row group: the error names its rows, and
`--skip-errors` drops that row group only, counted in the summary."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import distillscan.engine.shard_stage as shard_stage
from distillscan.cli.main import main
from distillscan.errors import ExitCode, InputError
from distillscan.model.scan import ScanOptions
from distillscan.pipeline import scan
from distillscan.read import discover_sources, iter_shards
from distillscan.read.rowgroups import row_groups
from tests.helpers import assert_same_aggregates

ROWS, GROUP_ROWS = 400, 100


def _rows() -> pl.DataFrame:
    return pl.DataFrame({
        "request_id": [f"req-{i}" for i in range(ROWS)],
        "account_id": [f"acct-{i % 7}" for i in range(ROWS)],
        "timestamp": [f"2026-05-01T{i // 60 % 24:02d}:{i % 60:02d}:00Z" for i in range(ROWS)],
        "prompt": [f"Solve task {i} step by step. " + "detail " * (i % 40) for i in range(ROWS)],
    })


def _damaged(path: Path, column: str, groups: tuple[int, ...] = (2,)) -> Path:
    """Write the rows in row groups of GROUP_ROWS, then overwrite bytes in the middle
    of `column`'s compressed data pages in each of `groups` (offsets from the footer)."""
    pq.write_table(_rows().to_arrow(), path, row_group_size=GROUP_ROWS, compression="snappy",
                   use_dictionary=False)
    metadata = pq.read_metadata(path)
    data = bytearray(path.read_bytes())
    for group in groups:
        chunk = metadata.row_group(group)
        index = [chunk.column(i).path_in_schema for i in range(chunk.num_columns)].index(column)
        column_chunk = chunk.column(index)
        middle = column_chunk.data_page_offset + column_chunk.total_compressed_size // 2
        data[middle : middle + 16] = bytes(range(200, 216))
    path.write_bytes(bytes(data))
    return path


def _clean(path: Path, keep_groups: tuple[int, ...]) -> Path:
    rows = _rows().with_row_index("row").filter((pl.col("row") // GROUP_ROWS).is_in(list(keep_groups)))
    rows.drop("row").write_parquet(path)
    return path


def test_fixture_has_four_row_groups_and_one_is_unreadable(tmp_path: Path) -> None:
    path = _damaged(tmp_path / "log.parquet", "prompt")
    assert [(g.first_row, g.rows) for g in row_groups(str(path))] == [(0, 100), (100, 100), (200, 100), (300, 100)]
    with pytest.raises(OSError):
        pq.ParquetFile(path).read_row_group(2)
    pq.ParquetFile(path).read_row_group(1)


@pytest.mark.parametrize("column", ["account_id", "prompt"])
def test_error_names_file_and_row_range(tmp_path: Path, column: str) -> None:
    # account_id is decoded by the loader's checking pass; prompt only later, while
    # aggregating: both end in the same precise message.
    path = _damaged(tmp_path / "log.parquet", column)
    with pytest.raises(InputError) as caught:
        scan([str(path)], ScanOptions())
    message = str(caught.value)
    assert message.startswith(f"{path} rows 200–299 (row group 2): cannot read Parquet data: ")
    assert "\n" not in message


@pytest.mark.parametrize("column", ["account_id", "prompt"])
def test_skip_errors_drops_only_the_damaged_row_group(
    tmp_path: Path, column: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches: the read fails after earlier batches were aggregated and their
    # request ids remembered, so the retry must start from a clean slate.
    monkeypatch.setattr(shard_stage, "BATCH_ROWS", 50)
    path = _damaged(tmp_path / "log.parquet", column)
    result = scan([str(path)], ScanOptions(skip_errors=True))
    summary = result.summary
    assert (summary.rows_in, summary.rows_read, summary.rows_skipped, summary.rows_duplicate) == (400, 300, 100, 0)
    (record,) = summary.skipped
    assert (record.path, record.row, record.rows) == (str(path), 200, 100)
    assert record.reason.startswith("rows 200–299 (row group 2) cannot be read: ")
    expected = scan([str(_clean(tmp_path / "clean.parquet", (0, 1, 3)))], ScanOptions())
    assert_same_aggregates(result.aggregates, expected.aggregates)


def test_several_damaged_row_groups_are_each_recorded(tmp_path: Path) -> None:
    path = _damaged(tmp_path / "log.parquet", "prompt", groups=(1, 3))
    summary = scan([str(path)], ScanOptions(skip_errors=True)).summary
    assert (summary.rows_in, summary.rows_read, summary.rows_skipped) == (400, 200, 200)
    assert [(record.row, record.rows) for record in summary.skipped] == [(100, 100), (300, 100)]


def test_damage_in_unchecked_columns_is_found_by_a_full_decode_only(tmp_path: Path) -> None:
    # The cheap checking pass leaves prompt alone (an intact file is not decoded twice);
    # the re-read after a failed aggregation decodes every column and finds it.
    path = _damaged(tmp_path / "log.parquet", "prompt")
    (cheap,) = iter_shards(discover_sources([str(path)]), skip_errors=True)
    assert cheap.skipped == () and cheap.rows_in == 400
    (full,) = iter_shards(discover_sources([str(path)]), skip_errors=True, decode_all=True)
    assert [(record.row, record.rows) for record in full.skipped] == [(200, 100)]
    assert full.frame.collect().height == 300


def test_loader_locates_damage_in_checked_columns(tmp_path: Path) -> None:
    path = _damaged(tmp_path / "log.parquet", "timestamp", groups=(0,))
    (shard,) = iter_shards(discover_sources([str(path)]), skip_errors=True)
    assert shard.rows_in == 400 and shard.frame.collect().height == 300
    assert [(record.row, record.rows) for record in shard.skipped] == [(0, 100)]


def test_bad_rows_in_readable_groups_keep_their_file_row_numbers(tmp_path: Path) -> None:
    rows = _rows().with_columns(
        timestamp=pl.when(pl.int_range(pl.len()) == 357).then(pl.lit("not a time")).otherwise(pl.col("timestamp"))
    )
    path = tmp_path / "log.parquet"
    pq.write_table(rows.to_arrow(), path, row_group_size=GROUP_ROWS, compression="snappy", use_dictionary=False)
    chunk = pq.read_metadata(path).row_group(2).column(3)
    data = bytearray(path.read_bytes())
    middle = chunk.data_page_offset + chunk.total_compressed_size // 2
    data[middle : middle + 16] = bytes(range(200, 216))
    path.write_bytes(bytes(data))
    summary = scan([str(path)], ScanOptions(skip_errors=True)).summary
    assert sorted((record.row, record.rows) for record in summary.skipped) == [(200, 100), (357, 1)]
    assert summary.rows_in == summary.rows_read + summary.rows_skipped == 400


def test_cli_exit_codes_and_summary(tmp_path: Path) -> None:
    path = _damaged(tmp_path / "log.parquet", "prompt")
    failed = CliRunner().invoke(main, ["scan", str(path)])
    assert failed.exit_code == ExitCode.USAGE_OR_INPUT
    assert failed.stderr.count("\n") == 1 and "rows 200–299 (row group 2)" in failed.stderr
    assert "Traceback" not in failed.stderr
    skipped = CliRunner().invoke(
        main, ["scan", str(path), "--skip-errors", "--format", "json", "--min-severity", "info"]
    )
    assert skipped.exit_code == ExitCode.PARTIAL
    summary = json.loads(skipped.stdout)["summary"]
    assert (summary["rows_in"], summary["rows_read"], summary["rows_skipped"]) == (400, 300, 100)
    assert summary["skipped"][0]["row"] == 200 and "row group 2" in summary["skipped"][0]["reason"]
