"""Conversation depth: as logged, else read off the input tokens a request was billed for."""

from __future__ import annotations

import polars as pl

from distillscan.aggregate.partial import FOLLOW_UP_MAX_BYTES, HIDDEN_CONTEXT_TOKENS, depth_expressions
from tests.helpers import aggregate, at, requests_frame

SYSTEM = "You are a patient tutor. Explain every step."


def _depth(rows: list[dict]) -> list[tuple[int, bool]]:
    multi_turn, known = depth_expressions()
    frame = requests_frame([{"account_id": "a", "timestamp": at(), **row} for row in rows])
    return list(frame.select(multi_turn=multi_turn, known=known).iter_rows())


def test_a_request_billed_for_more_than_its_text_is_a_later_turn() -> None:
    visible = len(b"thanks!!") + len(SYSTEM.encode())
    rows = [
        # First turns: billed for no more than their own text.
        {"prompt": "What is 17 * 23? Think step by step.", "system": SYSTEM, "input_tokens": 25},
        {"prompt": "thanks!!", "system": SYSTEM, "input_tokens": visible + HIDDEN_CONTEXT_TOKENS},
        # A follow-up billed for the question and answer before it.
        {"prompt": "thanks!!", "system": SYSTEM, "input_tokens": visible + HIDDEN_CONTEXT_TOKENS + 1},
    ]
    assert _depth(rows) == [(0, True), (0, True), (1, True)]


def test_logged_depth_wins_and_images_or_no_tokens_say_nothing() -> None:
    rows = [
        # A logged first turn stays one whatever it was billed (tool definitions, say).
        {"prompt": "go", "turn": 1, "input_tokens": 5_000},
        {"prompt": "go", "n_turns": 3, "input_tokens": 1},
        # Images are billed but not logged as text.
        {"prompt": "what is in this picture?", "n_images": 1, "input_tokens": 1_500},
        # Nothing logged, nothing billed: depth unknown.
        {"prompt": "hello"},
        # CJK text: three bytes a character, about one token each.
        {"prompt": "请一步一步地解释这个问题的答案", "input_tokens": 20},
        # A long prompt billed past its logged bytes was likely truncated when logged.
        {"prompt": "x" * (FOLLOW_UP_MAX_BYTES + 1), "input_tokens": 5_000},
        {"prompt": "x" * FOLLOW_UP_MAX_BYTES, "input_tokens": 5_000},
    ]
    assert _depth(rows) == [(0, True), (1, True), (0, True), (0, False), (0, True), (0, True), (1, True)]


def test_inferred_depth_reaches_the_account_table() -> None:
    rows = [{"account_id": "app", "timestamp": at(minutes=k), "prompt": "thanks!!", "input_tokens": 400}
            for k in range(3)]
    rows += [{"account_id": "app", "timestamp": at(hours=1), "prompt": "What is 2 + 2?", "input_tokens": 8}]
    rows += [{"account_id": "unlogged", "timestamp": at(), "prompt": "hi"}]
    accounts = aggregate(requests_frame(rows)).accounts.sort("account_id")
    assert accounts.select("account_id", "n_multi_turn", "n_depth_known").rows() == [
        ("app", 3, 4), ("unlogged", 0, 0)
    ]
    assert accounts.schema["n_depth_known"] == pl.UInt32
