"""Group scoring: missing evidence is no evidence; shares count every member."""

from __future__ import annotations

import polars as pl
import pytest

from distillscan.model.evidence import Measurable
from distillscan.model.groups import severity_of
from distillscan.pipeline import analyse_frame
from distillscan.score.components import CONVERSATION_DISCOUNT, SUSTAINED_HOURS, add_components
from distillscan.score.reasons import group_reasons
from tests.helpers import at, requests_frame


def _coordinated_rows(with_infra: bool, created: bool = True) -> list[dict]:
    rows = []
    for i in range(30):
        for j in range(5 + 3 * i):  # uneven volume: no load-balancer signal
            row = {"account_id": f"acct{i:02d}", "timestamp": at(hours=j * 2 + i % 5),
                   "prompt": f"Please look at question {i}-{j} and tell me what you think about it in detail"}
            if with_infra:
                row.update(ip=f"81.{i}.0.1", payment_fingerprint=f"card-{i}")
            if created and i == 0:
                row["account_created_at"] = at(days=-2)
            rows.append(row)
    return rows


def test_missing_infrastructure_columns_are_not_shared_infrastructure() -> None:
    report, _ = analyse_frame(requests_frame(_coordinated_rows(with_infra=False)))
    # Unknown (the log holds no IP, payment or org), not zero: left out of the score.
    assert report.groups["c_shared_infra"].is_null().all()
    assert not any("payment methods" in reason for reasons in report.reasons.values() for reason in reasons)


def test_fresh_share_counts_accounts_without_creation_date() -> None:
    rows = [dict(row, payment_fingerprint="card-1") for row in _coordinated_rows(with_infra=False)]
    report, _ = analyse_frame(requests_frame(rows))
    group = report.groups.filter(report.groups["n_accounts"] == 30).row(0, named=True)
    assert group["fresh_account_share"] == 1 / 30


def test_an_account_seen_before_its_creation_is_not_fresh() -> None:
    # acct00, the one account with a creation date, was created two days after its first
    # request: it is not fresh, and with 1 of 1 dated accounts seen early the log's
    # account age is unknown and left out of the score; creation bursts need no request
    # clock and are still measured.
    rows = [dict(row, payment_fingerprint="card-1") for row in _coordinated_rows(with_infra=False)]
    for row in rows:
        if "account_created_at" in row:
            row["account_created_at"] = at(days=2)
    report, _ = analyse_frame(requests_frame(rows))
    group = report.groups.filter(report.groups["n_accounts"] == 30).row(0, named=True)
    assert group["fresh_account_share"] == 0.0
    assert group["c_fresh_accounts"] is None
    assert group["c_creation_burst"] is not None


def test_severity_bands() -> None:
    assert [severity_of(x) for x in (0.95, 0.7, 0.55, 0.4, 0.1)] == ["critical", "high", "medium", "low", "info"]


def _one_account_group(high_value_share: float, cot_share: float = 0.0) -> dict[str, object]:
    """A single busy account filling one template all day, round the clock."""
    return {
        "group_id": f"G-{high_value_share}-{cot_share}", "n_accounts": 1, "n_requests": 1_000, "n_payments": 1,
        "n_subnets": 1, "templated_share": 1.0, "cot_share": cot_share, "high_value_share": high_value_share,
        "multi_turn_share": 0.0, "fixed_params_share": 1.0, "member_quiet_share": 0.7,
        "creation_burst_share": 0.0, "account_volume_cv": 0.0, "pivot_lift": 0.0, "fresh_account_share": 0.0,
        "templated_cot_requests": 0, "templated_cot_share": 0.0, "shared_cot_share": 0.0, "active_days": 20,
        "active_hours": 300.0, "follow_up_share": 0.0, "stream_follow_up_share": 0.0, "bespoke_accounts": 0,
        "item_linked_accounts": 0, "relayed_frames": 0, "shared_ips": 0, "shared_ip_share": 0.0,
    }


def test_templated_traffic_harvests_in_full_only_on_valuable_capabilities() -> None:
    groups = add_components(pl.DataFrame([
        _one_account_group(high_value_share=0.0), _one_account_group(high_value_share=1.0),
        _one_account_group(high_value_share=0.0, cot_share=1.0),
    ]))
    backend, harvester, reasoning = groups["content"].to_list()
    # An extraction backend is automation, not distillation: half the harvest of a
    # templated stream of coding or maths, and reasoning asks count whatever the topic.
    assert backend < 0.6 < harvester
    assert reasoning > 0.8


def _shared_stream_group(**values: object) -> dict[str, object]:
    """Four accounts sending one reasoning-eliciting template, sustained, single-turn."""
    return _one_account_group(high_value_share=0.5, cot_share=1.0) | {
        "group_id": "G-stream", "n_accounts": 4, "n_payments": 4, "n_subnets": 4, "account_volume_cv": 1.5,
        "member_quiet_share": 0.0, "templated_cot_requests": 1_000, "templated_cot_share": 1.0,
        "shared_cot_share": 1.0,
    } | values


