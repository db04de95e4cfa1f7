"""The human populations: ordinary users, campuses, the popular tool's users, dataset users, proxy users, teams.

Ordinary users take the rest of the benign rows. Campus students share a NAT address;
hundreds of independent users share the popular coding agent's long system prompt;
dataset users paste public benchmark and instruction items and ask for step-by-step
reasoning; proxy users go out through the same rotating residential proxy pools as the
hydra; teams are onboarded in a burst of accounts on one day with one payment method.
"""

from __future__ import annotations

from typing import Final

from distillscan.synth.config import DAY
from distillscan.synth.crowds import ORDINARY_TOPIC_WEIGHTS, STUDENT_TOPIC_WEIGHTS, Crowd
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
from distillscan.synth.products import APP_SYSTEM, HELPFUL_SYSTEMS, PERSONAL_SYSTEM, TOOL_SYSTEM
from distillscan.synth.timing import TIMEZONES
from distillscan.synth.world import World, new_org, new_payment, random_hex, volumes

_TEMPS: Final = (0.2, 0.3, 0.5, 0.6, 0.7, 0.7, 0.8, 1.0)
_MAX_TOKENS: Final = (256, 512, 1024, 1024, 2048, 4096)
# Team members lean to coding: chat, coding, agentic, math, data, vision, grading, sensitive.
_TEAM_TOPIC_WEIGHTS: Final = (0.3, 0.4, 0.08, 0.04, 0.12, 0.03, 0.02, 0.01)


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
    crowd = Crowd("ordinary", ORDINARY_TOPIC_WEIGHTS, tool=False)
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
    crowd = Crowd("nat", STUDENT_TOPIC_WEIGHTS, tool=False)
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
    crowd = Crowd("popular_tool", ORDINARY_TOPIC_WEIGHTS, tool=True)
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


def build_dataset_users(world: World, rng: Rng, rows: float) -> Crowd:
    """Students and researchers who paste public dataset items and ask for step-by-step reasoning."""
    crowd = Crowd("dataset_user", STUDENT_TOPIC_WEIGHTS, tool=False)
    n = max(10, round(rows / 60))
    for i, total in enumerate(volumes(rng, n, rows, rows / 8, 1.0)):
        system, temps, max_tokens = _human_settings(world, rng)
        crowd.add(world, rng, total=total, created_s=world.start_s - (10 + rng.random() * 500) * DAY,
                  entity_id=f"dataset_user-{i + 1:05d}", tz_h=TIMEZONES[int(rng.random() * len(TIMEZONES))],
                  ips=residential_ips(world, rng), uas=personal_uas(rng), org_id=new_org(rng),
                  payment=new_payment(rng), system=system, temps=temps, max_tokens=max_tokens,
                  dataset_p=0.3 + 0.5 * rng.random(), cot_rate=0.2 + 0.4 * rng.random())
    return crowd


def build_proxy_users(world: World, rng: Rng, rows: float) -> Crowd:
    """Ordinary people (privacy-minded, scraping, travelling) behind the hydra's rotating proxy providers."""
    crowd = Crowd("proxy_user", ORDINARY_TOPIC_WEIGHTS, tool=False)
    n = max(10, round(rows / 45))
    for i, total in enumerate(volumes(rng, n, rows, rows / 6, 1.2)):
        system, temps, max_tokens = _human_settings(world, rng)
        crowd.add(world, rng, total=total, created_s=world.start_s - (rng.random() ** 1.5) * 500 * DAY - 7200,
                  entity_id=f"proxy_user-{i + 1:05d}", tz_h=TIMEZONES[int(rng.random() * len(TIMEZONES))],
                  ips=pick(rng, world.proxy_pools), uas=personal_uas(rng), org_id=new_org(rng),
                  payment=new_payment(rng), system=system, temps=temps, max_tokens=max_tokens)
    return crowd


def build_teams(world: World, rng: Rng, rows: float) -> Crowd:
    """Companies onboarding a team: a burst of accounts in an hour or two, one org, one payment, one office."""
    crowd = Crowd("team", _TEAM_TOPIC_WEIGHTS, tool=False)
    per_member = 60.0
    teams = max(1, round(rows / (per_member * 20)))
    left = rows
    for e in range(teams):
        size = 8 + int(rng.random() * 33) if e < teams - 1 else max(8, min(60, round(left / per_member)))
        if rng.random() < 0.6:
            burst = world.start_s + (rng.random() * (world.days - 5) + 0.3) * DAY
        else:
            burst = world.start_s - (1 + rng.random() * 60) * DAY
        org, payment = f"org_{random_hex(rng, 12)}", new_payment(rng)
        office = new_subnet(rng, cloud=rng.random() < 0.3)
        office_ips = tuple(world.ip(host_in(rng, office)) for _ in range(1 + int(rng.random() * 3)))
        tz_h = TIMEZONES[int(rng.random() * len(TIMEZONES))]
        shared = world.system(APP_SYSTEM(rng)) if rng.random() < 0.3 else 0
        for total in volumes(rng, size, size * per_member, size * per_member / 3, 0.8):
            home = residential_ips(world, rng)[0]
            system, temps, max_tokens = _human_settings(world, rng)
            crowd.add(world, rng, total=total, created_s=burst + rng.random() * 2 * 3600,
                      entity_id=f"team-{e + 1:03d}", tz_h=tz_h,
                      ips=office_ips * 3 + (home,) if rng.random() < 0.5 else office_ips, uas=personal_uas(rng),
                      org_id=org, payment=payment, system=shared or system, temps=temps, max_tokens=max_tokens)
        left -= size * per_member
    return crowd
