"""Allowlist: parsing, matching, and the design that keeps attackers from hiding behind it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from distillscan.errors import UsageError
from distillscan.pipeline import analyse, analyse_allowing
from distillscan.triage.allow import (
    combine,
    config_allowlist,
    match_allowlist,
    parse_allowlist,
    read_allowlist,
    split_aggregates,
)
from tests.helpers import aggregate, at, requests_frame


def test_parse_skips_comments_and_blank_lines_and_dedupes() -> None:
    allowlist = parse_allowlist(
        "# partners\n\naccount:acct_1   # eval partner\n  org:org_9\naccount:acct_1\naccount:a#b\n", "allow.txt"
    )
    assert [entry.label for entry in allowlist.entries] == ["account:acct_1", "org:org_9", "account:a#b"]
    assert allowlist.entries[0].source == "allow.txt:3"
    assert allowlist.entries[1].source == "allow.txt:4"


@pytest.mark.parametrize("line", ["acct_1", "user:acct_1", "account:", ":x"])
def test_malformed_entries_are_usage_errors_naming_the_line(line: str) -> None:
    with pytest.raises(UsageError, match=r"allow\.txt:2: expected KIND:VALUE"):
        parse_allowlist(f"account:ok\n{line}\n", "allow.txt")


def test_template_entries_are_refused_with_the_reason() -> None:
    with pytest.raises(UsageError, match="anyone can send a template"):
        parse_allowlist("template:7e756a5b2e5ab702\n", "allow.txt")


def test_read_allowlist_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read allowlist"):
        read_allowlist(tmp_path / "missing.txt")


def test_config_allow_key(tmp_path: Path) -> None:
    config = tmp_path / "distillscan.toml"
    config.write_text('preset = "native"\nallow = ["account:acct_2", "org:org_1"]\n', encoding="utf-8")
    allowlist = config_allowlist(config)
    assert allowlist is not None
    assert [entry.label for entry in allowlist.entries] == ["account:acct_2", "org:org_1"]
    merged = combine([allowlist, parse_allowlist("account:acct_2\naccount:acct_3\n", "more.txt")])
    assert [entry.label for entry in merged.entries] == ["account:acct_2", "org:org_1", "account:acct_3"]
    assert merged.sources == (str(config), "more.txt")
    config.write_text('allow = "account:acct_2"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="must be a list"):
        config_allowlist(config)
    config.write_text('preset = "native"\n', encoding="utf-8")
    assert config_allowlist(config) is None


def _orgs_frame():
    rows = [
        {"account_id": "a1", "timestamp": at(hours=1), "prompt": "hello there", "org_id": "org_ok"},
        {"account_id": "a2", "timestamp": at(hours=2), "prompt": "hello there", "org_id": "org_ok"},
        {"account_id": "a2", "timestamp": at(hours=3), "prompt": "hello again", "org_id": "org_other"},
        {"account_id": "a3", "timestamp": at(hours=4), "prompt": "hi", "org_id": None},
    ]
    return aggregate(requests_frame(rows))


def test_org_entry_allows_only_accounts_wholly_in_allowed_orgs() -> None:
    aggregates = _orgs_frame()
    allowlist = parse_allowlist("org:org_ok\naccount:a3\naccount:ghost\n", "allow.txt")
    matches = match_allowlist(aggregates, allowlist)
    assert matches.rows() == [("a1", "org:org_ok"), ("a3", "account:a3")]


def test_split_recounts_frames_per_side() -> None:
    aggregates = _orgs_frame()
    kept, allowed = split_aggregates(aggregates, match_allowlist(
        aggregates, parse_allowlist("account:a1\n", "x"))["account_id"])
    assert sorted(kept.accounts["account_id"]) == ["a2", "a3"]
    assert allowed.accounts["account_id"].to_list() == ["a1"]
    # Only "hello there" is sent twice; the one-off prompts live in account_frames only.
    kept_frames, allowed_frames = kept.frames.lazy().collect(), allowed.frames.lazy().collect()
    assert kept_frames["n"].sum() == 1 and allowed_frames["n"].sum() == 1
    assert kept_frames["n"].sum() + allowed_frames["n"].sum() == aggregates.frames.lazy().collect()["n"].sum()
    assert kept.account_frames.filter(pl.col("frame_fp").is_null())["n_frames"].sum() == 2


def _campaign_next_to_partner() -> list[dict]:
    """Four operator accounts that share a template and payment method with a partner
    account that is on the allowlist (the attacker links themselves to it)."""
    rows = []
    for i, account in enumerate(["partner", "op1", "op2", "op3", "op4"]):
        for j in range(12):
            rows.append({
                "account_id": account, "timestamp": at(days=j % 6, hours=(i * 5 + j) % 24),
                "prompt": f"Reason step by step about case {i * 100 + j} and give the final answer.",
                "payment_fingerprint": "card-9", "ip": f"45.9.9.{i}",
            })
    return rows


def test_attacker_linked_to_an_allowed_account_is_not_hidden() -> None:
    aggregates = aggregate(requests_frame(_campaign_next_to_partner()))
    unfiltered = analyse(aggregates)
    assert unfiltered.linkage.membership["group_id"].n_unique() == 1  # all five linked
    analysis, suppression = analyse_allowing(aggregates, parse_allowlist("account:partner\n", "allow.txt"))
    membership = dict(analysis.linkage.membership.iter_rows())
    assert "partner" not in membership
    assert len(set(membership.values())) == 1 and set(membership) == {"op1", "op2", "op3", "op4"}
    reported = analysis.report.groups.row(0, named=True)
    assert reported["n_accounts"] == 4
    assert suppression.matches.rows() == [("partner", "account:partner")]
    assert suppression.report.groups["n_accounts"].to_list() == [1]
    assert suppression.group_entries() == {
        suppression.report.groups["group_id"][0]: ["account:partner"]
    }
    summary = suppression.summary_document()
    assert summary["accounts"] == 1 and summary["groups"] == 1
    assert summary["entries"] == [{"entry": "account:partner", "accounts": 1}]


def test_unmatched_entries_are_reported() -> None:
    aggregates = aggregate(requests_frame(_campaign_next_to_partner()))
    _, suppression = analyse_allowing(aggregates, parse_allowlist("account:op1\norg:nobody\naccount:gone\n", "a"))
    assert [entry.label for entry in suppression.unmatched] == ["org:nobody", "account:gone"]
    assert suppression.summary_document()["unmatched_entries"] == ["org:nobody", "account:gone"]


def test_allowing_everyone_leaves_an_empty_report() -> None:
    aggregates = _orgs_frame()
    analysis, suppression = analyse_allowing(
        aggregates, parse_allowlist("account:a1\naccount:a2\naccount:a3\n", "x")
    )
    assert analysis.report.groups.height == 0
    assert suppression.report.groups["n_accounts"].sum() == 3


def test_allowlist_matching_nobody_changes_nothing() -> None:
    aggregates = aggregate(requests_frame(_campaign_next_to_partner()))
    plain = analyse(aggregates)
    analysis, suppression = analyse_allowing(aggregates, parse_allowlist("account:nobody\n", "a"))
    assert analysis.report.groups.equals(plain.report.groups)
    assert analysis.linkage.membership.equals(plain.linkage.membership)
    assert suppression.report.groups.height == 0
