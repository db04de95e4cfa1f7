"""Candidate pairs: the account pairs worth scoring, drawn without comparing all pairs.

Candidate pairs come from a sorted-neighbourhood window inside each token of the kinds
a linked pair must share (see `anchor_kinds`) rather than all pairs, so a token shared
by 20,000 accounts costs 20,000 × window pairs, not 2·10⁸; linked accounts still
connect transitively.

Memory is bounded by the anchor-kind token rows times NEIGHBOUR_WINDOW (as 8-byte pair
keys) and the distinct pairs: on the 10M-request real-text log, 5.06M windowed pairs
before de-duplication, 4.52M candidate pairs (36 MB), at a peak of about 0.2 GB.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan.link.evidence import EVIDENCE_FAMILIES, EVIDENCE_WEIGHTS, LINK_THRESHOLD, numbered

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

    Each pair travels as one 64-bit number (a·2³² + b) from the shifted windows to
    its de-duplication, streamed: on the 30M-row log's 3.8M pairs that held 0.26 GB
    where pairs of two columns, de-duplicated in memory, held 1.04 GB. The k-th
    neighbours are read from the tokens of more than k holders only (a token is left out
    whole, so its rows stay together): tokens held by two or three accounts, as behind
    rotating proxies, cost the pairs they hold, not NEIGHBOUR_WINDOW × their rows.
    """
    ordered = (
        numbered(tokens).lazy()
        .filter(pl.col("kind").is_in(sorted(anchor_kinds())))
        .select(account=pl.col(account), token="token")
    )
    return window_pair_keys(ordered)


def window_pair_keys(ordered: pl.LazyFrame) -> pl.DataFrame:
    """Sorted, distinct pair keys of accounts within NEIGHBOUR_WINDOW of each other inside
    a token: `ordered` holds (`account`, `token`) integer rows sorted by token, then
    account, each row once."""
    ordered = ordered.with_columns(holders=pl.len().over("token"))
    shifted = [
        ordered.filter(pl.col("holders") > offset)
        .select(
            pair=pair_key(pl.col("account"), pl.col("account").shift(-offset)),
            same=pl.col("token") == pl.col("token").shift(-offset),
        )
        .filter("same")
        .select("pair")
        for offset in range(1, NEIGHBOUR_WINDOW + 1)
    ]
    return pl.concat(shifted).unique().sort("pair").collect(engine="streaming")
