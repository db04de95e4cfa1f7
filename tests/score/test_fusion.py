"""Unknown evidence drops out of the score with its weight redistributed; it never
collapses the score to zero."""

from __future__ import annotations

import math
from datetime import timedelta

import polars as pl
import pytest

from distillscan.model.evidence import FAMILIES, Measurable
from distillscan.pipeline import analyse_frame
from distillscan.score.components import (
    BEHAVIOUR_WEIGHTS,
    MAX_REDISTRIBUTED_WEIGHT,
    MAX_REDISTRIBUTION_FACTOR,
    UNLIFTED,
    behaviour_weights,
)
from tests.helpers import at, requests_frame


def test_known_behaviour_weights_take_the_unknown_ones_share() -> None:
    assert behaviour_weights(Measurable()) == BEHAVIOUR_WEIGHTS
    no_timing = behaviour_weights(Measurable({"daily_timing": "short"}))
    assert set(no_timing) == set(BEHAVIOUR_WEIGHTS) - {"automation", "shared_stream"}
    total, known = sum(BEHAVIOUR_WEIGHTS.values()), 2.3 - 0.6 - 0.4
    assert no_timing["pivot"] == pytest.approx(0.4 * total / known)
    assert no_timing["coordination"] == MAX_REDISTRIBUTED_WEIGHT  # 0.6 * total / known, capped
    nothing_but_coordination = behaviour_weights(Measurable(dict.fromkeys(FAMILIES, "no")))
    assert nothing_but_coordination == {"coordination": MAX_REDISTRIBUTED_WEIGHT}


def test_no_component_is_lifted_past_twice_its_weight_and_fresh_accounts_not_at_all() -> None:
    # A replay: timing and the model pivot unknown. "First used within 30 days of
    # creation" is true of every new customer; in proportion it would weigh 0.77, at
    # twice its own 0.6, which alone took single users of a popular agent to medium.
    replay = behaviour_weights(Measurable({"daily_timing": "short", "model_pivot": "no release"}))
    assert replay == {"coordination": MAX_REDISTRIBUTED_WEIGHT, "fresh_accounts": BEHAVIOUR_WEIGHTS["fresh_accounts"]}
    assert {"fresh_accounts"} == UNLIFTED
    # Timing and account age unknown: the pivot would take 0.92 in proportion.
    undated = behaviour_weights(Measurable({"daily_timing": "short", "account_age": "no column"}))
    assert undated["pivot"] == pytest.approx(BEHAVIOUR_WEIGHTS["pivot"] * MAX_REDISTRIBUTION_FACTOR)


QUESTIONS = ("what should I cook tonight", "is it going to rain in lisbon", "help me word an apology",
             "explain how vaccines train the immune system", "suggest a name for a grey kitten",
             "why do cats purr", "plan a weekend in the alps", "translate good morning into polish",
             "what rhymes with silver", "how long should I boil an egg", "summarise the plot of hamlet",
             "recommend a sci-fi novel", "how do I fix a squeaky door")


def _replay(campaign: bool, start_minutes: float) -> list[dict[str, object]]:
    """Twelve accounts squeezed into one minute: a campaign sharing a subnet and a
    reasoning template, or unrelated people asking varied questions."""
    rows: list[dict[str, object]] = []
    for account in range(12):
        for j in range(20 if campaign else 2 + account):
            prompt = (f"You are a rigorous solver. Solve problem {account * 100 + j}: a train leaves at {j} "
                      "... Show your reasoning step by step before the final answer." if campaign
                      else f"{QUESTIONS[(account + j) % len(QUESTIONS)]} {'please' * (j % 2)}")
            rows.append({
                "account_id": f"{'c' if campaign else 'p'}{account:02d}",
                "timestamp": at(minutes=start_minutes) + timedelta(seconds=account + j * 0.1),
                "prompt": prompt, "ip": f"45.9.1.{account}" if campaign else f"81.{account}.7.2",
                "temperature": 0.0 if campaign else None, "model": "m",
            })
    return rows


def test_a_campaign_in_a_replay_still_outranks_people_with_timing_unknown() -> None:
    rows = _replay(campaign=True, start_minutes=0) + _replay(campaign=False, start_minutes=0.5)
    report, linkage = analyse_frame(requests_frame(rows))
    groups = report.groups
    assert groups["c_automation"].is_null().all() and groups["c_shared_stream"].is_null().all()
    campaign = linkage.membership.filter(pl.col("account_id") == "c00")["group_id"][0]
    top = groups.row(0, named=True)
    assert top["group_id"] == campaign and top["n_accounts"] == 12
    assert top["score"] > 0.5 and top["behaviour"] > 0
    people = groups.filter(pl.col("group_id") != campaign)
    assert people["score"].max() < 0.35  # type: ignore[operator]
    weights = behaviour_weights(Measurable({"daily_timing": "", "account_creation": "", "account_age": "", "model_pivot": ""}))
    behaviour = 1 - math.prod(1 - weight * top[f"c_{name}"] for name, weight in weights.items())
    assert top["behaviour"] == pytest.approx(behaviour)


def test_a_campaign_rotating_through_a_proxy_pool_in_a_replay_is_not_scored_zero() -> None:
    # No payment columns, timing squeezed into a minute, uneven volumes, every request
    # from an exit of one pool of 60 addresses in 60 /24s: more subnets than accounts,
    # so only the exits the accounts share show their coordination.
    volumes = [3] * 9 + [60, 120, 240]
    rows: list[dict[str, object]] = []
    for account, volume in enumerate(volumes):
        for j in range(volume):
            exit_number = (account * 17 + j * 7) % 60
            rows.append({
                "account_id": f"c{account:02d}",
                "timestamp": at() + timedelta(seconds=(account + j) % 60),
                "prompt": f"You are a rigorous solver. Solve problem {account * 1000 + j}: a train leaves at {j} "
                          "... Show your reasoning step by step before the final answer.",
                "ip": f"{100 + exit_number}.9.3.1", "model": "m",
            })
    report, _ = analyse_frame(requests_frame(rows + _replay(campaign=False, start_minutes=0.5)))
    top = report.groups.row(0, named=True)
    assert top["n_accounts"] == len(volumes) and top["n_subnets"] == 60
    assert top["c_load_balance"] == 0.0 and top["c_automation"] is None
    assert top["shared_ips"] == 60 and top["shared_ip_share"] == 1.0
    assert top["behaviour"] > 0.3 and top["score"] > 0.5
