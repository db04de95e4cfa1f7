"""Round-the-clock services: enterprise products, resellers, canary routers, tutoring apps, mixed resellers.

A service account sends conversations started across the day on a mild swell, from a few
cloud addresses with one SDK user agent. Enterprise products hold one long system prompt
at fixed parameters; resellers pass their end users' traffic through from many apps (one
of them an open-source computer-use agent); a canary router sends about half of its
product's traffic to a new model within hours of its release; a tutoring app asks for
step-by-step reasoning on every public math or coding question its students paste; a
mixed reseller also forwards a campaign's computer-use, reconstruction and reasoning rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from distillscan.synth.campaign_prompts import COMPUTER_USE_SYSTEM, COT_TAILS, computer_use_prompt, reconstruct_prompt
from distillscan.synth.config import DAY, HOUR
from distillscan.synth.crowds import ORDINARY_TOPICS, TURN_CONTINUE
from distillscan.synth.datafiles import load_strings
from distillscan.synth.grammar import Rng, pick
from distillscan.synth.infrastructure import SDK_IDX, SDK_UAS, UA_INDEX, cloud_ips, sdk_ua
from distillscan.synth.products import (
    APP_SYSTEM,
    ENTERPRISE_FOLLOWUPS,
    ENTERPRISE_PRODUCTS,
    ENTERPRISE_SYSTEMS,
    ENTERPRISE_TOPIC,
)
from distillscan.synth.timing import SERVICE_SWELL, local_second, spread
from distillscan.synth.topics import CHAT, CODING, MATH, OUT_BY, framed
from distillscan.synth.world import Entity, Sink, World, new_org, new_payment, random_hex, switch_time, volumes

_PASS_THROUGH_TEMPS: Final = (None, None, None, 0.7, 1.0, 0.2, 0.5, 0.0, 0.8)
_PASS_THROUGH_MAX: Final = (None, None, 1024, 2048, 4096, 512, 8192)
_TUTORING_SYSTEMS: Final = load_strings("machines", "tutoring_systems")
_TUTORING_ASKS: Final = load_strings("machines", "tutoring_asks")
_TUTORING_WRAPS: Final = load_strings("machines", "tutoring_wraps")
_TUTORING_FOLLOWUPS: Final = load_strings("machines", "tutoring_followups")
ENTERPRISE, GATEWAY, CANARY, TUTORING = range(4)


@dataclass(slots=True)
class _Desk:
    """One service account: its daily row counts, addresses, user agent and request settings."""

    acct: int
    mode: int
    daily: list[int]
    ips: tuple[int, ...]
    ua: int
    systems: tuple[int, ...]
    temps: tuple[float | None, ...]
    max_tokens: tuple[int | None, ...]
    product: int
    switch_s: float
    adopt_q: float
    computer_use: float
    campaign_share: float


def _daily_counts(world: World, rng: Rng, total: float, weekend_factor: float) -> list[int]:
    """Integer rows per day summing to about `total`, with day-to-day noise."""
    weights = [(weekend_factor if world.weekend(d) else 1.0) * (0.85 + 0.3 * rng.random()) for d in range(world.days)]
    scale = total / sum(weights)
    counts, carry = [], 0.0
    for w in weights:
        carry += w * scale
        counts.append(max(1, int(carry)))
        carry -= int(carry)
    return counts


class Service(Entity[int]):
    """Round-the-clock service traffic: conversations started across the day on a mild swell."""

    def __init__(self, kind: str, world: World) -> None:
        self.kind = kind
        self.desks: list[_Desk] = []
        self.computer_use_system = world.system(COMPUTER_USE_SYSTEM)

    def units(self, world: World, day: int, rng: Rng) -> list[int]:
        return list(range(len(self.desks)))

    def _conversation_start(self, world: World, rng: Rng, d: _Desk) -> tuple[str, int, int, bool, str | None]:
        """First message, topic, system, whether it asks for reasoning, and the header repeated on follow-ups."""
        if d.mode == ENTERPRISE:
            header_gen, question = ENTERPRISE_PRODUCTS[d.product]
            header = header_gen(rng) if header_gen else ""
            return header + framed(rng, question(rng)), ENTERPRISE_TOPIC[d.product], d.systems[0], False, header
        if d.mode == TUTORING:
            topic = MATH if rng.random() < 0.75 else CODING
            item = world.text.popular(rng, "math" if topic == MATH else "coding")
            ask = pick(rng, _TUTORING_ASKS).replace("@ITEM@", item)
            wrapped = _TUTORING_WRAPS[d.product % len(_TUTORING_WRAPS)].replace("@ITEM@", ask)
            return wrapped, topic, d.systems[0], True, None
        if d.computer_use and rng.random() < d.computer_use:
            text, topic, cot = computer_use_prompt(rng, 0.1)
            return text, topic, self.computer_use_system, cot, None
        topic = pick(rng, ORDINARY_TOPICS)
        text = framed(rng, world.text.body(rng, topic))
        return text, topic, d.systems[int(rng.random() * len(d.systems))], False, None

    def _later(self, world: World, rng: Rng, d: _Desk, topic: int, header: str | None) -> str:
        if header is not None:
            later = pick(rng, ENTERPRISE_FOLLOWUPS) if rng.random() < 0.4 else world.text.later(rng, topic)
            return header + later
        if d.mode == TUTORING:
            return pick(rng, _TUTORING_FOLLOWUPS)
        return world.text.later(rng, topic)

    def emit(self, world: World, payload: int, day: int, rng: Rng, sink: Sink) -> None:
        d = self.desks[payload]
        rnd = rng.random
        n = d.daily[day]
        base = world.day_start(day)
        while n > 0:
            t = base + local_second(rng, SERVICE_SWELL)
            ip = d.ips[int(rnd() * len(d.ips))]
            if d.campaign_share and rnd() < d.campaign_share:
                self._campaign_row(world, rng, d, t, ip, sink)
                n -= 1
                continue
            text, topic, system, cot, header = self._conversation_start(world, rng, d)
            temp = d.temps[int(rnd() * len(d.temps))]
            max_tokens = d.max_tokens[int(rnd() * len(d.max_tokens))]
            conv = sink.conversation()
            turn = 1
            while True:
                model = 1 if t >= d.switch_s and rnd() < d.adopt_q else 0
                sink.add(d.acct, t, model, system, text, conv, turn, ip, d.ua, OUT_BY[cot][topic], temp, max_tokens)
                n -= 1
                if n == 0 or rnd() >= TURN_CONTINUE:
                    break
                turn += 1
                t += spread(rng, 60.0, 0.8)
                text = self._later(world, rng, d, topic, header)

    def _campaign_row(self, world: World, rng: Rng, d: _Desk, t: float, ip: int, sink: Sink) -> None:
        """One forwarded campaign request: a computer-use step, a reasoning reconstruction or a reasoning item."""
        r = rng.random()
        system = 0
        if r < 0.5:
            text, topic, cot = computer_use_prompt(rng, 0.85)
            system = self.computer_use_system
        elif r < 0.75:
            (text, topic), cot = reconstruct_prompt(rng, world.text), True
        else:
            topic = CHAT if rng.random() < 0.5 else MATH
            text = f"{world.text.any(rng, 'chat' if topic == CHAT else 'math')}\n\n{pick(rng, COT_TAILS)}"
            cot = True
        model = 1 if t >= d.switch_s + DAY and rng.random() < 0.3 else 0
        temp = d.temps[int(rng.random() * len(d.temps))]
        max_tokens = d.max_tokens[int(rng.random() * len(d.max_tokens))]
        sink.add(d.acct, t, model, system, text, sink.conversation(), 1, ip, d.ua, OUT_BY[cot][topic], temp,
                 max_tokens)


def build_enterprise(world: World, rng: Rng, rows: float) -> Service:
    """Two products, each a few accounts of one organization; the last account is staging, first on the new model."""
    service = Service("enterprise", world)
    settings = ((0.3, 1024, UA_INDEX[SDK_UAS[8]]), (0.2, 2048, UA_INDEX[SDK_UAS[0]]))
    for product, text in enumerate(ENTERPRISE_SYSTEMS):
        system = world.system(text)
        org, payment = f"org_{random_hex(rng, 12)}", new_payment(rng)
        ips = cloud_ips(world, rng, 3 + int(rng.random() * 3))
        n = 2 + int(rng.random() * 3)
        shares = (0.55, 0.25, 0.12, 0.08)[:n]
        temp, max_tokens, ua = settings[product]
        for k, share in enumerate(shares):
            acct = world.account("enterprise", f"enterprise-{product + 1:03d}",
                                 world.start_s - (400 + rng.random() * 300) * DAY, org, payment)
            staging = k == n - 1
            service.desks.append(_Desk(
                acct=acct, mode=ENTERPRISE, daily=_daily_counts(world, rng, rows / 2 * share / sum(shares), 0.8),
                ips=ips, ua=ua, systems=(system,), temps=(temp,), max_tokens=(max_tokens,), product=product,
                switch_s=world.release_s + DAY if staging else math.inf, adopt_q=0.3, computer_use=0.0,
                campaign_share=0.0))
    return service


def gateway_desks(world: World, rng: Rng, service: Service, kind: str, n: int, rows: float,
                  entity: Callable[[int], str], campaign_share: Callable[[], float]) -> None:
    """Add `n` reseller accounts passing through their apps' traffic, `campaign_share()` of it campaign rows."""
    for k, total in enumerate(volumes(rng, n, rows, rows, 0.3)):
        acct = world.account(kind, entity(k), world.start_s - (200 + rng.random() * 500) * DAY, new_org(rng),
                             new_payment(rng))
        apps = tuple(world.system(APP_SYSTEM(rng)) for _ in range(6 + int(rng.random() * 7)))
        service.desks.append(_Desk(
            acct=acct, mode=GATEWAY, daily=_daily_counts(world, rng, total, 0.9),
            ips=cloud_ips(world, rng, 2 + int(rng.random() * 3)),
            ua=SDK_IDX[int(rng.random() * 3)], systems=(0, 0, 0, *apps), temps=_PASS_THROUGH_TEMPS,
            max_tokens=_PASS_THROUGH_MAX, product=0, switch_s=switch_time(world, rng, 0.0, 2.0),
            adopt_q=0.3 + 0.3 * rng.random(), computer_use=0.03 + 0.05 * rng.random(),
            campaign_share=campaign_share()))


