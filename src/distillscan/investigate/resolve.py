"""Turn what a user typed into a group id, or say what they may have meant."""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan.errors import UsageError
from distillscan.model.scan import ScanResult

# How many suggestions an unknown id gets.
SUGGESTIONS: Final = 3


def suggest(candidates: pl.Series, wanted: str) -> list[str]:
    """A few ids sharing the longest prefix (at least half) with what was typed, else
    ids containing it: cheap on millions of ids, and it catches a mistyped tail."""
    for cut in range(len(wanted), max(len(wanted) // 2, 1) - 1, -1):
        prefix = candidates.filter(candidates.str.starts_with(wanted[:cut])).sort().head(SUGGESTIONS)
        if prefix.len():
            names: list[str] = prefix.to_list()
            return names
    containing: list[str] = candidates.filter(candidates.str.contains(wanted, literal=True)).sort().head(
        SUGGESTIONS
    ).to_list()
    return containing


def resolve_group(result: ScanResult, wanted: str) -> str:
    """The group id that `wanted` names: a group id, or a rank ('3' or '#3').

    Unknown names raise UsageError with suggestions and how to list the groups.
    """
    groups = result.report.groups
    text = wanted.strip()
    if text.lstrip("#").isdigit():
        rank = int(text.lstrip("#"))
        found = groups.filter(pl.col("rank") == rank)
        if found.height:
            return str(found["group_id"][0])
        raise UsageError(f"no group ranked {rank}: this log has {groups.height} group(s)")
    if groups.filter(pl.col("group_id") == text).height:
        return text
    hint = "list groups with `distillscan scan LOGS --format csv --min-severity info` (group_id column)"
    owner = result.linkage.membership.filter(pl.col("account_id") == text)
    if owner.height:
        raise UsageError(f"{text!r} is an account, not a group: it is in group {owner['group_id'][0]}")
    similar = suggest(groups["group_id"], text)
    maybe = f" (did you mean {', '.join(similar)}?)" if similar else ""
    raise UsageError(f"unknown group {text!r}{maybe}; {hint}")
