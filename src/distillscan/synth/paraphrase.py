"""The paraphrasing campaign: hundreds of accounts, each with its own wording of one system prompt.

Every account holds its own paraphrase of a reasoning-assistant system prompt (reworded,
reordered, with fillers and its own layout) and of the wrapper around each task (a label
before it, a reasoning ask after it), and sends public math, coding and instruction items
in it, now and then asking on in a second turn. Infrastructure is clean-ish: an account's
own home or cloud address, its own payment, a common SDK. Each account scripts its
requests in a daily block of hours at its own rate, as independent Poisson arrivals, with
its own settings; some try the new model some days after its release.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from distillscan.synth.config import DAY, HOUR
from distillscan.synth.grammar import Rng, pick
from distillscan.synth.infrastructure import cloud_ips, residential_ips, sdk_ua
from distillscan.synth.timing import spread
from distillscan.synth.topics import CHAT, CODING, MATH, OUT_BY
from distillscan.synth.wording import HYDRA_FOLLOWUPS, light_variant, paraphrased_system, task_wrapper
from distillscan.synth.world import Entity, Sink, World, new_org, new_payment, volumes

# (account index, rows today)
ParaUnit = tuple[int, int]

_TASK_KINDS: Final = (("math", MATH), ("math", MATH), ("coding", CODING), ("coding", CODING), ("chat", CHAT))
_TEMPS: Final = (None, 0.3, 0.6, 0.7, 0.8, 1.0)
_MAX_TOKENS: Final = (None, 2048, 4096, 8192)
# The share of tasks followed by a second turn (continue, verify).
_FOLLOW_UP: Final = 0.1


@dataclass(slots=True)
class _Writer:
    """One paraphrasing account: its wordings, hours, rate, addresses and settings."""

    acct: int
    system: int
    prefix: str
    closers: tuple[str, ...]
    rate: float
    p_day: float
    forced_day: int
    first_day: int
    start_h: float
    span_h: float
    ips: tuple[int, ...]
    ua: int
    temp: float | None
    max_tokens: int | None
    cot_rate: float
    switch_s: float
    adopt_q: float


class Paraphrase(Entity[ParaUnit]):
    """Hundreds of accounts, each paraphrasing the same system prompt and task wrapper."""

    kind = "paraphrase"

    def __init__(self, world: World, rng: Rng, rows: float, n_accounts: int, entity_id: str) -> None:
        days = world.days
        self.writers: list[_Writer] = []
        for total in volumes(rng, n_accounts, rows / (1 + _FOLLOW_UP), rows, 0.5):
            if rng.random() < 0.85:
                created = world.start_s - (3 + rng.random() * 80) * DAY
            else:
                created = world.start_s + rng.random() * 6 * DAY
            first_day = max(0, math.ceil((created - world.start_s) / DAY) + 1)
            p_day = 0.7 + 0.3 * rng.random()
            prefix, closer = task_wrapper(rng)
            switch = world.release_s + rng.expovariate(1 / (1.5 * DAY)) if rng.random() < 0.5 else math.inf
            self.writers.append(_Writer(
                acct=world.account("paraphrase", entity_id, created, new_org(rng), new_payment(rng)),
                system=world.system(paraphrased_system(rng)), prefix=prefix,
                closers=(closer, closer, closer, light_variant(rng, closer)),
                rate=total / ((days - first_day) * p_day), p_day=p_day,
                forced_day=first_day + int(rng.random() * (days - 1 - first_day)), first_day=first_day,
                start_h=rng.random() * 24, span_h=6 + 12 * rng.random(),
                ips=residential_ips(world, rng) if rng.random() < 0.55 else cloud_ips(
                    world, rng, 1 + int(rng.random() * 2)),
                ua=sdk_ua(rng), temp=pick(rng, _TEMPS), max_tokens=pick(rng, _MAX_TOKENS),
                cot_rate=0.8 + 0.2 * rng.random(), switch_s=switch, adopt_q=0.3 + 0.6 * rng.random()))

    def units(self, world: World, day: int, rng: Rng) -> list[ParaUnit]:
        rnd = rng.random
        units = []
        for i, w in enumerate(self.writers):
            if day >= w.first_day and (rnd() < w.p_day or day == w.forced_day):
                units.append((i, max(1 if day == w.forced_day else 0, int(w.rate * (0.6 + 0.8 * rnd()) + rnd()))))
        return [unit for unit in units if unit[1]]

    def emit(self, world: World, payload: ParaUnit, day: int, rng: Rng, sink: Sink) -> None:
        index, n = payload
        w = self.writers[index]
        rnd = rng.random
        text = world.text
        base = world.day_start(day) + w.start_h * HOUR
        for t in sorted(base + rnd() * w.span_h * HOUR for _ in range(n)):
            kind, topic = _TASK_KINDS[int(rnd() * len(_TASK_KINDS))]
            task = text.any(rng, kind)
            cot = rnd() < w.cot_rate
            prompt = f"{w.prefix}{task}\n\n{pick(rng, w.closers)}" if cot else f"{w.prefix}{task}"
            model = 1 if t >= w.switch_s and rnd() < w.adopt_q else 0
            conv, ip = sink.conversation(), w.ips[int(rnd() * len(w.ips))]
            sink.add(w.acct, t, model, w.system, prompt, conv, 1, ip, w.ua, OUT_BY[cot][topic], w.temp, w.max_tokens)
            if rnd() < _FOLLOW_UP:
                sink.add(w.acct, t + spread(rng, 50.0, 0.6), model, w.system, pick(rng, HYDRA_FOLLOWUPS), conv, 2, ip,
                         w.ua, OUT_BY[cot][topic], w.temp, w.max_tokens)
