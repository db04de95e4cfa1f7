"""Benchmark runs: one-off evaluation bursts, a benign look-alike of a campaign.

Three accounts run templated, single-turn, step-by-step prompts at temperature 0 from
one cloud address each, in bursts of one to three hours; one re-runs its evaluation on
the new model within hours of the release. Few-shot text comes from `data/benchmarks.json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from distillscan.synth.config import DAY, HOUR
from distillscan.synth.datafiles import load_strings, load_text
from distillscan.synth.fillers import ARGS, fn_name, math_answer, math_problem
from distillscan.synth.grammar import Rng, pick
from distillscan.synth.infrastructure import SDK_IDX, UA_POOL, cloud_ips
from distillscan.synth.topics import CODING, MATH, OUT_BY, TOPIC_GRAMMAR
from distillscan.synth.world import Entity, Sink, World, new_org, new_payment

_FEW_SHOT: Final = load_text("benchmarks", "few_shot")
_MCQ_SUBJECTS: Final = load_strings("benchmarks", "mcq_subjects")


def _bench_gsm(rng: Rng) -> tuple[str, int]:
    """A grade-school math problem after two worked few-shot examples."""
    return f"{_FEW_SHOT}Question: {math_problem(rng)}\nLet's think step by step.\nAnswer:", MATH


def _bench_solve(rng: Rng) -> tuple[str, int]:
    """A math problem with a fixed answer marker."""
    return (f"Solve the following problem. Put your final answer after '####'.\n\nProblem: {math_problem(rng)}"
            "\n\nSolution: Let's think step by step.", MATH)


def _bench_mcq(rng: Rng) -> tuple[str, int]:
    """A multiple-choice math question with four numeric options."""
    options = "\n".join(f"({c}) {math_answer(rng)}" for c in "ABCD")
    return ("The following is a multiple choice question. Think step by step, then finish with 'The answer is (X)'."
            f"\n\nSubject: {pick(rng, _MCQ_SUBJECTS)}\n\n{math_problem(rng)}\n{options}\nAnswer:", MATH)


def _bench_code(rng: Rng) -> tuple[str, int]:
    """A function signature and docstring to complete, as in a code benchmark."""
    args = ", ".join(rng.sample(ARGS, 1 + int(rng.random() * 2)))
    spec = TOPIC_GRAMMAR["func_spec"](rng).capitalize()
    return ("Complete the following Python function so that it passes the hidden tests.\n\n```python\n"
            f"def {fn_name(rng)}({args}):\n    \"\"\"{spec}.\"\"\"\n```", CODING)


_BENCH_TEMPLATES: Final = (_bench_gsm, _bench_solve, _bench_mcq, _bench_code)


@dataclass(slots=True)
class _Run:
    """One evaluation run: its account, day, time span, size, template and settings."""

    acct: int
    day: int
    start_s: float
    duration_s: float
    count: int
    model: int
    template: int
    max_tokens: int
    ip: int
    ua: int


class Benchmark(Entity[int]):
    """One-off evaluation bursts: templated, single-turn, temperature 0, from one cloud IP."""

    kind = "benchmark"

    def __init__(self) -> None:
        self.runs: list[_Run] = []

    def units(self, world: World, day: int, rng: Rng) -> list[int]:
        return [i for i, r in enumerate(self.runs) if r.day == day]

    def emit(self, world: World, payload: int, day: int, rng: Rng, sink: Sink) -> None:
        run = self.runs[payload]
        times = sorted(run.start_s + rng.random() * run.duration_s for _ in range(run.count))
        for t in times:
            text, topic = _BENCH_TEMPLATES[run.template](rng)
            sink.add(run.acct, t, run.model, 0, text, sink.conversation(), 1, run.ip, run.ua,
                     OUT_BY[True][topic], 0.0, run.max_tokens)


def _bench_size(rng: Rng, n_requests: int) -> int:
    """Rows in one run: about 0.9% of the log, between 500 and 3,000."""
    return max(500, min(3000, int(n_requests * 0.009 * (0.8 + 0.4 * rng.random()))))


def build_benchmark(world: World, rng: Rng) -> Benchmark:
    """Three benchmark accounts and their four runs, one right after the release."""
    bench = Benchmark()
    n = world.config.n_requests
    release_day = world.config.new_model_day
    python_uas = tuple(i for i in SDK_IDX if "python" in UA_POOL[i])
    accounts = []
    for k in range(3):
        created = world.start_s - (30 + rng.random() * 400) * DAY
        acct = world.account("benchmark", f"benchmark-{k + 1:03d}", created, new_org(rng), new_payment(rng))
        ip = cloud_ips(world, rng, 1)[0]
        accounts.append((acct, ip, pick(rng, python_uas), (512, 1024, 2048)[k]))
    # (account, day, template, on the new model): account 0 re-runs its eval right after the release.
    plans = ((0, 1 + int(rng.random() * (release_day - 2)), 0, False),
             (1, 2 + int(rng.random() * (world.days - 3)), 3, rng.random() < 0.5),
             (2, 1 + int(rng.random() * (world.days - 2)), 1 + int(rng.random() * 2), rng.random() < 0.5),
             (0, release_day, 0, True))
    for account, day, template, new_model in plans:
        acct, ip, ua, max_tokens = accounts[account]
        if new_model and day == release_day:
            start = world.release_s + (3 + rng.random() * 4) * HOUR
            day = int((start - world.start_s) // DAY)
        else:
            start = world.day_start(day) + (8 + rng.random() * 10) * HOUR
        bench.runs.append(_Run(acct=acct, day=day, start_s=start, duration_s=(1 + 2 * rng.random()) * HOUR,
                               count=_bench_size(rng, n), model=int(new_model and start >= world.release_s),
                               template=template, max_tokens=max_tokens, ip=ip, ua=ua))
    return bench
