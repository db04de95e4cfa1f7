"""Closers: the wrapper's closing sentence as a number, the same after any task, and
none where the last sentence is the task's own."""

from __future__ import annotations

import polars as pl

from distillscan.fingerprint.annotate import EDGE_CHARS, annotate_requests

CLOSER = "Reason carefully step by step, making each inference explicit, and only then answer."


def _closers(prompts: list[str]) -> list[int | None]:
    frame = pl.DataFrame({"prompt": prompts, "system": [None] * len(prompts)},
                         schema={"prompt": pl.String, "system": pl.String})
    return annotate_requests(frame.lazy()).collect().get_column("closer_fp").to_list()


def test_one_closer_after_any_task_is_one_number() -> None:
    short, other_task, shouted, long_task = _closers([
        f"Problem: a farmer harvested 560 bales in May? {CLOSER}",
        f"Problem: Jake earns thrice what Jacob does.\n\n{CLOSER}",
        f"PROBLEM: HOW MANY PINTS? {CLOSER.upper()}",
        # A long prompt's closer is read off its tail.
        f"Problem: {'a long story about a hay farm, ' * (EDGE_CHARS // 10)}the end. {CLOSER}",
    ])
    assert short is not None
    assert short == other_task == shouted == long_task


def test_no_closer_for_one_sentence_or_a_long_last_one() -> None:
    one, long_last, plain, other = _closers([
        "How many pints of tea did Geraldo drink?",
        "Context first. " + " ".join(["word"] * 40) + "?",
        "Problem: a farmer harvested 560 bales in May? Give the final result only.",
        "Problem: a farmer harvested 560 bales in May? Keep it brief.",
    ])
    assert one is None and long_last is None
    assert plain is not None and other is not None and plain != other
