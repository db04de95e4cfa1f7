"""Standard input: read as JSONL (compressed or not), errors name it, peeks are replayed.

Each test passes its own stream (`Environment.of(stdin=...)`), as the CLI passes the
process's; nothing reads or swaps `sys.stdin`.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import pytest
import zstandard
from polars.testing import assert_frame_equal

from distillscan.environment import Environment
from distillscan.errors import UsageError
from distillscan.read import STDIN_PATH, discover_sources, iter_shards, load_frame, sample_source_fields
from distillscan.read.stdin import StdinReplay
from tests.read.helpers import (
    RECORDS,
    jsonl_bytes,
    load,
    raises_input,
    typed_frame,
    write_jsonl,
)


@pytest.mark.parametrize("compression", [None, "gzip", "zstd"])
def test_stdin(tmp_path: Path, compression: str | None) -> None:
    expected = load([write_jsonl(tmp_path / "a.jsonl", RECORDS)])
    data = jsonl_bytes(RECORDS)
    if compression == "gzip":
        data = gzip.compress(data)
    elif compression == "zstd":
        data = zstandard.ZstdCompressor().compress(data)
    frame, report = load_frame(["-"], batch_bytes=64, stdin=Environment.of(stdin=data).stdin)
    assert_frame_equal(frame, expected)
    assert report.files == (STDIN_PATH,)
    assert os.listdir(tmp_path) == ["a.jsonl"]  # no temp files


def test_stdin_errors_name_stdin() -> None:
    with raises_input("malformed JSON") as caught:
        load_frame(["-"], stdin=Environment.of(stdin=jsonl_bytes(RECORDS[:1]) + b"{oops\n").stdin)
    assert caught.value.describe().startswith("<stdin>:2:")

    with pytest.raises(UsageError, match="standard input"):
        discover_sources(["-"], fmt="parquet")
    buffer = io.BytesIO()
    typed_frame(RECORDS).write_parquet(buffer)
    with raises_input("Parquet"):
        load_frame(["-"], stdin=Environment.of(stdin=buffer.getvalue()).stdin)


def test_stdin_longer_than_the_peek_is_replayed_whole() -> None:
    pad = "x" * 300
    rows = [{"account_id": f"a{i % 7}", "timestamp": 1776675600 + i, "prompt": f"{i} {pad}"}
            for i in range(4000)]  # about 1.3 MB: more than the first read
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    sources = discover_sources(["-"], stdin=Environment.of(stdin=data).stdin)
    fields = sample_source_fields(sources[0])
    assert fields == ["account_id", "timestamp", "prompt"]
    frames = [shard.frame.collect() for shard in iter_shards(sources)]
    assert sum(frame.height for frame in frames) == 4000
    assert frames[0]["prompt"][0].startswith("0 ") and frames[-1]["prompt"][-1].startswith("3999 ")


def test_each_discovery_of_stdin_reads_its_own_stream() -> None:
    first = discover_sources(["-"], stdin=Environment.of(stdin=jsonl_bytes(RECORDS[:1])).stdin)
    second = discover_sources(["-"], stdin=Environment.of(stdin=jsonl_bytes(RECORDS)).stdin)
    assert sample_source_fields(first[0])  # peeked, not yet read
    assert sum(s.rows_in for s in iter_shards(second)) == 3
    assert sum(s.rows_in for s in iter_shards(first)) == 1


def test_a_replay_gives_back_what_was_peeked_once() -> None:
    replay = StdinReplay(Environment.of(stdin=b"abcdef").stdin)
    assert replay.peek(lambda head: len(head) >= 2, limit=1 << 20) == b"abcdef"
    assert replay.open().read() == b"abcdef"
    assert replay.open().read() == b""  # the stream is consumed; nothing is replayed twice


def test_a_scan_reads_the_stream_it_is_given_not_the_process_stdin(tmp_path: Path) -> None:
    from distillscan.model.scan import ScanOptions
    from distillscan.pipeline import scan

    expected = scan([str(write_jsonl(tmp_path / "a.jsonl", RECORDS))], ScanOptions())
    from_stream = scan(["-"], ScanOptions(), stdin=io.BytesIO(jsonl_bytes(RECORDS)))
    assert from_stream.summary.rows_read == expected.summary.rows_read == len(RECORDS)
    assert from_stream.report.groups.equals(expected.report.groups)