def test_conversing_traffic_counts_less_and_unknown_depth_counts_in_full() -> None:
    groups = add_components(pl.DataFrame([
        _shared_stream_group(),
        _shared_stream_group(group_id="G-scripted", follow_up_share=0.1, stream_follow_up_share=0.1),
        _shared_stream_group(group_id="G-tutor", follow_up_share=0.5, stream_follow_up_share=0.5),
    ]))
    harvest, scripted, tutor = groups["content"].to_list()
    # A "continue" now and then is what scripts send; students asking on half the time
    # is a conversation, and content keeps 1 - CONVERSATION_DISCOUNT of its weight.
    assert scripted == harvest
    assert tutor == pytest.approx(harvest * (1 - CONVERSATION_DISCOUNT))
    unknown = add_components(
        pl.DataFrame([_shared_stream_group(follow_up_share=0.5, stream_follow_up_share=0.5)]),
        Measurable(unknown={"conversation_depth": "no turn values"}),
    )
    assert unknown["c_conversation"].to_list() == [None]
    assert unknown["content"].to_list() == [harvest]


def test_a_reseller_stream_is_judged_by_its_own_follow_ups() -> None:
    groups = add_components(pl.DataFrame([
        _shared_stream_group(follow_up_share=0.5, stream_follow_up_share=0.05),
        _shared_stream_group(follow_up_share=0.5, stream_follow_up_share=0.5),
    ]))
    routed, conversing = groups["content"].to_list()
    assert routed > 0.95 > 0.5 > conversing


def test_a_shared_stream_counts_in_full_only_once_sustained() -> None:
    groups = add_components(pl.DataFrame([
        _shared_stream_group(active_hours=SUSTAINED_HOURS), _shared_stream_group(active_hours=SUSTAINED_HOURS / 4),
    ]))
    sustained, bursts = groups["c_shared_stream"].to_list()
    assert sustained == 1.0
    assert bursts == 0.25


def test_accounts_that_each_reword_one_prompt_are_coordinated() -> None:
    # 100 accounts with their own payment methods and addresses and uneven volumes:
    # nothing but the deliberately varied prompt ties them.
    clean = _one_account_group(high_value_share=0.5, cot_share=0.6) | {
        "n_accounts": 100, "n_payments": 100, "n_subnets": 100, "account_volume_cv": 1.5, "member_quiet_share": 0.2,
    }
    groups = add_components(pl.DataFrame([
        clean | {"group_id": "G-reworded", "bespoke_accounts": 100}, clean | {"group_id": "G-apart"},
    ]))
    reworded, apart = groups.rows(named=True)
    assert apart["c_coordination"] == 0.0 and reworded["c_coordination"] == 1.0
    assert reworded["score"] > apart["score"]
    assert any("each word one system prompt their own way" in reason for reason in group_reasons(reworded, 3))
    assert not any("their own way" in reason for reason in group_reasons(apart, 3))


def test_accounts_linked_by_their_items_are_coordinated() -> None:
    # Aged accounts with their own payment, address and uneven volume that send the same
    # task items far beyond chance: the items are what ties them.
    clean = _one_account_group(high_value_share=0.4, cot_share=0.5) | {
        "n_accounts": 200, "n_payments": 200, "n_subnets": 200, "account_volume_cv": 1.5, "member_quiet_share": 0.05,
    }
    groups = add_components(pl.DataFrame([
        clean | {"group_id": "G-harvest", "item_linked_accounts": 195}, clean | {"group_id": "G-apart"},
    ]))
    harvest, apart = groups.rows(named=True)
    assert apart["c_coordination"] == 0.0 and harvest["c_coordination"] == 0.975
    assert harvest["score"] > apart["score"] and harvest["severity"] in ("medium", "high", "critical")
    assert any("send the same task items" in reason for reason in group_reasons(harvest, 3))
    assert not any("task items" in reason for reason in group_reasons(apart, 3))


def test_accounts_rotating_through_one_proxy_pool_share_infrastructure() -> None:
    # A rotating-proxy campaign in a replay without payment columns: many addresses
    # (no concentration), uneven volumes, timing unknown. Only its pool ties it: the
    # same exits used by many of its accounts, where a team shares one office address.
    replay = Measurable(unknown={
        "daily_timing": "the log spans 0.1 s", "account_creation": "no account_created_at values",
        "account_age": "no account_created_at values", "model_pivot": "no model is released during the log",
    })
    rotating = _shared_stream_group(n_accounts=1_800, n_payments=None, n_subnets=13_000)
    groups = add_components(pl.DataFrame([
        rotating | {"group_id": "G-pool", "shared_ips": 22_000, "shared_ip_share": 0.67},
        rotating | {"group_id": "G-office", "shared_ips": 1, "shared_ip_share": 0.9},
        rotating | {"group_id": "G-apart"},
    ]), replay)
    pool, office, apart = groups.rows(named=True)
    assert apart["c_shared_infra"] == office["c_shared_infra"] == 0.0 and apart["score"] == 0.0
    assert pool["c_shared_infra"] == pytest.approx(0.67)
    assert pool["severity"] in ("high", "critical")
    reasons = group_reasons(pool, 3)
    assert any("22,000 of the IPs each used by two or more of them (67%" in reason for reason in reasons)
    assert not any("in bursts" in reason for reason in reasons)
    assert not any("proxy pool" in reason for reason in group_reasons(office, 3))
