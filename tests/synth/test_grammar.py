"""The grammar engine: one draw per pick, slots expanded in the order they are written."""

from __future__ import annotations

import random

import pytest

from distillscan.synth.grammar import Grammar, Rng, pick


def _digit(rng: Rng) -> str:
    return str(int(rng.random() * 10))


def test_a_literal_rule_picks_with_one_draw() -> None:
    alternatives = ("a", "b", "c")
    grammar = Grammar({"x": alternatives}, {})
    drawn, replayed = random.Random(3), random.Random(3)
    for _ in range(50):
        assert grammar["x"](drawn) == alternatives[int(replayed.random() * 3)]
    assert drawn.getstate() == replayed.getstate()


def test_slots_expand_rules_and_fillers_in_written_order() -> None:
    grammar = Grammar({"s": ("{a}-{d}", "{d}{d}"), "a": ("x", "y")}, {"d": _digit})
    drawn, replayed = random.Random(9), random.Random(9)
    for _ in range(50):
        if int(replayed.random() * 2) == 0:
            expected = ("x", "y")[int(replayed.random() * 2)] + "-" + _digit(replayed)
        else:
            expected = _digit(replayed) + _digit(replayed)
        assert grammar["s"](drawn) == expected
    assert drawn.getstate() == replayed.getstate()


def test_braces_that_are_not_slot_names_stay_literal() -> None:
    grammar = Grammar({"s": ('{"k": 1} {a} {A}',), "a": ("x",)}, {})
    assert grammar["s"](random.Random(0)) == '{"k": 1} x {A}'


def test_an_unknown_slot_is_refused_when_compiled() -> None:
    with pytest.raises(KeyError):
        Grammar({"s": ("{missing}",)}, {})


def test_subset_hands_the_same_generators_to_another_grammar() -> None:
    base = Grammar({"a": ("x", "y")}, {"d": _digit})
    subset = base.subset("a", "d")
    assert subset == {"a": base["a"], "d": base["d"]}
    derived = Grammar({"s": ("{a}{d}",)}, subset)
    drawn, replayed = random.Random(4), random.Random(4)
    replayed.random()  # the pick among "s"'s single alternative
    assert derived["s"](drawn) == base["a"](replayed) + base["d"](replayed)


def test_pick_takes_one_draw() -> None:
    drawn, replayed = random.Random(2), random.Random(2)
    assert pick(drawn, "abcd") == "abcd"[int(replayed.random() * 4)]
    assert drawn.getstate() == replayed.getstate()
