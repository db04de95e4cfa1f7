"""Pair scoring against a plain oracle: per family the strongest shared token, summed,
for pairs that share a specific token."""

from __future__ import annotations

import random

import polars as pl
import pytest

from distillscan.link import EVIDENCE_FAMILIES, EVIDENCE_WEIGHTS, LINK_THRESHOLD, candidate_pairs, score_pairs
from distillscan.link.worth import (
    RARITY_PIVOT,
    RARITY_PIVOT_SHARE,
    RARITY_POWER,
    SPECIFIC_MAX_HOLDERS,
    SPECIFIC_MIN_WEIGHT,
)

KINDS = sorted(EVIDENCE_WEIGHTS)


def random_tokens(seed: int) -> pl.DataFrame:
    """Tokens of every kind over a few hundred account codes, held by 1 to 150 accounts:
    tokens the window covers, and tokens where it pairs only near neighbours."""
    rng = random.Random(seed)
    n_accounts = rng.choice([6, 40, 300])
    rows = [
        (kind, f"value-{token}", code)
        for token in range(rng.randint(20, 300))
        for kind in [rng.choice(KINDS)]
        for code in rng.sample(range(n_accounts), min(n_accounts, rng.choice([1, 2, 2, 3, 5, 25, 26, 60, 150])))
    ]
    frame = pl.DataFrame(rows, schema={"kind": pl.String, "value": pl.String, "code": pl.UInt32}, orient="row")
    return frame.with_columns(n_accounts=pl.len().over("kind", "value").cast(pl.UInt32)).sort("kind", "value", "code")


def oracle(tokens: pl.DataFrame, pairs: pl.DataFrame) -> dict[tuple[int, int], tuple[float, list[str]]]:
    """Each pair's similarity and shared kinds, from Python sets: per kind the shared
    values' noisy-OR capped at the kind's weight, per family the strongest kind, summed
    (pairs sharing no specific token left out; bespoke families are neither discounted
    for rarity nor unspecific)."""
    held: dict[int, dict[tuple[str, str], int]] = {}
    for kind, value, code, n_accounts in tokens.iter_rows():
        held.setdefault(code, {})[(kind, value)] = n_accounts
    scores = {}
    for a, b in pairs.iter_rows():
        shared = held.get(a, {}).keys() & held.get(b, {}).keys()
        missed: dict[str, float] = {}
        for kind, value in shared:
            rarity = 1.0 if kind == "bespoke_system" else min(1.0, (RARITY_PIVOT / held[a][(kind, value)]) ** RARITY_POWER)
            missed[kind] = missed.get(kind, 1.0) * (1.0 - EVIDENCE_WEIGHTS[kind] * rarity)
        strongest: dict[str, float] = {}
        for kind, miss in missed.items():
            family = EVIDENCE_FAMILIES[kind]
            strongest[family] = max(strongest.get(family, 0.0), min(EVIDENCE_WEIGHTS[kind], 1.0 - miss))
        specific = any(
            (held[a][token] <= SPECIFIC_MAX_HOLDERS or token[0] == "bespoke_system")
            and EVIDENCE_WEIGHTS[token[0]] >= SPECIFIC_MIN_WEIGHT
            for token in shared
        )
        if shared and specific:
            scores[(a, b)] = (sum(strongest.values()), sorted({kind for kind, _ in shared}))
    return scores


@pytest.mark.parametrize("seed", range(6))
def test_scores_match_the_oracle(seed: int) -> None:
    tokens = random_tokens(seed)
    pairs = candidate_pairs(tokens)
    scored = score_pairs(pairs, tokens)
    expected = oracle(tokens, pairs)
    assert {(a, b): kinds for a, b, _, kinds in scored.iter_rows()} == {
        pair: kinds for pair, (_, kinds) in expected.items()
    }
    for a, b, similarity, _ in scored.iter_rows():
        assert similarity == pytest.approx(expected[(a, b)][0], rel=1e-8)


def test_only_pairs_reaching_the_threshold_are_kept_in_pair_order() -> None:
    tokens = random_tokens(3)
    pairs = candidate_pairs(tokens)
    everything, linked = score_pairs(pairs, tokens), score_pairs(pairs, tokens, min_similarity=LINK_THRESHOLD)
    assert linked.equals(everything.filter(pl.col("similarity") >= LINK_THRESHOLD))
    assert linked.equals(linked.sort("a", "b"))


