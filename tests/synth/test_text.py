"""Prompt text: popular items recur, generic follow-ups, pasted documents with a long tail."""

from __future__ import annotations

import random
from collections import Counter

from distillscan.synth.corpus import load_corpus
from distillscan.synth.text import GENERIC_FOLLOWUPS, Text
from distillscan.synth.topics import CHAT


def test_popular_items_are_pasted_far_more_often_than_others() -> None:
    text, rng = Text(load_corpus(None)), random.Random(1)
    counts = Counter(text.popular(rng, "chat") for _ in range(20_000))
    top = sum(n for _, n in counts.most_common(len(text.pools["chat"]) // 100))
    assert top > 0.05 * 20_000


def test_later_turns_are_often_generic() -> None:
    text, rng = Text(load_corpus(None)), random.Random(2)
    later = [text.later(rng, CHAT) for _ in range(5_000)]
    assert 0.08 <= sum(turn in GENERIC_FOLLOWUPS for turn in later) / len(later) <= 0.2


def test_pasted_documents_reach_hundreds_of_kilobytes_at_a_low_rate() -> None:
    text, rng = Text(load_corpus(None)), random.Random(3)
    sizes = sorted(len(text.paste(rng)) for _ in range(3_000))
    assert 600 <= sizes[len(sizes) // 2] <= 5_000
    assert sizes[-1] > 100_000 and sizes[-1] <= 3_100_000
    assert sum(size > 100_000 for size in sizes) < 0.02 * len(sizes)
