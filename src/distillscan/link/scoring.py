"""Pair scoring: the weighted evidence two accounts share, per family the strongest.

Scores are built from the tokens each pair shares (`shared_tokens`), reduced chunk by
chunk to one row per pair and family (the strongest token, and the kinds shared, as
bits). Memory is bounded by the accounts, the candidate pairs (a few rows each: at most
one per family, and those of the chunks not yet folded together) and the fixed chunk
budget ROW_BUDGET of shared (pair, token) rows, beyond the token table itself: never
by the tokens an account holds times its pairs. On a log of 8.4M requests from 101k
accounts behind rotating residential proxies (up to 2,508 tokens an account), listing
each pair's first account's tokens to keep the shared ones made 998M rows to keep 14.7M
and peaked at 8.85 GB in 65 s; on 1,000 such accounts holding about 2,870 tokens each
(tests/link/test_shared.py) linking passed 13 GB, and from what is shared it holds
0.45 GB.
"""

from __future__ import annotations

import operator
from functools import reduce

import polars as pl

from distillscan.link.candidates import PAIR_BASE, pair_key
from distillscan.link.evidence import (
    EVIDENCE_FAMILIES,
    EVIDENCE_WEIGHTS,
    specific_token,
    token_number,
    token_weight,
)
from distillscan.link.shared import ROW_BUDGET, shared_tokens

KIND_NAMES = sorted(EVIDENCE_WEIGHTS)
FAMILY_NAMES = sorted(set(EVIDENCE_FAMILIES.values()))


def score_pairs(
    pairs: pl.DataFrame, tokens: pl.DataFrame, account: str = "code", min_similarity: float = 0.0
) -> pl.DataFrame:
    """Weighted shared evidence of each pair: per family the strongest shared token,
    summed; only pairs reaching `min_similarity` that share a specific token
    (`specific_token`), with the kinds they share.

    `pairs` holds codes `a` < `b`, each pair once; `tokens` is sorted by kind, value,
    account and its `account` is an integer code below 2³² (as for `candidate_pairs`).
    """
    rows = (
        tokens.lazy()
        .select(
            account=pl.col(account).cast(pl.UInt32),
            token=token_number(),
            family=pl.col("kind").replace_strict(
                {kind: FAMILY_NAMES.index(family) for kind, family in EVIDENCE_FAMILIES.items()},
                return_dtype=pl.UInt8,
            ),
            kinds=pl.col("kind").replace_strict(
                {kind: 1 << code for code, kind in enumerate(KIND_NAMES)}, return_dtype=pl.UInt16
            ),
            weight=token_weight(),
            specific=specific_token(),
        )
        .with_columns(holders=pl.len().over("token"))
        .collect()
    )
    keys = pairs.select(pair=pair_key(pl.col("a"), pl.col("b")))
    per_family = [
        pl.DataFrame(schema={
            "pair": pl.UInt64, "family": pl.UInt8, "weight": pl.Float64, "kinds": pl.UInt16, "specific": pl.Boolean
        })
    ]
    for shared in shared_tokens(keys, rows):
        per_family.append(_strongest_per_family(shared))
        # A pair's tokens may come in many parts: fold the parts into one once they
        # outgrow it, so they hold about a row per pair and family, not per shared token.
        if sum(part.height for part in per_family[1:]) > max(per_family[0].height, ROW_BUDGET):
            per_family = [_strongest_per_family(pl.concat(per_family).lazy())]
    # Per family the strongest shared token, as one column each, summed in family order:
    # a float sum inside a parallel group-by is not reproducible to the last bit.
    strongest = [
        pl.col("weight").filter(pl.col("family") == code).max().fill_null(0.0).alias(f"_family{code}")
        for code in range(len(FAMILY_NAMES))
    ]
    total = reduce(operator.add, [pl.col(f"_family{code}") for code in range(len(FAMILY_NAMES))])
    kind_list = pl.concat_list([
        pl.when(pl.col("kinds") & (1 << code) != 0).then(pl.lit(name)) for code, name in enumerate(KIND_NAMES)
    ]).list.drop_nulls()
    return (
        pl.concat(per_family)
        .lazy()
        .group_by("pair")
        .agg(*strongest, pl.col("kinds").bitwise_or(), pl.col("specific").any())
        .select("pair", "specific", similarity=total, kinds="kinds")
        .filter((pl.col("similarity") >= min_similarity) & pl.col("specific"))
        .select(
            a=(pl.col("pair") // PAIR_BASE).cast(pairs.schema["a"]),
            b=(pl.col("pair") % PAIR_BASE).cast(pairs.schema["b"]),
            similarity="similarity",
            kinds=kind_list,
        )
        .sort("a", "b")
        .collect()
    )


def _strongest_per_family(shared: pl.LazyFrame) -> pl.DataFrame:
    """Per pair and family the strongest weight, the kinds shared (bits, or-ed) and
    whether any shared token is specific."""
    return (
        shared.group_by("pair", "family")
        .agg(pl.col("weight").max(), pl.col("kinds").bitwise_or(), pl.col("specific").any())
        .collect()
    )
