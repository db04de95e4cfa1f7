"""Human crowds: ordinary users, students behind a campus NAT, users of the popular tool.

Each person has a timezone, a wake-up hour and hours of sleep, a heavy-tailed volume
spread over active days, topics they favour, and habits (system prompt, temperature,
max_tokens, user agents, addresses). They open sessions at diurnal times and hold
multi-turn conversations, and some try the new model some time after its release.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from distillscan.synth.config import DAY, HOUR
from distillscan.synth.grammar import Rng, pick
from distillscan.synth.infrastructure import (
    BROWSER_UAS,
    TOOL_UAS,
    UA_INDEX,
    host_in,
    new_subnet,
    personal_uas,
    residential_ips,
    sdk_ua,
)
from distillscan.synth.products import (
    HELPFUL_SYSTEMS,
    PERSONAL_SYSTEM,
    TOOL_FOLLOWUP,
    TOOL_SYSTEM,
    TOOL_TASK,
    TOOL_WRAP,
)
from distillscan.synth.timing import (
    DIURNAL,
    N_DIURNAL_WEEKDAY,
    SLEEP_HOURS,
    TIMEZONES,
    WAKE_HOURS,
    cumulative,
    geometric,
    local_second,
    log_continue,
    spread,
)
from distillscan.synth.topics import COT_CASUAL, OUT_BY, TOPIC_GENS, followup, framed
from distillscan.synth.world import Entity, Sink, World, new_org, new_payment, random_hex, switch_time, volumes

# The chance a conversation goes on after each turn.
TURN_CONTINUE: Final = 0.5
_WEEKDAY_FACTOR: Final = 1.08
_WEEKEND_FACTOR: Final = 0.8

_ORDINARY_TOPIC_WEIGHTS: Final = (0.40, 0.24, 0.04, 0.10, 0.08, 0.07, 0.03, 0.04)
_STUDENT_TOPIC_WEIGHTS: Final = (0.28, 0.25, 0.03, 0.2, 0.08, 0.06, 0.06, 0.04)
_TOOL_TOPIC_WEIGHTS: Final = (0.0, 0.4, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0)
_TOPIC_TABLE: Final = 1000
_TEMPS: Final = (0.2, 0.3, 0.5, 0.6, 0.7, 0.7, 0.8, 1.0)
_MAX_TOKENS: Final = (256, 512, 1024, 1024, 2048, 4096)


def _topic_table(weights: Sequence[float]) -> tuple[int, ...]:
    """Topic indices in proportion to their weights, for a one-draw weighted pick."""
    total = sum(weights)
    cum = cumulative(weights)
    return tuple(min(bisect.bisect_right(cum, (i + 0.5) / _TOPIC_TABLE * total), len(weights) - 1)
                 for i in range(_TOPIC_TABLE))


# Ordinary users' topic mix, also what resellers' end users ask about.
ORDINARY_TOPICS: Final = _topic_table(_ORDINARY_TOPIC_WEIGHTS)


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


class Crowd(Entity[int]):
    """Independent people: diurnal sessions in their own timezone, multi-turn conversations."""

    def __init__(self, kind: str, topic_weights: Sequence[float], tool: bool) -> None:
        self.kind = kind
        self.humans: list[_Human] = []
        self.topics = _topic_table(topic_weights if not tool else _TOOL_TOPIC_WEIGHTS)
        self.tool = tool

    def add(self, world: World, rng: Rng, *, total: float, created_s: float, entity_id: str, tz_h: float,
            ips: tuple[int, ...], uas: tuple[int, ...], org_id: str | None, payment: str, system: int,
            temps: tuple[float | None, ...], max_tokens: tuple[int | None, ...]) -> None:
        """Add one person expected to send about `total` requests over the window."""
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
            cot_rate=(0.02 if self.tool else 0.04 + 0.1 * rng.random()),
            switch_s=switch_time(world, rng, 0.3, 12.0), adopt_q=0.5 + 0.5 * rng.random(),
            upper=rng.random() < 0.5,
        ))

    def units(self, world: World, day: int, rng: Rng) -> list[int]:
        factor = _WEEKEND_FACTOR if world.weekend(day) else _WEEKDAY_FACTOR
        rnd = rng.random
        return [i for i, h in enumerate(self.humans)
                if day >= h.first_day and (day == h.forced_day or rnd() < h.p_day * factor)]

    def _first(self, rng: Rng, h: _Human, topic: int) -> tuple[str, bool]:
        if self.tool:
            return TOOL_WRAP[0] + TOOL_TASK(rng) + TOOL_WRAP[1], False
        text = framed(rng, TOPIC_GENS[topic](rng))
        if h.upper:
            text = text[0].upper() + text[1:]
        if rng.random() < h.cot_rate:
            return text + pick(rng, COT_CASUAL), True
        return text, False

    def _follow(self, rng: Rng, topic: int) -> str:
        if self.tool:
            return TOOL_WRAP[0] + TOOL_FOLLOWUP(rng) + TOOL_WRAP[1]
        return followup(rng, topic)

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
                text, cot = self._first(rng, h, topic)
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
                    text, cot = self._follow(rng, topic), False
                t += spread(rng, 240.0, 1.0)


def _human_settings(world: World, rng: Rng) -> tuple[int, tuple[float | None, ...], tuple[int | None, ...]]:
    """An individual's system prompt, temperature and max_tokens habits."""
    r = rng.random()
    if r < 0.55:
        system = 0
    elif r < 0.82:
        system = world.system(pick(rng, HELPFUL_SYSTEMS))
    else:
        system = world.system(PERSONAL_SYSTEM(rng))
    r = rng.random()
    temps: tuple[float | None, ...]
    if r < 0.5:
        temps = (None,)
    elif r < 0.8:
        temps = (_TEMPS[int(rng.random() * len(_TEMPS))],)
    else:
        temps = (None, *rng.sample(_TEMPS, 3))
    r = rng.random()
    max_tokens: tuple[int | None, ...]
    if r < 0.55:
        max_tokens = (None,)
    elif r < 0.9:
        max_tokens = (_MAX_TOKENS[int(rng.random() * len(_MAX_TOKENS))],)
    else:
        max_tokens = (None, *rng.sample(_MAX_TOKENS, 2))
    return system, temps, max_tokens


