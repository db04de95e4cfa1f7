"""Baseline comparison: matching by accounts and templates, statuses, and reading reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from distillscan.model.groups import GroupReport
from distillscan.triage.baseline import (
    BaselineError,
    compare,
    load_baseline,
    parse_baseline,
)


def _report(groups: list[dict[str, Any]]) -> tuple[GroupReport, pl.DataFrame]:
    """A current report from {group_id, severity, accounts, n_requests, templates}."""
    frame = pl.DataFrame(
        [
            {"group_id": g["group_id"], "severity": g["severity"], "n_accounts": len(g["accounts"]),
             "n_requests": g["n_requests"]}
            for g in groups
        ],
        schema={"group_id": pl.String, "severity": pl.String, "n_accounts": pl.UInt32, "n_requests": pl.UInt32},
    )
    templates = pl.DataFrame(
        [{"group_id": g["group_id"], "template": t} for g in groups for t in g.get("templates", [])],
        schema={"group_id": pl.String, "template": pl.String},
    )
    membership = pl.DataFrame(
        [{"account_id": a, "group_id": g["group_id"]} for g in groups for a in g["accounts"]],
        schema={"account_id": pl.String, "group_id": pl.String},
    )
    report = GroupReport(groups=frame, accounts=pl.DataFrame(), templates=templates, reasons={}, membership=membership)
    return report, membership


def _document(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """A previous JSON report with the fields the baseline reads."""
    return {
        "schema_version": 1,
        "summary": {"tool": {"name": "distillscan", "version": "0.1.0"}},
        "groups": [
            {
                "group_id": g["group_id"], "rank": rank, "score": 0.9, "severity": g["severity"],
                "n_accounts": len(g["accounts"]), "n_requests": g["n_requests"], "accounts": g["accounts"],
                "templates": [{"template": t} for t in g.get("templates", [])],
            }
            for rank, g in enumerate(groups, start=1)
        ],
    }


def _compare(previous: list[dict[str, Any]], current: list[dict[str, Any]]):
    report, membership = _report(current)
    return compare(report, membership, parse_baseline(_document(previous), "base.json", 1))


def _status(comparison, group_id: str) -> dict[str, Any]:
    return comparison.statuses.filter(pl.col("group_id") == group_id).row(0, named=True)


GROUP = {"group_id": "G-b", "severity": "high", "accounts": ["b", "c", "d", "e", "f"], "n_requests": 100,
         "templates": ["t1", "t2"]}


def test_same_groups_are_unchanged_and_nothing_is_gone() -> None:
    comparison = _compare([GROUP], [GROUP])
    row = _status(comparison, "G-b")
    assert (row["status"], row["baseline_group_id"], row["similarity"]) == ("unchanged", "G-b", 1.0)
    assert comparison.gone.height == 0


def test_matching_ignores_group_ids_a_smaller_member_changes_the_id() -> None:
    current = {**GROUP, "group_id": "G-a", "accounts": ["a", *GROUP["accounts"]]}
    row = _status(_compare([GROUP], [current]), "G-a")
    assert row["baseline_group_id"] == "G-b"
    assert row["new_accounts"] == 1
    assert row["status"] == "grown"  # 1 new account is 20% of 5


def test_growth_thresholds_are_exact() -> None:
    fifteen = {**GROUP, "accounts": [f"x{i:02d}" for i in range(15)]}
    two_new = {**fifteen, "group_id": "G-x", "accounts": fifteen["accounts"] + ["y1", "y2"]}
    three_new = {**fifteen, "group_id": "G-x", "accounts": fifteen["accounts"] + ["y1", "y2", "y3"]}
    assert _status(_compare([fifteen], [two_new]), "G-x")["status"] == "unchanged"
    assert _status(_compare([fifteen], [three_new]), "G-x")["status"] == "grown"  # 3 of 15 = 20%
    assert _status(_compare([GROUP], [{**GROUP, "n_requests": 119}]), "G-b")["status"] == "unchanged"
    assert _status(_compare([GROUP], [{**GROUP, "n_requests": 120}]), "G-b")["status"] == "grown"
    assert _status(_compare([GROUP], [{**GROUP, "severity": "critical"}]), "G-b")["status"] == "grown"
    assert _status(_compare([GROUP], [{**GROUP, "severity": "medium", "n_requests": 50}]), "G-b")["status"] == "unchanged"


def test_accounts_moved_from_another_baseline_group_are_not_new() -> None:
    other = {"group_id": "G-p", "severity": "high", "accounts": ["p", "q"], "n_requests": 40, "templates": ["t9"]}
    merged = {**GROUP, "accounts": GROUP["accounts"] + other["accounts"], "n_requests": 110}
    comparison = _compare([GROUP, other], [merged])
    row = _status(comparison, "G-b")
    assert (row["baseline_group_id"], row["new_accounts"], row["status"]) == ("G-b", 0, "unchanged")
    assert comparison.gone.height == 0  # G-p's accounts carry on inside G-b


def test_new_group_and_gone_group() -> None:
    fresh = {"group_id": "G-z", "severity": "critical", "accounts": ["z1", "z2"], "n_requests": 300,
             "templates": ["t1", "t2"]}
    comparison = _compare([GROUP], [fresh])
    row = _status(comparison, "G-z")
    assert row["status"] == "new" and row["baseline_group_id"] is None
    assert comparison.gone["baseline_group_id"].to_list() == ["G-b"]  # shared templates alone do not match


def test_best_match_wins_with_deterministic_tie_break() -> None:
    left = {"group_id": "G-l", "severity": "high", "accounts": ["a", "b"], "n_requests": 10}
    right = {"group_id": "G-r", "severity": "high", "accounts": ["c", "d"], "n_requests": 10}
    joined = {"group_id": "G-a", "severity": "high", "accounts": ["a", "b", "c", "d"], "n_requests": 20}
    first = _status(_compare([left, right], [joined]), "G-a")
    swapped = _status(_compare([right, left], [joined]), "G-a")
    # Equal similarity and Jaccard: the better baseline rank wins.
    assert first["baseline_group_id"] == "G-l" and swapped["baseline_group_id"] == "G-r"
    bigger = {**right, "accounts": ["c", "d", "e"]}
    joined_more = {**joined, "accounts": ["a", "b", "c", "d", "e"]}
    assert _status(_compare([left, bigger], [joined_more]), "G-a")["baseline_group_id"] == "G-r"


def test_summary_counts_only_reported_groups() -> None:
    fresh = {"group_id": "G-z", "severity": "info", "accounts": ["z1"], "n_requests": 3}
    comparison = _compare([GROUP], [GROUP, fresh])
    summary = comparison.summary_document(["G-b"])
    assert summary["reported"] == {"new": 0, "grown": 0, "unchanged": 1}
    assert summary["groups"] == 1 and summary["gone"] == []
    assert comparison.group_document("G-z") == {"status": "new", "matched_group_id": None}
    assert comparison.group_document("G-b")["previous"] == {"severity": "high", "n_accounts": 5, "n_requests": 100}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([1, 2], "not a distillscan report"),
        ({"groups": []}, "no schema_version"),
        ({"schema_version": 1, "summary": {"tool": {"name": "other"}}, "groups": []}, "summary.tool.name"),
        ({"schema_version": 2, "summary": {"tool": {"name": "distillscan", "version": "9.0"}}, "groups": []},
         "schema_version 2 was written by a newer distillscan"),
        ({"schema_version": "1", "summary": {"tool": {"name": "distillscan"}}, "groups": []},
         "not a report schema version"),
        ({"schema_version": 1, "summary": {"tool": {"name": "distillscan"}}, "groups": {}}, "'groups'"),
        ({"schema_version": 1, "summary": {"tool": {"name": "distillscan"}}, "groups": [{"group_id": "G-1"}]},
         r"groups\[0\]: 'severity'"),
    ],
)
def test_documents_that_are_not_readable_reports(document: Any, message: str) -> None:
    with pytest.raises(BaselineError, match=message):
        parse_baseline(document, "base.json", 1)


def test_load_baseline_errors(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="cannot read baseline"):
        load_baseline(tmp_path / "missing.json", 1)
    lines = tmp_path / "report.jsonl"
    lines.write_text('{"schema_version": 1}\n{"schema_version": 1}\n', encoding="utf-8")
    with pytest.raises(BaselineError, match="jsonl"):
        load_baseline(lines, 1)
    good = tmp_path / "report.json"
    good.write_text(json.dumps(_document([GROUP])), encoding="utf-8")
    baseline = load_baseline(good, 1)
    assert baseline.members.height == 5 and baseline.templates["template"].to_list() == ["t1", "t2"]
