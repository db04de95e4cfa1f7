"""The topic names every stage imports from `model.topics` are the classifier's."""

from __future__ import annotations

from distillscan.fingerprint.patterns import TOPIC_PATTERNS
from distillscan.model.topics import CAPABILITY_TOPICS, GENERAL_TOPIC, HIGH_VALUE_TOPICS, TOPICS


def test_classifier_patterns_follow_the_topic_names_in_order() -> None:
    assert tuple(name for name, _ in TOPIC_PATTERNS) == CAPABILITY_TOPICS


def test_general_chat_is_the_one_topic_of_no_value_to_a_distiller() -> None:
    assert TOPICS[-1] == GENERAL_TOPIC and set(TOPICS) - HIGH_VALUE_TOPICS == {GENERAL_TOPIC}
