"""Messages: prompt, system, turns and attachment counts from every shape of messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from distillscan.model.inputs import SkippedInput
from distillscan.read import load_frame
from tests.read.helpers import (
    MESSAGE_EXPECTED,
    MESSAGE_RECORDS,
    NOON_EPOCH,
    load,
    raises_input,
    write_jsonl,
    write_parquet,
)


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
