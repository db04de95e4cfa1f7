"""The task functions called directly (no Ray): the pieces of a log, each reduced
apart with the keys an earlier piece holds dropped, merge into the local engine's
aggregates; a damaged file is reported as the local engine would meet it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from distillscan.aggregate.spill import PartialStore
from distillscan.engine.keys import counted_elsewhere
from distillscan.engine.pieces import Piece, plan_pieces
from distillscan.engine.shard_stage import InputTally, complete_store
from distillscan.engine.tasks import PieceReport, piece_keys, reduce_piece
from distillscan.model.aggregates import Aggregates
from distillscan.model.scan import ScanOptions
from distillscan.pipeline import scan
from distillscan.read import choose_presets, discover_sources
from tests.engine.logs import damage, generated_rows, time_slices, with_repeats, write_part, write_parts
from tests.helpers import assert_same_aggregates

OPTIONS = ScanOptions()


@pytest.fixture(scope="module")
def split_log(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("tasks")
    rows = generated_rows(folder, 10_000, seed=3)
    return write_parts(with_repeats(time_slices(rows), source=2, first=100, rows=150), folder / "split")


def _pieces(paths: list[Path], piece_rows: int, options: ScanOptions = OPTIONS) -> list[Piece]:
    return plan_pieces(choose_presets(discover_sources([str(path) for path in paths]), options), piece_rows)


def _reduce(pieces: list[Piece], options: ScanOptions = OPTIONS) -> tuple[list[PieceReport], Aggregates]:
    keys = [piece_keys(piece, options) for piece in pieces]
    reports: list[PieceReport] = []
    store = PartialStore()
    for piece, counted, known in zip(pieces, counted_elsewhere(keys), keys, strict=True):
        report, parts = reduce_piece(piece, options, counted, known is not None)
        reports.append(report)
        if parts is not None:
            store.add(parts)
    return reports, complete_store(store)


@pytest.mark.parametrize("piece_rows", [1_000_000, 500])
def test_pieces_reduced_apart_merge_into_the_local_aggregates(split_log: list[Path], piece_rows: int) -> None:
    local = scan([str(path) for path in split_log], OPTIONS)
    pieces = _pieces(split_log, piece_rows)
    assert (len(pieces) > len(split_log)) == (piece_rows == 500)
    reports, aggregates = _reduce(pieces)
    tally = InputTally()
    for report in reports:
        assert report.tally is not None and report.keys is None and report.part_bytes > 0
        tally.extend(report.tally)
    assert_same_aggregates(aggregates, local.aggregates)
    assert tally.files == list(local.summary.files)
    assert tally.rows_in == local.summary.rows_in
    assert tally.rows_duplicate == local.summary.rows_duplicate >= 300


@pytest.mark.parametrize("column", ["prompt", "ip"])
def test_a_range_of_a_damaged_file_asks_for_the_whole_file(tmp_path: Path, column: str) -> None:
    rows = generated_rows(tmp_path, 10_000, seed=4).head(3_000)
    path = damage(write_part(rows, tmp_path / "log.parquet"), column, group=1)
    options = ScanOptions(skip_errors=True)
    pieces = _pieces([path], 1_000, options)
    assert len(pieces) == 3
    assert [piece_keys(piece, options) is None for piece in pieces] == [False, column == "prompt", False]
    reports = [reduce_piece(piece, options, pl.Series([], dtype=pl.UInt64), True)[0] for piece in pieces]
    assert [report.whole_source for report in reports] == [False, True, False]
    # Read whole, the file is read again without its damaged row group, and says which keys it read.
    report, _ = reduce_piece(pieces[0].whole(), options, pl.Series([], dtype=pl.UInt64), True)
    assert report.tally is not None and report.tally.rereads == 1 and report.keys is not None
    assert (report.tally.rows_in, sum(record.rows for record in report.tally.skipped)) == (3_000, 1_000)
    without = reduce_piece(pieces[0].whole(), ScanOptions(), pl.Series([], dtype=pl.UInt64), True)[0]
    assert without.failure is not None and without.failure.error().row_group == 1
