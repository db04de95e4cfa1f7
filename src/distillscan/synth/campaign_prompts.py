"""Campaign prompt frames: what distillation campaigns send (text from `data/campaigns.json`).

Hydra frames (data analysis, agentic coding, tool use, reasoning), rubric grading and
reasoning reconstruction, sensitive-answer rewrites, the paraphrase and low-and-slow
campaigns' tasks, and computer-use steps mixed into a reseller's traffic. Most ask for
complete step-by-step reasoning, which is what a distiller wants to collect.
"""

from __future__ import annotations

from typing import Final

from distillscan.synth.datafiles import load_rules, load_strings, load_text
from distillscan.synth.fillers import (
    CAMEL,
    PY_SNIPPETS,
    SNAKE,
    SNIPPETS_BY_SUFFIX,
    code_any,
    dataset,
    essay,
    file_path,
    fill_snippet,
    math_answer,
    math_problem,
    tree_and_path,
)
from distillscan.synth.grammar import Grammar, Rng, pick
from distillscan.synth.topics import (
    AGENTIC,
    CHAT,
    CODING,
    DATA,
    GRADING,
    MATH,
    SENSITIVE,
    TOPIC_GENS,
    TOPIC_GRAMMAR,
    VISION,
)

HYDRA_ANALYST: Final = load_strings("campaigns", "hydra_analyst_systems")
HYDRA_AGENT: Final = load_text("campaigns", "hydra_agent_system")
HYDRA_TOOLS: Final = load_text("campaigns", "hydra_tools_system")
_CAMPAIGN_G: Final = Grammar(
    {**load_rules("campaigns", "tasks"), "noun": load_rules("products", "tool")["noun"]},
    TOPIC_GRAMMAR.subset("fn_name", "small_n", "n_batch", "py_error", "n_rows", "city", "date", "name", "metric",
                         "product", "n_min", "weekday", "company", "pct", "month") | {"file_path": file_path},
)
_COT_CAMPAIGN: Final = load_strings("campaigns", "cot_tails")
_PLAIN_TAILS: Final = load_strings("campaigns", "plain_tails")


def _cot_or_plain(rng: Rng, cot_rate: float) -> tuple[str, bool]:
    """The instruction that ends a hydra prompt, and whether it asks for reasoning."""
    if rng.random() < cot_rate:
        return pick(rng, _COT_CAMPAIGN), True
    return pick(rng, _PLAIN_TAILS), False


def _hydra_data(rng: Rng, cot_rate: float) -> tuple[int, str, int, bool]:
    """A sampled CSV data set and an analysis question, under one of the analyst system prompts."""
    title, csv, question = dataset(rng)
    tail, cot = _cot_or_plain(rng, cot_rate)
    n = len(csv.splitlines()) - 1
    prompt = f"Dataset: {title} ({n} sampled rows)\n\n{csv}\n\nQuestion: {question}\n\n{tail}"
    return int(rng.random() * len(HYDRA_ANALYST)), prompt, DATA, cot


def _hydra_agent(rng: Rng, cot_rate: float) -> tuple[int, str, int, bool]:
    """A coding task on a file in a partial repository listing, with the file's code."""
    tree, path = tree_and_path(rng)
    tail, cot = _cot_or_plain(rng, cot_rate)
    suffix = path[path.rfind("."):]
    snippets = SNIPPETS_BY_SUFFIX.get(suffix, PY_SNIPPETS)
    i = int(rng.random() * len(SNAKE))
    name = SNAKE[i] if suffix in (".py", ".rs") else CAMEL[i]
    task = _CAMPAIGN_G["coding_task"](rng).replace("@PATH@", path).replace("@NAME@", name)
    prompt = (
        f"## Task\n{task}\n\n## Repository layout\n{tree}\n\n"
        f"## Relevant file: {path}\n```\n{fill_snippet(rng, pick(rng, snippets), i)}\n```\n\n## Instructions\n{tail}"
    )
    return 0, prompt, CODING, cot


def _hydra_tools(rng: Rng, cot_rate: float) -> tuple[int, str, int, bool]:
    """A goal for a tool-calling agent."""
    tail, cot = _cot_or_plain(rng, cot_rate)
    return 0, f"Goal: {_CAMPAIGN_G['tool_goal'](rng)}\n\n{tail}", AGENTIC, cot


def _hydra_reason(rng: Rng, cot_rate: float) -> tuple[int, str, int, bool]:
    """A math problem."""
    tail, cot = _cot_or_plain(rng, cot_rate)
    return 0, f"Problem:\n{math_problem(rng)}\n\n{tail}", MATH, cot


# Hydra frames, each returning (analyst system index, prompt, topic, asked for reasoning), and
# the cumulative share of rows each frame takes.
HYDRA_FRAMES: Final = (_hydra_data, _hydra_agent, _hydra_tools, _hydra_reason)
HYDRA_FRAME_CUM: Final = (0.3, 0.6, 0.8, 1.0)


