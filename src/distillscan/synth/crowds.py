"""Human crowds: people who open sessions at their own hours and hold multi-turn conversations.

Each person has a timezone, a wake-up hour and hours of sleep, a heavy-tailed volume
spread over active days, topics they favour, and habits (system prompt, temperature,
max_tokens, user agents, addresses, how often they paste a public dataset item or ask
for step-by-step reasoning). They open sessions at diurnal times, sometimes paste a
document, and some try the new model some time after its release. The populations
(ordinary users, campus students, the popular tool's users, ...) are built in `people`.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from distillscan.synth.config import DAY, HOUR
from distillscan.synth.grammar import Rng, pick
from distillscan.synth.products import TOOL_FOLLOWUP, TOOL_TASK, TOOL_WRAP
from distillscan.synth.timing import (
    DIURNAL,
    N_DIURNAL_WEEKDAY,
    SLEEP_HOURS,
    WAKE_HOURS,
    cumulative,
    geometric,
    local_second,
    log_continue,
    spread,
)
from distillscan.synth.topics import CHAT, CODING, COT_CASUAL, MATH, OUT_BY, framed
from distillscan.synth.world import Entity, Sink, World, switch_time

# The chance a conversation goes on after each turn.
TURN_CONTINUE: Final = 0.5
# The share of first messages that paste a document, code or log.
PASTE_RATE: Final = 0.012
_WEEKDAY_FACTOR: Final = 1.08
_WEEKEND_FACTOR: Final = 0.8

ORDINARY_TOPIC_WEIGHTS: Final = (0.40, 0.24, 0.04, 0.10, 0.08, 0.07, 0.03, 0.04)
STUDENT_TOPIC_WEIGHTS: Final = (0.28, 0.25, 0.03, 0.2, 0.08, 0.06, 0.06, 0.04)
_TOOL_TOPIC_WEIGHTS: Final = (0.0, 0.4, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0)
_TOPIC_TABLE: Final = 1000
# Public dataset items people paste, by corpus kind, with their topics.
_DATASET_KINDS: Final = (("math", MATH), ("math", MATH), ("coding", CODING), ("chat", CHAT), ("reading", CHAT))


def _topic_table(weights: Sequence[float]) -> tuple[int, ...]:
    """Topic indices in proportion to their weights, for a one-draw weighted pick."""
    total = sum(weights)
    cum = cumulative(weights)
    return tuple(min(bisect.bisect_right(cum, (i + 0.5) / _TOPIC_TABLE * total), len(weights) - 1)
                 for i in range(_TOPIC_TABLE))


# Ordinary users' topic mix, also what resellers' end users ask about.
ORDINARY_TOPICS: Final = _topic_table(ORDINARY_TOPIC_WEIGHTS)


@dataclass(slots=True)
class _Human:
    """One person: timezone, hours, activity, addresses, habits and when they try the new model."""

    acct: int
    tz_s: float
    table_wd: int
    table_we: int
    p_day: float
    log_q: float
    first_day: int
    forced_day: int
    ips: tuple[int, ...]
    uas: tuple[int, ...]
    system: int
    temps: tuple[float | None, ...]
    max_tokens: tuple[int | None, ...]
    focus: int
    focus_p: float
    cot_rate: float
    switch_s: float
    adopt_q: float
    upper: bool
    dataset_p: float


class Crowd(Entity[int]):
    """Independent people: diurnal sessions in their own timezone, multi-turn conversations."""

    def __init__(self, kind: str, topic_weights: Sequence[float], tool: bool) -> None:
        self.kind = kind
        self.humans: list[_Human] = []
        self.topics = _topic_table(topic_weights if not tool else _TOOL_TOPIC_WEIGHTS)
        self.tool = tool

    def add(self, world: World, rng: Rng, *, total: float, created_s: float, entity_id: str, tz_h: float,
            ips: tuple[int, ...], uas: tuple[int, ...], org_id: str | None, payment: str, system: int,
            temps: tuple[float | None, ...], max_tokens: tuple[int | None, ...], dataset_p: float = 0.0,
            cot_rate: float | None = None) -> None:
        """Add one person expected to send about `total` requests over the window.

        `dataset_p` is the share of their first messages that paste a public dataset item;
        `cot_rate` the share that ask for step-by-step reasoning (default: a few percent).
        """
        acct = world.account(self.kind, entity_id, created_s, org_id, payment)
        days = world.days
        created_day = int((created_s - world.start_s) // DAY)
        # A local day reaches up to ten hours into the previous UTC day: start two days after creation.
        first_day = max(0, created_day + 2)
        forced_day = first_day + int(rng.random() * (days - 1 - first_day))
        forced_day = min(max(forced_day, 1), days - 2)
        first_day = min(first_day, forced_day)
        weights = [_WEEKEND_FACTOR if world.weekend(d) else _WEEKDAY_FACTOR for d in range(first_day, days)]
        others = sum(weights) - weights[forced_day - first_day]
        per_active = min(60.0, max(1.5, spread(rng, 5.0, 0.7)))
        active_days = min(max(total / per_active, 1.0), 1.0 + 0.9 * others / _WEEKDAY_FACTOR)
        p_day = min((active_days - 1.0) / others, 0.95 / _WEEKDAY_FACTOR) if others > 0 else 0.0
        mean_day = max(1.0, total / (1.0 + p_day * others))
        wake = int(rng.random() * len(WAKE_HOURS))
        sleep = int(rng.random() * len(SLEEP_HOURS))
        table = wake * len(SLEEP_HOURS) + sleep
        focus_p = 0.3 + 0.5 * rng.random() if rng.random() < 0.5 else 0.0
        focus = self.topics[int(rng.random() * _TOPIC_TABLE)]
        self.humans.append(_Human(
            acct=acct, tz_s=tz_h * HOUR, table_wd=table, table_we=N_DIURNAL_WEEKDAY + table, p_day=p_day,
            log_q=log_continue(mean_day - 1.0), first_day=first_day, forced_day=forced_day, ips=ips, uas=uas,
            system=system, temps=temps, max_tokens=max_tokens, focus=focus, focus_p=focus_p,
            cot_rate=cot_rate if cot_rate is not None else 0.02 if self.tool else 0.04 + 0.1 * rng.random(),
            switch_s=switch_time(world, rng, 0.3, 12.0), adopt_q=0.5 + 0.5 * rng.random(),
            upper=rng.random() < 0.5, dataset_p=dataset_p,
        ))

    def units(self, world: World, day: int, rng: Rng) -> list[int]:
        factor = _WEEKEND_FACTOR if world.weekend(day) else _WEEKDAY_FACTOR
        rnd = rng.random
        return [i for i, h in enumerate(self.humans)
                if day >= h.first_day and (day == h.forced_day or rnd() < h.p_day * factor)]

    def _first(self, world: World, rng: Rng, h: _Human, topic: int) -> tuple[str, int, bool]:
        """A conversation's first message, its topic, and whether it asks for reasoning."""
        if self.tool:
            return TOOL_WRAP[0] + TOOL_TASK(rng) + TOOL_WRAP[1], topic, False
        if h.dataset_p and rng.random() < h.dataset_p:
            kind, topic = _DATASET_KINDS[int(rng.random() * len(_DATASET_KINDS))]
            text = world.text.any(rng, kind)
        elif rng.random() < PASTE_RATE:
            return world.text.paste(rng), topic, False
        else:
            text = framed(rng, world.text.body(rng, topic))
        if h.upper:
            text = text[0].upper() + text[1:]
        if rng.random() < h.cot_rate:
            return text + pick(rng, COT_CASUAL), topic, True
        return text, topic, False

    def _follow(self, world: World, rng: Rng, topic: int) -> str:
        if self.tool:
            return TOOL_WRAP[0] + TOOL_FOLLOWUP(rng) + TOOL_WRAP[1]
        return world.text.later(rng, topic)

    def emit(self, world: World, payload: int, day: int, rng: Rng, sink: Sink) -> None:
        h = self.humans[payload]
        rnd = rng.random
        add, conversation, topics = sink.add, sink.conversation, self.topics
        acct, system, ips, switch_s, adopt_q = h.acct, h.system, h.ips, h.switch_s, h.adopt_q
        n = 1 + geometric(rng, h.log_q)
        cum = DIURNAL[h.table_we if world.weekend(day) else h.table_wd]
        base = world.day_start(day) - h.tz_s
        n_sessions = 1 + int(n / (3.0 + 6.0 * rnd()))
        starts = sorted([base + local_second(rng, cum) for _ in range(n_sessions)])
        remaining = n
        for i, t in enumerate(starts):
            left = n_sessions - i
            quota = remaining if left == 1 else min(remaining, int(remaining / left * (0.4 + 1.2 * rnd()) + 0.5))
            remaining -= quota
            while quota > 0:
                conv = conversation()
                topic = h.focus if rnd() < h.focus_p else topics[int(rnd() * _TOPIC_TABLE)]
                text, topic, cot = self._first(world, rng, h, topic)
                temp = h.temps[int(rnd() * len(h.temps))]
                max_tokens = h.max_tokens[int(rnd() * len(h.max_tokens))]
                ua = h.uas[int(rnd() * len(h.uas))]
                turn = 1
                while True:
                    model = 1 if t >= switch_s and rnd() < adopt_q else 0
                    add(acct, t, model, system, text, conv, turn, ips[int(rnd() * len(ips))], ua, OUT_BY[cot][topic],
                        temp, max_tokens)
                    quota -= 1
                    if quota == 0 or rnd() >= TURN_CONTINUE:
                        break
                    turn += 1
                    t += spread(rng, 75.0, 0.8)
                    text, cot = self._follow(world, rng, topic), False
                t += spread(rng, 240.0, 1.0)
