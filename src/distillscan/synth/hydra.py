"""The hydra: thousands of small accounts behind rotating residential proxies, run by one operator.

Accounts are created in a steady stream (most before the window, some during it), some
are retired early, and each sends a heavy-tailed volume. The operator runs them in crews
of a few dozen: a crew shares its settings (temperature, max_tokens, user agents, frame
mix, system prompt wordings, reasoning asks, hours), and payment methods are shared in
small clusters across crews. Most requests leave through a new exit address of a large
proxy pool that unrelated customers of the same provider also use, so an account holds
hundreds to thousands of addresses and /24s. Timing is load-balanced but jittered, over
a crew's own daily swell; some tasks run several turns. Within a day of the release each
account moves part of its traffic to the new model, at its own time and share.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Final

from distillscan.synth.campaign_prompts import (
    AGENT_FRAME,
    COT_TAILS,
    DATA_FRAME,
    FRAME_TOPICS,
    HYDRA_AGENT,
    HYDRA_FRAMES,
    HYDRA_TOOLS,
    PLAIN_TAILS,
    TOOLS_FRAME,
)
from distillscan.synth.config import DAY, HOUR
from distillscan.synth.grammar import Rng, pick
from distillscan.synth.infrastructure import sdk_ua
from distillscan.synth.products import HELPFUL_SYSTEMS, TOOL_SYSTEM
from distillscan.synth.timing import cumulative, local_second, spread
from distillscan.synth.topics import AGENTIC, CODING, OUT_BY
from distillscan.synth.wording import HYDRA_FOLLOWUPS, TOOL_RESULT, analyst_system
from distillscan.synth.world import Entity, Sink, World, new_org, new_payment

# (account index in the hydra, rows today)
HydraUnit = tuple[int, int]

_CREW_SIZE: Final = 50
# Per-account volume: log-normal spread; the share of active days an account works.
_VOLUME_SIGMA: Final = 1.1
_P_ACTIVE: Final = 0.9
_FRAME_WEIGHTS: Final = (0.28, 0.28, 0.16, 0.16, 0.12)
_TEMPS: Final = (None, 0.6, 0.7, 0.8, 1.0, 0.0, 0.2, 0.5)
_MAX_TOKENS: Final = (None, 2048, 4096, 8192, 1024)


@dataclass(slots=True)
class _Crew:
    """Settings shared by one crew of accounts."""

    hours: tuple[float, ...]
    frames: tuple[float, ...]
    analyst: tuple[int, ...]
    agent: int
    tools: int
    plain: int
    temps: tuple[float | None, ...]
    max_tokens: tuple[int | None, ...]
    uas: tuple[int, ...]
    cot_rate: float
    tails: tuple[str, ...]
    multi_turn: float
    adopt_q: float


@dataclass(slots=True)
class _Drone:
    """One hydra account: its crew, daily rate, working days, proxy rotation and model pivot."""

    acct: int
    crew: int
    rate: float
    first_day: int
    last_day: int
    forced_day: int
    ua: int
    rotate: float
    switch_s: float
    adopt_q: float


def _crew(world: World, rng: Rng) -> _Crew:
    """One crew's settings, each drawn on its own."""
    peak, amp = rng.random() * 24, 0.15 + 0.45 * rng.random()
    hours = cumulative([max(0.05, (1 + amp * math.cos(2 * math.pi * (h - peak) / 24)) * (0.85 + 0.3 * rng.random()))
                        for h in range(24)])
    weights = [w * (0.3 + 1.4 * rng.random()) for w in _FRAME_WEIGHTS]
    weights[int(rng.random() * len(weights))] *= 1 + 3 * rng.random()
    plain = world.system(pick(rng, HELPFUL_SYSTEMS)) if rng.random() < 0.4 else 0
    return _Crew(
        hours=hours, frames=tuple(c / sum(weights) for c in cumulative(weights)),
        analyst=tuple(world.system(analyst_system(rng)) for _ in range(1 + int(rng.random() * 3))),
        agent=world.system(TOOL_SYSTEM if rng.random() < 0.5 else HYDRA_AGENT), tools=world.system(HYDRA_TOOLS),
        plain=plain, temps=tuple(rng.sample(_TEMPS, 1 + int(rng.random() * 2))),
        max_tokens=tuple(rng.sample(_MAX_TOKENS, 1 + int(rng.random() * 2))),
        uas=tuple(sdk_ua(rng) for _ in range(1 + int(rng.random() * 2))), cot_rate=0.45 + 0.4 * rng.random(),
        tails=tuple(rng.sample(COT_TAILS, 2 + int(rng.random() * 2))), multi_turn=0.1 + 0.3 * rng.random(),
        adopt_q=0.3 + 0.4 * rng.random(),
    )


