"""What the annotator looks for: the masks over variable spans, the chain-of-thought
ask and the capability topics, as regular expressions over lower-cased text.

The expressions are defined once, in the compiled core (`rust/src/patterns.rs`, where
their comments say why each looks as it does), and re-exported here: the core runs
them (with hand-written scanners tested to give exactly what the expressions give) and
the tests run them through Polars as the reference.
"""

from __future__ import annotations

from typing import Final

from distillscan import _core

# Ordered masks over lower-cased text, as (expression, replacement): each runs on the
# output of the one before, then the text is trimmed.
MASKS: Final[tuple[tuple[str, str], ...]] = tuple(_core.MASKS)
# Asks for chain-of-thought, matched against lower-cased text.
COT_PATTERN: Final[str] = _core.COT_PATTERN
# Capability taxonomy over lower-cased text, most specific first: a request takes the
# first topic that matches anywhere in its system prompt or the ends of its user text.
# Names and order: `model.topics.CAPABILITY_TOPICS`.
TOPIC_PATTERNS: Final[tuple[tuple[str, str], ...]] = tuple(_core.TOPIC_PATTERNS)
# Per topic, spans that read like its words but are not (a country code is not program
# text): removed before that topic's expression runs.
TOPIC_EXCEPTIONS: Final[dict[str, str]] = dict(_core.TOPIC_EXCEPTIONS)
