"""Paraphrase families: wordings a campaign varies per account so that no exact string repeats.

The hydra's analyst system prompt (the published approximation, in many wordings), the
paraphrasing campaign's system prompts (sentences reworded, reordered, with fillers and
in one of several layouts) and task wrappers, and the low-and-slow accounts' reasoning
asks. Each family is recognisable; its exact words vary with every draw.
"""

from __future__ import annotations

from typing import Final

from distillscan.synth.datafiles import load_rules, load_strings
from distillscan.synth.fillers import fn_name
from distillscan.synth.grammar import Grammar, Rng, pick
from distillscan.synth.topics import TOPIC_GRAMMAR

_ANALYST: Final = Grammar(load_rules("wording", "analyst_system"), {})["s"]
_SYSTEM: Final = Grammar(load_rules("wording", "paraphrase_system"), {})
_WRAPPER: Final = Grammar(load_rules("wording", "paraphrase_wrapper"), {})
_ASK: Final = Grammar(load_rules("wording", "reasoning_ask"), {})
_RULES: Final = ("rule_rigor", "rule_gaps", "rule_check", "rule_assume", "rule_reason", "rule_format", "rule_brevity")
_LAYOUTS: Final = 5

HYDRA_FOLLOWUPS: Final = load_strings("wording", "hydra_followups")
TOOL_RESULT: Final = Grammar({"r": load_strings("wording", "tool_results")}, TOPIC_GRAMMAR.subset(
    "n_rows", "n_batch", "py_error", "company", "small_n") | {"fn_name": fn_name})["r"]


def analyst_system(rng: Rng) -> str:
    """One wording of the data-analyst system prompt."""
    return _ANALYST(rng)


def paraphrased_system(rng: Rng) -> str:
    """One paraphrase of the reasoning-assistant system prompt: role, goal and two to five rules.

    Rules are reordered, some take a filler ("Note: "), and the whole is laid out as prose,
    lines, a bullet list, a numbered list or markdown sections.
    """
    role, goal = _SYSTEM["role"](rng), _SYSTEM["goal"](rng)
    kinds = rng.sample(_RULES, 2 + int(rng.random() * 4))
    rules = [(_SYSTEM["filler"](rng) if rng.random() < 0.2 else "") + _SYSTEM[kind](rng) for kind in kinds]
    layout = int(rng.random() * _LAYOUTS)
    if layout == 0:
        return " ".join((role, goal, *rules))
    if layout == 1:
        return "\n".join((role, goal, *rules))
    if layout == 2:
        return f"{role} {goal}\n\n" + "\n".join(f"- {rule}" for rule in rules)
    if layout == 3:
        return f"{role}\n{goal}\n" + "\n".join(f"{i + 1}. {rule}" for i, rule in enumerate(rules))
    return f"## Role\n{role}\n\n## Goal\n{goal}\n\n## Rules\n" + "\n".join(f"* {rule}" for rule in rules)


def task_wrapper(rng: Rng) -> tuple[str, str]:
    """One account's wrapper around a task: the label before it and the reasoning ask after it."""
    label = _WRAPPER["label"](rng)
    if rng.random() < 0.2:
        label = f"### {label}"
    elif rng.random() < 0.2:
        label = label.upper()
    return label + _WRAPPER["sep"](rng), _WRAPPER["cot"](rng)


def reasoning_closer(rng: Rng) -> str:
    """A request to lay out the reasoning, in one of many wordings."""
    text = _ASK["closer"](rng)
    return text[0].upper() + text[1:] if text else text


def reasoning_opener(rng: Rng) -> str:
    """A greeting or lead-in before the task."""
    return _ASK["opener"](rng)


def light_variant(rng: Rng, text: str) -> str:
    """`text` with a small edit a person makes when retyping: case, punctuation or spacing."""
    r = rng.random()
    if r < 0.3 and text:
        return text[0].lower() + text[1:]
    if r < 0.55:
        return text.rstrip(".!?: ") + pick(rng, (".", "!", "", " please.", "?"))
    if r < 0.7:
        return text.replace(", ", " ", 1)
    return text
