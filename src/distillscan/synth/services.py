"""Round-the-clock services: enterprise products, resellers, and resellers mixing in campaign traffic.

A service account sends conversations started across the day on a mild swell, from a few
cloud addresses with one SDK user agent. Enterprise products hold one long system prompt
at fixed parameters; resellers pass their end users' traffic through from many apps; a
mixed reseller also forwards a campaign's computer-use and reasoning-reconstruction rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from distillscan.synth.campaign_prompts import computer_use_prompt, reconstruct_prompt
from distillscan.synth.config import DAY
from distillscan.synth.crowds import ORDINARY_TOPICS, TURN_CONTINUE
from distillscan.synth.grammar import Rng, pick
from distillscan.synth.infrastructure import SDK_IDX, SDK_UAS, UA_INDEX, cloud_ips
from distillscan.synth.products import (
    APP_SYSTEM,
    ENTERPRISE_FOLLOWUPS,
    ENTERPRISE_PRODUCTS,
    ENTERPRISE_SYSTEMS,
    ENTERPRISE_TOPIC,
)
from distillscan.synth.timing import SERVICE_SWELL, local_second, spread
from distillscan.synth.topics import COT_CASUAL, OUT_BY, TOPIC_GENS, followup, framed
from distillscan.synth.world import Entity, Sink, World, new_org, new_payment, random_hex, switch_time, volumes

_PASS_THROUGH_TEMPS: Final = (None, None, None, 0.7, 1.0, 0.2, 0.5, 0.0, 0.8)
_PASS_THROUGH_MAX: Final = (None, None, 1024, 2048, 4096, 512, 8192)


@dataclass(slots=True)
class _Desk:
    """One service account: its daily row counts, addresses, user agent and request settings."""

    acct: int
    daily: list[int]
    ips: tuple[int, ...]
    ua: int
    systems: tuple[int, ...]
    temps: tuple[float | None, ...]
    max_tokens: tuple[int | None, ...]
    product: int
    switch_s: float
    adopt_q: float
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

    def __init__(self, kind: str, campaign_system: int = 0) -> None:
        self.kind = kind
        self.desks: list[_Desk] = []
        self.campaign_system = campaign_system

    def units(self, world: World, day: int, rng: Rng) -> list[int]:
        return list(range(len(self.desks)))

    def _conversation_start(self, rng: Rng, d: _Desk) -> tuple[str, int, int, str | None]:
        """First message, topic and system of a conversation, plus the header to repeat on follow-ups."""
        if self.kind == "enterprise":
            header_gen, question = ENTERPRISE_PRODUCTS[d.product]
            header = header_gen(rng) if header_gen else ""
            return header + question(rng), ENTERPRISE_TOPIC[d.product], d.systems[0], header
        topic = pick(rng, ORDINARY_TOPICS)
        text = framed(rng, TOPIC_GENS[topic](rng))
        if rng.random() < 0.06:
            text += pick(rng, COT_CASUAL)
        return text, topic, d.systems[int(rng.random() * len(d.systems))], None

    def emit(self, world: World, payload: int, day: int, rng: Rng, sink: Sink) -> None:
        d = self.desks[payload]
        rnd = rng.random
        n = d.daily[day]
        base = world.day_start(day)
        while n > 0:
            t = base + local_second(rng, SERVICE_SWELL)
            ip = d.ips[int(rnd() * len(d.ips))]
            if d.campaign_share and rnd() < d.campaign_share:
                self._campaign_row(rng, d, t, ip, sink)
                n -= 1
                continue
            text, topic, system, header = self._conversation_start(rng, d)
            temp = d.temps[int(rnd() * len(d.temps))]
            max_tokens = d.max_tokens[int(rnd() * len(d.max_tokens))]
            conv = sink.conversation()
            turn = 1
            while True:
                model = 1 if t >= d.switch_s and rnd() < d.adopt_q else 0
                sink.add(d.acct, t, model, system, text, conv, turn, ip, d.ua,
                         OUT_BY[False][topic], temp, max_tokens)
                n -= 1
                if n == 0 or rnd() >= TURN_CONTINUE:
                    break
                turn += 1
                t += spread(rng, 60.0, 0.8)
                text = followup(rng, topic) if header is None else header + pick(rng, ENTERPRISE_FOLLOWUPS)

    def _campaign_row(self, rng: Rng, d: _Desk, t: float, ip: int, sink: Sink) -> None:
        """One forwarded campaign request: a computer-use step or a reasoning reconstruction."""
        if rng.random() < 0.8:
            text, topic, cot = computer_use_prompt(rng, 0.85)
            system = self.campaign_system
        else:
            (text, topic), cot, system = reconstruct_prompt(rng), True, 0
        model = 1 if t >= d.switch_s + DAY and rng.random() < 0.3 else 0
        sink.add(d.acct, t, model, system, text, sink.conversation(), 1, ip, d.ua,
                 OUT_BY[cot][topic], 1.0, 8192)


def build_enterprise(world: World, rng: Rng, rows: float) -> Service:
    """Two products, each a few accounts of one organization; the last account is staging, first on the new model."""
    service = Service("enterprise")
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
                acct=acct, daily=_daily_counts(world, rng, rows / 2 * share / sum(shares), 0.8), ips=ips, ua=ua,
                systems=(system,), temps=(temp,), max_tokens=(max_tokens,), product=product,
                switch_s=world.release_s + DAY if staging else math.inf, adopt_q=0.3, campaign_share=0.0))
    return service


def gateway_desks(world: World, rng: Rng, service: Service, kind: str, n: int, rows: float,
                  entity: Callable[[int], str], campaign_share: Callable[[], float]) -> None:
    """Add `n` reseller accounts passing through their apps' traffic, `campaign_share()` of it campaign rows."""
    for k, total in enumerate(volumes(rng, n, rows, rows, 0.3)):
        acct = world.account(kind, entity(k), world.start_s - (200 + rng.random() * 500) * DAY, new_org(rng),
                             new_payment(rng))
        apps = tuple(world.system(APP_SYSTEM(rng)) for _ in range(6 + int(rng.random() * 7)))
        service.desks.append(_Desk(
            acct=acct, daily=_daily_counts(world, rng, total, 0.9),
            ips=cloud_ips(world, rng, 2 + int(rng.random() * 3)),
            ua=SDK_IDX[int(rng.random() * 3)], systems=(0, 0, 0, *apps), temps=_PASS_THROUGH_TEMPS,
            max_tokens=_PASS_THROUGH_MAX, product=0, switch_s=switch_time(world, rng, 0.0, 2.0),
            adopt_q=0.3 + 0.3 * rng.random(), campaign_share=campaign_share()))

