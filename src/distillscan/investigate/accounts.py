"""The account table (`accounts`): per-account features with each account's group,
severity and score, to sort and filter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from distillscan.errors import UsageError
from distillscan.investigate.resolve import suggest
from distillscan.model.scan import ScanResult

ACCOUNT_SORTS: Final[dict[str, tuple[tuple[str, ...], tuple[bool, ...]]]] = {
    "score": (("score", "n_requests", "account_id"), (True, True, False)),
    "requests": (("n_requests", "score", "account_id"), (True, True, False)),
    "first-seen": (("first_seen", "account_id"), (False, False)),
    "last-seen": (("last_seen", "account_id"), (True, False)),
    "cot": (("cot_share", "n_requests", "account_id"), (True, True, False)),
    "templated": (("templated_share", "n_requests", "account_id"), (True, True, False)),
}


def account_table(result: ScanResult) -> pl.DataFrame:
    """Per-account features (as `profile` computes them) with group id, rank, severity
    and score; sorted by score. See `sort_accounts` and `filter_accounts`."""
    ranks = result.report.groups.select("group_id", "rank")
    accounts = result.report.accounts.join(ranks, on="group_id", how="left", maintain_order="left")
    leading = ["account_id", "group_id", "rank", "severity", "score", "n_requests"]
    rest = [name for name in accounts.columns if name not in leading and name != "n_accounts"]
    return sort_accounts(accounts.select(*leading, *rest), "score")


def sort_accounts(accounts: pl.DataFrame, by: str) -> pl.DataFrame:
    """Accounts in the order `by` names (a key of ACCOUNT_SORTS)."""
    columns, descending = ACCOUNT_SORTS[by]
    return accounts.sort(list(columns), descending=list(descending), nulls_last=True)


def filter_accounts(
    accounts: pl.DataFrame, account_ids: Sequence[str] = (), group_ids: Sequence[str] = ()
) -> pl.DataFrame:
    """Only the named accounts and/or the members of the named groups (all if none named).

    An id that is not in the log raises UsageError, with ids it may have meant.
    """
    for column, wanted, kind in (("account_id", account_ids, "account"), ("group_id", group_ids, "group")):
        known = accounts[column]
        asked = pl.Series(list(dict.fromkeys(wanted)), dtype=pl.String)
        missing = asked.filter(~asked.is_in(known.implode())).to_list()
        if missing:
            similar = suggest(known.unique(), missing[0])
            maybe = f" (did you mean {', '.join(similar)}?)" if similar else ""
            raise UsageError(f"unknown {kind} {missing[0]!r}{maybe}")
    chosen = accounts
    if account_ids:
        chosen = chosen.filter(pl.col("account_id").is_in(pl.Series(list(account_ids), dtype=pl.String).implode()))
    if group_ids:
        chosen = chosen.filter(pl.col("group_id").is_in(pl.Series(list(group_ids), dtype=pl.String).implode()))
    return chosen
