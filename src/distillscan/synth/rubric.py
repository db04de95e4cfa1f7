"""The reward-model campaign: a few dozen accounts grading answers against rubrics and reconstructing reasoning.

The operator's job queue opens a few windows a day; each account takes part in most of
them and also works a trickle on its own. Accounts were opened in a few sessions weeks
before the window, pay with two to four shared methods and work from a few cloud /24s
(some also from home), each with its own SDK and settings. The evaluator system prompt
is a stock one that benign judge harnesses use too; most, not all, requests ask for the
reasoning behind each score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from distillscan.synth.campaign_prompts import (
    RUBRIC_SYSTEM,
    reconstruct_prompt,
    rubric_prompt,
    sensitive_rewrite_prompt,
)
from distillscan.synth.config import DAY, HOUR
from distillscan.synth.grammar import Rng, pick
from distillscan.synth.infrastructure import host_in, new_subnet, sdk_ua
from distillscan.synth.topics import GRADING, OUT_BY
from distillscan.synth.world import Entity, Sink, World, new_org, new_payment

# (account index, the day's firing windows as (start, length) it joins, trickle rows)
RubricUnit = tuple[int, list[tuple[float, float]], int]

_TEMPS: Final = (0.0, 0.0, None, 0.2)
_MAX_TOKENS: Final = (2048, 4096, None)
# Firing windows a day, on average (two to seven).
_WINDOWS: Final = 4.5


@dataclass(slots=True)
class _Grader:
    """One rubric account: addresses, user agent, settings, how often it joins a window."""

    acct: int
    ips: tuple[int, ...]
    ua: int
    temp: float | None
    max_tokens: int | None
    join_p: float
    trickle: float
    reasoned: float


class CotRubric(Entity[RubricUnit]):
    """A group sharing a job queue: rubric grading, reasoning reconstruction, sensitive rewrites."""

    kind = "cot_rubric"

    def __init__(self, world: World, rng: Rng, rows: float, n_accounts: int, entity_id: str) -> None:
        sessions = [world.start_s - (5 + rng.random() * 55) * DAY for _ in range(2 + int(rng.random() * 3))]
        payments = [new_payment(rng) for _ in range(2 + int(rng.random() * 3))]
        subnets = [new_subnet(rng, cloud=True) for _ in range(3)]
        self.system = world.system(RUBRIC_SYSTEM)
        self.graders: list[_Grader] = []
        per_account_day = rows / (n_accounts * world.days)
        for _ in range(n_accounts):
            subnet = pick(rng, subnets)
            ips = tuple(world.ip(host_in(rng, subnet)) for _ in range(1 + int(rng.random() * 2)))
            if rng.random() < 0.3:
                ips += (world.ip(host_in(rng, new_subnet(rng, cloud=False))),)
            join_p = 0.5 + 0.4 * rng.random()
            trickle = per_account_day * (0.1 + 0.3 * rng.random())
            self.graders.append(_Grader(
                acct=world.account("cot_rubric", entity_id, pick(rng, sessions) + rng.random() * 4 * HOUR,
                                   new_org(rng), pick(rng, payments)),
                ips=ips, ua=sdk_ua(rng), temp=pick(rng, _TEMPS), max_tokens=pick(rng, _MAX_TOKENS), join_p=join_p,
                trickle=trickle, reasoned=0.6 + 0.3 * rng.random()))
        windowed = max(0.5, rows / (n_accounts * world.days) - sum(g.trickle for g in self.graders) / n_accounts)
        self.per_window = windowed / (_WINDOWS * 0.7)

    def units(self, world: World, day: int, rng: Rng) -> list[RubricUnit]:
        base = world.day_start(day)
        windows = sorted((base + rng.random() * (DAY - 3600), (10 + 30 * rng.random()) * 60)
                         for _ in range(2 + int(rng.random() * 6)))
        units = []
        for i, g in enumerate(self.graders):
            joined = [w for w in windows if rng.random() < g.join_p] or windows[:1]
            units.append((i, joined, int(g.trickle * (0.5 + rng.random()) + rng.random())))
        return units

    def emit(self, world: World, payload: RubricUnit, day: int, rng: Rng, sink: Sink) -> None:
        index, windows, trickle = payload
        g = self.graders[index]
        rnd = rng.random
        times = [start + rnd() * length for start, length in windows
                 for _ in range(max(1, int(self.per_window * (0.5 + rnd()) + rnd())))]
        base = world.day_start(day)
        times.extend(base + rnd() * DAY for _ in range(trickle))
        for t in sorted(times):
            r = rnd()
            if r < 0.45:
                cot = rnd() < g.reasoned
                (text, topic), system = rubric_prompt(rng, world.text, cot), self.system
            elif r < 0.8:
                (text, topic), system, cot = reconstruct_prompt(rng, world.text), 0, True
            else:
                (text, topic), system, cot = sensitive_rewrite_prompt(rng, world.text), 0, True
            sink.add(g.acct, t, 0, system if topic == GRADING else 0, text, sink.conversation(), 1,
                     g.ips[int(rnd() * len(g.ips))], g.ua, OUT_BY[cot][topic], g.temp, g.max_tokens)
