"""Relays: groups that send prompt frames only a flagged group's accounts send."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from distillscan.link.attach import MIN_GROUP_SIZE
from distillscan.link.frames import OWN_SHARE
from distillscan.link.groups import group_id_for
from distillscan.pipeline import analyse_frame
from distillscan.score.components import RELAY_SATURATION, RELAY_WEIGHT, add_components
from distillscan.score.reasons import group_reasons
from distillscan.score.relay import OWNER_SEVERITIES, relayed_frames
from tests.helpers import at, campaign_rows, customer_rows, requests_frame
from tests.score.test_score import _one_account_group

OWNER = "G-owner"
OWNERS = [f"own{i:02d}" for i in range(MIN_GROUP_SIZE + 2)]


def _frames(rows: list[tuple[str, int, int]]) -> pl.DataFrame:
    """An account × frame table from (account, frame, requests) rows."""
    return pl.DataFrame(rows, schema={"account_id": pl.String, "frame_fp": pl.UInt64, "n": pl.UInt32}, orient="row")


def _relays(rows: list[tuple[str, int, int]], groups: dict[str, str],
            owners: list[str] | None = None) -> dict[str, tuple[int, int, str]]:
    membership = pl.DataFrame({"account_id": list(groups), "group_id": list(groups.values())})
    found = relayed_frames(_frames(rows), membership, pl.DataFrame({"group_id": owners or [OWNER]}))
    return {row[0]: row[1:] for row in found.iter_rows()}


def test_a_group_sending_an_owners_templates_relays_them() -> None:
    groups = dict.fromkeys(OWNERS, OWNER) | {"relay-a": "G-relay", "relay-b": "G-relay", "other": "G-other"}
    rows = [(account, frame, 5) for account in OWNERS for frame in (1, 2, 3)]
    # Frame 12 is another frame, even if clustering took it into one template with 2.
    rows += [("relay-a", 1, 4), ("relay-a", 2, 2), ("relay-a", 12, 2), ("relay-b", 3, 1), ("relay-b", 9, 100),
             ("other", 9, 7)]
    assert _relays(rows, groups) == {"G-relay": (3, 7, OWNER)}


def test_templates_that_strangers_send_too_are_nobodys_own() -> None:
    strangers = [f"s{i}" for i in range(3)]
    groups = dict.fromkeys(OWNERS, OWNER) | {name: f"G-{name}" for name in strangers}
    # 12 members against 3 strangers outside the group tested (2 of them, for each):
    # 12 < 0.95 × 14 for each stranger, so the frame is a shared one, not the owner's.
    rows = [(account, 1, 5) for account in OWNERS] + [(name, 1, 1) for name in strangers]
    assert len(OWNERS) < OWN_SHARE * (len(OWNERS) + len(strangers) - 1)
    assert _relays(rows, groups) == {}
    # One stranger alone is within the share: it relays.
    assert _relays(rows[: len(OWNERS) + 1], groups) == {"G-s0": (1, 1, OWNER)}


def test_a_group_too_small_or_unflagged_owns_nothing() -> None:
    few = OWNERS[: MIN_GROUP_SIZE - 1]
    groups = dict.fromkeys(few, OWNER) | {"relay": "G-relay", "flagged": "G-flagged"}
    rows = [(account, 1, 5) for account in few] + [("relay", 1, 3), ("flagged", 1, 2)]
    assert _relays(rows, groups) == {}
    # A group that is not among the owners (not flagged) owns nothing, whatever its size.
    groups = dict.fromkeys(OWNERS, "G-unflagged") | {"relay": "G-relay"}
    rows = [(account, 1, 5) for account in OWNERS] + [("relay", 1, 3)]
    assert _relays(rows, groups, owners=["G-elsewhere"]) == {}


def test_the_owner_relayed_most_is_named_ties_to_the_smaller_id() -> None:
    second = [f"two{i:02d}" for i in range(MIN_GROUP_SIZE)]
    groups = dict.fromkeys(OWNERS, "G-b") | dict.fromkeys(second, "G-a") | {"relay": "G-relay"}
    rows = [(account, 1, 1) for account in OWNERS] + [(account, 2, 1) for account in second]
    rows += [("relay", 1, 1), ("relay", 2, 1)]
    assert _relays(rows, groups, owners=["G-a", "G-b"]) == {"G-relay": (2, 2, "G-a")}
    rows += [(account, 3, 1) for account in OWNERS] + [("relay", 3, 1)]
    assert _relays(rows, groups, owners=["G-a", "G-b"]) == {"G-relay": (3, 3, "G-b")}


def test_relaying_adds_to_behaviour_at_its_own_weight() -> None:
    quiet = _one_account_group(high_value_share=0.0, cot_share=1.0) | {"member_quiet_share": 0.0}
    counts = (0, 1, 2, RELAY_SATURATION, 50)
    rows = [quiet | {"group_id": f"G-{k}", "relayed_frames": k} for k in counts]
    scored = add_components(pl.DataFrame(rows)).sort("relayed_frames")
    base = scored["behaviour"][0]
    relay = scored["c_relay"].to_list()
    # One frame is a coincidence; the second counts.
    assert relay == pytest.approx([0.0, 0.0, 1 / (RELAY_SATURATION - 1), 1.0, 1.0])
    for value, behaviour in zip(relay, scored["behaviour"], strict=True):
        assert behaviour == pytest.approx(1 - (1 - base) * (1 - RELAY_WEIGHT * value))
    assert scored["score"].to_list() == sorted(scored["score"].to_list())


def test_the_reason_names_the_group_relayed() -> None:
    row = {"n_accounts": 3, "n_requests": 900, "c_relay": 1.0, "relayed_frames": 11, "relayed_requests": 239,
           "relayed_from": "G-0123456789"}
    assert group_reasons(row, 0) == [
        "3 accounts send 11 prompt frames that only the accounts of G-0123456789, a flagged group, send "
        "(239 requests): its traffic, relayed"
    ]
    assert group_reasons(row | {"c_relay": 0.0, "relayed_frames": 1}, 0) == []


def _campaign_and_reseller(relayed: bool) -> pl.DataFrame:
    """A flagged campaign, and a reseller of two accounts on one card (a group of its
    own, never attached to the campaign: `link.frames` attaches lone accounts only)
    whose customers chat, with (or without) a few of the campaign's requests mixed in."""
    wrappers = (0, 1, 2) if relayed else ()
    return requests_frame(
        campaign_rows(MIN_GROUP_SIZE + 2)
        + customer_rows("reseller-0", 0, wrappers, "81.2.0.1", "visa-9")
        + customer_rows("reseller-1", 1, wrappers, "81.2.0.2", "visa-9")
    )