def test_no_pairs_score_nothing() -> None:
    tokens = random_tokens(0)
    scored = score_pairs(pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32}), tokens)
    assert scored.height == 0
    assert scored.schema == pl.Schema(
        {"a": pl.UInt32, "b": pl.UInt32, "similarity": pl.Float64, "kinds": pl.List(pl.String)}
    )


def test_a_common_token_alone_links_nobody() -> None:
    """Two of a popular agent's 150 users share its template and user agent: no link;
    with a shared subnet besides (held by two accounts), they link."""
    holders = 150
    rows = [("template", "agent", code, holders) for code in range(holders)]
    rows += [("user_agent", "agent-cli", code, holders) for code in range(holders)]
    rows += [("subnet", "10.0.0", code, 2) for code in (0, 1)]
    tokens = pl.DataFrame(
        rows, schema={"kind": pl.String, "value": pl.String, "code": pl.UInt32, "n_accounts": pl.UInt32}, orient="row"
    ).sort("kind", "value", "code")
    pairs = pl.DataFrame({"a": [0, 2], "b": [1, 3]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    scored = score_pairs(pairs, tokens)
    assert scored.select("a", "b").rows() == [(0, 1)]
    assert scored["kinds"].to_list() == [["subnet", "template", "user_agent"]]


def test_several_shared_values_of_a_kind_add_up_to_the_kind_weight() -> None:
    """Accounts of a 10,000-account campaign share its templates and a proxy address
    held by 6: one common template and the address stay below the threshold, three
    common templates and the address link."""
    holders = 10_000
    rows = [("ip", "203.0.113.9", code, 6) for code in range(4)]
    rows += [("template", "t1", code, holders) for code in range(4)]
    rows += [("template", f"t{n}", code, holders) for n in (2, 3) for code in (2, 3)]
    tokens = pl.DataFrame(
        rows, schema={"kind": pl.String, "value": pl.String, "code": pl.UInt32, "n_accounts": pl.UInt32}, orient="row"
    ).sort("kind", "value", "code")
    pairs = pl.DataFrame({"a": [0, 2], "b": [1, 3]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    scored = score_pairs(pairs, tokens)
    one_template = 0.3 + EVIDENCE_WEIGHTS["template"] * (RARITY_PIVOT / holders) ** RARITY_POWER
    assert one_template < LINK_THRESHOLD
    assert scored.filter(pl.col("similarity") >= LINK_THRESHOLD).select("a", "b").rows() == [(2, 3)]


def _proxy_pair_tokens(template_holders: int) -> pl.DataFrame:
    """Two accounts that meet on one exit address of a proxy pool (held by 3) and share
    a template held by `template_holders` accounts."""
    rows = [("ip", "198.51.100.7", code, 3) for code in (0, 1)]
    rows += [("template", "t", code, template_holders) for code in (0, 1)]
    return pl.DataFrame(
        rows, schema={"kind": pl.String, "value": pl.String, "code": pl.UInt32, "n_accounts": pl.UInt32}, orient="row"
    ).sort("kind", "value", "code")


def test_token_weights_are_relative_to_the_population() -> None:
    """A template held by 10% of accounts weighs the same in a log of 20,000 accounts as
    in one of 200,000; one held by 25% is common and weighs nothing; a log that gives
    no population keeps the fixed pivot."""
    pair = pl.DataFrame({"a": [0], "b": [1]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    small = score_pairs(pair, _proxy_pair_tokens(2_000), population=20_000)["similarity"].to_list()
    large = score_pairs(pair, _proxy_pair_tokens(20_000), population=200_000)["similarity"].to_list()
    assert small == pytest.approx(large)
    relative_pivot = RARITY_PIVOT_SHARE * 200_000
    assert large == pytest.approx([0.3 + EVIDENCE_WEIGHTS["template"] * (relative_pivot / 20_000) ** RARITY_POWER])
    fixed = score_pairs(pair, _proxy_pair_tokens(20_000))["similarity"].to_list()
    assert fixed == pytest.approx([0.3 + EVIDENCE_WEIGHTS["template"] * (RARITY_PIVOT / 20_000) ** RARITY_POWER])
    common = score_pairs(pair, _proxy_pair_tokens(50_000), population=200_000)["similarity"].to_list()
    assert common == pytest.approx([0.3])
