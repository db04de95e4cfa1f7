"""Co-harvesting: accounts whose task items overlap far beyond what the items'
popularity predicts, linked even when every wrapper is paraphrased and the
infrastructure is clean.

A campaign that spreads one dataset over many accounts leaves the same items (public
questions, coding tasks) in account after account. Each request names its task by two
anchors (the core's `items.rs`); each account keeps its ITEMS_PER_ACCOUNT smallest
(`Aggregates.account_items`). An anchor an account sends again and again is its own
wrapper or template, not an item (ITEM_MAX_REPEAT); one sent by very many accounts says
little and is left out (`item_max_holders`).

The null model: accounts draw their items independently, each item as often as its
popularity among the requests of its topic says, so account b (s_bt items of topic t)
holds item i of topic t with probability s_bt·h_i/S_t (h_i holders, S_t the topic's
account-item rows). Given the items account a sends, b is expected to hold
E(a→b) = Σ_t s_bt·Σ_{i∈a,t} h_i/S_t of them: conditioning on a's own items, two people
who paste the most popular questions expect to share many; by topic, two people who
both ask about one narrow subject (a political controversy, say) expect to share its
common questions (over all topics, 183 such users at 10M requests chained into one
group). E is the larger of E(a→b) and E(b→a). A pair sharing k items
links when −ln of a bound on the Poisson tail P(X ≥ k) (`_tail_nats`) passes
ln(N²/2) + ln(1/ALPHA) for N accounts with items: a Bonferroni bound over every pair the
log could hold, so the bar rises with the log and chance overlaps stay below it.

An account that sends more items than the table keeps (ITEMS_PER_ACCOUNT) holds only its
smallest, the low end of the hash range that every such account holds: two of them share
far more there than their sizes say (17 resellers, harnesses and tutoring apps linked so
at 1M requests), so the log's largest senders are not paired on items (their items
still count for popularity).

Users of one product send alike tasks because the product shapes them (a coding
agent's users ask for type hints and tests): a pair that shares a template or system
prompt is left to the token evidence (`scoring`), which discounts popular products.

Memory: the item table as numbers (24 bytes a row, at most ITEMS_PER_ACCOUNT rows an
account), its candidate pairs (NEIGHBOUR_WINDOW neighbours inside each item, as 8-byte
keys), their rows per topic (at most 8 a pair) and the linked pairs.
"""

from __future__ import annotations

import math
from typing import Final

import polars as pl

from distillscan import _core
from distillscan.aggregate.tables import ITEMS_PER_ACCOUNT
from distillscan.link.candidates import pair_ends, window_pair_keys
from distillscan.model.aggregates import Aggregates
from distillscan.model.topics import TOPICS

# An anchor its holders send this many times each on average is a wrapper, not an item.
ITEM_MAX_REPEAT: Final = 1.2
# A linked pair shares at least this many items.
MIN_SHARED_ITEMS: Final = 3
# Each linked account is linked so to at least this many others that are too: a campaign
# spread over accounts is a dense web of such links, while chance pairs, and people who
# each paste a few questions of the benchmark one harness runs whole, hang off it alone
# (12 such users and 2 NAT users joined 4 harness accounts at 10M requests without it).
MIN_PARTNERS: Final = 3
# The expected number of pairs of independent accounts, over the whole log, that pass
# the bar: about one chance link per log, which the MIN_PARTNERS rule then drops (a
# chance link rarely has partners of its own). At 0.01 the 10M-request log's
# low-and-slow recall was 0.41 (0.66 at 1.0), with the same benign accounts flagged.
ALPHA: Final = 1.0
# Items held by more than this share of the accounts with items (and more than
# MIN_ITEM_MAX_HOLDERS) are left out.
ITEM_MAX_HOLDERS_SHARE: Final = 0.01
MIN_ITEM_MAX_HOLDERS: Final = 50

_EDGE_SCHEMA: Final = {"a": pl.UInt32, "b": pl.UInt32}


