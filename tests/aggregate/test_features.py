"""Aggregates merge exactly across shards; features describe accounts correctly."""

from __future__ import annotations

import polars as pl

from distillscan.aggregate.features import (
    merge_aggregates,
    network_of,
    profile,
    shard_aggregates,
)
from distillscan.fingerprint.cluster import cluster_templates
from tests.helpers import assert_same_aggregates, at, requests_frame


def _rows() -> list[dict]:
    rows = []
    for hour in range(48):  # a script: every hour, around the clock, one template
        rows.append({"account_id": "bot", "timestamp": at(hours=hour), "prompt": f"Solve problem {hour} step by step.",
                     "ip": "45.1.2.3", "model": "atlas-2", "temperature": 0.7, "max_tokens": 512})
    for day in range(2):  # a person: daytime only, varied text, multi-turn
        for hour, text in [(9, "plan a trip to rome"), (13, "what rhymes with orange"), (20, "summarise this email for me please")]:
            rows.append({"account_id": "person", "timestamp": at(days=day, hours=hour), "prompt": f"{text} {day}",
                         "ip": f"81.2.{day}.9", "model": "atlas-2", "n_turns": 2 if hour == 13 else 1})
    return rows


def _aggregate(frame: pl.DataFrame, *, complete: bool = True):
    return shard_aggregates(frame.lazy(), complete=complete)


def _features_by_account(rows: list[dict]) -> dict[str, dict]:
    aggregates = _aggregate(requests_frame(rows))
    templates = cluster_templates(aggregates.frames.rename({"n": "n_requests"}))
    return {row["account_id"]: row for row in profile(aggregates, templates).iter_rows(named=True)}


def test_shard_merge_equals_single_pass() -> None:
    frame = requests_frame(_rows())
    whole = merge_aggregates([_aggregate(frame, complete=False)])
    halves = merge_aggregates([_aggregate(frame[::2], complete=False), _aggregate(frame[1::2], complete=False)])
    assert_same_aggregates(whole, halves)


def test_profile_separates_script_from_person() -> None:
    features = _features_by_account(_rows())
    bot, person = features["bot"], features["person"]
    assert bot["n_requests"] == 48 and person["n_requests"] == 6
    assert bot["quiet_share"] > 0.9 and person["quiet_share"] == 0.0
    assert bot["cot_share"] == 1.0 and person["cot_share"] == 0.0
    assert bot["templated_share"] == 1.0 and person["templated_share"] == 0.0
    assert bot["fixed_params_share"] == 1.0 and person["fixed_params_share"] == 0.0
    assert person["multi_turn_share"] == 2 / 6
    assert bot["n_ips"] == 1 and person["n_subnets"] == 2
    assert bot["topic_math_reasoning"] == 1.0
    assert bot["n_topics"] == 1 and bot["topic_entropy"] == 0.0
    assert person["n_topics"] == 1 and person["top_topic"] == "general_chat"


def test_network_of_parses_addresses() -> None:
    assert network_of("10.1.2.3") == "10.1.2.0/24"
    assert network_of("::ffff:10.1.2.3") == "10.1.2.0/24"  # IPv4-mapped: the same /24
    assert network_of("2001:db8::1") == network_of("2001:db8:0:5::1") == "2001:db8::/48"
    assert network_of("junk") is None and network_of(None) is None


def test_subnet_rows_agree_with_network_of_on_every_spelling() -> None:
    from distillscan.aggregate.features import _with_subnets

    spellings = ["10.1.2.3", "255.255.255.255", "0.0.0.0", "010.1.2.3", "256.1.2.3", " 10.1.2.3", "1.2.3",
                 "::ffff:10.1.2.3", "2001:db8::1", "junk", "1.2.3.4.5", "192.168.001.1", "9.9.9.9\n"]
    values = pl.DataFrame({"account_id": [f"a{i}" for i in range(len(spellings))], "kind": "ip",
                           "value": spellings, "n": pl.Series([1] * len(spellings), dtype=pl.UInt32)})
    subnets = _with_subnets(values).filter(pl.col("kind") == "subnet")
    got = dict(zip(subnets["account_id"], subnets["value"], strict=True))
    expected = {f"a{i}": network_of(ip) for i, ip in enumerate(spellings) if network_of(ip) is not None}
    assert got == expected


def test_activity_spread_counts_each_slot_once_across_models() -> None:
    # Slot 1 holds 1 request, slot 2 holds 3 (split over two models): mean 2, std 1.
    rows = [{"account_id": "a", "timestamp": at(hours=1), "prompt": "hi", "model": "atlas-2"}]
    rows += [{"account_id": "a", "timestamp": at(hours=5), "prompt": "hi", "model": model}
             for model in ("atlas-2", "atlas-2", "atlas-3")]
    rows += [{"account_id": "b", "timestamp": at(hours=2), "prompt": "hey", "model": "atlas-2"}] * 4
    features = _features_by_account(rows)
    assert features["a"]["active_slots"] == 2 and features["a"]["slot_cv"] == 0.5
    assert features["b"]["active_slots"] == 1 and features["b"]["slot_cv"] == 0.0


def test_infrastructure_counts_are_zero_when_missing_and_null_when_never_logged() -> None:
    rows = [{"account_id": "a", "timestamp": at(), "prompt": "hi", "ip": "10.0.0.1", "payment_fingerprint": "card_1"},
            {"account_id": "b", "timestamp": at(), "prompt": "hi", "ip": "10.0.0.2"}]
    features = _features_by_account(rows)
    assert features["a"]["n_payments"] == 1
    assert features["b"]["n_payments"] == 0
    assert features["a"]["n_orgs"] is None and features["b"]["n_orgs"] is None