def test_a_reseller_relaying_a_flagged_campaign_is_scored_on_it() -> None:
    plain, _ = analyse_frame(_campaign_and_reseller(relayed=False))
    report, linkage = analyse_frame(_campaign_and_reseller(relayed=True))
    group_of = dict(linkage.membership.iter_rows())
    groups = {row["group_id"]: row for row in report.groups.iter_rows(named=True)}
    campaign, reseller = groups[group_of["op00"]], groups[group_of["reseller-0"]]
    assert campaign["n_accounts"] == MIN_GROUP_SIZE + 2 and campaign["severity"] in OWNER_SEVERITIES
    assert reseller["n_accounts"] == 2
    assert (reseller["relayed_frames"], reseller["relayed_requests"]) == (3, 6)
    assert reseller["relayed_from"] == campaign["group_id"] and reseller["c_relay"] == 1.0
    apart = plain.groups.filter(pl.col("n_accounts") == 2).row(0, named=True)
    assert apart["relayed_frames"] == 0 and apart["relayed_from"] is None
    assert reseller["behaviour"] == pytest.approx(1 - (1 - apart["behaviour"]) * (1 - RELAY_WEIGHT), abs=0.05)
    assert any("a flagged group" in reason for reason in report.reasons[reseller["group_id"]])


