"""Conversions to canonical dtypes: timestamps in every form, numbers as text, wrong types."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from tests.read.helpers import (
    NOON,
    NOON_EPOCH,
    RECORDS,
    load,
    raises_input,
    typed_frame,
    write_jsonl,
    write_parquet,
)


def test_timestamps_in_every_form_are_the_same_instant(tmp_path: Path) -> None:
    forms: list[Any] = [
        "2026-05-01T12:00:00Z",
        "2026-05-01T12:00:00.000000Z",
        "2026-05-01T14:00:00+02:00",
        "2026-05-01T07:00:00-05:00",
        "2026-05-01T17:30:00+0530",
        "2026-05-01 12:00:00",
        "2026-05-01T12:00:00",
        "2026-05-01 12:00:00+00:00",
        NOON_EPOCH,
        NOON_EPOCH * 1000,
        float(NOON_EPOCH),
        NOON_EPOCH * 1000.0,
        str(NOON_EPOCH),
        str(NOON_EPOCH * 1000),
    ]
    records = [
        {"account_id": "a", "timestamp": form, "account_created_at": form, "prompt": "p"}
        for form in forms
    ]
    frame = load([write_jsonl(tmp_path / "t.jsonl", records)])
    assert frame["timestamp"].to_list() == [NOON] * len(forms)
    assert frame["account_created_at"].to_list() == [NOON] * len(forms)
    assert frame.schema["timestamp"] == pl.Datetime("us", "UTC")

    naive = dt.datetime(2026, 5, 1, 12)
    parquet_columns = {
        "naive_us": pl.Series([naive], dtype=pl.Datetime("us")),
        "naive_ns": pl.Series([naive], dtype=pl.Datetime("ns")),
        "utc_ms": pl.Series([naive], dtype=pl.Datetime("ms")).dt.replace_time_zone("UTC"),
        "berlin": pl.Series([naive])
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone("Europe/Berlin"),
        "epoch_s": pl.Series([NOON_EPOCH]),
        "epoch_ms": pl.Series([NOON_EPOCH * 1000]),
        "epoch_f": pl.Series([float(NOON_EPOCH)]),
        "text": pl.Series(["2026-05-01T14:00:00+02:00"]),
    }
    path = write_parquet(
        tmp_path / "t.parquet",
        pl.DataFrame({"account_id": ["a"], "prompt": ["p"], **parquet_columns}),
    )
    for column in parquet_columns:
        frame = load([path], column_map={"timestamp": column})
        assert frame["timestamp"].to_list() == [NOON], column


def test_numeric_strings_are_cast(tmp_path: Path) -> None:
    records = [
        {
            **RECORDS[0],
            "input_tokens": "123",
            "temperature": "0.5",
            "max_tokens": " 64 ",
            "turn": "3",
        },
        {**RECORDS[1], "input_tokens": 5.0, "temperature": 1, "max_tokens": "", "turn": None},
    ]
    frame = load([write_jsonl(tmp_path / "a.jsonl", records)])
    assert frame["input_tokens"].to_list() == [123, 5]
    assert frame["temperature"].to_list() == [0.5, 1.0]
    assert frame["max_tokens"].to_list() == [64, None]
    assert frame["turn"].to_list() == [3, None]


def test_wrong_type_parquet_column_names_row_and_field(tmp_path: Path) -> None:
    frame = typed_frame(RECORDS).with_columns(
        pl.Series("input_tokens", ["1", "many", "3"]),
    )
    path = write_parquet(tmp_path / "a.parquet", frame)
    with raises_input("not an integer: 'many'") as caught:
        load([path])
    assert (caught.value.row, caught.value.field) == (1, "input_tokens")
    assert caught.value.describe() == f"{path} row 1: field 'input_tokens': not an integer: 'many'"

    nested = typed_frame(RECORDS).with_columns(pl.struct(pl.col("ip").alias("v")).alias("ip"))
    with raises_input("expected text, got an object") as caught:
        load([write_parquet(tmp_path / "b.parquet", nested)])
    assert (caught.value.row, caught.value.field) == (0, "ip")
