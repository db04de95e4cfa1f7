"""Pair scoring: the weighted evidence two accounts share, per family the strongest."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Final

import polars as pl

from distillscan.link.evidence import EVIDENCE_FAMILIES, EVIDENCE_WEIGHTS, token_weight

# Candidate pairs scored at a time (memory: about 100 bytes per pair and shared token).
PAIR_CHUNK: Final = 1_000_000


def score_pairs(
    pairs: pl.DataFrame, tokens: pl.DataFrame, account: str = "account_id", min_similarity: float = 0.0
) -> pl.DataFrame:
    """Weighted shared evidence of each pair: per family the strongest shared token,
    summed; only pairs reaching `min_similarity`, with the kinds they share.

    Tokens are compared as integer ids, and kinds are listed only for the pairs kept:
    most candidate pairs fall short, and listing costs more than scoring. Pairs are
    scored PAIR_CHUNK at a time: each on its own, so chunks bound memory and change
    nothing.
    """
    ids = tokens.select("kind", "value").unique().sort("kind", "value").with_row_index("token")
    kind_names = sorted(EVIDENCE_WEIGHTS)
    families = sorted(set(EVIDENCE_FAMILIES.values()))
    # Kinds and families as small integers: the joins below carry a row per pair and
    # token of its first account, tens of millions of rows in a large log.
    weighted = tokens.join(ids, on=["kind", "value"]).select(
        account,
        "token",
        family=pl.col("kind").replace_strict(
            {kind: families.index(family) for kind, family in EVIDENCE_FAMILIES.items()}, return_dtype=pl.UInt8
        ),
        kind=pl.col("kind").replace_strict({kind: code for code, kind in enumerate(kind_names)}, return_dtype=pl.UInt8),
        weight=token_weight(),
    )
    first = weighted.rename({account: "a"}).lazy()
    second = weighted.select(account, "token").rename({account: "b"}).lazy()
    # Per family the strongest shared token, as one column each, summed in family order:
    # a float sum inside a parallel group-by is not reproducible to the last bit.
    strongest = [
        pl.col("weight").filter(pl.col("family") == code).max().fill_null(0.0).alias(f"_family{code}")
        for code in range(len(families))
    ]
    total = reduce(operator.add, [pl.col(f"_family{code}") for code in range(len(families))])
    scored: list[pl.DataFrame] = []
    for offset in range(0, max(pairs.height, 1), PAIR_CHUNK):
        # Joined once per chunk: both the scores and the kinds of kept pairs read it.
        shared = (
            pairs.slice(offset, PAIR_CHUNK).lazy().join(first, on="a").join(second, on=["b", "token"])
            .collect(engine="streaming")
            .lazy()
        )
        similarity = (
            shared.group_by("a", "b")
            .agg(strongest)
            .select("a", "b", similarity=total)
            .filter(pl.col("similarity") >= min_similarity)
            .collect(engine="streaming")
        )
        kinds = (
            shared.join(similarity.lazy().select("a", "b"), on=["a", "b"], how="semi")
            .group_by("a", "b")
            .agg(kinds=pl.col("kind").unique().sort())
            .collect(engine="streaming")
        )
        scored.append(similarity.join(kinds, on=["a", "b"], how="left"))
    kind_of_code = dict(enumerate(kind_names))
    return pl.concat(scored).with_columns(
        kinds=pl.col("kinds").list.eval(pl.element().replace_strict(kind_of_code, return_dtype=pl.String))
    ).sort("a", "b")
