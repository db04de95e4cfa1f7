"""Column specs: `--map` entries, dotted paths, and missing required columns."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from distillscan.errors import UsageError
from distillscan.read import discover_sources
from tests.read.helpers import (
    NOON,
    NOON_EPOCH,
    RECORDS,
    load,
    raises_input,
    write_jsonl,
    write_parquet,
)


def test_unknown_map_target_is_a_usage_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", RECORDS)
    with pytest.raises(UsageError, match="not a canonical column"):
        load([path], column_map={"acount_id": "user"})
    with pytest.raises(UsageError):
        discover_sources([str(path)], fmt="csv")  # type: ignore[arg-type]


def test_column_map_including_dotted_paths(tmp_path: Path) -> None:
    records = [
        {
            "user": {"id": "u1", "org": {"id": "o1"}},
            "ts": "2026-05-01T12:00:00Z",
            "request": {"messages": [{"role": "user", "content": "hello"}], "model": "m"},
            "client_ip": "1.1.1.1",
        }
    ]
    mapping = {
        "account_id": "user.id",
        "org_id": "user.org.id",
        "timestamp": "ts",
        "messages": "request.messages",
        "model": "request.model",
        "ip": "client_ip",
    }
    jsonl = load([write_jsonl(tmp_path / "a.jsonl", records)], column_map=mapping)
    parquet = load(
        [write_parquet(tmp_path / "a.parquet", pl.DataFrame(records))], column_map=mapping
    )
    assert_frame_equal(jsonl, parquet)
    row = jsonl.row(0, named=True)
    assert (row["account_id"], row["org_id"], row["model"], row["ip"]) == (
        "u1",
        "o1",
        "m",
        "1.1.1.1",
    )
    assert (row["prompt"], row["n_turns"], row["timestamp"]) == ("hello", 1, NOON)


def test_dotted_map_finds_a_top_level_name_alone(tmp_path: Path) -> None:
    records = [{"user.id": "top", "timestamp": NOON_EPOCH, "prompt": "p"}]
    frame = load([write_jsonl(tmp_path / "a.jsonl", records)], column_map={"account_id": "user.id"})
    assert frame["account_id"].item() == "top"


def test_dotted_map_prefers_an_exact_top_level_name(tmp_path: Path) -> None:
    records = [{"user.id": "top", "user": {"id": "nested"}, "timestamp": NOON_EPOCH, "prompt": "p"}]
    mapping = {"account_id": "user.id"}
    assert (
        load([write_jsonl(tmp_path / "a.jsonl", records)], column_map=mapping)["account_id"].item()
        == "top"
    )
    parquet = write_parquet(tmp_path / "a.parquet", pl.DataFrame(records))
    assert load([parquet], column_map=mapping)["account_id"].item() == "top"


def test_missing_required_column(tmp_path: Path) -> None:
    records = [{"user": "u", "timestamp": NOON_EPOCH, "prompt": "p"}]
    path = write_jsonl(tmp_path / "a.jsonl", records)
    with raises_input() as caught:
        load([path])
    assert caught.value.field == "account_id"
    assert caught.value.reason == (
        "missing required column 'account_id' (columns found: user, timestamp, prompt; "
        "map one with --map account_id=SOURCE)"
    )
    parquet = write_parquet(tmp_path / "a.parquet", pl.DataFrame(records))
    with raises_input("missing required column 'account_id'"):
        load([parquet])
    assert load([path], column_map={"account_id": "user"})["account_id"].item() == "u"

    with raises_input("mapped source 'uid' not found") as caught:
        load([path], column_map={"account_id": "uid"})
    nested = write_jsonl(tmp_path / "n.jsonl", [{**records[0], "user": {"name": "x"}}])
    with raises_input("mapped source 'user.uid' not found"):
        load([nested], column_map={"account_id": "user.uid"})
    no_prompt = write_jsonl(tmp_path / "b.jsonl", [{"account_id": "a", "timestamp": NOON_EPOCH}])
    with raises_input("missing required column 'prompt'") as caught:
        load([no_prompt])
    assert "--map messages=SOURCE" in caught.value.reason