def build_ordinary(world: World, rng: Rng, rows: float) -> Crowd:
    """Ordinary users with heavy-tailed volumes; the rest of the benign rows."""
    crowd = Crowd("ordinary", _ORDINARY_TOPIC_WEIGHTS, tool=False)
    n = max(50, round(rows / 40))
    cap = min(0.004 * world.config.n_requests, 8000.0)
    payments: list[str] = []
    for i, total in enumerate(volumes(rng, n, rows, cap, 1.3)):
        if rng.random() < 0.03:
            created = world.start_s + rng.random() * (world.days - 4) * DAY
        else:
            created = world.start_s - (rng.random() ** 1.5) * 730 * DAY - 3600 * rng.random()
        payment = pick(rng, payments) if payments and rng.random() < 0.04 else new_payment(rng)
        payments.append(payment)
        system, temps, max_tokens = _human_settings(world, rng)
        crowd.add(world, rng, total=total, created_s=created, entity_id=f"ordinary-{i + 1:06d}",
                  tz_h=TIMEZONES[int(rng.random() * len(TIMEZONES))], ips=residential_ips(world, rng),
                  uas=personal_uas(rng), org_id=new_org(rng), payment=payment, system=system, temps=temps,
                  max_tokens=max_tokens)
    return crowd


def build_nat(world: World, rng: Rng, rows: float) -> Crowd:
    """Campuses: students behind one NAT address, one timezone, one browser family."""
    crowd = Crowd("nat", _STUDENT_TOPIC_WEIGHTS, tool=False)
    n_entities = max(1, round(rows / 30_000))
    size_spread = min(1.0, world.config.n_requests / 1_000_000)
    chrome_windows = tuple(i for i, ua in enumerate(BROWSER_UAS) if "Windows" in ua and "Chrome" in ua)
    for e in range(n_entities):
        users = 60 + int(rng.random() * 91 * size_spread)
        subnet = new_subnet(rng, cloud=False)
        main = world.ip(host_in(rng, subnet))
        second = world.ip(host_in(rng, subnet))
        tz_h = TIMEZONES[int(rng.random() * len(TIMEZONES))]
        semester = world.start_s - (60 + rng.random() * 150) * DAY
        edu_org = f"org_{random_hex(rng, 12)}"
        for total in volumes(rng, users, rows / n_entities, rows / n_entities / 8, 1.0):
            if rng.random() < 0.65:
                created = semester + rng.random() * 14 * DAY
            else:
                created = world.start_s - rng.random() * 600 * DAY
            system, temps, max_tokens = _human_settings(world, rng)
            crowd.add(world, rng, total=total, created_s=created, entity_id=f"nat-{e + 1:03d}", tz_h=tz_h,
                      ips=(main,) * 9 + (second,) if rng.random() < 0.15 else (main,),
                      uas=(pick(rng, chrome_windows),) if rng.random() < 0.8 else (
                          pick(rng, chrome_windows), sdk_ua(rng)),
                      org_id=edu_org if rng.random() < 0.4 else new_org(rng), payment=new_payment(rng), system=system,
                      temps=temps, max_tokens=max_tokens)
    return crowd


def build_popular_tool(world: World, rng: Rng, rows: float) -> Crowd:
    """Independent users of one open-source coding agent with a shared long system prompt."""
    crowd = Crowd("popular_tool", _ORDINARY_TOPIC_WEIGHTS, tool=True)
    n = max(100, round(world.config.n_requests / 5000))
    system = world.system(TOOL_SYSTEM)
    tool_uas = tuple(UA_INDEX[ua] for ua in TOOL_UAS)
    for total in volumes(rng, n, rows, rows / 15, 1.1):
        crowd.add(world, rng, total=total, created_s=world.start_s - (rng.random() ** 1.3) * 500 * DAY,
                  entity_id="popular_tool-001", tz_h=TIMEZONES[int(rng.random() * len(TIMEZONES))],
                  ips=residential_ips(world, rng), uas=(tool_uas[int(rng.random() * len(tool_uas))],),
                  org_id=new_org(rng), payment=new_payment(rng), system=system, temps=(0.2,), max_tokens=(8192,))
    for h in crowd.humans:
        h.switch_s = world.release_s + (3 + rng.expovariate(0.25)) * DAY
        h.adopt_q = 1.0
    return crowd

