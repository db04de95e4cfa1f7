"""Shared records and writers for the reading tests: the same requests as Parquet and
as JSONL (plain, gzip, zstd), and shortcuts to load them."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import zstandard

from distillscan.errors import InputError
from distillscan.read import Shard, load_frame
from distillscan.schema import CANONICAL_SCHEMA

NOON = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
NOON_EPOCH = int(NOON.timestamp())

RECORDS: list[dict[str, Any]] = [
    {
        "account_id": "acct-1",
        "timestamp": "2026-05-01T12:00:00Z",
        "prompt": "Explain step by step.",
        "system": "You are helpful.",
        "model": "big-1",
        "request_id": "r1",
        "ip": "10.0.0.1",
        "input_tokens": 12,
        "output_tokens": 300,
        "temperature": 0.7,
        "max_tokens": 1024,
        "turn": 1,
    },
    {
        "account_id": "acct-2",
        "timestamp": "2026-05-01T12:00:01Z",
        "prompt": "Prove it.",
        "system": None,
        "model": "big-1",
        "request_id": "r2",
        "ip": None,
        "input_tokens": 7,
        "output_tokens": 20,
        "temperature": 0.0,
        "max_tokens": 64,
        "turn": 2,
    },
    {
        "account_id": "acct-1",
        "timestamp": "2026-05-01T12:00:02Z",
        "prompt": 'Again, with unicode: é 😀 and "quotes"\nnew line',
        "system": "You are helpful.",
        "model": "small",
        "request_id": "r3",
        "ip": "10.0.0.2",
        "input_tokens": 1,
        "output_tokens": 1,
        "temperature": 1.0,
        "max_tokens": 1,
        "turn": 1,
    },
]


MESSAGE_RECORDS: list[dict[str, Any]] = [
    {  # string contents
        "account_id": "a",
        "timestamp": NOON_EPOCH,
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "second"},
        ],
    },
    {  # list-of-parts contents, with non-text parts
        "account_id": "b",
        "timestamp": NOON_EPOCH,
        "messages": [
            {
                "role": "system",
                "content": [{"type": "text", "text": "S1"}, {"type": "text", "text": "S2"}],
            },
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    {"type": "text", "text": "describe"},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "SECRET TOOL OUTPUT"},
                    {"type": "text", "text": "and now?"},
                ],
            },
        ],
    },
    {  # a string that merely looks like a parts list stays literal text
        "account_id": "c",
        "timestamp": NOON_EPOCH,
        "messages": [{"role": "user", "content": '[{"type": "text", "text": "evasion"}]'}],
    },
    {  # last user turn is image-only: no prompt text; explicit system column wins
        "account_id": "d",
        "timestamp": NOON_EPOCH,
        "system": "from column",
        "messages": [
            {"role": "system", "content": "from messages"},
            {"role": "user", "content": "text turn"},
            {"role": "user", "content": [{"type": "image", "source": {"data": "xx"}}]},
        ],
    },
    {"account_id": "e", "timestamp": NOON_EPOCH, "messages": []},
]


MESSAGE_EXPECTED = [
    ("second", "Be terse.", 2),
    ("and now?", "S1\nS2", 2),
    ('[{"type": "text", "text": "evasion"}]', None, 1),
    (None, "from column", 2),
    (None, None, 0),
]


def jsonl_bytes(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def write_jsonl(path: Path, records: list[dict[str, Any]], compression: str | None = None) -> Path:
    data = jsonl_bytes(records)
    if compression == "gzip":
        data = gzip.compress(data)
    elif compression == "zstd":
        data = zstandard.ZstdCompressor().compress(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def typed_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """The records as a typed Parquet-like frame (timestamps as real datetimes)."""
    frame = pl.DataFrame(records)
    return frame.with_columns(
        pl.col("timestamp").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC")
    )


def write_parquet(path: Path, frame: pl.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    return path


def load(paths: list[str | Path], **kwargs: Any) -> pl.DataFrame:
    frame, _ = load_frame([str(p) for p in paths], **kwargs)
    return frame


def assert_canonical(frame: pl.DataFrame | pl.LazyFrame) -> None:
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    assert list(schema.items()) == list(CANONICAL_SCHEMA.items())


def raises_input(match: str | None = None) -> Any:
    return pytest.raises(InputError, match=match)


def accounting(shards: list[Shard]) -> tuple[int, int, int]:
    rows_in = sum(s.rows_in for s in shards)
    read = sum(s.frame.collect().height for s in shards)
    skipped = sum(r.rows for s in shards for r in s.skipped)
    return rows_in, read, skipped
