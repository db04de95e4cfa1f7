"""The canonicalisation plan: exactly the canonical columns, what is available, bad rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distillscan.errors import InputError
from distillscan.read import discover_sources, iter_shards, load_frame
from distillscan.schema import CANONICAL_SCHEMA
from tests.read.helpers import (
    NOON_EPOCH,
    RECORDS,
    assert_canonical,
    jsonl_bytes,
    load,
    raises_input,
    typed_frame,
    write_jsonl,
    write_parquet,
)


def test_every_shard_has_exactly_the_canonical_columns(tmp_path: Path) -> None:
    sparse = [{"account_id": "a", "timestamp": NOON_EPOCH, "prompt": "p", "extra": [1, 2]}]
    paths = [
        write_jsonl(tmp_path / "sparse.jsonl", sparse),
        write_parquet(tmp_path / "sparse.parquet", pl.DataFrame(sparse)),
        write_parquet(tmp_path / "full.parquet", typed_frame(RECORDS)),
    ]
    shards = list(iter_shards(discover_sources([str(p) for p in paths])))
    assert len(shards) == 3
    for shard in shards:
        assert isinstance(shard.frame, pl.LazyFrame)
        assert_canonical(shard.frame)
        assert_canonical(shard.frame.collect())
    assert shards[0].available == {"account_id", "timestamp", "prompt"}
    assert shards[1].available == {"account_id", "timestamp", "prompt"}
    assert {"ip", "model", "turn", "n_turns", "system"} <= shards[2].available


def test_n_turns_from_turn_column(tmp_path: Path) -> None:
    frame = load([write_jsonl(tmp_path / "a.jsonl", RECORDS)])
    assert frame["n_turns"].to_list() == [1, 2, 1]
    assert frame["turn"].to_list() == [1, 2, 1]
    no_turn = [{k: v for k, v in r.items() if k != "turn"} for r in RECORDS]
    frame, report = load_frame([str(write_jsonl(tmp_path / "b.jsonl", no_turn))])
    assert frame["n_turns"].null_count() == 3
    assert "n_turns" not in report.available


def test_mixed_column_sets_across_files(tmp_path: Path) -> None:
    with_ip = write_jsonl(tmp_path / "day1.jsonl", RECORDS)
    without_ip = write_jsonl(
        tmp_path / "day2.jsonl", [{k: v for k, v in r.items() if k != "ip"} for r in RECORDS]
    )
    shards = list(iter_shards(discover_sources([str(with_ip), str(without_ip)])))
    assert "ip" in shards[0].available and "ip" not in shards[1].available
    frame, report = load_frame([str(with_ip), str(without_ip)])
    assert frame.height == 6 and frame["ip"].null_count() == 4
    assert "ip" in report.available


def test_required_key_present_but_null_is_a_row_error(tmp_path: Path) -> None:
    records = [{"account_id": None, "timestamp": NOON_EPOCH, "prompt": "p"}]
    with raises_input("account id is missing") as caught:
        load([write_jsonl(tmp_path / "a.jsonl", records)])
    assert (caught.value.line, caught.value.field) == (1, "account_id")


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"account_id": None}, "account_id", "account id is missing or empty"),
        ({"account_id": "  "}, "account_id", "account id is missing or empty"),
        ({"timestamp": None}, "timestamp", "timestamp is missing"),
        ({"timestamp": "yesterday"}, "timestamp", "not a timestamp"),
        ({"timestamp": {"when": 1}}, "timestamp", "not a timestamp"),
        ({"input_tokens": "lots"}, "input_tokens", "not an integer: 'lots'"),
        ({"input_tokens": 1.5}, "input_tokens", "not an integer"),
        ({"temperature": "warm"}, "temperature", "not a number: 'warm'"),
        ({"turn": 2**40}, "turn", "not an integer in range"),
    ],
)
def test_bad_values_name_line_and_field(
    tmp_path: Path, change: dict[str, Any], field: str, reason: str
) -> None:
    records = [RECORDS[0], {**RECORDS[1], **change}, RECORDS[2]]
    path = write_jsonl(tmp_path / "a.jsonl", records)
    with raises_input() as caught:
        load([path])
    assert (caught.value.line, caught.value.field) == (2, field)
    assert reason in caught.value.reason
    assert caught.value.describe().startswith(f"{path}:2: field '{field}': ")


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.dictionaries(
        st.sampled_from([*CANONICAL_SCHEMA, "messages", "other"]), JSON_VALUES, max_size=8
    )
)
def test_arbitrary_json_values_give_rows_or_an_input_error(
    tmp_path: Path, values: dict[str, Any]
) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(jsonl_bytes([RECORDS[0], values]))
    for skip in (False, True):
        try:
            frame, report = load_frame([str(path)], skip_errors=skip)
        except InputError:
            continue
        assert_canonical(frame)
        assert report.rows_in == report.rows_read + report.rows_skipped


ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(ANY_TEXT, ANY_TEXT, ANY_TEXT), min_size=1, max_size=5))
def test_top_level_text_round_trips(tmp_path: Path, rows: list[tuple[str, str, str]]) -> None:
    records = [
        {"account_id": f"id{account}", "timestamp": NOON_EPOCH, "prompt": prompt, "system": system}
        for account, prompt, system in rows
    ]
    frame = load([write_jsonl(tmp_path / "t.jsonl", records)])
    assert frame.select("account_id", "prompt", "system").rows() == [
        (f"id{a}", p, s) for a, p, s in rows
    ]
