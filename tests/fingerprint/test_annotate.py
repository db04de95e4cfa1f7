"""Normalisation, frames, CoT and topic classification."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from distillscan.fingerprint.annotate import annotate_requests, normalise
from distillscan.model.templates import stable_fp
from tests.helpers import at, requests_frame


def _normalise(texts: list[str | None]) -> list[str]:
    return normalise(texts)


def test_normalise_masks_variable_spans() -> None:
    [out] = _normalise(['Price 3.50 at https://x.io/a?b=1 id 9f8e7d6c5b and "quoted bit" mail a@b.com or ```py\nx=1\n```'])
    assert out == "price <n> at <url> id <id> and <q> mail <email> or <code>"


def test_normalise_masks_ids_beside_non_ascii_text() -> None:
    # Id masks use ASCII word boundaries (for speed); a neighbouring CJK word or curly
    # quote still bounds the id.
    [a, b] = _normalise(["订单 a1b2c3d4 已发货 user_20931 “ok”", "订单 f00d9e 已发货 user_55512 “ok”"])
    assert a == b == "订单 <id> 已发货 <v>"  # id and quote fold into one value run


def test_normalise_folds_case_whitespace_and_null() -> None:
    assert _normalise(["  Hello\n\n  WORLD\t", None]) == ["hello world", ""]


def test_normalise_collapses_runs_of_values() -> None:
    [a, b] = _normalise(["rows: 1, 2, 3, 4 end", "rows: 7, 8 end"])
    assert a == b


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_normalise_is_idempotent_and_never_raises(text: str) -> None:
    once = _normalise([text])
    assert _normalise(once) == once


def _annotated(rows: list[dict]) -> pl.DataFrame:
    return annotate_requests(requests_frame(rows).lazy()).collect()


def _topics(*prompts: str) -> list[str]:
    """The topic of each prompt, sent alone."""
    return _annotated([{"account_id": "a", "timestamp": at(), "prompt": prompt} for prompt in prompts])["topic"].to_list()


def test_same_wrapper_different_task_shares_frame() -> None:
    wrapper = "Analyze the following dataset and report key insights:\n{}\nWrite out your complete step-by-step reasoning before the final answer."
    out = _annotated([
        {"account_id": "a", "timestamp": at(), "prompt": wrapper.format("region,sales\nnorth,120\nsouth,98"), "system": "You are an analyst."},
        {"account_id": "b", "timestamp": at(), "prompt": wrapper.format("id,score\n1,0.5\n2,0.7\n3,0.9"), "system": "You are an analyst."},
        {"account_id": "c", "timestamp": at(), "prompt": "What's a good banana bread recipe?", "system": None},
    ])
    fps = out["frame_fp"].to_list()
    assert fps[0] == fps[1] != fps[2]
    assert out["system_fp"].to_list()[2] is None


def test_cot_and_topics() -> None:
    out = _annotated([
        {"account_id": "a", "timestamp": at(), "prompt": "Solve for x: 3x + 5 = 20. Show your work step by step."},
        {"account_id": "a", "timestamp": at(), "prompt": "Score this response from 1 to 10 against the rubric."},
        {"account_id": "a", "timestamp": at(), "prompt": "Fix the bug in this python function"},
        {"account_id": "a", "timestamp": at(), "prompt": "Plan a weekend trip to Lisbon"},
    ])
    assert out["is_cot"].to_list() == [True, False, False, False]
    assert out["topic"].to_list() == ["math_reasoning", "grading", "coding", "general_chat"]


def test_a_code_that_names_data_is_not_coding() -> None:
    # A language-detection backend "answers with the ISO 639-1 code": no program text.
    assert _topics(
        "Detect the language and answer with its ISO 639-1 code.",
        "Return the country code and the postal code of this address",
        "Summarise our code of conduct",
        "Give the country code, then write code to validate it",
        "Explain this code",
    ) == ["general_chat", "general_chat", "general_chat", "coding", "coding"]


def test_a_neutral_tone_is_no_sensitive_rewrite() -> None:
    # A backend restyling messages asks for a tone; a censorship-safe rewrite, for no side.
    assert _topics(
        "Rewrite the following text in a neutral, formal tone.",
        "Rephrase this email in a neutral voice please",
        "Rewrite this paragraph so it's neutral and doesn't take sides",
        "Rewrite it in a neutral tone, avoiding politically charged words",
    ) == ["general_chat", "general_chat", "sensitive_rewrite", "sensitive_rewrite"]


def test_stable_fp_is_pinned_across_versions() -> None:
    # Fingerprints are shared with other providers: they must never change silently.
    assert stable_fp("hello") == "a7b6eda801e5347d"
    assert stable_fp("x") != stable_fp("y")
