"""Evaluation harnesses: public benchmark items in canonical order, a benign look-alike of a campaign.

Each harness account runs suites (grade-school math with few-shot step-by-step prompts,
HumanEval-style completions, multiple choice, an LLM-as-judge pass with the stock
evaluator system prompt) at temperature 0 from one cloud address, in bursts of under
three hours that walk the dataset in its published order. One harness benchmarks the new
model within hours of its release. Few-shot text comes from `data/benchmarks.json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from distillscan.synth.campaign_prompts import RUBRIC_SYSTEM
from distillscan.synth.config import DAY, HOUR
from distillscan.synth.datafiles import load_strings, load_text
from distillscan.synth.fillers import essay, math_answer
from distillscan.synth.grammar import Rng, pick
from distillscan.synth.infrastructure import SDK_IDX, UA_POOL, cloud_ips
from distillscan.synth.topics import CODING, GRADING, MATH, OUT_BY
from distillscan.synth.world import Entity, Sink, World, new_org, new_payment

_FEW_SHOT: Final = load_text("benchmarks", "few_shot")
_MCQ_SUBJECTS: Final = load_strings("benchmarks", "mcq_subjects")
GSM, CODE, MCQ, JUDGE = range(4)
_SUITE_TOPIC: Final = (MATH, CODING, MATH, GRADING)


def _item(world: World, suite: int, i: int) -> str:
    """Item `i` of a suite, in the dataset's published order."""
    corpus = world.text.corpus
    if suite == CODE:
        return corpus.bench_code[i % len(corpus.bench_code)]
    if suite == JUDGE:
        chat = corpus.pools["chat"]
        return chat[i % len(chat)]
    return corpus.bench_math[i % len(corpus.bench_math)]


def _prompt(rng: Rng, suite: int, item: str) -> str:
    """A harness prompt around one item."""
    if suite == GSM:
        return f"{_FEW_SHOT}Question: {item}\nLet's think step by step.\nAnswer:"
    if suite == CODE:
        return f"Complete the following Python function so that it passes the hidden tests.\n\n```python\n{item}```"
    if suite == MCQ:
        options = "\n".join(f"({c}) {math_answer(rng)}" for c in "ABCD")
        return ("The following is a multiple choice question. Think step by step, then finish with 'The answer is "
                f"(X)'.\n\nSubject: {pick(rng, _MCQ_SUBJECTS)}\n\n{item}\n{options}\nAnswer:")
    return ("Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to "
            "the user question below. Explain your evaluation step by step, then rate the response on a scale of 1 to "
            f"10 as [[rating]].\n\n[Question]\n{item}\n\n[The Start of Assistant's Answer]\n{essay(rng)}\n"
            "[The End of Assistant's Answer]")


@dataclass(slots=True)
class _Run:
    """One evaluation run: its account, day, start, pace, suite, size and settings."""

    acct: int
    day: int
    start_s: float
    per_item_s: float
    count: int
    model: int
    suite: int
    max_tokens: int
    ip: int
    ua: int
    system: int


class Benchmark(Entity[int]):
    """One-off evaluation bursts: canonical order, single-turn, temperature 0, from one cloud IP."""

    kind = "benchmark"

    def __init__(self) -> None:
        self.runs: list[_Run] = []

    def rows(self) -> int:
        """Rows the runs send."""
        return sum(run.count for run in self.runs)

    def units(self, world: World, day: int, rng: Rng) -> list[int]:
        return [i for i, r in enumerate(self.runs) if r.day == day]

    def emit(self, world: World, payload: int, day: int, rng: Rng, sink: Sink) -> None:
        run = self.runs[payload]
        rnd = rng.random
        for i in range(run.count):
            t = run.start_s + (i + rnd() * 3) * run.per_item_s
            sink.add(run.acct, t, run.model, run.system, _prompt(rng, run.suite, _item(world, run.suite, i)),
                     sink.conversation(), 1, run.ip, run.ua, OUT_BY[True][_SUITE_TOPIC[run.suite]], 0.0,
                     run.max_tokens)


def build_benchmark(world: World, rng: Rng) -> Benchmark:
    """Harness accounts and their runs; the first re-runs grade-school math on the new model after the release."""
    bench = Benchmark()
    n = world.config.n_requests
    release_day = world.config.new_model_day
    python_uas = tuple(i for i in SDK_IDX if "python" in UA_POOL[i])
    judge_system = world.system(RUBRIC_SYSTEM)
    size = max(300, min(1319, int(n * 0.009)))
    n_accounts = min(8, 3 + n // 1_000_000)
    plans: list[tuple[int, int, int, bool]] = [(0, 1 + int(rng.random() * (release_day - 2)), GSM, False),
                                              (0, release_day, GSM, True)]
    for k in range(1, n_accounts):
        for _ in range(1 + int(rng.random() * 2)):
            suite = (CODE, MCQ, JUDGE, GSM)[(k + int(rng.random() * 2)) % 4]
            plans.append((k, 1 + int(rng.random() * (world.days - 2)), suite, rng.random() < 0.3))
    accounts = []
    for k in range(n_accounts):
        created = world.start_s - (30 + rng.random() * 400) * DAY
        acct = world.account("benchmark", f"benchmark-{k + 1:03d}", created, new_org(rng), new_payment(rng))
        accounts.append((acct, cloud_ips(world, rng, 1)[0], pick(rng, python_uas), (512, 1024, 2048)[k % 3]))
    for account, day, suite, new_model in plans:
        acct, ip, ua, max_tokens = accounts[account]
        if new_model and day == release_day:
            start = world.release_s + (3 + rng.random() * 4) * HOUR
            day = int((start - world.start_s) // DAY)
        else:
            start = world.day_start(day) + (8 + rng.random() * 10) * HOUR
        count = 164 if suite == CODE else min(size, 2 * size // 3 if suite == JUDGE else size)
        duration = (0.3 + 2.4 * rng.random()) * HOUR
        bench.runs.append(_Run(acct=acct, day=day, start_s=start, per_item_s=duration / count, count=count,
                               model=int(new_model and start >= world.release_s), suite=suite, max_tokens=max_tokens,
                               ip=ip, ua=ua, system=judge_system if suite == JUDGE else 0))
    return bench