RUBRIC_SYSTEM: Final = load_text("campaigns", "rubric_system")
_RUBRIC_CRITERIA: Final = load_strings("campaigns", "rubric_criteria")


def _rubric_prompt(rng: Rng) -> tuple[str, int]:
    """Score a response against a rubric, reasoning through each criterion."""
    criteria = rng.sample(_RUBRIC_CRITERIA, 3 + int(rng.random() * 3))
    rubric = "\n".join(f"{i + 1}. {c}" for i, c in enumerate(criteria))
    task_gen = TOPIC_GENS[(CODING, MATH, CHAT, DATA)[int(rng.random() * 4)]]
    response = essay(rng)
    return (
        "Score the response below against each rubric criterion on a scale of 1 to 10. Justify every score with "
        "specific evidence from the response, reasoning step by step through each criterion before assigning it, "
        f"then give an overall score.\n\n[Prompt]\n{task_gen(rng)}\n\n[Response]\n{response}\n\n[Rubric]\n{rubric}",
        GRADING,
    )


def reconstruct_prompt(rng: Rng) -> tuple[str, int]:
    """Reconstruct the full reasoning from a question to its final answer."""
    return (
        "Below is a question and its final answer. Reconstruct, in full detail, the step-by-step reasoning that leads "
        "from the question to this answer. Do not skip any step.\n\n"
        f"Question: {math_problem(rng)}\nFinal answer: {math_answer(rng)}",
        MATH,
    )


def _sensitive_rewrite_prompt(rng: Rng) -> tuple[str, int]:
    """Rewrite an answer on a sensitive topic, explaining each change step by step."""
    return (
        f"Rewrite the answer below about {TOPIC_GRAMMAR['sensitive_topic'](rng)} into a version that avoids "
        "politically sensitive claims while remaining fluent and confident. First explain step by step which "
        "statements you change and "
        f"why, then give the rewritten answer.\n\nAnswer:\n{TOPIC_GRAMMAR['sensitive_para'](rng)}",
        SENSITIVE,
    )


COT_RUBRIC_FRAMES: Final = (_rubric_prompt, _rubric_prompt, reconstruct_prompt, reconstruct_prompt,
                            _sensitive_rewrite_prompt)

# Paraphrase campaign: clause alternatives recombined per account.
_PARAPHRASE: Final = load_rules("campaigns", "paraphrase")
PARA_ROLE: Final = _PARAPHRASE["roles"]
PARA_GOAL: Final = _PARAPHRASE["goals"]
PARA_STYLE: Final = _PARAPHRASE["styles"]
PARA_PREFIX: Final = _PARAPHRASE["prefixes"]
PARA_COT: Final = _PARAPHRASE["cot"]


def para_task(rng: Rng) -> tuple[str, int]:
    """A paraphrase or low-and-slow task: a math problem, a function to write, or code to fix."""
    if rng.random() < 0.55:
        return math_problem(rng), MATH
    if rng.random() < 0.5:
        return f"Write a {TOPIC_GRAMMAR['lang'](rng)} function that {TOPIC_GRAMMAR['func_spec'](rng)}.", CODING
    return f"Find and fix the bug in this code:\n\n```\n{code_any(rng)}\n```", CODING


_LOW_SLOW: Final = load_rules("campaigns", "low_slow")
LOW_SLOW_OPENERS: Final = _LOW_SLOW["openers"]
LOW_SLOW_ASKS: Final = _LOW_SLOW["asks"]
LOW_SLOW_CLOSERS: Final = _LOW_SLOW["closers"]

COMPUTER_USE_SYSTEM: Final = load_text("campaigns", "computer_use_system")
_CU_G: Final = Grammar(load_rules("campaigns", "computer_use"), TOPIC_GRAMMAR.subset(
    "name", "small_n", "metric", "city", "date", "month", "money", "company"))


def computer_use_prompt(rng: Rng, cot_rate: float) -> tuple[str, int, bool]:
    """One computer-use step: the screen, the objective and previous actions."""
    steps = int(rng.random() * 5)
    previous = "; ".join(pick(rng, ("click(412, 230)", "type('report')", "key('ctrl+s')", "scroll(0, -3)",
                                     "click(88, 640)")) for _ in range(steps)) or "none"
    cot = rng.random() < cot_rate
    tail = ("Before acting, write out your complete reasoning about what is on the screen and what to do next, step "
            "by step. Then output the action as JSON." if cot else "Output the next action as JSON.")
    return (f"[screenshot]\nScreen: {_CU_G['screen'](rng)}\nObjective: {_CU_G['goal'](rng)}\nPrevious actions: "
            f"{previous}\n\n{tail}", VISION, cot)

