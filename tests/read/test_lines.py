"""JSONL lines: batches of whole lines, and bad lines named by their true line number."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from distillscan.errors import InputError
from distillscan.read import discover_sources, iter_shards, load_frame
from tests.read.helpers import (
    RECORDS,
    assert_canonical,
    jsonl_bytes,
    load,
    raises_input,
    write_jsonl,
)


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        jsonl_bytes(RECORDS[:2]) + b"\n" + b'{"account_id": "x", \n' + jsonl_bytes(RECORDS[2:])
    )
    with raises_input() as caught:
        load([path])
    error = caught.value
    assert (error.path, error.line) == (str(path), 4)
    assert error.reason.startswith("malformed JSON: ")
    assert error.describe().startswith(f"{path}:4: malformed JSON: ")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"[1, 2]", "expected a JSON object, got an array"),
        (b"42", "expected a JSON object, got a number"),
        (b'{"a": NaN}', "malformed JSON"),
        (b'{"a": 1e999}', "malformed JSON"),
        (b'{"a": 1} {"b": 2}', "malformed JSON: Extra data"),
        (b'{"a": "tab\tinside"}', "malformed JSON: Invalid control character"),
    ],
)
def test_bad_lines_are_reported(tmp_path: Path, line: bytes, reason: str) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl_bytes(RECORDS[:1]) + line + b"\n")
    with raises_input(reason) as caught:
        load([path])
    assert caught.value.line == 2


def test_blank_lines_are_ignored_and_line_numbers_stay_true(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = [json.dumps(r).encode() for r in RECORDS]
    path.write_bytes(
        b"\n\n" + lines[0] + b"\r\n   \n\t\n" + lines[1] + b"\n\x0c\n" + lines[2] + b"\n\n"
    )
    frame, report = load_frame([str(path)])
    assert frame.height == 3 and report.rows_in == 3
    bad = dict(RECORDS[2], account_id="")
    path.write_bytes(
        b"\n\n" + lines[0] + b"\r\n \t \n" + lines[1] + b"\n\n" + json.dumps(bad).encode() + b"\n"
    )
    with raises_input("account id") as caught:
        load([path])
    assert (caught.value.line, caught.value.field) == (7, "account_id")


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        jsonl_bytes(RECORDS[:2]) + b'{"account_id": "\xff\xfe", "timestamp": 1, "prompt": "p"}\n'
    )
    with raises_input("invalid UTF-8") as caught:
        load([path])
    assert caught.value.line == 3


def test_tiny_batches_give_the_same_rows_as_one_batch(tmp_path: Path) -> None:
    records = [
        {**RECORDS[i % 3], "request_id": f"r{i}", "ip": (None if i % 7 else f"10.0.0.{i}")}
        for i in range(80)
    ]
    for compression, name in ((None, "a.jsonl"), ("gzip", "a.jsonl.gz"), ("zstd", "a.jsonl.zst")):
        path = write_jsonl(tmp_path / name, records, compression)
        whole = list(iter_shards(discover_sources([str(path)])))
        tiny = list(iter_shards(discover_sources([str(path)]), batch_bytes=300))
        assert len(whole) == 1 and len(tiny) > 10
        assert_frame_equal(pl.concat([s.frame.collect() for s in tiny]), whole[0].frame.collect())
        assert sum(s.rows_in for s in tiny) == 80


def test_errors_in_later_batches_report_the_true_line(tmp_path: Path) -> None:
    records = [dict(RECORDS[0], request_id=f"r{i}") for i in range(100)]
    records[86] = {**records[86], "input_tokens": "x"}
    path = write_jsonl(tmp_path / "a.jsonl", records)
    for batch_bytes in (1, 333, 1 << 20):
        with raises_input("not an integer") as caught:
            load([path], batch_bytes=batch_bytes)
        assert caught.value.line == 87


def test_a_line_longer_than_a_batch(tmp_path: Path) -> None:
    records = [dict(RECORDS[0], prompt="x" * 5000), RECORDS[1]]
    path = write_jsonl(tmp_path / "a.jsonl", records)
    assert load([path], batch_bytes=64)["prompt"].to_list() == ["x" * 5000, RECORDS[1]["prompt"]]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_arbitrary_bytes_give_rows_or_an_input_error(tmp_path: Path, line: bytes) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(jsonl_bytes(RECORDS[:1]) + line + b"\n" + jsonl_bytes(RECORDS[1:]))
    try:
        frame, report = load_frame([str(path)])
    except InputError:
        pass
    else:
        assert_canonical(frame)
        assert report.rows_in == frame.height
    frame, report = load_frame([str(path)], skip_errors=True)
    assert report.rows_in == report.rows_read + report.rows_skipped
    assert frame.height >= 3
