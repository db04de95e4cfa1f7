"""The JSONL reader: batches parsed whole, keys of changing type, skipped lines accounted."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from polars.testing import assert_frame_equal

from distillscan.read import discover_sources, iter_shards, load_frame
from tests.read.helpers import (
    MESSAGE_RECORDS,
    NOON_EPOCH,
    RECORDS,
    accounting,
    jsonl_bytes,
    load,
    raises_input,
    write_jsonl,
)


def test_types_may_change_from_line_to_line_and_late_keys_are_kept(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = [
        {"account_id": i, "timestamp": NOON_EPOCH, "prompt": "p"} for i in range(150)
    ]
    records.append(
        {"account_id": "x", "timestamp": "2026-05-01T12:00:00Z", "prompt": "p", "ip": "9.9.9.9"}
    )
    frame, report = load_frame([str(write_jsonl(tmp_path / "a.jsonl", records))])
    assert frame["account_id"].to_list()[:2] == ["0", "1"]
    assert frame["ip"].to_list()[-1] == "9.9.9.9"
    assert "ip" in report.available


def test_utf8_bom_at_start_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + jsonl_bytes(RECORDS))
    assert_frame_equal(load([path]), load([write_jsonl(tmp_path / "plain.jsonl", RECORDS)]))
    gz = tmp_path / "bom.jsonl.gz"
    gz.write_bytes(gzip.compress(b"\xef\xbb\xbf" + jsonl_bytes(RECORDS)))
    assert load([gz]).height == 3


def test_skip_errors_records_and_accounts_for_every_row(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    good = jsonl_bytes(RECORDS)
    path.write_bytes(
        good  # lines 1-3
        + b"{broken\n"  # 4
        + json.dumps({**RECORDS[0], "account_id": None}).encode()
        + b"\n"  # 5
        + b"\n"  # 6 (blank, not a row)
        + b"{also broken\n"  # 7
        + json.dumps({**RECORDS[0], "timestamp": "soon"}).encode()
        + b"\n"  # 8
        + json.dumps({**RECORDS[0], "account_id": ""}).encode()
        + b"\n"  # 9
        + good  # 10-12
    )
    with raises_input() as caught:
        load([path])
    assert caught.value.line == 4

    frame, report = load_frame([str(path)], skip_errors=True)
    assert frame.height == 6
    assert (report.rows_in, report.rows_read, report.rows_skipped) == (11, 6, 5)
    by_reason = {(r.reason.split(":")[0], r.field): (r.line, r.rows) for r in report.skipped}
    assert by_reason == {
        ("malformed JSON", None): (4, 2),
        ("account id is missing or empty", "account_id"): (5, 2),
        ("not a timestamp (expected RFC 3339, 'YYYY-MM-DD HH", "timestamp"): (8, 1),
    }
    for batch_bytes in (1, 100, 1 << 20):
        shards = list(
            iter_shards(discover_sources([str(path)]), skip_errors=True, batch_bytes=batch_bytes)
        )
        assert accounting(shards) == (11, 6, 5)


def test_happy_path_parses_batches_without_per_line_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distillscan.read import jsonl, lines, messages

    def per_line(*_: object) -> None:
        raise AssertionError("a valid batch was parsed line by line")

    for module, name in [(jsonl, "diagnose_line"), (lines, "diagnose_line"),
                         (jsonl, "nonblank_line_numbers"), (messages, "normalise_messages")]:
        monkeypatch.setattr(module, name, per_line)
    path = write_jsonl(tmp_path / "a.jsonl", RECORDS * 50 + MESSAGE_RECORDS * 50)
    assert load([path]).height == 400
