"""Pair scoring: the weighted evidence two accounts share, per family the strongest kind.

Scores are built from the tokens each pair shares (`shared_tokens`), reduced chunk by
chunk to one row per pair and kind (the shared values' summed misses, see
`score_pairs`), a block of PAIR_BLOCK candidate pairs at a time: a block is reduced to
the pairs that link before the next is read. Memory is bounded by the accounts, the
candidate pairs (their 8-byte keys), a block's (pair, kind) rows (at most one per kind, and
those of the chunks not yet folded together), the fixed chunk budget ROW_BUDGET of
shared (pair, token) rows and the linked pairs, beyond the token table itself: never by
the tokens an account holds times its pairs, nor by all pairs times their kinds. On
the 10M-request real-text log (135k accounts, 2.95M tokens, 4.52M candidate pairs,
92k linked), folding every pair's family rows together held up to 4.8M rows at a fold
and scoring peaked 1.1 GB over its input in 38 s; in blocks of 1M pairs, 0.6 GB in 25 s
(its floor is the allocator keeping freed chunk memory, not the blocks: 0.5M-pair
blocks or 1M-row chunks peaked the same). On a log of 8.4M requests from 101k
accounts behind rotating residential proxies (up to 2,508 tokens an account), listing
each pair's first account's tokens to keep the shared ones made 998M rows to keep 14.7M
and peaked at 8.85 GB in 65 s; on 1,000 such accounts holding about 2,870 tokens each
(tests/link/test_shared.py) linking passed 13 GB, and from what is shared it holds
0.45 GB.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Final

import polars as pl

from distillscan.link.candidates import pair_ends, pair_key
from distillscan.link.evidence import (
    EVIDENCE_FAMILIES,
    EVIDENCE_WEIGHTS,
    numbered,
    specific_token,
    token_weight,
)
from distillscan.link.shared import ROW_BUDGET, shared_tokens

KIND_NAMES = sorted(EVIDENCE_WEIGHTS)
# Candidate pairs scored at a time: a block's (pair, kind) rows are reduced to the
# pairs that link before the next block is read.
PAIR_BLOCK: Final = 1_000_000
# Misses, -ln(1 - w), are kept as integers in units of 1 / _MISS_SCALE.
_MISS_SCALE: Final = 1e9
FAMILY_NAMES = sorted(set(EVIDENCE_FAMILIES.values()))


def score_pairs(
    pairs: pl.DataFrame,
    tokens: pl.DataFrame,
    account: str = "code",
    min_similarity: float = 0.0,
    named_kinds: bool = True,
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
    """
    keys = pairs.select(pair=pair_key(pl.col("a"), pl.col("b"))).sort("pair")
    return score_pair_keys(keys, tokens, account, min_similarity, named_kinds)


def score_pair_keys(
    keys: pl.DataFrame,
    tokens: pl.DataFrame,
    account: str = "code",
    min_similarity: float = 0.0,
    named_kinds: bool = True,
) -> pl.DataFrame:
    """`score_pairs` for pairs given as sorted keys `pair` (see `pair_key`), as
    `candidate_pair_keys` makes them: the 30M-request log's 21.4M candidate pairs held
    as keys alone, not beside the same pairs as two columns."""
    with_numbers = numbered(tokens).lazy()
    rows = (
        with_numbers.select(account=pl.col(account).cast(pl.UInt32), token="token")
        .with_columns(holders=pl.len().over("token"))
        .collect()
    )
    # What a token is worth, once per token (the k-th row is token k + 1), rather than on
    # every row: shared rows carry their token alone. On the adversarial log (3.57M token
    # rows, 1,000 accounts × 2,500 IPs) scoring peaked about 50 MiB lower.
    evidence = (
        with_numbers.filter((pl.col("token") != pl.col("token").shift()).fill_null(True))
        .select(
            kind=pl.col("kind").replace_strict(
                {kind: code for code, kind in enumerate(KIND_NAMES)}, return_dtype=pl.UInt8
            ),
            # -ln(1 - w) in units of 1e-9, as integers: sums of them are exact in any
            # order, so scores do not depend on how the shared rows were chunked.
            miss=(-(1.0 - token_weight()).log() * _MISS_SCALE).round().cast(pl.Int64),
            specific=specific_token(),
        )
        .collect()
    )
    scored = [
        _scored_block(keys.slice(start, PAIR_BLOCK), rows, evidence, min_similarity)
        for start in range(0, max(keys.height, 1), PAIR_BLOCK)
    ]
    return (
        pl.concat(scored)
        .lazy()
        .select(
            *pair_ends(pl.col("pair")),
            similarity="similarity",
            kinds=named(pl.col("kinds")) if named_kinds else pl.col("kinds"),
        )
        .sort("a", "b")
        .collect()
    )


