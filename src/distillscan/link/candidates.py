"""Candidate pairs: the account pairs worth scoring, drawn without comparing all pairs.

Candidate pairs come from a sorted-neighbourhood window inside each token of the kinds
a linked pair must share (see `anchor_kinds`) rather than all pairs, so a token shared
by 20,000 accounts costs 20,000 × window pairs, not 2·10⁸; linked accounts still
connect transitively.

Memory is bounded by the anchor-kind token rows (8 bytes each, and as much again in the
core, by account and by token), one account's partners per thread, and the distinct
pairs (8-byte keys, twice while the core gathers them): on the 10M-request real-text
log, 4.52M candidate pairs (36 MB).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan import _core
from distillscan.link.worth import EVIDENCE_FAMILIES, EVIDENCE_WEIGHTS, LINK_THRESHOLD, numbered

# Each account is paired with this many neighbours inside every token it holds.
NEIGHBOUR_WINDOW: Final = 24
# A pair of account codes (a, b) as one number: a * PAIR_BASE + b.
PAIR_BASE: Final = 1 << 32


def anchor_kinds() -> frozenset[str]:
    """Kinds a linked pair must share at least one of.

    The weakest kinds are set aside while the best a pair could score from them alone
    (the strongest kind per family, summed) stays below LINK_THRESHOLD; a pair sharing
    none of the rest can never link, so candidates are drawn from the rest only. Rarity
    only lowers weights, so this is exact.
    """
    weak: set[str] = set()
    for kind in sorted(EVIDENCE_WEIGHTS, key=lambda name: (EVIDENCE_WEIGHTS[name], name)):
        trial = weak | {kind}
        best_by_family: dict[str, float] = {}
        for name in trial:
            family = EVIDENCE_FAMILIES[name]
            best_by_family[family] = max(best_by_family.get(family, 0.0), EVIDENCE_WEIGHTS[name])
        if sum(best_by_family.values()) >= LINK_THRESHOLD:
            break
        weak = trial
    return frozenset(EVIDENCE_WEIGHTS) - weak


def pair_key(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """The pair of account codes a and b as one 64-bit number, smaller code first."""
    return pl.min_horizontal(a, b).cast(pl.UInt64) * PAIR_BASE + pl.max_horizontal(a, b).cast(pl.UInt64)


def pair_ends(pair: pl.Expr, dtype: pl.DataType | type[pl.DataType] = pl.UInt32) -> tuple[pl.Expr, pl.Expr]:
    """The account codes `a` < `b` of pair keys, as `dtype` (the inverse of `pair_key`)."""
    return (pair // PAIR_BASE).cast(dtype).alias("a"), (pair % PAIR_BASE).cast(dtype).alias("b")


def candidate_pairs(tokens: pl.DataFrame, account: str = "code") -> pl.DataFrame:
    """Pairs (a < b), sorted, of accounts within NEIGHBOUR_WINDOW of each other inside
    some anchor token (see `candidate_pair_keys`)."""
    return candidate_pair_keys(tokens, account).select(*pair_ends(pl.col("pair")))


def candidate_pair_keys(tokens: pl.DataFrame, account: str = "code") -> pl.DataFrame:
    """The candidate pairs as sorted keys `pair` (see `pair_key`): accounts within
    NEIGHBOUR_WINDOW of each other inside some anchor token (see `anchor_kinds`);
    `tokens` must be sorted by kind, value, account, and `account` must be an integer
    code below 2³² (see `link_accounts`).

    Each account's window partners are gathered and de-duplicated in the core
    (`_core.window_pair_keys`), account by account on all cores, so the pairs are held
    once, as 8-byte keys, never once per token they share: on the 30M-request log's
    21.4M pairs, windows shifted and de-duplicated by Polars (streamed) peaked about
    0.6 GB over the tokens.
    """
    rows = (
        numbered(tokens).lazy()
        .filter(pl.col("kind").is_in(sorted(anchor_kinds())))
        .select(account=pl.col(account).cast(pl.UInt32), token=(pl.col("token") - 1).cast(pl.UInt32))
        .collect()
    )
    if rows.is_empty():
        return pl.DataFrame(schema={"pair": pl.UInt64})
    [accounts], count, codes = dense_codes([rows.get_column("account")], rows.height)
    keys = pl.DataFrame(
        _core.window_pair_keys(
            accounts, rows.get_column("token"), count,
            int(rows.get_column("token").max()) + 1, NEIGHBOUR_WINDOW,  # type: ignore[arg-type]
        )
    )
    if codes is None:
        return keys
    a, b = pair_ends(pl.col("pair"))
    return keys.select(pair=pair_key(pl.lit(codes).gather(a), pl.lit(codes).gather(b)))


def dense_codes(columns: list[pl.Series], rows: int) -> tuple[list[pl.Series], int, pl.Series | None]:
    """Account codes the core can index (it holds an offset per code up to the largest).

    Codes dense enough for `rows` rows (the largest below 2·rows + 1,024), as
    `link_accounts` makes them, come back unchanged, with the count to give the core
    (the largest + 1) and None. Sparse ones are renumbered by rank (order kept) as
    UInt32, with their count and the codes in rank order, to map results back.
    """
    largest = max((int(column.max()) for column in columns if column.len()), default=-1)  # type: ignore[arg-type]
    if largest < 2 * rows + 1024:
        return columns, largest + 1, None
    codes = pl.concat(columns).unique().sort()
    return [codes.search_sorted(column).cast(pl.UInt32) for column in columns], codes.len(), codes
