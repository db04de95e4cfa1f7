"""The low-and-slow campaign: hundreds of aged accounts that look like careful people.

Each account was created months before the window and sends 10 to 30 requests on most
days at human hours in its own time zone, from one home address, with its own payment
and user agent; some set a system prompt or a temperature. Each wraps its task in a
reasoning-eliciting lead-in and ask that it words in its own way (the family is
recognisable, the exact words are not). The tasks are public instruction items drawn
mostly from one pool the operator shares across the campaign, so accounts share items
far more than chance predicts, plus items of each account's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from distillscan.synth.config import DAY, HOUR
from distillscan.synth.grammar import Rng, pick
from distillscan.synth.infrastructure import host_in, new_subnet, personal_uas
from distillscan.synth.products import HELPFUL_SYSTEMS, PERSONAL_SYSTEM
from distillscan.synth.timing import DIURNAL, N_DIURNAL_WEEKDAY, TIMEZONES, local_second, spread
from distillscan.synth.topics import CHAT, CODING, MATH, OUT_BY
from distillscan.synth.wording import light_variant, reasoning_closer, reasoning_opener
from distillscan.synth.world import Entity, Sink, World, new_org, new_payment

# The share of requests that get one follow-up turn.
_FOLLOW_UP: Final = 0.12
# (account index, rows today)
SlowUnit = tuple[int, int]

# Task kinds of the shared pool and of each account's own items, with their topics.
_KINDS: Final = (("chat", CHAT), ("chat", CHAT), ("coding", CODING), ("math", MATH), ("math", MATH), ("reading", CHAT))
_ITEMS_PER_ACCOUNT: Final = 12
_TEMPS: Final = (0.2, 0.5, 0.7, 0.7, 1.0)
_MAX_TOKENS: Final = (1024, 2048, 4096)


@dataclass(slots=True)
class _Slow:
    """One low-and-slow account: its rate, hours, address, wording and settings."""

    acct: int
    rate: float
    p_day: float
    forced_day: int
    tz_s: float
    table: int
    ip: int
    ua: tuple[int, ...]
    opener: str
    opener_rate: float
    closers: tuple[str, ...]
    ask_first: bool
    own_share: float
    system: int
    temp: float | None
    max_tokens: int | None
    switch_s: float


class LowSlow(Entity[SlowUnit]):
    """Aged accounts at human rates and hours, sharing one pool of task items."""

    kind = "low_slow"

    def __init__(self, world: World, rng: Rng, n_accounts: int, entity_id: str) -> None:
        text = world.text
        self.pool = tuple((text.any(rng, kind), topic) for kind, topic in
                          (_KINDS[int(rng.random() * len(_KINDS))] for _ in range(
                              max(200, n_accounts * _ITEMS_PER_ACCOUNT))))
        self.members: list[_Slow] = []
        for _ in range(n_accounts):
            system = 0
            if rng.random() < 0.3:
                system = world.system(pick(rng, HELPFUL_SYSTEMS) if rng.random() < 0.5 else PERSONAL_SYSTEM(rng))
            closer = reasoning_closer(rng)
            self.members.append(_Slow(
                acct=world.account("low_slow", entity_id, world.start_s - (60 + rng.random() * 340) * DAY,
                                   new_org(rng), new_payment(rng)),
                rate=10 + 20 * rng.random(), p_day=0.55 + 0.3 * rng.random(),
                forced_day=1 + int(rng.random() * (world.days - 2)),
                tz_s=TIMEZONES[int(rng.random() * len(TIMEZONES))] * HOUR,
                table=int(rng.random() * N_DIURNAL_WEEKDAY), ip=world.ip(host_in(rng, new_subnet(rng, cloud=False))),
                ua=personal_uas(rng), opener=reasoning_opener(rng), opener_rate=0.3 + 0.6 * rng.random(),
                closers=(closer, closer, light_variant(rng, closer)), ask_first=rng.random() < 0.2,
                own_share=0.1 + 0.2 * rng.random(), system=system,
                temp=pick(rng, _TEMPS) if rng.random() < 0.35 else None,
                max_tokens=pick(rng, _MAX_TOKENS) if rng.random() < 0.25 else None,
                switch_s=world.release_s + rng.expovariate(1 / (4 * DAY)) if rng.random() < 0.2 else math.inf))

    def rows(self, days: int) -> float:
        """Rows expected over `days` days."""
        return sum(m.rate * m.p_day for m in self.members) * days * (1 + _FOLLOW_UP)

    def units(self, world: World, day: int, rng: Rng) -> list[SlowUnit]:
        rnd = rng.random
        units = []
        for i, m in enumerate(self.members):
            if rnd() < m.p_day or day == m.forced_day:
                units.append((i, max(1, int(m.rate * (0.7 + 0.6 * rnd()) + rnd()))))
        return units

    def emit(self, world: World, payload: SlowUnit, day: int, rng: Rng, sink: Sink) -> None:
        index, n = payload
        m = self.members[index]
        rnd = rng.random
        text = world.text
        base = world.day_start(day) - m.tz_s
        table = DIURNAL[m.table + (N_DIURNAL_WEEKDAY if world.weekend(day) else 0)]
        for t in sorted(base + local_second(rng, table) for _ in range(n)):
            if rnd() < m.own_share:
                kind, topic = _KINDS[int(rnd() * len(_KINDS))]
                task = text.any(rng, kind)
            else:
                task, topic = self.pool[int(rnd() * len(self.pool))]
            ask = pick(rng, m.closers)
            opener = m.opener if rnd() < m.opener_rate else ""
            prompt = f"{opener}{ask}\n\n{task}" if m.ask_first else f"{opener}{task}\n\n{ask}"
            model = 1 if t >= m.switch_s and rnd() < 0.5 else 0
            conv = sink.conversation()
            sink.add(m.acct, t, model, m.system, prompt, conv, 1, m.ip, m.ua[int(rnd() * len(m.ua))],
                     OUT_BY[True][topic], m.temp, m.max_tokens)
            if rnd() < _FOLLOW_UP:
                sink.add(m.acct, t + spread(rng, 90.0, 0.8), model, m.system, text.later(rng, topic), conv, 2, m.ip,
                         m.ua[0], OUT_BY[False][topic], m.temp, m.max_tokens)