def named(kind_bits: pl.Expr) -> pl.Expr:
    """The kinds a UInt16 of kind bits stands for, as a sorted list of names."""
    return pl.concat_list([
        pl.when(kind_bits & (1 << code) != 0).then(pl.lit(name)) for code, name in enumerate(KIND_NAMES)
    ]).list.drop_nulls()


def _scored_block(
    keys: pl.DataFrame, rows: pl.DataFrame, evidence: pl.DataFrame, min_similarity: float
) -> pl.DataFrame:
    """(pair, similarity, kinds as bits) of the pairs of `keys` reaching
    `min_similarity` that share a specific token: a block's pairs are reduced to their
    scores before the next block's shared tokens are read."""
    per_kind = [
        pl.DataFrame(schema={"pair": pl.UInt64, "kind": pl.UInt8, "miss": pl.Int64, "specific": pl.Boolean})
    ]
    at = pl.col("token") - 1
    for shared in shared_tokens(keys, rows):
        per_kind.append(_per_kind(shared.select("pair", *(pl.lit(column).gather(at) for column in evidence))))
        # A pair's tokens may come in many parts: fold the parts into one once they
        # outgrow it, so they hold about a row per pair and kind, not per shared token.
        if sum(part.height for part in per_kind[1:]) > max(per_kind[0].height, ROW_BUDGET):
            per_kind = [_per_kind(pl.concat(per_kind).lazy())]
    cap = pl.col("kind").replace_strict(
        {code: EVIDENCE_WEIGHTS[kind] for code, kind in enumerate(KIND_NAMES)}, return_dtype=pl.Float64
    )
    family = pl.col("kind").replace_strict(
        {code: FAMILY_NAMES.index(EVIDENCE_FAMILIES[kind]) for code, kind in enumerate(KIND_NAMES)},
        return_dtype=pl.UInt8,
    )
    # Per family its strongest kind, as one column each, summed in family order: a float
    # sum inside a parallel group-by is not reproducible to the last bit.
    strongest = [
        pl.col("weight").filter(pl.col("family") == code).max().fill_null(0.0).alias(f"_family{code}")
        for code in range(len(FAMILY_NAMES))
    ]
    total = reduce(operator.add, [pl.col(f"_family{code}") for code in range(len(FAMILY_NAMES))])
    return (
        _per_kind(pl.concat(per_kind).lazy())
        .lazy()
        .with_columns(
            weight=pl.min_horizontal(cap, 1.0 - (-pl.col("miss").cast(pl.Float64) / _MISS_SCALE).exp()),
            family=family,
            bit=pl.col("kind").replace_strict(
                {code: 1 << code for code in range(len(KIND_NAMES))}, return_dtype=pl.UInt16
            ),
        )
        .group_by("pair")
        .agg(*strongest, kinds=pl.col("bit").sum().cast(pl.UInt16), specific=pl.col("specific").any())
        .select("pair", "specific", similarity=total, kinds="kinds")
        .filter((pl.col("similarity") >= min_similarity) & pl.col("specific"))
        .select("pair", "similarity", "kinds")
        .collect()
    )



def _per_kind(shared: pl.LazyFrame) -> pl.DataFrame:
    """Per pair and kind the summed misses (-ln(1 - w) of each shared value) and
    whether any shared token is specific. The streaming engine groups the two keys
    about twice as fast: 80M shared rows of the adversarial log took 28 s, not 50 s."""
    return (
        shared.group_by("pair", "kind")
        .agg(pl.col("miss").sum(), pl.col("specific").any())
        .collect(engine="streaming")
    )
