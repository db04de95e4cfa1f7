"""What people ask about: eight topics of first messages, their follow-ups and personal framing.

The topic grammar (`data/topics.json`) expands into first messages; follow-ups continue a
conversation on the same topic; openers and closers frame a request the way a person
types it. Each topic also sets the median length of its answers.
"""

from __future__ import annotations

from typing import Final

from distillscan.synth import fillers
from distillscan.synth.datafiles import load_rules, load_strings
from distillscan.synth.grammar import Gen, Grammar, Rng, pick

_FILLERS: Final[dict[str, Gen]] = {
    "city": lambda r: pick(r, fillers.CITIES),
    "month": lambda r: pick(r, fillers.MONTHS),
    "weekday": lambda r: pick(r, fillers.WEEKDAYS),
    "language": lambda r: pick(r, fillers.LANGUAGES),
    "company": lambda r: pick(r, fillers.COMPANIES),
    "name": lambda r: pick(r, fillers.NAMES),
    "date": fillers.date,
    "pct": fillers.pct,
    "money": fillers.money,
    "num_list": fillers.num_list,
    "num_series": fillers.num_series,
    "code_py": fillers.code_py,
    "code_any": fillers.code_any,
    "fn_name": fillers.fn_name,
    "csv_table": fillers.csv_table,
    "columns": fillers.columns,
    "math_problem": fillers.math_problem,
    "math_answer": fillers.math_answer,
    "essay": fillers.essay,
}
TOPIC_GRAMMAR: Final = Grammar(
    {**load_rules("topics", "rules"), "key": fillers.KEYS, "essay_topic": fillers.ESSAY_TOPICS}, _FILLERS
)

TOPICS: Final = ("chat", "coding", "agentic", "math", "data", "vision", "grading", "sensitive")
TOPIC_GENS: Final = tuple(TOPIC_GRAMMAR[t] for t in TOPICS)
CHAT, CODING, AGENTIC, MATH, DATA, VISION, GRADING, SENSITIVE = range(len(TOPICS))
# Median output tokens per topic.
_OUT_MEDIAN: Final = (260, 480, 520, 380, 420, 200, 380, 320)
# Median output tokens by [asked for step-by-step reasoning][topic].
OUT_BY: Final = (tuple(float(m) for m in _OUT_MEDIAN), tuple(2.2 * m for m in _OUT_MEDIAN))

_FOLLOWUPS: Final = load_rules("topics", "followups")
_FOLLOW_OPENERS: Final = load_strings("topics", "follow_openers")
_FOLLOWUP_GENS: Final = tuple(
    Grammar({"f": _FOLLOWUPS[topic]}, TOPIC_GRAMMAR.subset(
        "city", "small_n", "tone", "language", "py_error", "lang", "fn_name", "tool_name", "math_answer", "image_tag",
        "money", "gift_for", "month", "hobby", "ingredient", "n_rows", "code_py", "framework", "module", "port",
        "agent_lib", "n_sample", "feature", "max_score", "essay", "sensitive_topic",
    ))["f"]
    for topic in TOPICS
)


def followup(rng: Rng, topic: int) -> str:
    """A later message in a conversation on `topic`, sometimes with a short opener."""
    text = _FOLLOWUP_GENS[topic](rng)
    if rng.random() < 0.45:
        text = pick(rng, _FOLLOW_OPENERS) + text
    return text


_OPENERS: Final = Grammar({"o": load_strings("topics", "openers")}, TOPIC_GRAMMAR.subset("name", "job", "city"))["o"]
_CLOSERS: Final = Grammar({"c": load_strings("topics", "closers")}, TOPIC_GRAMMAR.subset("city", "weekday"))["c"]


def framed(rng: Rng, text: str) -> str:
    """Personal framing around a request: a greeting or context before, a remark after."""
    r = rng.random()
    if r < 0.3:
        text = _OPENERS(rng) + text
    elif r < 0.4:
        text = _OPENERS(rng) + _OPENERS(rng) + text
    if rng.random() < 0.3:
        text += _CLOSERS(rng)
    return text


# A casual request for step-by-step reasoning, as people append it.
COT_CASUAL: Final = load_strings("topics", "cot_casual")
