"""How a log is cut into pieces, and how a piece is read: a file's ranges, in order,
hold exactly the rows the local engine reads from it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from distillscan.engine.pieces import WHOLE, Piece, plan_pieces, read_piece
from distillscan.model.scan import ScanOptions
from distillscan.read import choose_presets, discover_sources, read_shards
from tests.engine.logs import GROUP_ROWS, write_part
from tests.helpers import at, requests_frame


def _log(rows: int, bad: tuple[int, ...] = ()) -> pl.DataFrame:
    frame = requests_frame([
        {"request_id": f"r{i}", "account_id": f"a{i % 5}", "timestamp": at(minutes=i), "prompt": f"task {i}"}
        for i in range(rows)
    ]).with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return frame.with_columns(
        timestamp=pl.when(pl.int_range(pl.len()).is_in(list(bad))).then(pl.lit("not a time"))
        .otherwise(pl.col("timestamp"))
    )


def _pieces(paths: list[Path], piece_rows: int, options: ScanOptions | None = None) -> list[Piece]:
    options = options or ScanOptions()
    return plan_pieces(choose_presets(discover_sources([str(path) for path in paths]), options), piece_rows)


def test_small_files_and_jsonl_are_whole_pieces(tmp_path: Path) -> None:
    paths = [write_part(_log(3_500), tmp_path / "a.parquet"), write_part(_log(3_500), tmp_path / "b.jsonl")]
    assert [(piece.key, piece.rows) for piece in _pieces(paths, 10_000)] == [((0, WHOLE), None), ((1, WHOLE), None)]
    assert [piece.key for piece in _pieces(paths, 1_000)][-1] == (1, WHOLE)


def test_ranges_are_row_groups_of_at_least_the_piece_size(tmp_path: Path) -> None:
    path = write_part(_log(7_500), tmp_path / "a.parquet")  # row groups of 1000 rows, the last 500
    pieces = _pieces([path], 2 * GROUP_ROWS)
    assert [(piece.part, piece.first_row, piece.rows) for piece in pieces] == [
        (0, 0, 2_000), (1, 2_000, 2_000), (2, 4_000, 2_000), (3, 6_000, None),  # the last to the end
    ]


@pytest.mark.parametrize("skip_errors", [False, True])
def test_ranges_read_exactly_the_rows_of_the_whole_file(tmp_path: Path, skip_errors: bool) -> None:
    bad = (5, 2_500) if skip_errors else ()
    path = write_part(_log(5_000, bad), tmp_path / "a.parquet")
    options = ScanOptions(skip_errors=skip_errors)
    (whole,) = read_shards(choose_presets(discover_sources([str(path)]), options), options)
    ranges = [shard for piece in _pieces([path], 2 * GROUP_ROWS, options) for shard in read_piece(piece, options)]
    assert len(ranges) == 3
    assert pl.concat([shard.frame.collect() for shard in ranges]).equals(whole.frame.collect())
    assert sum(shard.rows_in for shard in ranges) == whole.rows_in == 5_000
    assert ranges[0].skipped == whole.skipped and ranges[1].skipped == ()
    assert sum(record.rows for record in whole.skipped) == len(bad)
    # A range starts at a row group, so it is read a group at a time as the file is,
    # unless rows were dropped (then the groups no longer line up with the rows).
    assert {shard.read_rows for shard in ranges} == {whole.read_rows}
    assert whole.read_rows == (None if skip_errors else GROUP_ROWS)
