"""Candidate pairs: windows inside each anchor token, not all pairs."""

from __future__ import annotations

import polars as pl

from distillscan.link import candidate_pairs


def test_candidate_pairs_are_windowed_not_quadratic() -> None:
    tokens = pl.DataFrame({"kind": ["ip"] * 1000, "value": ["1.1.1.1"] * 1000, "code": range(1000)},
                          schema_overrides={"code": pl.UInt32})
    pairs = candidate_pairs(tokens)
    # Each account pairs with the next NEIGHBOUR_WINDOW (24) accounts in the token.
    assert pairs.height == 24 * 1000 - 24 * 25 // 2
    assert (pairs["a"] < pairs["b"]).all()
    assert pairs.equals(pairs.sort("a", "b"))


def test_candidate_pairs_shared_by_several_tokens_are_listed_once() -> None:
    codes = [0, 7, 2**32 - 1]
    tokens = pl.DataFrame(
        {"kind": ["ip"] * 3 + ["payment"] * 3, "value": ["1.1.1.1"] * 3 + ["card"] * 3, "code": codes * 2},
        schema_overrides={"code": pl.UInt32},
    )
    assert candidate_pairs(tokens).rows() == [(0, 7), (0, 2**32 - 1), (7, 2**32 - 1)]