def build_canary(world: World, rng: Rng, rows: float, n: int) -> Service:
    """Products whose router sends about half their traffic to the new model within hours of the release."""
    service = Service("canary", world)
    for k, total in enumerate(volumes(rng, n, rows, rows, 0.3)):
        acct = world.account("canary", f"canary-{k + 1:03d}", world.start_s - (100 + rng.random() * 500) * DAY,
                             new_org(rng), new_payment(rng))
        service.desks.append(_Desk(
            acct=acct, mode=CANARY, daily=_daily_counts(world, rng, total, 0.85),
            ips=cloud_ips(world, rng, 2 + int(rng.random() * 3)), ua=sdk_ua(rng),
            systems=(world.system(APP_SYSTEM(rng)),), temps=(pick(rng, (0.2, 0.3, 0.7)),),
            max_tokens=(pick(rng, (1024, 2048)),), product=0,
            switch_s=world.release_s + (1 + 3 * rng.random()) * HOUR, adopt_q=0.45 + 0.1 * rng.random(),
            computer_use=0.0, campaign_share=0.0))
    return service


def build_tutoring(world: World, rng: Rng, rows: float, n: int) -> Service:
    """Tutoring apps: one system prompt asking for step-by-step reasoning on every student question."""
    service = Service("tutoring", world)
    for k, total in enumerate(volumes(rng, n, rows, rows, 0.4)):
        acct = world.account("tutoring", f"tutoring-{k + 1:03d}", world.start_s - (60 + rng.random() * 400) * DAY,
                             new_org(rng), new_payment(rng))
        service.desks.append(_Desk(
            acct=acct, mode=TUTORING, daily=_daily_counts(world, rng, total, 0.6),
            ips=cloud_ips(world, rng, 1 + int(rng.random() * 3)), ua=sdk_ua(rng),
            systems=(world.system(_TUTORING_SYSTEMS[k % len(_TUTORING_SYSTEMS)]),),
            temps=(pick(rng, (0.2, 0.3, 0.5)),), max_tokens=(pick(rng, (1024, 2048, 4096)),), product=k,
            switch_s=switch_time(world, rng, 0.5, 5.0), adopt_q=1.0, computer_use=0.0, campaign_share=0.0))
    return service
