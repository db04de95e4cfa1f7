"""iter_shards and load_frame: empty inputs, and whole files skipped and recorded."""

from __future__ import annotations

import gzip
from pathlib import Path

from distillscan.read import load_frame
from tests.read.helpers import (
    RECORDS,
    assert_canonical,
    jsonl_bytes,
    raises_input,
    typed_frame,
    write_jsonl,
    write_parquet,
)


def test_empty_inputs_give_zero_rows(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"\n \n\n")
    empty_gz = tmp_path / "empty.jsonl.gz"
    empty_gz.write_bytes(gzip.compress(b""))
    header_only = write_parquet(tmp_path / "h.parquet", typed_frame(RECORDS).clear())
    for path in (empty, blank, empty_gz, header_only):
        frame, report = load_frame([str(path)])
        assert frame.height == 0 and report.rows_in == 0, path
        assert_canonical(frame)


def test_skip_errors_skips_unreadable_files_and_records_them(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", RECORDS)
    whole = write_parquet(tmp_path / "x.parquet", typed_frame(RECORDS))
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(whole.read_bytes()[:-30])
    gz = tmp_path / "cut.jsonl.gz"
    gz.write_bytes(gzip.compress(jsonl_bytes(RECORDS * 400))[:-20])
    no_account = write_jsonl(tmp_path / "noacct.jsonl", [{"timestamp": 1, "prompt": "p"}] * 4)
    paths = [str(p) for p in (good, cut, gz, no_account)]

    with raises_input("not a readable Parquet file"):
        load_frame(paths)
    frame, report = load_frame(paths, skip_errors=True)
    records = {Path(r.path).name: r for r in report.skipped}
    assert records["cut.parquet"].rows == 0 and "row count unknown" in records["cut.parquet"].reason
    assert "cut short" in records["cut.jsonl.gz"].reason
    assert records["noacct.jsonl"].rows == 4 and records["noacct.jsonl"].field == "account_id"
    # Whatever could be read before the gzip stream broke is kept.
    assert frame.height >= 3
    assert report.rows_in == report.rows_read + report.rows_skipped