def _busy_customers(account: str, topic: int, relayed: tuple[int, ...]) -> list[dict[str, Any]]:
    """`customer_rows` on card visa-9 around the clock, a third of them asking for the
    reasoning: a reseller that the relay alone lifts to high."""
    rows = customer_rows(account, topic, relayed, f"81.2.0.{topic + 1}", "visa-9")
    for step, row in enumerate(rows):
        row["timestamp"] = at(days=step // 6, hours=(step * 4 + topic) % 24, minutes=step % 50)
        if step >= len(relayed) and step % 3 == 0:
            row["prompt"] += " and explain your reasoning step by step"
    return rows


def test_a_member_relaying_nothing_is_set_apart_from_the_group_the_relay_lifts() -> None:
    campaign = campaign_rows(MIN_GROUP_SIZE + 2)
    both, _ = analyse_frame(requests_frame(campaign + _busy_customers("reseller-0", 0, (0, 1, 2))
                                           + _busy_customers("reseller-1", 1, (0, 1, 2))))
    report, linkage = analyse_frame(requests_frame(campaign + _busy_customers("reseller-0", 0, (0, 1, 2))
                                                   + _busy_customers("reseller-1", 1, ())))
    group_of = dict(linkage.membership.iter_rows())
    assert dict(report.membership.iter_rows()) == group_of
    groups = {row["group_id"]: row for row in report.groups.iter_rows(named=True)}
    relaying, apart = groups[group_of["reseller-0"]], groups[group_of["reseller-1"]]
    assert relaying["group_id"] != apart["group_id"]
    assert relaying["severity"] in OWNER_SEVERITIES and relaying["n_accounts"] == 1
    assert (relaying["relayed_frames"], relaying["set_apart"], relaying["split_from"]) == (3, 1, None)
    assert apart["severity"] not in OWNER_SEVERITIES and apart["relayed_frames"] == 0
    assert (apart["split_from"], apart["set_apart"]) == (relaying["group_id"], 0)
    assert any("reported apart" in reason for reason in report.reasons[relaying["group_id"]])
    assert any(f"reported apart from {relaying['group_id']}" in reason for reason in report.reasons[apart["group_id"]])
    # Ids stay derived from the smallest member: reseller-0 keeps the group's id; where
    # both relay, the two stay one group.
    together = both.groups.filter(pl.col("group_id") == relaying["group_id"]).row(0, named=True)
    assert together["n_accounts"] == 2 and together["set_apart"] == 0


def test_ids_stay_derived_from_the_smallest_member_when_it_is_the_one_set_apart() -> None:
    # reseller-0, the group's smallest account and so its id, relays nothing.
    report, linkage = analyse_frame(requests_frame(
        campaign_rows(MIN_GROUP_SIZE + 2) + _busy_customers("reseller-0", 0, ())
        + _busy_customers("reseller-1", 1, (0, 1, 2))
    ))
    group_of = dict(linkage.membership.iter_rows())
    assert (group_of["reseller-0"], group_of["reseller-1"]) == (group_id_for("reseller-0"), group_id_for("reseller-1"))
    apart = report.groups.filter(pl.col("group_id") == group_id_for("reseller-0")).row(0, named=True)
    assert (apart["n_accounts"], apart["split_from"]) == (1, group_id_for("reseller-1"))


def test_a_group_flagged_without_the_relay_keeps_its_members() -> None:
    # Both accounts relay: nobody is set apart, and the campaign (an owner) keeps all.
    report, linkage = analyse_frame(_campaign_and_reseller(relayed=True))
    assert report.groups["set_apart"].sum() == 0 and report.groups["split_from"].null_count() == report.groups.height
    assert linkage.membership.group_by("group_id").len()["len"].sort().to_list() == [2, MIN_GROUP_SIZE + 2]