def item_max_holders(accounts_with_items: int) -> int:
    """The most accounts an item may have to be kept: a share of the population."""
    return max(MIN_ITEM_MAX_HOLDERS, math.ceil(ITEM_MAX_HOLDERS_SHARE * accounts_with_items))


def link_threshold(accounts_with_items: int) -> float:
    """The significance (nats) a pair must pass: ln(N²/2) + ln(1/ALPHA)."""
    pairs = max(accounts_with_items * (accounts_with_items - 1) / 2, 1.0)
    return math.log(pairs) - math.log(ALPHA)


def coharvest_pairs(aggregates: Aggregates, codes: pl.DataFrame, content: pl.DataFrame) -> pl.DataFrame:
    """(a, b): account codes (`codes`: account_id → code) of the pairs whose items overlap
    beyond chance (see the module's notes) and that share no content token (`content`:
    account_id, kind, value rows sorted by kind and value), a < b, sorted."""
    candidates = item_overlaps(aggregates, codes)
    if candidates.is_empty():
        return pl.DataFrame(schema=_EDGE_SCHEMA)
    linked = candidates.filter(pl.col("significance") >= pl.col("threshold"))
    a, b = pair_ends(pl.col("pair"))
    pairs = _without_shared_content(linked.select("pair"), content, codes).select(a, b)
    return _core_links(pairs, MIN_PARTNERS).sort("a", "b")


def _core_links(pairs: pl.DataFrame, degree: int) -> pl.DataFrame:
    """The links (a, b) among accounts that keep at least `degree` partners once those with
    fewer are taken out, again and again (the graph's `degree`-core)."""
    while pairs.height:
        ends = pl.concat([pairs.get_column("a"), pairs.get_column("b")])
        partners = ends.value_counts(name="partners").filter(pl.col("partners") >= degree).get_column(ends.name)
        kept = pairs.filter(pl.col("a").is_in(partners.implode()) & pl.col("b").is_in(partners.implode()))
        if kept.height == pairs.height:
            break
        pairs = kept
    return pairs


def item_overlaps(aggregates: Aggregates, codes: pl.DataFrame) -> pl.DataFrame:
    """The candidate pairs (`pair` keys of codes) sharing MIN_SHARED_ITEMS or more items:
    `shared`, `expected` under the null model, `significance` (nats) and the
    `threshold` it must pass."""
    empty = pl.DataFrame(schema={
        "pair": pl.UInt64, "shared": pl.UInt32, "expected": pl.Float64, "significance": pl.Float64,
        "threshold": pl.Float64,
    })
    # The table (on disk in a scan) read once, as numbers: 24 bytes an account-item row.
    topics = pl.Enum(sorted(TOPICS))
    items = (
        aggregates.account_items.lazy()
        .join(codes.lazy(), on="account_id")
        .select(account=pl.col("code").cast(pl.UInt32), topic=pl.col("topic").cast(topics), item="item", n="n")
        .collect(engine="streaming")
    )
    kept = (
        items.lazy()
        .with_columns(
            holders=pl.len().over("topic", "item"),
            repeat=pl.col("n").mean().over("topic", "item"),
            cut=pl.len().over("account") >= ITEMS_PER_ACCOUNT,
        )
        .filter(pl.col("repeat") <= ITEM_MAX_REPEAT)
        .drop("n", "repeat")
        .collect()
    )
    del items
    accounts_with_items = kept.get_column("account").n_unique()
    if accounts_with_items < 2:
        return empty
    # Per account and topic: its items, and its eligible items' summed holders (how
    # popular what it sends is); per topic, all rows.
    eligible = kept.filter(pl.col("holders").is_between(2, item_max_holders(accounts_with_items)))
    profile = (
        kept.group_by("account", "topic")
        .agg(size=pl.len().cast(pl.Float64))
        .join(
            eligible.group_by("account", "topic").agg(mass=pl.col("holders").sum().cast(pl.Float64)),
            on=["account", "topic"], how="left",
        )
        .join(kept.group_by("topic").agg(rows=pl.len().cast(pl.Float64)), on="topic")
        .with_columns(pl.col("mass").fill_null(0.0))
    )
    del kept
    if eligible.is_empty():
        return empty
    numbered = eligible.filter(~pl.col("cut")).sort("topic", "item", "account").with_columns(
        token=(
            ((pl.col("item") != pl.col("item").shift()) | (pl.col("topic") != pl.col("topic").shift()))
            .fill_null(True).cum_sum() - 1
        ).cast(pl.UInt32)
    )
    del eligible
    keys = window_pair_keys(numbered.lazy().select("account", "token")).get_column("pair")
    shared = pl.DataFrame(
        _core.count_shared(keys, numbered.get_column("account"), numbered.get_column("token"), codes.height,
                           int(numbered.get_column("token").max() or 0) + 1)  # type: ignore[arg-type]
    ).get_column("shared")
    a, b = pair_ends(pl.col("pair"))
    pairs = pl.DataFrame({"pair": keys, "shared": shared}).filter(pl.col("shared") >= MIN_SHARED_ITEMS)
    pairs = pairs.with_columns(a, b)
    return (
        pairs.join(_expected(pairs, profile, "a", "b"), on="pair", how="left")
        .join(_expected(pairs, profile, "b", "a"), on="pair", how="left", suffix="_back")
        .with_columns(expected=pl.max_horizontal(pl.col("expected", "expected_back").fill_null(0.0)))
        .with_columns(significance=_tail_nats(pl.col("shared").cast(pl.Float64), pl.col("expected")))
        .select("pair", "shared", "expected", "significance", threshold=pl.lit(link_threshold(accounts_with_items)))
        .sort("pair")
    )


