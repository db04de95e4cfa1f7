"""Campaign prompt frames: what distillation campaigns send (text from `data/campaigns.json`).

Hydra frames (data analysis, agentic coding, tool use, reasoning on public math items,
general instructions), rubric grading and reasoning reconstruction, sensitive-answer
rewrites, and computer-use steps. A frame returns the task; the caller adds its own tail
(a reasoning ask, or a plain instruction), so tails vary by crew and account.
"""

from __future__ import annotations

from typing import Final

from distillscan.synth.datafiles import load_rules, load_strings, load_text
from distillscan.synth.fillers import (
    CAMEL,
    PY_SNIPPETS,
    SNAKE,
    SNIPPETS_BY_SUFFIX,
    dataset,
    essay,
    file_path,
    fill_snippet,
    math_answer,
    tree_and_path,
)
from distillscan.synth.grammar import Grammar, Rng, pick
from distillscan.synth.text import Text
from distillscan.synth.topics import AGENTIC, CHAT, CODING, DATA, GRADING, MATH, SENSITIVE, TOPIC_GRAMMAR, VISION

HYDRA_AGENT: Final = load_text("campaigns", "hydra_agent_system")
HYDRA_TOOLS: Final = load_text("campaigns", "hydra_tools_system")
_CAMPAIGN_G: Final = Grammar(
    {**load_rules("campaigns", "tasks"), "noun": load_rules("products", "tool")["noun"]},
    TOPIC_GRAMMAR.subset("fn_name", "small_n", "n_batch", "py_error", "n_rows", "city", "date", "name", "metric",
                         "product", "n_min", "weekday", "company", "pct", "month") | {"file_path": file_path},
)
COT_TAILS: Final = load_strings("campaigns", "cot_tails")
PLAIN_TAILS: Final = load_strings("campaigns", "plain_tails")

# Hydra frames, by index: the topic each covers.
DATA_FRAME, AGENT_FRAME, TOOLS_FRAME, REASON_FRAME, INSTRUCT_FRAME = range(5)
FRAME_TOPICS: Final = (DATA, CODING, AGENTIC, MATH, CHAT)


def _data_task(rng: Rng, text: Text) -> str:
    """A sampled CSV data set and an analysis question."""
    title, csv, question = dataset(rng)
    n = len(csv.splitlines()) - 1
    return f"Dataset: {title} ({n} sampled rows)\n\n{csv}\n\nQuestion: {question}"


def _agent_task(rng: Rng, text: Text) -> str:
    """A coding task on a file in a partial repository listing, with the file's code; or a public coding item."""
    if rng.random() < 0.4:
        return f"## Task\n{text.any(rng, 'coding')}"
    tree, path = tree_and_path(rng)
    suffix = path[path.rfind("."):]
    snippets = SNIPPETS_BY_SUFFIX.get(suffix, PY_SNIPPETS)
    i = int(rng.random() * len(SNAKE))
    name = SNAKE[i] if suffix in (".py", ".rs") else CAMEL[i]
    task = _CAMPAIGN_G["coding_task"](rng).replace("@PATH@", path).replace("@NAME@", name)
    return (f"## Task\n{task}\n\n## Repository layout\n{tree}\n\n"
            f"## Relevant file: {path}\n```\n{fill_snippet(rng, pick(rng, snippets), i)}\n```")


def _tools_task(rng: Rng, text: Text) -> str:
    """A goal for a tool-calling agent."""
    return f"Goal: {_CAMPAIGN_G['tool_goal'](rng)}"


def _reason_task(rng: Rng, text: Text) -> str:
    """A public math item."""
    return f"Problem:\n{text.any(rng, 'math')}"


def _instruct_task(rng: Rng, text: Text) -> str:
    """A public instruction item (chat or reading)."""
    return text.any(rng, "chat" if rng.random() < 0.7 else "reading")


HYDRA_FRAMES: Final = (_data_task, _agent_task, _tools_task, _reason_task, _instruct_task)

RUBRIC_SYSTEM: Final = load_text("campaigns", "rubric_system")
_RUBRIC_CRITERIA: Final = load_strings("campaigns", "rubric_criteria")
_RUBRIC_REASONED: Final = ("Score the response below against each rubric criterion on a scale of 1 to 10. Justify "
                           "every score with specific evidence from the response, reasoning step by step through each "
                           "criterion before assigning it, then give an overall score.")
_RUBRIC_PLAIN: Final = ("Score the response below against each rubric criterion on a scale of 1 to 10. Return only a "
                        "JSON object mapping each criterion to its score, plus \"overall\".")


def rubric_prompt(rng: Rng, text: Text, reasoned: bool) -> tuple[str, int]:
    """Score a response (to a public prompt) against a rubric, with or without the reasoning."""
    criteria = rng.sample(_RUBRIC_CRITERIA, 3 + int(rng.random() * 3))
    rubric = "\n".join(f"{i + 1}. {c}" for i, c in enumerate(criteria))
    task = text.any(rng, pick(rng, ("chat", "coding", "math", "chat")))
    head = _RUBRIC_REASONED if reasoned else _RUBRIC_PLAIN
    return f"{head}\n\n[Prompt]\n{task}\n\n[Response]\n{essay(rng)}\n\n[Rubric]\n{rubric}", GRADING


def reconstruct_prompt(rng: Rng, text: Text) -> tuple[str, int]:
    """Reconstruct the full reasoning from a public math question to its final answer."""
    return (
        "Below is a question and its final answer. Reconstruct, in full detail, the step-by-step reasoning that leads "
        "from the question to this answer. Do not skip any step.\n\n"
        f"Question: {text.any(rng, 'math')}\nFinal answer: {math_answer(rng)}",
        MATH,
    )


def sensitive_rewrite_prompt(rng: Rng, text: Text) -> tuple[str, int]:
    """Rewrite an answer on a sensitive topic, explaining each change step by step."""
    return (
        f"Rewrite the answer below about {TOPIC_GRAMMAR['sensitive_topic'](rng)} into a version that avoids "
        "politically sensitive claims while remaining fluent and confident. First explain step by step which "
        "statements you change and "
        f"why, then give the rewritten answer.\n\nAnswer:\n{TOPIC_GRAMMAR['sensitive_para'](rng)}",
        SENSITIVE,
    )


COMPUTER_USE_SYSTEM: Final = load_text("campaigns", "computer_use_system")
_CU_G: Final = Grammar(load_rules("campaigns", "computer_use"), TOPIC_GRAMMAR.subset(
    "name", "small_n", "metric", "city", "date", "month", "money", "company"))
_CU_ACTIONS: Final = ("click(412, 230)", "type('report')", "key('ctrl+s')", "scroll(0, -3)", "click(88, 640)")


def computer_use_prompt(rng: Rng, cot_rate: float) -> tuple[str, int, bool]:
    """One computer-use step: the screen, the objective and previous actions."""
    steps = int(rng.random() * 5)
    previous = "; ".join(pick(rng, _CU_ACTIONS) for _ in range(steps)) or "none"
    cot = rng.random() < cot_rate
    tail = ("Before acting, write out your complete reasoning about what is on the screen and what to do next, step "
            "by step. Then output the action as JSON." if cot else "Output the next action as JSON.")
    return (f"[screenshot]\nScreen: {_CU_G['screen'](rng)}\nObjective: {_CU_G['goal'](rng)}\nPrevious actions: "
            f"{previous}\n\n{tail}", VISION, cot)
