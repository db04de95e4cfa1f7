"""Pair scoring: the weighted evidence two accounts share, per family the strongest kind.

The compiled core scores each candidate pair by intersecting the two accounts' sorted
token lists (`_core.score_pairs`), on all cores, keeping the pairs that link. Memory is
bounded by the token rows (4 bytes each, plus 8 bytes an account), one row of evidence
per token, the candidate pairs (their 8-byte keys), the linked pairs and one bit per
token number per thread: never by the
tokens an account holds times its pairs, nor by the (pair, token) rows they share.
Time is, per candidate pair, about one of the two token lists: each account's tokens
are held as bits once for all its pairs, and each partner's list is tested against them
(on the 10M-request real-text log, 4.5M candidate pairs scored in 0.7 s against 2.9 s
by merging the two lists of every pair).

Before it, shared (pair, token) rows were listed in chunks and reduced by Polars
group-bys: on the 1M-request adversarial log (1,000 accounts × 2,500 IPs) linking took
55 s of a 73 s scan, and 73 s at 30M requests; on a log of 8.4M requests behind
rotating proxies, listing each pair's first account's tokens to keep the shared ones
made 998M rows to keep 14.7M and peaked at 8.85 GB. `tests/link/test_scoring.py`
checks the core against a plain Python oracle.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan import _core
from distillscan.link.candidates import PAIR_BASE, dense_codes, pair_ends, pair_key
from distillscan.link.worth import EVIDENCE_FAMILIES, EVIDENCE_WEIGHTS, numbered, specific_token, token_weight
from distillscan.model.groups import ITEMS_KIND

KIND_NAMES = sorted(EVIDENCE_WEIGHTS)
ITEMS_BIT: Final = 1 << len(KIND_NAMES)
"""The kind bit of a link made by co-harvested items (`coharvest`), named ITEMS_KIND."""
FAMILY_NAMES = sorted(set(EVIDENCE_FAMILIES.values()))
# Misses, -ln(1 - w), are integers in units of 1 / _MISS_SCALE (the core's MISS_SCALE):
# sums of them are exact in any order.
_MISS_SCALE: Final = 1e9


def score_pairs(
    pairs: pl.DataFrame,
    tokens: pl.DataFrame,
    account: str = "code",
    min_similarity: float = 0.0,
    named_kinds: bool = True,
    population: int = 0,
) -> pl.DataFrame:
    """Weighted shared evidence of each pair, summed over families; only pairs reaching
    `min_similarity` that share a specific token (`specific_token`), with the kinds
    they share.

    Within a kind, distinct shared values are independent evidence and combine as a
    noisy-OR, 1 - Π(1 - w), capped at the kind's own weight: two accounts sending the
    same three of a campaign's templates, each held by 10,000 accounts, share more than
    one. Within a family, kinds restate each other (an IP and its /24), so a family
    counts its strongest kind. `pairs` holds codes `a` < `b`, each pair once; `tokens`
    is sorted by kind, value, account and its `account` is an integer code below 2³²
    (as for `candidate_pairs`). Unless `named_kinds`, `kinds` stays one UInt16 of bits
    (bit i: KIND_NAMES[i], see `named`): naming the kinds of the 6.9M linked pairs of the
    30M-request log took scoring from 2.77 GB to 3.34 GB and linking from 3.25 to 3.84.
    `population` is how many accounts the log holds, which token weights are relative
    to (see `token_weight`).
    """
    keys = pairs.select(pair=pair_key(pl.col("a"), pl.col("b"))).sort("pair")
    return score_pair_keys(keys, tokens, account, min_similarity, named_kinds, population)


def score_pair_keys(
    keys: pl.DataFrame,
    tokens: pl.DataFrame,
    account: str = "code",
    min_similarity: float = 0.0,
    named_kinds: bool = True,
    population: int = 0,
) -> pl.DataFrame:
    """`score_pairs` for pairs given as sorted keys `pair` (see `pair_key`), as
    `candidate_pair_keys` makes them: the 30M-request log's 21.4M candidate pairs held
    as keys alone, not beside the same pairs as two columns."""
    a, b = pair_ends(pl.col("pair"))
    return linked_pair_keys(keys, tokens, account, min_similarity, population).select(
        a, b, "similarity", kinds=named(pl.col("kinds")) if named_kinds else pl.col("kinds")
    )


def linked_pair_keys(
    keys: pl.DataFrame,
    tokens: pl.DataFrame,
    account: str = "code",
    min_similarity: float = 0.0,
    population: int = 0,
) -> pl.DataFrame:
    """The pairs of `keys` (sorted keys `pair`) that share a specific token and reach
    `min_similarity` (see `score_pairs`), as `pair`, `similarity` and `kinds` (UInt16
    bits, see `named`), in key order: the form linking keeps its linked pairs in (12.96M
    at 30M requests, 18 bytes each). Named as two columns and sorted again, they took
    linking from 2.42 GB to 3.16 GB there."""
    with_numbers = numbered(tokens).lazy()
    rows = with_numbers.select(account=pl.col(account).cast(pl.UInt32), token=(pl.col("token") - 1).cast(pl.UInt32))
    # What each token is worth, once per token (row k: token index k).
    evidence = (
        with_numbers.filter((pl.col("token") != pl.col("token").shift()).fill_null(True))
        .select(
            kind=pl.col("kind").replace_strict(
                {kind: code for code, kind in enumerate(KIND_NAMES)}, return_dtype=pl.UInt8
            ),
            miss=(-(1.0 - token_weight(population)).log() * _MISS_SCALE).round().cast(pl.Int64),
            specific=specific_token(),
        )
    )
    rows_frame, evidence_frame = pl.collect_all([rows, evidence])
    pair_keys = keys.get_column("pair").cast(pl.UInt64)
    rows_frame, pair_keys, accounts, codes = _dense(rows_frame, pair_keys)
    scored = pl.DataFrame(
        _core.score_pairs(
            pair_keys,
            rows_frame.get_column("account"),
            rows_frame.get_column("token"),
            accounts,
            evidence_frame.get_column("kind"),
            evidence_frame.get_column("miss"),
            evidence_frame.get_column("specific"),
            [EVIDENCE_WEIGHTS[kind] for kind in KIND_NAMES],
            [FAMILY_NAMES.index(EVIDENCE_FAMILIES[kind]) for kind in KIND_NAMES],
            len(FAMILY_NAMES),
            min_similarity,
        )
    )
    if codes is None:
        return scored
    # Renumbered by rank, order kept: the codes come back in the same key order.
    a, b = pair_ends(pl.col("pair"))
    return scored.with_columns(pair=pair_key(pl.lit(codes).gather(a), pl.lit(codes).gather(b)))


def _dense(rows: pl.DataFrame, pair_keys: pl.Series) -> tuple[pl.DataFrame, pl.Series, int, pl.Series | None]:
    """Rows and pair keys over account codes the core can index, how many codes there
    are and, where they were renumbered, the codes in rank order (see `dense_codes`)."""
    a, b = pair_ends(pl.col("pair"))
    ends = pair_keys.to_frame("pair").select(a, b)
    columns = [rows.get_column("account"), ends.get_column("a"), ends.get_column("b")]
    (account, ranked_a, ranked_b), count, codes = dense_codes(columns, rows.height + 2 * pair_keys.len())
    if codes is None:
        return rows, pair_keys, count, None
    ranked_keys = ranked_a.cast(pl.UInt64) * PAIR_BASE + ranked_b.cast(pl.UInt64)
    return rows.with_columns(account=account), ranked_keys, count, codes


def named(kind_bits: pl.Expr) -> pl.Expr:
    """The kinds a UInt16 of kind bits stands for, as a sorted list of names."""
    names = sorted([*KIND_NAMES, ITEMS_KIND])
    bits = {name: (ITEMS_BIT if name == ITEMS_KIND else 1 << KIND_NAMES.index(name)) for name in names}
    return pl.concat_list([
        pl.when(kind_bits & bits[name] != 0).then(pl.lit(name)) for name in names
    ]).list.drop_nulls()