def _expected(pairs: pl.DataFrame, profile: pl.DataFrame, given: str, other: str) -> pl.DataFrame:
    """(pair, expected): how many of `given`'s items `other` holds by chance, topic by
    topic: Σ_t mass(given, t) · size(other, t) / rows(t)."""
    return (
        pairs.select("pair", given, other)
        .join(profile.select(pl.col("account").alias(given), "topic", "mass", "rows"), on=given)
        .join(profile.select(pl.col("account").alias(other), "topic", "size"), on=[other, "topic"])
        .group_by("pair")
        .agg(expected=(pl.col("mass") * pl.col("size") / pl.col("rows")).sort_by("topic").sum())
    )


def _tail_nats(shared: pl.Expr, expected: pl.Expr) -> pl.Expr:
    """−ln of an upper bound on P(X ≥ k) for X ~ Poisson(E), k = shared, E = expected:
    P(X = k) / (1 − E/(k + 1)), which holds for k + 1 > E (each further term is at most
    E/(k + 1) times the one before); ln k! by Stirling's k·ln k − k + ½·ln(2πk), which
    never exceeds it, so the significance is never overstated. 0 unless k exceeds E."""
    log_factorial = shared * shared.log() - shared + 0.5 * (2 * math.pi * shared).log()
    point = expected - shared * expected.log() + log_factorial
    return pl.when(shared > expected).then(point + (1 - expected / (shared + 1)).log()).otherwise(0.0)


def _without_shared_content(pairs: pl.DataFrame, content: pl.DataFrame, codes: pl.DataFrame) -> pl.DataFrame:
    """The pairs (keys) whose accounts hold no content token in common."""
    if content.is_empty():
        return pairs
    rows = (
        content.select("account_id", "kind", "value")
        .join(codes, on="account_id")
        .sort("kind", "value", "code")
        .select(
            account=pl.col("code").cast(pl.UInt32),
            token=(
                ((pl.col("kind") != pl.col("kind").shift()) | (pl.col("value") != pl.col("value").shift()))
                .fill_null(True).cum_sum() - 1
            ).cast(pl.UInt32),
        )
    )
    tokens = int(rows.get_column("token").max() or 0) + 1  # type: ignore[arg-type]
    shared = pl.DataFrame(
        _core.count_shared(pairs.get_column("pair"), rows.get_column("account"), rows.get_column("token"),
                           codes.height, tokens)
    ).get_column("shared")
    return pairs.filter(shared == 0)
