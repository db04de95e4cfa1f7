"""The capability topics a request is classified into: the names every stage shares.

The classifier (`fingerprint`) holds the patterns; features, views and reports only
need the names, and import them from here so they do not load the classifier.
"""

from __future__ import annotations

from typing import Final

CAPABILITY_TOPICS: Final[tuple[str, ...]] = (
    "grading", "sensitive_rewrite", "vision", "agentic", "coding", "data_analysis", "math_reasoning",
)
"""Capability topics, most specific first: the order the classifier tries their patterns in."""
GENERAL_TOPIC: Final = "general_chat"
TOPICS: Final[tuple[str, ...]] = (*CAPABILITY_TOPICS, GENERAL_TOPIC)
# Capabilities public reports name as distillation targets (everything but general chat).
HIGH_VALUE_TOPICS: Final[frozenset[str]] = frozenset(TOPICS) - {GENERAL_TOPIC}
