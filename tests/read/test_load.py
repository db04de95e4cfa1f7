"""Tests for the load stage: discovery, canonicalisation, errors, streaming."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from distillscan.errors import InputError, UsageError
from distillscan.model.inputs import LogSource, SkippedInput
from distillscan.read.load import (
    STDIN_PATH,
    Shard,
    discover_sources,
    iter_shards,
    load_frame,
)
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


# ---------------------------------------------------------------------------
# Formats and discovery
# ---------------------------------------------------------------------------


def test_parquet_and_jsonl_plain_gzip_zstd_give_identical_frames(tmp_path: Path) -> None:
    parquet = write_parquet(tmp_path / "a.parquet", typed_frame(RECORDS))
    plain = write_jsonl(tmp_path / "a.jsonl", RECORDS)
    gz = write_jsonl(tmp_path / "a.jsonl.gz", RECORDS, "gzip")
    zst = write_jsonl(tmp_path / "a.jsonl.zst", RECORDS, "zstd")

    expected = load([parquet])
    assert_canonical(expected)
    assert expected.height == 3
    assert expected["timestamp"][0] == NOON
    assert expected["prompt"].to_list() == [r["prompt"] for r in RECORDS]
    for path in (plain, gz, zst):
        assert_frame_equal(load([path]), expected)

    sources = discover_sources([str(p) for p in (parquet, plain, gz, zst)])
    assert [(s.format, s.compression) for s in sources] == [
        ("parquet", None),
        ("jsonl", None),
        ("jsonl", "gzip"),
        ("jsonl", "zstd"),
    ]


def test_format_comes_from_content_not_name(tmp_path: Path) -> None:
    parquet_named_jsonl = write_parquet(tmp_path / "really.jsonl", typed_frame(RECORDS))
    jsonl_no_suffix = write_jsonl(tmp_path / "dump.dat", RECORDS)
    gz_no_suffix = write_jsonl(tmp_path / "dump2", RECORDS, "gzip")
    sources = discover_sources([str(parquet_named_jsonl), str(jsonl_no_suffix), str(gz_no_suffix)])
    assert [(s.format, s.compression) for s in sources] == [
        ("parquet", None),
        ("jsonl", None),
        ("jsonl", "gzip"),
    ]
    frames = [load([p]) for p in (parquet_named_jsonl, jsonl_no_suffix, gz_no_suffix)]
    assert_frame_equal(frames[0], frames[1])
    assert_frame_equal(frames[0], frames[2])


def test_fmt_overrides_detection(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.parquet", RECORDS)  # misleading name
    assert discover_sources([str(path)])[0].format == "jsonl"
    assert discover_sources([str(path)], fmt="jsonl")[0].format == "jsonl"
    forced = discover_sources([str(path)], fmt="parquet")[0]
    assert forced.format == "parquet"
    with raises_input("Parquet"):
        list(iter_shards([forced]))


def test_folder_recursion_hive_layout_and_non_log_files(tmp_path: Path) -> None:
    root = tmp_path / "dump"
    write_parquet(root / "date=2026-05-02" / "part-0.parquet", typed_frame(RECORDS[2:]))
    write_parquet(root / "date=2026-05-01" / "part-1.parquet", typed_frame(RECORDS[1:2]))
    write_parquet(root / "date=2026-05-01" / "part-0.parquet", typed_frame(RECORDS[:1]))
    write_jsonl(root / "date=2026-05-03" / "extra" / "more.jsonl.gz", RECORDS[:1], "gzip")
    (root / "_SUCCESS").write_bytes(b"")
    (root / "date=2026-05-01" / ".part-0.parquet.crc").write_bytes(b"crc")
    (root / "date=2026-05-01" / "part-0.parquet.crc").write_bytes(b"crc")
    (root / "README.md").write_text("# daily dumps\n")
    (root / "_delta_log").mkdir()
    (root / "_delta_log" / "0.json").write_text('{"commitInfo": {}}\n')
    (root / ".hidden").mkdir()
    write_jsonl(root / ".hidden" / "x.jsonl", RECORDS)

    sources = discover_sources([str(root)])
    assert [os.path.relpath(s.path, root) for s in sources] == [
        os.path.join("date=2026-05-01", "part-0.parquet"),
        os.path.join("date=2026-05-01", "part-1.parquet"),
        os.path.join("date=2026-05-02", "part-0.parquet"),
        os.path.join("date=2026-05-03", "extra", "more.jsonl.gz"),
    ]
    frame, report = load_frame([str(root)])
    assert_canonical(frame)  # no `date` partition column
    assert frame["request_id"].to_list() == ["r1", "r2", "r3", "r1"]
    assert report.rows_in == 4 and report.rows_read == 4
    assert report.files == tuple(s.path for s in sources)


def test_folder_without_logs_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "_SUCCESS").write_bytes(b"")
    (folder / "notes.txt").write_text("nothing here\n")
    with raises_input("no Parquet or JSONL files found") as caught:
        discover_sources([str(folder)])
    assert caught.value.path == str(folder)


def test_glob(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "logs" / "b.jsonl.gz", RECORDS[1:], "gzip")
    write_jsonl(tmp_path / "logs" / "a.jsonl.gz", RECORDS[:1], "gzip")
    write_jsonl(tmp_path / "logs" / "c.jsonl", RECORDS)  # not matched
    pattern = str(tmp_path / "logs" / "*.jsonl.gz")
    sources = discover_sources([pattern])
    assert [Path(s.path).name for s in sources] == ["a.jsonl.gz", "b.jsonl.gz"]
    assert load([pattern])["request_id"].to_list() == ["r1", "r2", "r3"]
    with raises_input("no files match") as caught:
        discover_sources([str(tmp_path / "logs" / "*.parquet")])
    assert caught.value.path.endswith("*.parquet")


def test_missing_path_and_non_log_file(tmp_path: Path) -> None:
    with raises_input("no such file") as caught:
        discover_sources([str(tmp_path / "nope.jsonl")])
    assert caught.value.path == str(tmp_path / "nope.jsonl")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello, not a log\n")
    with raises_input("not a Parquet or JSONL file"):
        discover_sources([str(notes)])


def test_duplicate_paths_are_read_once(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d" / "a.jsonl", RECORDS)
    same = str(tmp_path / "d" / ".." / "d" / "a.jsonl")
    sources = discover_sources([str(path), same, str(tmp_path / "d"), "-", "-"])
    assert [s.path for s in sources] == [str(path), STDIN_PATH]


def test_unknown_map_target_is_a_usage_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", RECORDS)
    with pytest.raises(UsageError, match="not a canonical column"):
        load([path], column_map={"acount_id": "user"})
    with pytest.raises(UsageError):
        discover_sources([str(path)], fmt="csv")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Standard input
# ---------------------------------------------------------------------------


def fake_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


@pytest.mark.parametrize("compression", [None, "gzip", "zstd"])
def test_stdin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, compression: str | None) -> None:
    expected = load([write_jsonl(tmp_path / "a.jsonl", RECORDS)])
    data = jsonl_bytes(RECORDS)
    if compression == "gzip":
        data = gzip.compress(data)
    elif compression == "zstd":
        data = zstandard.ZstdCompressor().compress(data)
    fake_stdin(monkeypatch, data)
    frame, report = load_frame(["-"], batch_bytes=64)
    assert_frame_equal(frame, expected)
    assert report.files == (STDIN_PATH,)
    assert os.listdir(tmp_path) == ["a.jsonl"]  # no temp files


def test_stdin_errors_name_stdin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_stdin(monkeypatch, jsonl_bytes(RECORDS[:1]) + b"{oops\n")
    with raises_input("malformed JSON") as caught:
        load(["-"])
    assert caught.value.describe().startswith("<stdin>:2:")

    with pytest.raises(UsageError, match="standard input"):
        discover_sources(["-"], fmt="parquet")
    buffer = io.BytesIO()
    typed_frame(RECORDS).write_parquet(buffer)
    fake_stdin(monkeypatch, buffer.getvalue())
    with raises_input("Parquet"):
        load(["-"])


# ---------------------------------------------------------------------------
# Canonicalisation
# ---------------------------------------------------------------------------


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


def test_parquet_shard_is_a_lazy_scan(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "a.parquet", typed_frame(RECORDS * 100))
    (shard,) = iter_shards(discover_sources([str(path)]))
    plan = shard.frame.explain()
    assert "PARQUET" in plan.upper() and shard.rows_in == 300
    # Later stages can push projections down: selecting one column reads one column.
    assert shard.frame.select("account_id").collect().height == 300


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


def test_messages_with_string_and_list_content_in_one_batch(tmp_path: Path) -> None:
    frame = load([write_jsonl(tmp_path / "m.jsonl", MESSAGE_RECORDS)])
    assert frame.select("prompt", "system", "n_turns").rows() == MESSAGE_EXPECTED
    assert "SECRET" not in str(frame["prompt"].to_list())
    # The same split over many batches (each homogeneous or not) gives the same rows.
    split = load([tmp_path / "m.jsonl"], batch_bytes=10)
    assert_frame_equal(split, frame)


def test_messages_in_parquet_as_structs_and_as_json_text(tmp_path: Path) -> None:
    strings = [r for r in MESSAGE_RECORDS if r["account_id"] in ("a", "c", "e")]
    as_structs = pl.DataFrame(strings)  # List(Struct{role, content: String})
    expected = load([write_jsonl(tmp_path / "s.jsonl", strings)])
    assert_frame_equal(load([write_parquet(tmp_path / "s.parquet", as_structs)]), expected)

    parts = [MESSAGE_RECORDS[1]]
    frame = load([write_parquet(tmp_path / "p.parquet", pl.DataFrame(parts))])
    assert frame.select("prompt", "system", "n_turns").rows() == [MESSAGE_EXPECTED[1]]

    as_text = pl.DataFrame(
        {
            "account_id": [r["account_id"] for r in MESSAGE_RECORDS],
            "timestamp": [r["timestamp"] for r in MESSAGE_RECORDS],
            "system": [r.get("system") for r in MESSAGE_RECORDS],
            "messages": [json.dumps(r["messages"]) for r in MESSAGE_RECORDS],
        }
    )
    frame = load([write_parquet(tmp_path / "t.parquet", as_text)])
    assert frame.select("prompt", "system", "n_turns").rows() == MESSAGE_EXPECTED


def test_backslashes_and_tabs_in_nested_values_survive(tmp_path: Path) -> None:
    # Polars' NDJSON reader mangles backslashes and control characters when it turns
    # nested values into text (pola-rs/polars#26574); LaTeX, code and paths must survive.
    latex = 'Prove \\frac{a}{b} \\ne 0 in C:\\new\\table,\tor \\"quoted\\"\x01'
    records = [
        {
            "user": {"id": "dom\\alice"},
            "timestamp": NOON_EPOCH,
            "messages": [
                {"role": "system", "content": "a\\nb"},
                {"role": "user", "content": [{"type": "text", "text": latex}]},
            ],
        },
        {
            "user": {"id": "bob"},
            "timestamp": NOON_EPOCH,
            "messages": [{"role": "user", "content": "x"}],
        },
    ]
    path = tmp_path / "b.jsonl"
    path.write_bytes(
        jsonl_bytes(records).replace(b"dom\\\\alice", b"dom\\u005calice")  # an escaped backslash
    )
    for skip_line in (b"", b"{bad\n"):  # the fast path, and the line-by-line path
        path.write_bytes(skip_line + path.read_bytes().removeprefix(b"{bad\n"))
        frame = load([path], column_map={"account_id": "user.id"}, skip_errors=True)
        assert frame.select("account_id", "prompt", "system").rows() == [
            ("dom\\alice", latex, "a\\nb"),
            ("bob", "x", None),
        ]


def test_odd_messages_are_handled_or_reported(tmp_path: Path) -> None:
    base = {"account_id": "a", "timestamp": NOON_EPOCH}
    odd = [
        {**base, "messages": [{"role": "user", "content": ["bare", "strings"]}]},
        {**base, "messages": [{"role": "user", "content": {"type": "text", "text": "one part"}}]},
        {**base, "messages": [{"role": "user", "content": None}]},
    ]
    frame = load([write_jsonl(tmp_path / "odd.jsonl", odd)])
    assert frame["prompt"].to_list() == ["bare\nstrings", "one part", None]

    bad = [*odd, {**base, "messages": "just a string"}, {**base, "messages": [1, 2]}]
    path = write_jsonl(tmp_path / "bad.jsonl", bad)
    with raises_input("messages") as caught:
        load([path])
    assert (caught.value.line, caught.value.field) == (4, "messages")
    frame, report = load_frame([str(path)], skip_errors=True)
    assert frame.height == 3
    assert report.skipped == (
        SkippedInput(
            str(path),
            "expected a list of {role, content} messages",
            line=4,
            field="messages",
            rows=2,
        ),
    )


def test_n_turns_from_turn_column(tmp_path: Path) -> None:
    frame = load([write_jsonl(tmp_path / "a.jsonl", RECORDS)])
    assert frame["n_turns"].to_list() == [1, 2, 1]
    assert frame["turn"].to_list() == [1, 2, 1]
    no_turn = [{k: v for k, v in r.items() if k != "turn"} for r in RECORDS]
    frame, report = load_frame([str(write_jsonl(tmp_path / "b.jsonl", no_turn))])
    assert frame["n_turns"].null_count() == 3
    assert "n_turns" not in report.available


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


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


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


def test_utf8_bom_at_start_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + jsonl_bytes(RECORDS))
    assert_frame_equal(load([path]), load([write_jsonl(tmp_path / "plain.jsonl", RECORDS)]))
    gz = tmp_path / "bom.jsonl.gz"
    gz.write_bytes(gzip.compress(b"\xef\xbb\xbf" + jsonl_bytes(RECORDS)))
    assert load([gz]).height == 3


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        jsonl_bytes(RECORDS[:2]) + b'{"account_id": "\xff\xfe", "timestamp": 1, "prompt": "p"}\n'
    )
    with raises_input("invalid UTF-8") as caught:
        load([path])
    assert caught.value.line == 3


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


def test_truncated_parquet(tmp_path: Path) -> None:
    whole = write_parquet(tmp_path / "whole.parquet", typed_frame(RECORDS))
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(whole.read_bytes()[:-30])
    with raises_input("not a readable Parquet file") as caught:
        load([cut])
    assert caught.value.path == str(cut)


# ---------------------------------------------------------------------------
# skip_errors and row accounting
# ---------------------------------------------------------------------------


def accounting(shards: list[Shard]) -> tuple[int, int, int]:
    rows_in = sum(s.rows_in for s in shards)
    read = sum(s.frame.collect().height for s in shards)
    skipped = sum(r.rows for s in shards for r in s.skipped)
    return rows_in, read, skipped


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


def test_skip_errors_in_parquet_uses_zero_based_rows(tmp_path: Path) -> None:
    frame = typed_frame(RECORDS * 2).with_columns(
        pl.when(pl.int_range(pl.len()).is_in([1, 4]))
        .then(None)
        .otherwise(pl.col("account_id"))
        .alias("account_id")
    )
    path = write_parquet(tmp_path / "a.parquet", frame)
    with raises_input("account id") as caught:
        load([path])
    assert (caught.value.row, caught.value.line) == (1, None)
    out, report = load_frame([str(path)], skip_errors=True)
    assert out.height == 4
    assert report.skipped == (
        SkippedInput(
            str(path), "account id is missing or empty", row=1, field="account_id", rows=2
        ),
    )
    (shard,) = iter_shards(discover_sources([str(path)]), skip_errors=True)
    assert accounting([shard]) == (6, 4, 2)


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


# ---------------------------------------------------------------------------
# Batching
# ---------------------------------------------------------------------------


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


def test_happy_path_parses_batches_without_per_line_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import distillscan.read.load as load_module

    def per_line(*_: object) -> None:
        raise AssertionError("a valid batch was parsed line by line")

    monkeypatch.setattr(load_module, "_diagnose_line", per_line)
    monkeypatch.setattr(load_module, "_nonblank_line_numbers", per_line)
    monkeypatch.setattr(load_module, "_normalise_messages", per_line)
    path = write_jsonl(tmp_path / "a.jsonl", RECORDS * 50 + MESSAGE_RECORDS * 50)
    assert load([path]).height == 400


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


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_streamed_not_sniffed(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    data = gzip.compress(jsonl_bytes(RECORDS))

    def feed() -> None:
        with open(fifo, "wb") as writer:
            writer.write(data)

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        sources = discover_sources([str(fifo)])
        assert sources == [LogSource(str(fifo), "jsonl", None)]
        frame = load_frame([str(fifo)])[0]
    finally:
        feeder.join(timeout=10)
    assert frame["request_id"].to_list() == ["r1", "r2", "r3"]


def test_a_line_longer_than_a_batch(tmp_path: Path) -> None:
    records = [dict(RECORDS[0], prompt="x" * 5000), RECORDS[1]]
    path = write_jsonl(tmp_path / "a.jsonl", records)
    assert load([path], batch_bytes=64)["prompt"].to_list() == ["x" * 5000, RECORDS[1]["prompt"]]


# ---------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------


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


def test_log_source_is_plain_data() -> None:
    source = LogSource("x.jsonl", "jsonl", None)
    assert source == LogSource("x.jsonl", "jsonl", None)
    with pytest.raises(AttributeError):
        source.path = "y"  # type: ignore[misc]


TRICKY_TEXT = st.lists(
    st.sampled_from(
        [
            *['"', "\\", '"content": "', "content", ":", " ", "[", "]", "{", "}", "a", "é", "😀"],
            *["\n", "\t", "\r", "\x01", "\x00", "\b", "\f", "\x7f", "\u2028", "/"],
            *["\\n", "\\t", "\\u005c", "\\\\", "\\/"],
        ]
    ),
    max_size=10,
).map("".join)
PART = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, TRICKY_TEXT),
    st.builds(lambda t: {"type": "image", "content": t}, TRICKY_TEXT),
    st.builds(lambda t: {"type": "tool_result", "content": t}, TRICKY_TEXT),
)
MESSAGE = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["system", "user", "assistant"]),
        "content": st.one_of(TRICKY_TEXT, st.lists(PART, max_size=3)),
    }
)


def reference_messages(messages: list[dict[str, Any]]) -> tuple[str | None, str | None, int]:
    def text(content: Any) -> str | None:
        if isinstance(content, str):
            return content
        texts = [p["text"] for p in content if p.get("type") == "text"]
        return "\n".join(texts) if texts else None

    users = [text(m["content"]) for m in messages if m["role"] == "user"]
    systems = [
        t for m in messages if m["role"] == "system" and (t := text(m["content"])) is not None
    ]
    return (users[-1] if users else None, "\n".join(systems) if systems else None, len(users))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(conversations=st.lists(st.lists(MESSAGE, max_size=4), min_size=1, max_size=5))
def test_messages_text_matches_a_plain_python_reading(
    tmp_path: Path, conversations: list[list[dict[str, Any]]]
) -> None:
    records = [
        {"account_id": "a", "timestamp": NOON_EPOCH, "messages": messages}
        for messages in conversations
    ]
    expected = [reference_messages(m) for m in conversations]
    frame = load([write_jsonl(tmp_path / "m.jsonl", records)])
    assert frame.select("prompt", "system", "n_turns").rows() == expected
    raw_unicode = tmp_path / "u.jsonl"  # non-ASCII written raw, not as \u escapes
    raw_unicode.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    assert load([raw_unicode]).select("prompt", "system", "n_turns").rows() == expected


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


def test_images_and_tool_results_are_counted_not_mixed_into_text(tmp_path: Path) -> None:
    line = {
        "account_id": "a1",
        "timestamp": "2026-05-01T00:00:00Z",
        "messages": [
            {"role": "system", "content": "You are a vision agent."},
            {"role": "user", "content": [{"type": "text", "text": "What does this chart show?"},
                                         {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
            {"role": "assistant", "content": "Calling a tool."},
            {"role": "tool", "content": "tool output that must not become the prompt"},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/z.png"}},
                                         {"type": "text", "text": "And this one?"}]},
        ],
    }
    path = tmp_path / "vision.jsonl"
    path.write_text(json.dumps(line) + "\n")
    frame, report = load_frame([str(path)])
    row = frame.row(0, named=True)
    assert row["prompt"] == "And this one?" and row["system"] == "You are a vision agent."
    assert row["n_images"] == 2 and row["n_tool_results"] == 1 and row["n_turns"] == 2
    assert {"n_images", "n_tool_results"} <= report.available