def _clustered_payments(rng: Rng, count: int) -> list[str]:
    """Payment methods for `count` accounts: a fifth alone, the rest shared by two to six."""
    payments: list[str] = []
    while len(payments) < count:
        size = 1 if rng.random() < 0.2 else 2 + int(rng.random() * 5)
        payments.extend([new_payment(rng)] * size)
    del payments[count:]
    rng.shuffle(payments)
    return payments


class Hydra(Entity[HydraUnit]):
    """Thousands of small accounts, in crews, behind a rotating residential proxy pool."""

    kind = "hydra"

    def __init__(self, world: World, rng: Rng, rows: float, n_accounts: int, entity_id: str,
                 pool: tuple[int, ...]) -> None:
        days = world.days
        self.pool = pool
        self.crews = [_crew(world, rng) for _ in range(max(2, round(n_accounts / _CREW_SIZE)))]
        payments = _clustered_payments(rng, n_accounts)
        self.drones: list[_Drone] = []
        weights: list[float] = []
        for payment in payments:
            if rng.random() < 0.65:
                created = world.start_s - rng.random() * 90 * DAY
            else:
                created = world.start_s + rng.random() * (days - 4) * DAY
            first_day = max(0, math.ceil((created + (2 + rng.random() * 46) * HOUR - world.start_s) / DAY))
            last_day = days if rng.random() < 0.8 else min(days, first_day + 1 + int(rng.random() * days))
            forced_day = first_day + int(rng.random() * (last_day - first_day))
            crew = int(rng.random() * len(self.crews))
            switch_s = world.release_s + rng.random() ** 2 * 20 * HOUR if rng.random() < 0.9 else math.inf
            self.drones.append(_Drone(
                acct=world.account("hydra", entity_id, created, new_org(rng), payment), crew=crew, rate=0.0,
                first_day=first_day, last_day=last_day, forced_day=forced_day, ua=pick(rng, self.crews[crew].uas),
                rotate=0.65 + 0.3 * rng.random(), switch_s=switch_s,
                adopt_q=min(0.95, max(0.1, self.crews[crew].adopt_q + 0.15 * rng.gauss(0.0, 1.0)))))
            weights.append(math.exp(_VOLUME_SIGMA * rng.gauss(0.0, 1.0)))
        scale = rows / max(sum(weights), 1e-9)
        for drone, weight in zip(self.drones, weights, strict=True):
            drone.rate = weight * scale / (drone.last_day - drone.first_day) / _P_ACTIVE

    def units(self, world: World, day: int, rng: Rng) -> list[HydraUnit]:
        rnd = rng.random
        factors = [0.6 + 0.8 * rnd() for _ in self.crews]
        units = []
        for i, d in enumerate(self.drones):
            if d.first_day <= day < d.last_day and (rnd() < _P_ACTIVE or day == d.forced_day):
                n = int(d.rate * factors[d.crew] * (0.5 + rnd()) + rnd())
                if n or day == d.forced_day:
                    units.append((i, max(n, 1)))
        return units

    def emit(self, world: World, payload: HydraUnit, day: int, rng: Rng, sink: Sink) -> None:
        index, n = payload
        d = self.drones[index]
        crew = self.crews[d.crew]
        rnd = rng.random
        pool, text = self.pool, world.text
        base = world.day_start(day)
        times = sorted(base + local_second(rng, crew.hours) for _ in range(n))
        ip = pool[int(rnd() * len(pool))]
        k = 0
        while k < n:
            t = times[k]
            frame = bisect.bisect_right(crew.frames, rnd())
            frame = min(frame, len(HYDRA_FRAMES) - 1)
            topic = FRAME_TOPICS[frame]
            task = HYDRA_FRAMES[frame](rng, text)
            cot = rnd() < crew.cot_rate
            tail = pick(rng, crew.tails) if cot else pick(rng, PLAIN_TAILS)
            system = (pick(rng, crew.analyst) if frame == DATA_FRAME else crew.agent if frame == AGENT_FRAME
                      else crew.tools if frame == TOOLS_FRAME else crew.plain)
            temp = crew.temps[int(rnd() * len(crew.temps))]
            max_tokens = crew.max_tokens[int(rnd() * len(crew.max_tokens))]
            model = 1 if t >= d.switch_s and rnd() < d.adopt_q else 0
            if rnd() < d.rotate:
                ip = pool[int(rnd() * len(pool))]
            conv = sink.conversation()
            sink.add(d.acct, t, model, system, f"{task}\n\n{tail}", conv, 1, ip, d.ua, OUT_BY[cot][topic], temp,
                     max_tokens)
            k += 1
            turn = 1
            while k < n and rnd() < crew.multi_turn:
                turn += 1
                t += spread(rng, 40.0, 0.8)
                follow = TOOL_RESULT(rng) if topic in (AGENTIC, CODING) else pick(rng, HYDRA_FOLLOWUPS)
                if rnd() < 0.5 * d.rotate:
                    ip = pool[int(rnd() * len(pool))]
                sink.add(d.acct, t, model, system, follow, conv, turn, ip, d.ua, OUT_BY[cot][topic], temp, max_tokens)
                k += 1
