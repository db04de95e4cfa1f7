"""Paraphrase families: recognisable, with many exact wordings."""

from __future__ import annotations

import random

from distillscan.synth.wording import analyst_system, light_variant, reasoning_closer


def test_the_analyst_prompt_has_many_wordings_of_one_family() -> None:
    rng = random.Random(4)
    wordings = {analyst_system(rng) for _ in range(2_000)}
    assert len(wordings) >= 1_900
    assert all("data analyst" in text and "insights" in text for text in wordings)


def test_reasoning_asks_vary_but_stay_in_the_family() -> None:
    rng = random.Random(5)
    asks = [reasoning_closer(rng) for _ in range(2_000)]
    assert len(set(asks)) >= 1_000
    family = ("reasoning", "thinking", "thought process", "logic", "working", "how you get there")
    assert all(any(word in ask for word in family) for ask in asks)
    assert all(ask[0].isupper() for ask in asks)


def test_a_light_variant_is_a_small_edit() -> None:
    rng = random.Random(6)
    text = "Please walk me through your reasoning, step by step, before giving the answer."
    variants = {light_variant(rng, text) for _ in range(200)}
    assert len(variants) >= 3 and all(abs(len(v) - len(text)) <= 8 for v in variants)
