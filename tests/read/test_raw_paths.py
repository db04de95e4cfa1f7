"""Values taken from the raw JSONL line: nested text Polars would mangle survives."""

from __future__ import annotations

from pathlib import Path

from tests.read.helpers import (
    NOON_EPOCH,
    jsonl_bytes,
    load,
)


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
