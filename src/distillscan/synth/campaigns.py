"""Distillation campaigns: the hydra network, the rubric group, the paraphrasers, the low-and-slow operator.

The hydra is many small accounts fed round-robin by one scheduler, flat around the clock,
over shared addresses, payment methods and user agents, that moves about half its traffic
to the new model within hours of the release. The rubric group fires together in short
windows; paraphrasers each hold their own rewording of one template and send it at a
scripted rate; low-and-slow accounts send a lightly varied template at human rates and hours.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Final

from distillscan.synth.campaign_prompts import (
    COT_RUBRIC_FRAMES,
    HYDRA_AGENT,
    HYDRA_ANALYST,
    HYDRA_FRAME_CUM,
    HYDRA_FRAMES,
    HYDRA_TOOLS,
    LOW_SLOW_ASKS,
    LOW_SLOW_CLOSERS,
    LOW_SLOW_OPENERS,
    PARA_COT,
    PARA_GOAL,
    PARA_PREFIX,
    PARA_ROLE,
    PARA_STYLE,
    RUBRIC_SYSTEM,
    para_task,
)
from distillscan.synth.config import DAY, HOUR
from distillscan.synth.grammar import Rng, pick
from distillscan.synth.infrastructure import (
    BROWSER_IDX,
    SDK_IDX,
    UA_INDEX,
    cloud_ips,
    host_in,
    new_subnet,
    residential_ips,
    sdk_ua,
)
from distillscan.synth.timing import DIURNAL, N_DIURNAL_WEEKDAY, TIMEZONES, local_second
from distillscan.synth.topics import GRADING, OUT_BY
from distillscan.synth.world import Entity, Sink, World, new_org, new_payment, volumes

# (position in the day's rotation, account, accounts active, rows today, interval, phase)
HydraUnit = tuple[int, int, int, int, float, float]
# (account, the day's firing windows as (start, length))
RubricUnit = tuple[int, list[tuple[float, float]]]

# The hydra moves _HYDRA_PIVOT of its rows to the new model, ramping up over _HYDRA_RAMP_S after
# the release; a golden-ratio sequence picks which rows, so the share holds through the day.
_GOLDEN: Final = 0.6180339887498949
_HYDRA_PIVOT: Final = 0.48
_HYDRA_RAMP_S: Final = 3 * HOUR


class Hydra(Entity[HydraUnit]):
    """Many small accounts fed round-robin by one scheduler: flat 24/7, templated, shared infrastructure."""

    kind = "hydra"

    def __init__(self, world: World, rng: Rng, rows: float, n_accounts: int) -> None:
        days = world.days
        waves = ((-45.0, 0.4), (-14.0, 0.3), (3.0, 0.18), (min(world.config.new_model_day + 1, days - 3), 0.12))
        subnets = [new_subnet(rng, cloud=rng.random() < 0.5) for _ in range(6 + int(rng.random() * 5))]
        pool = [world.ip(host_in(rng, pick(rng, subnets))) for _ in range(40 + int(rng.random() * 41))]
        payments = [new_payment(rng) for _ in range(5 + int(rng.random() * 11))]
        self.uas = rng.sample(SDK_IDX[:4], 2 + int(rng.random() * 2))
        self.analyst_systems = tuple(world.system(s) for s in HYDRA_ANALYST)
        self.frame_systems = (0, world.system(HYDRA_AGENT), world.system(HYDRA_TOOLS), 0)
        self.accounts: list[int] = []
        self.ready_s: list[float] = []
        self.retire_day: list[int] = []
        self.ips: list[tuple[int, ...]] = []
        self.ua: list[int] = []
        counts = [round(n_accounts * share) for _, share in waves]
        counts[0] += n_accounts - sum(counts)
        for (day, _), count in zip(waves, counts, strict=True):
            wave_start = world.start_s + day * DAY + (2 + rng.random() * 18) * HOUR
            for _ in range(count):
                created = wave_start + rng.random() * (1 + 3 * rng.random()) * HOUR
                self.accounts.append(world.account("hydra", "hydra-001", created, new_org(rng), pick(rng, payments)))
                self.ready_s.append(created + 12 * HOUR)
                self.retire_day.append(2 + int(rng.random() * (days - 2)) if day < 0 and rng.random() < 0.2 else days)
                self.ips.append(tuple(rng.sample(pool, 3 + int(rng.random() * 6))))
                self.ua.append(pick(rng, self.uas))
        active_days = sum(self._active_count(world, d) for d in range(days))
        self.rate = max(1.5, rows / max(active_days, 1))

    def _active(self, world: World, day: int) -> list[int]:
        """Accounts ready by the start of `day` and not yet retired."""
        start = world.day_start(day)
        return [i for i in range(len(self.accounts)) if self.ready_s[i] <= start and day < self.retire_day[i]]

    def _active_count(self, world: World, day: int) -> int:
        return len(self._active(world, day))

    def units(self, world: World, day: int, rng: Rng) -> list[HydraUnit]:
        active = self._active(world, day)
        rng.shuffle(active)
        n = len(active)
        volume = max(n, int(self.rate * n + rng.random()))
        interval = DAY / volume
        phase = rng.random()
        return [(pos, i, n, volume, interval, phase) for pos, i in enumerate(active)]

    def emit(self, world: World, payload: HydraUnit, day: int, rng: Rng, sink: Sink) -> None:
        pos, i, n, volume, interval, phase = payload
        rnd = rng.random
        acct, ips, ua = self.accounts[i], self.ips[i], self.ua[i]
        base = world.day_start(day)
        release = world.release_s
        for k in range(pos, volume, n):
            t = base + (k + 0.5 + 0.8 * (rnd() - 0.5)) * interval
            since = t - release
            share = 0.0 if since < 0 else _HYDRA_PIVOT * min(1.0, since / _HYDRA_RAMP_S)
            model = 1 if (k * _GOLDEN + phase) % 1.0 < share else 0
            frame = bisect.bisect_right(HYDRA_FRAME_CUM, rnd())
            system, text, topic, cot = HYDRA_FRAMES[frame](rng, 0.65)
            system_idx = self.analyst_systems[system] if frame == 0 else self.frame_systems[frame]
            sink.add(acct, t, model, system_idx, text, sink.conversation(), 1, ips[int(rnd() * len(ips))], ua,
                     OUT_BY[cot][topic], 0.7, 4096)


class CotRubric(Entity[RubricUnit]):
    """A small group firing together in short windows: rubric grading and reasoning reconstruction."""

    kind = "cot_rubric"

    def __init__(self, world: World, rng: Rng, rows: float, n_accounts: int) -> None:
        created = world.start_s - (20 + rng.random() * 20) * DAY + rng.random() * 6 * HOUR
        payments = [new_payment(rng) for _ in range(1 + int(rng.random() * 2))]
        self.ips = cloud_ips(world, rng, 2 + int(rng.random() * 2))
        self.ua = UA_INDEX["python-requests/2.32.3"]
        self.system = world.system(RUBRIC_SYSTEM)
        self.accounts = [world.account("cot_rubric", "cot_rubric-001", created + rng.random() * 3 * HOUR, new_org(rng),
                                       pick(rng, payments)) for _ in range(n_accounts)]
        self.per_window = max(0.05, (rows / (n_accounts * world.days) - 1.0) / 4.5)

    def units(self, world: World, day: int, rng: Rng) -> list[RubricUnit]:
        base = world.day_start(day)
        windows = sorted((base + rng.random() * (DAY - 1800), (10 + 20 * rng.random()) * 60)
                         for _ in range(3 + int(rng.random() * 4)))
        return [(acct, windows) for acct in self.accounts]

    def emit(self, world: World, payload: RubricUnit, day: int, rng: Rng, sink: Sink) -> None:
        acct, windows = payload
        rnd = rng.random
        for w, (start, length) in enumerate(windows):
            k = int(self.per_window * (0.5 + rnd()) + rnd())
            if w == 0:
                k = max(k, 1)
            for t in sorted(start + rnd() * length for _ in range(k)):
                text, topic = COT_RUBRIC_FRAMES[int(rnd() * len(COT_RUBRIC_FRAMES))](rng)
                system = self.system if topic == GRADING else 0
                sink.add(acct, t, 0, system, text, sink.conversation(), 1, self.ips[int(rnd() * len(self.ips))],
                         self.ua, OUT_BY[True][topic], 0.0, 2048)


@dataclass(slots=True)
class _Paraphraser:
    """One paraphrase account: its own system prompt wording, rate, daily pause and settings."""

    acct: int
    system: int
    prefix: str
    cot: str
    interval_s: float
    pause_hour: float
    pause_hours: float
    ips: tuple[int, ...]
    ua: int
    temp: float
    max_tokens: int


class Paraphrase(Entity[int]):
    """Each account holds its own paraphrase of one template; scripted, rate-limited, independent-looking."""

    kind = "paraphrase"

    def __init__(self, world: World, rng: Rng, rows: float, n_accounts: int) -> None:
        self.members: list[_Paraphraser] = []
        variants = [f"{role} {first} {second}" for role in PARA_ROLE for goal in PARA_GOAL for style in PARA_STYLE
                    for first, second in ((goal, style), (style, goal))]
        systems = rng.sample(variants, n_accounts)
        for system, total in zip(systems, volumes(rng, n_accounts, rows, rows, 0.25), strict=True):
            created = world.start_s - rng.random() * 14 * DAY
            pause_hours = 2 + 3 * rng.random()
            acct = world.account("paraphrase", "paraphrase-001", created, new_org(rng), new_payment(rng))
            self.members.append(_Paraphraser(
                acct=acct, system=world.system(system), prefix=pick(rng, PARA_PREFIX),
                cot=pick(rng, PARA_COT), interval_s=(24 - pause_hours) * HOUR * world.days / total,
                pause_hour=rng.random() * 24, pause_hours=pause_hours, ips=residential_ips(world, rng),
                ua=sdk_ua(rng), temp=pick(rng, (0.6, 0.7, 0.8, 1.0)),
                max_tokens=pick(rng, (2048, 4096, 8192)),
            ))

    def units(self, world: World, day: int, rng: Rng) -> list[int]:
        return list(range(len(self.members)))

    def emit(self, world: World, payload: int, day: int, rng: Rng, sink: Sink) -> None:
        m = self.members[payload]
        rnd = rng.random
        base = world.day_start(day)
        t = base + rnd() * m.interval_s
        while t < base + DAY:
            if ((t - base) / HOUR - m.pause_hour) % 24 >= m.pause_hours:
                task, topic = para_task(rng)
                cot = rnd() < 0.9
                text = f"{m.prefix}{task}\n\n{m.cot}" if cot else f"{m.prefix}{task}"
                model = 1 if t >= world.release_s + DAY and rnd() < 0.25 else 0
                sink.add(m.acct, t, model, m.system, text, sink.conversation(), 1, m.ips[int(rnd() * len(m.ips))],
                         m.ua, OUT_BY[cot][topic], m.temp, m.max_tokens)
            t += m.interval_s * (0.85 + 0.3 * rnd())


@dataclass(slots=True)
class _Slow:
    """One low-and-slow account: its daily rate, timezone, hours, addresses and sign-off."""

    acct: int
    rate: float
    tz_s: float
    table: int
    ips: tuple[int, ...]
    ua: int
    closer: str


class LowSlow(Entity[int]):
    """A few accounts at human-like rates and hours, each sending a lightly varied template."""

    kind = "low_slow"

    def __init__(self, world: World, rng: Rng, n_accounts: int) -> None:
        high = max(8.0, min(30.0, 5 + 25 * world.config.n_requests / 1_000_000))
        self.members = [
            _Slow(acct=world.account("low_slow", "low_slow-001", world.start_s - (5 + rng.random() * 120) * DAY,
                                     new_org(rng), new_payment(rng)),
                  rate=5 + rng.random() * (high - 5), tz_s=TIMEZONES[int(rng.random() * len(TIMEZONES))] * HOUR,
                  table=int(rng.random() * N_DIURNAL_WEEKDAY), ips=residential_ips(world, rng),
                  ua=BROWSER_IDX[int(rng.random() * len(BROWSER_IDX))], closer=pick(rng, LOW_SLOW_CLOSERS))
            for _ in range(n_accounts)
        ]

    def rows(self, days: int) -> float:
        """Rows expected over `days` days."""
        return sum(m.rate for m in self.members) * days

    def units(self, world: World, day: int, rng: Rng) -> list[int]:
        return list(range(len(self.members)))

    def emit(self, world: World, payload: int, day: int, rng: Rng, sink: Sink) -> None:
        m = self.members[payload]
        rnd = rng.random
        n = max(1, int(m.rate * (0.6 + 0.8 * rnd()) + rnd()))
        base = world.day_start(day) - m.tz_s
        for t in sorted(base + local_second(rng, DIURNAL[m.table]) for _ in range(n)):
            task, topic = para_task(rng)
            text = f"{pick(rng, LOW_SLOW_OPENERS)}{pick(rng, LOW_SLOW_ASKS)}{task}{m.closer}"
            sink.add(m.acct, t, 0, 0, text, sink.conversation(), 1, m.ips[int(rnd() * len(m.ips))], m.ua,
                     OUT_BY[True][topic], None, None)


