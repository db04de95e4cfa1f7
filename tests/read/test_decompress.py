"""Decompression: gzip and zstd streams, multi-member and truncated."""

from __future__ import annotations

import gzip
from pathlib import Path

import zstandard
from polars.testing import assert_frame_equal

from tests.read.helpers import (
    RECORDS,
    jsonl_bytes,
    load,
    raises_input,
    write_jsonl,
)


def test_truncated_gzip_and_zstd(tmp_path: Path) -> None:
    data = jsonl_bytes(RECORDS * 500)
    gz = tmp_path / "cut.jsonl.gz"
    gz.write_bytes(gzip.compress(data)[:-20])
    with raises_input("gzip data is cut short") as caught:
        load([gz])
    assert caught.value.path == str(gz)
    zst = tmp_path / "cut.jsonl.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(data)[:-20])
    with raises_input("zstd data is cut short"):
        load([zst])
    corrupt = tmp_path / "corrupt.jsonl.gz"
    compressed = bytearray(gzip.compress(data))
    compressed[40:60] = b"\x00" * 20
    corrupt.write_bytes(bytes(compressed))
    with raises_input("gzip"):
        load([corrupt])


def test_multi_member_gzip_and_multi_frame_zstd(tmp_path: Path) -> None:
    first, second = jsonl_bytes(RECORDS[:2]), jsonl_bytes(RECORDS[2:])
    gz = tmp_path / "a.jsonl.gz"
    gz.write_bytes(gzip.compress(first) + gzip.compress(second))
    zst = tmp_path / "a.jsonl.zst"
    compressor = zstandard.ZstdCompressor()
    zst.write_bytes(compressor.compress(first) + compressor.compress(second))
    expected = load([write_jsonl(tmp_path / "a.jsonl", RECORDS)])
    assert_frame_equal(load([gz]), expected)
    assert_frame_equal(load([zst], batch_bytes=50), expected)
