"""Triage results: allowlist entries and what they suppressed, and a comparison with a
previous report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from distillscan.model.groups import SEVERITIES, GroupReport, Linkage


@dataclass(frozen=True)
class AllowEntry:
    """One allowlist entry and where it was written (for warnings)."""

    kind: str
    value: str
    source: str

    @property
    def label(self) -> str:
        """The entry as written: `kind:value`."""
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class Allowlist:
    """Entries in the order first written; duplicates dropped."""

    entries: tuple[AllowEntry, ...]
    sources: tuple[str, ...] = ()
    """The files the entries came from."""

    def values(self, kind: str) -> list[str]:
        """The values of one kind of entry."""
        return [entry.value for entry in self.entries if entry.kind == kind]


def unmatched_entries(allowlist: Allowlist, matches: pl.DataFrame) -> tuple[AllowEntry, ...]:
    """Entries that allowed no account in this scan (stale, or a typo)."""
    used = set(matches["entry"].to_list())
    return tuple(entry for entry in allowlist.entries if entry.label not in used)


@dataclass(frozen=True)
class Suppression:
    """What the allowlist took out of the report: the allowed accounts' own groups."""

    allowlist: Allowlist
    matches: pl.DataFrame
    """account_id, entry: each allowed account and every entry that allows it."""
    report: GroupReport
    """The allowed accounts, linked and scored only among themselves."""
    linkage: Linkage

    @property
    def unmatched(self) -> tuple[AllowEntry, ...]:
        """Entries that matched no account in this scan."""
        return unmatched_entries(self.allowlist, self.matches)

    def group_entries(self) -> dict[str, list[str]]:
        """group_id → the allow entries that matched its members, sorted."""
        per_group = (
            self.matches.join(self.linkage.membership, on="account_id")
            .group_by("group_id")
            .agg(pl.col("entry").unique().sort())
        )
        return dict(per_group.iter_rows())

    def summary_document(self) -> dict[str, Any]:
        """The `suppressed` object of the report summary: counts and matched entries."""
        groups = self.report.groups
        by_severity = dict(groups.group_by("severity").agg(pl.len()).iter_rows())
        per_entry = self.matches.group_by("entry").agg(accounts=pl.len())
        counts = dict(per_entry.iter_rows())
        return {
            "allowlists": list(self.allowlist.sources),
            "accounts": self.matches["account_id"].n_unique(),
            "groups": groups.height,
            "groups_by_severity": {name: int(by_severity.get(name, 0)) for name in SEVERITIES},
            "entries": [
                {"entry": entry.label, "accounts": int(counts[entry.label])}
                for entry in self.allowlist.entries
                if entry.label in counts
            ],
            "unmatched_entries": [entry.label for entry in self.unmatched],
        }


STATUSES: Final[tuple[str, ...]] = ("new", "grown", "unchanged")


@dataclass(frozen=True)
class BaselineComparison:
    """Every current group's status against the baseline, and the baseline groups gone."""

    source: str
    baseline_groups: int
    statuses: pl.DataFrame
    """group_id, status, baseline_group_id, similarity, shared_accounts, new_accounts,
    previous_severity, previous_n_accounts, previous_n_requests — one row per current group."""
    gone: pl.DataFrame
    """The baseline groups no current group matches: baseline_group_id, rank, severity,
    score, n_accounts, n_requests, in baseline rank order."""
    now_suppressed: tuple[str, ...] = ()
    """Baseline group ids matched only by allowlisted groups (not gone: suppressed)."""

    def status_of(self, group_ids: Sequence[str]) -> dict[str, str]:
        """group_id → status, for the given groups."""
        wanted = self.statuses.filter(pl.col("group_id").is_in(list(group_ids)))
        return dict(wanted.select("group_id", "status").iter_rows())

    def group_document(self, group_id: str) -> dict[str, Any]:
        """The `baseline` object of one group in the JSON report."""
        return self.group_documents([group_id])[group_id]

    def group_documents(self, group_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """group_id → its `baseline` object, for the given groups, in one pass over the
        statuses (per group, a report of 100k groups filtered them 100k times)."""
        documents: dict[str, dict[str, Any]] = {
            group_id: {"status": "new", "matched_group_id": None} for group_id in group_ids
        }
        wanted = self.statuses.filter(pl.col("group_id").is_in(pl.Series(list(group_ids), dtype=pl.String).implode()))
        for row in wanted.iter_rows(named=True):
            document: dict[str, Any] = {"status": row["status"], "matched_group_id": row["baseline_group_id"]}
            if row["baseline_group_id"] is not None:
                document.update(
                    similarity=round(row["similarity"], 4),
                    shared_accounts=row["shared_accounts"],
                    new_accounts=row["new_accounts"],
                    previous={
                        "severity": row["previous_severity"],
                        "n_accounts": row["previous_n_accounts"],
                        "n_requests": row["previous_n_requests"],
                    },
                )
            documents[row["group_id"]] = document
        return documents

    def summary_document(self, shown_ids: Sequence[str]) -> dict[str, Any]:
        """The `baseline` object of the report summary: status counts over the reported
        groups, and the `gone` list."""
        shown = self.status_of(shown_ids)
        return {
            "file": self.source,
            "groups": self.baseline_groups,
            "reported": {status: sum(1 for value in shown.values() if value == status) for status in STATUSES},
            "now_suppressed": list(self.now_suppressed),
            "gone": [
                {
                    "group_id": row["baseline_group_id"], "rank": row["rank"], "severity": row["severity"],
                    "score": row["score"], "n_accounts": row["n_accounts"], "n_requests": row["n_requests"],
                }
                for row in self.gone.iter_rows(named=True)
            ],
        }
