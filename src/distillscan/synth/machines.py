"""Machine traffic: high-volume single-turn pipelines and 24/7 cron schedulers.

A pipeline labels, translates or classifies a stream of items with one fixed instruction
(or runs a public templated dataset, T0's, verbatim), single-turn, at temperature 0 and a small
max_tokens, from a few cloud addresses, as daily batch jobs or a steady stream. A cron
scheduler fires the same job at a fixed interval around the clock, to the second give or
take a little jitter: the most metronomic traffic on the platform, and benign.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from distillscan.synth.config import DAY, HOUR
from distillscan.synth.datafiles import load_strings
from distillscan.synth.fillers import LANGUAGES
from distillscan.synth.grammar import Grammar, Rng, pick
from distillscan.synth.infrastructure import UA_INDEX, cloud_ips, sdk_ua
from distillscan.synth.text import LOG_LINE
from distillscan.synth.timing import SERVICE_SWELL, local_second
from distillscan.synth.topics import CHAT, DATA, OUT_BY, TOPIC_GRAMMAR
from distillscan.synth.world import Entity, Sink, World, new_org, new_payment, switch_time, volumes

_PIPELINE_TEMPLATES: Final = load_strings("machines", "pipeline_templates")
_ITEM_KINDS: Final = ("chat", "reading", "reading", "reading")
_CRON_INTERVALS: Final = (300, 600, 900, 1800, 3600, 10800)
_CRON_UAS: Final = ("curl/8.7.1", "python-requests/2.32.3", "python-httpx/0.27.2", "atlas-sdk-go/0.9.1")


def _log_block(rng: Rng) -> str:
    return "\n".join(LOG_LINE(rng) for _ in range(3 + int(rng.random() * 6)))


def _status_json(rng: Rng) -> str:
    return (f'{{"service": "{pick(rng, ("api", "billing", "search", "ingest"))}", "p99_ms": {int(rng.random() * 900)}, '
            f'"errors": {int(rng.random() * 40)}, "queue_depth": {int(rng.random() * 5000)}}}')


_CRON_G: Final = Grammar({"j": load_strings("machines", "cron_jobs")},
                         TOPIC_GRAMMAR.subset("date") | {"log_block": _log_block, "status_json": _status_json})


@dataclass(slots=True)
class _Pipe:
    """One pipeline account: its instruction (none: the items are templated already), schedule and settings."""

    acct: int
    daily: list[int]
    batch: bool
    template: str
    item_kind: str
    ips: tuple[int, ...]
    ua: int
    max_tokens: int
    switch_s: float


class Pipeline(Entity[int]):
    """High-volume single-turn jobs: one instruction over many items, temperature 0."""

    kind = "pipeline"

    def __init__(self, world: World, rng: Rng, rows: float, n: int) -> None:
        self.pipes: list[_Pipe] = []
        for k, total in enumerate(volumes(rng, n, rows, rows, 0.3)):
            acct = world.account("pipeline", f"pipeline-{k + 1:03d}", world.start_s - (30 + rng.random() * 400) * DAY,
                                 new_org(rng), new_payment(rng))
            verbatim = rng.random() < 0.25
            self.pipes.append(_Pipe(
                acct=acct, daily=[max(1, int(total / world.days * (0.7 + 0.6 * rng.random()))) for _ in
                                  range(world.days)], batch=rng.random() < 0.6,
                template="" if verbatim else pick(rng, _PIPELINE_TEMPLATES).replace("@LANG@", pick(rng, LANGUAGES)),
                item_kind="reading" if verbatim else pick(rng, _ITEM_KINDS),
                ips=cloud_ips(world, rng, 1 + int(rng.random() * 3)), ua=sdk_ua(rng),
                max_tokens=pick(rng, (16, 64, 256, 512)), switch_s=switch_time(world, rng, 0.7, 7.0)))

    def units(self, world: World, day: int, rng: Rng) -> list[int]:
        return list(range(len(self.pipes)))

    def emit(self, world: World, payload: int, day: int, rng: Rng, sink: Sink) -> None:
        p = self.pipes[payload]
        rnd = rng.random
        n = p.daily[day]
        base = world.day_start(day)
        if p.batch:
            jobs = [(base + rnd() * 20 * HOUR, (0.5 + 2.5 * rnd()) * HOUR) for _ in range(1 + int(rnd() * 3))]
            times = [start + rnd() * length for start, length in (jobs[int(rnd() * len(jobs))] for _ in range(n))]
        else:
            times = [base + local_second(rng, SERVICE_SWELL) for _ in range(n)]
        for t in sorted(times):
            item = world.text.any(rng, p.item_kind)
            text = p.template.replace("@ITEM@", item) if p.template else item
            model = 1 if t >= p.switch_s else 0
            sink.add(p.acct, t, model, 0, text, sink.conversation(), 1, p.ips[int(rnd() * len(p.ips))], p.ua,
                     OUT_BY[False][CHAT] / 8, 0.0, p.max_tokens)


@dataclass(slots=True)
class _Job:
    """One scheduled job: its account, interval, phase, address and settings."""

    acct: int
    interval_s: int
    offset_s: float
    ip: int
    ua: int
    temp: float
    max_tokens: int


class Cron(Entity[int]):
    """Scheduled jobs at fixed intervals around the clock, to the second."""

    kind = "cron"

    def __init__(self, world: World, rng: Rng, rows: float) -> None:
        self.jobs: list[_Job] = []
        budget = rows
        least = world.days * DAY / _CRON_INTERVALS[-1]
        k = 0
        while budget > least / 2 or not self.jobs:
            acct = world.account("cron", f"cron-{k + 1:03d}", world.start_s - (30 + rng.random() * 300) * DAY,
                                 new_org(rng), new_payment(rng))
            ip = cloud_ips(world, rng, 1)[0]
            ua = UA_INDEX[pick(rng, _CRON_UAS)]
            for _ in range(1 + int(rng.random() * 3)):
                fitting = [i for i in _CRON_INTERVALS if world.days * DAY / i <= budget]
                interval = pick(rng, fitting) if fitting else _CRON_INTERVALS[-1]
                self.jobs.append(_Job(acct=acct, interval_s=interval, offset_s=rng.random() * interval, ip=ip, ua=ua,
                                      temp=pick(rng, (0.0, 0.2)), max_tokens=pick(rng, (256, 512, 1024))))
                budget -= world.days * DAY / interval
                if budget <= least / 2:
                    break
            k += 1

    def rows(self, days: int) -> float:
        """Rows expected over `days` days."""
        return sum(days * DAY / job.interval_s for job in self.jobs)

    def units(self, world: World, day: int, rng: Rng) -> list[int]:
        return list(range(len(self.jobs)))

    def emit(self, world: World, payload: int, day: int, rng: Rng, sink: Sink) -> None:
        job = self.jobs[payload]
        rnd = rng.random
        t = world.day_start(day) + job.offset_s
        end = world.day_start(day) + DAY
        while t < end:
            sink.add(job.acct, t + 2.0 * rnd(), 0, 0, _CRON_G["j"](rng), sink.conversation(), 1, job.ip, job.ua,
                     OUT_BY[False][DATA] / 2, job.temp, job.max_tokens)
            t += job.interval_s
