"""Attaching accounts to item groups: a community-level test where the pair test is
too weak.

A campaign that deals one pool of tasks over hundreds of accounts makes every pair of
them share only a few items: at 10M requests the low-and-slow campaign's pairs share a
median of 9 items against 3.9 expected, far below a bar set by the number of pairs the
log could hold, and 36% of its accounts linked to nobody. The group those pair links do
form shows the pool: items its members send again and again, more often than the items'
popularity outside the group predicts (its *signature* items). An account outside the
group that sends signature items far beyond chance is attached to it, linked to the
member it shares most of them with among those that share no template or system prompt
with it (`coharvest.coharvest_links` picks from the NEAREST_CANDIDATES offered).

Per group G (a component of the item links with MIN_GROUP_SIZE or more members) and per
item i it holds (g_i members; h_i holders in all):
- i is a signature item when g_i ≥ 2 and −ln P(Poisson(λ_i) ≥ g_i) ≥ SIGNATURE_NATS,
  λ_i = s_G,t · (h_i − g_i) / (S_t − s_G,t): G's rows in i's topic t, drawn as the rows
  outside G are (s: an account's or group's item rows by topic, S: the log's).
- An outside account x holding k of them is tested against E, the larger of two
  expectations: its rows drawn as the outside rows of each topic are (E_q: the share of
  those that fall on signature items, x's own left out), and its own items each as
  likely to be signature as items of the same topic and outside popularity are (E_c, by
  powers of two). E_c is what keeps heavy senders of popular catalogues out: their
  items are signature more often than the average row's, as often as popular items are.
- x is attached when −ln P(Poisson(E) ≥ k) passes ln(N·C·R) + ln(1/ATTACH_ALPHA) (N
  accounts with items, C groups, R = ATTACH_ROUNDS: a Bonferroni bound over every
  test), and k ≥ MIN_EXCESS·E. The excess bound is for what the Poisson model misses:
  a pipeline that runs a whole public dataset holds the pool's share of it, which no
  popularity model of single items predicts (on the 10M-request log five pipelines
  reached 2.2–3.5 times E at a significance past the bar; the low-and-slow accounts
  tested against their main group, 5.7 at the median).
- The accounts a round attaches join their group for the next round.

Memory: the item rows held by two or more accounts (`shared`, read per query from disk in
a scan), per group its members' rows and signature items, the (account, group) pairs
that hold MIN_SHARED signature items with their topic rows, per group one row per item
held by two or more accounts (its popularity class) and one per (topic, class), and
NEAREST_CHUNK_ROWS rows for the nearest members. On the 10M-request log: 878 members in
6 groups, 12,608 signature items, 62,863 tests, 2,426 attachments, within 60 MB of
what co-harvest holds before it. Offering each member its nearest members too (for
`coharvest_links`' fallback) took the item stage from 14.5 to 17.1 s there and the
scan's peak from 1,542 to 1,575 MB, within the noise of one run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import polars as pl

from distillscan.graph import component_frame
from distillscan.link.poisson import tail_nats

# A group smaller than this repeats too few items to show a pool.
MIN_GROUP_SIZE: Final = 10
# A value (prompt family, frame, closer) no one group owns is owned by the
# OWNER_COALITION groups with the most members sending it when its holders are mostly
# theirs together: one playbook run by two networks the links keep apart.
OWNER_COALITION: Final = 2
# The lone accounts that send two of the values (prompt families, frames, closers) of
# which a group's members are this share of the senders count as its members when its
# own values are found: a group that lost many accounts owns nothing otherwise.
LEAD_SHARE: Final = 0.5
# How unlikely (nats) an item's count among the group's members must be to mark it.
SIGNATURE_NATS: Final = 10.0
# An attached account holds at least this many signature items...
MIN_SHARED: Final = 3
# ... at least this many times what chance predicts ...
MIN_EXCESS: Final = 4.0
# ... and passes a bar where about this many chance attachments are expected per log.
ATTACH_ALPHA: Final = 0.01
# Rounds of attachment: the accounts one round attaches join their group for the next.
ATTACH_ROUNDS: Final = 2
# Rows (an attached account's signature item × a member holding it) compared at a time
# when finding each attached account's nearest members.
NEAREST_CHUNK_ROWS: Final = 1_000_000
# Members offered per attached account, nearest first: co-harvest links it to the first
# that shares no content token with it (see `coharvest.coharvest_links`).
NEAREST_CANDIDATES: Final = 8

_CANDIDATE_SCHEMA: Final = pl.Schema(
    {"account": pl.UInt32, "group": pl.UInt32, "member": pl.UInt32, "order": pl.UInt32, "found": pl.Boolean}
)


def coalition_owns(value: str | list[str], needed: pl.Expr) -> pl.Expr:
    """Over rows of (`value`, group, `members`) candidate owners, sorted by `value`, then
    members descending, then group: true for the owners of each value, its largest group
    when that group's members reach `needed`, else its OWNER_COALITION largest (ties: the
    smaller group) when theirs together do."""
    place = pl.int_range(pl.len()).over(value)
    alone = pl.col("members").first().over(value) >= needed
    together = pl.col("members").filter(place < OWNER_COALITION).sum().over(value) >= needed
    return pl.when(alone).then(place == 0).otherwise(together & (place < OWNER_COALITION))


def attach_threshold(accounts_with_items: int, tests_per_account: int) -> float:
    """The significance (nats) an attachment must pass: ln(N·T) + ln(1/ATTACH_ALPHA), T
    the tests each account can take (groups × rounds)."""
    return math.log(max(accounts_with_items * tests_per_account, 1)) - math.log(ATTACH_ALPHA)


def attached_pairs(
    links: pl.DataFrame, shared: pl.LazyFrame, size: pl.DataFrame, walkers: pl.Series
) -> pl.DataFrame:
    """(account, group, member, order, found), sorted: each attached account with the
    NEAREST_CANDIDATES members of its group it shares most signature items with, nearest
    first (`order` 0; ties: the smaller code); and each member the pair links found
    (`found`) with its nearest other members, which `coharvest_links` takes for a member
    whose own pair links all share content. `links` are the groups' item links (a, b
    codes); `shared` the rows (account, topic, holders, token) of items held by two or
    more accounts; `size` each account's item rows by topic; `walkers` the codes of
    accounts that walk their items in an order others repeat (`walks`), never attached:
    a harness running the public dataset a pool was drawn from holds the pool's share
    of it, and its walk, not a pool, says why.

    ATTACH_ROUNDS rounds: the accounts a round attaches join their group for the next,
    whose signature items they sharpen (a group of 20 that gained 33 showed its pool
    well enough for 36 more of the 10M-request log's low-and-slow accounts). Each is
    linked to a member that the pair links found."""
    found = _group_members(links)
    if found.is_empty():
        return pl.DataFrame(schema=_CANDIDATE_SCHEMA)
    bar = attach_threshold(size.get_column("account").n_unique(), found.get_column("group").n_unique() * ATTACH_ROUNDS)
    catalogue = _catalogue(shared, size)
    members = found
    attached = pl.DataFrame(schema={"account": pl.UInt32, "group": pl.UInt32})
    for _ in range(ATTACH_ROUNDS):
        signature, joined = _attach_round(members, shared, size, catalogue, bar)
        joined = joined.filter(~pl.col("account").is_in(walkers.implode()))
        attached = pl.concat([attached, joined]).unique(maintain_order=True)
        members = pl.concat([found, attached]).unique(maintain_order=True)
        if joined.is_empty():
            break
    offered = pl.concat([attached.with_columns(found=pl.lit(False)), found.with_columns(found=pl.lit(True))])
    return _nearest_members(offered, signature, shared, found)


@dataclass(frozen=True)
class _Catalogue:
    """What every round reads of the whole log's items: each item held by two or more
    accounts (`items`: token, topic, holders), per topic the item rows (`topic_rows`)
    and those of items no one else holds (`alone`)."""

    items: pl.DataFrame
    topic_rows: pl.DataFrame
    alone: pl.DataFrame


def _catalogue(shared: pl.LazyFrame, size: pl.DataFrame) -> _Catalogue:
    items = shared.group_by("token").agg(pl.col("topic").first(), pl.col("holders").first()).collect(engine="streaming")
    shared_rows = shared.group_by("topic").agg(shared_rows=pl.len()).collect(engine="streaming")
    topic_rows = size.group_by("topic").agg(rows=pl.col("size").sum())
    alone = topic_rows.join(shared_rows, on="topic", how="left").select(
        "topic", alone=pl.col("rows") - pl.col("shared_rows").fill_null(0)
    )
    return _Catalogue(items=items, topic_rows=topic_rows, alone=alone)


def _attach_round(
    members: pl.DataFrame, shared: pl.LazyFrame, size: pl.DataFrame, catalogue: _Catalogue, bar: float
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The groups' signature items, and the (account, group) pairs that pass the test
    (see the module's notes), outside accounts only."""
    topic_rows = catalogue.topic_rows
    group_rows = size.join(members, on="account").group_by("group", "topic").agg(group_rows=pl.col("size").sum())
    held = _held_by_groups(members, shared)
    signature = _signature_items(held, group_rows, topic_rows)
    hits = (
        shared.join(signature.lazy().select("group", "token"), on="token")
        .join(members.lazy(), on=["account", "group"], how="anti")
        .group_by("account", "group", "topic")
        .agg(k=pl.len().cast(pl.Float64))
        .collect(engine="streaming")
    )
    tested = hits.group_by("account", "group").agg(k=pl.col("k").sum()).filter(pl.col("k") >= MIN_SHARED)
    if tested.is_empty():
        return signature, tested.select("account", "group")
    drawn = _expected_by_rows(tested, hits, signature, size, group_rows, topic_rows)
    alike = _expected_by_items(tested, held, signature, shared, size, catalogue)
    joined = (
        tested.join(drawn, on=["account", "group"], how="left")
        .join(alike, on=["account", "group"], how="left")
        .with_columns(expected=pl.max_horizontal(pl.col("by_rows").fill_null(0.0), pl.col("by_items").fill_null(0.0)))
        .filter(tail_nats(pl.col("k"), pl.col("expected")) >= bar, pl.col("k") >= MIN_EXCESS * pl.col("expected"))
        .select("account", "group")
        .sort("account", "group")
    )
    return signature, joined


def _group_members(links: pl.DataFrame) -> pl.DataFrame:
    """(account, group): the members of each component of `links` with MIN_GROUP_SIZE or
    more accounts, the group named by its smallest code."""
    if links.is_empty():
        return pl.DataFrame(schema={"account": pl.UInt32, "group": pl.UInt32})
    return (
        component_frame(links)
        .select(account=pl.col("node").cast(pl.UInt32), group=pl.col("root").cast(pl.UInt32))
        .filter(pl.len().over("group") >= MIN_GROUP_SIZE)
    )


def _held_by_groups(members: pl.DataFrame, shared: pl.LazyFrame) -> pl.DataFrame:
    """(group, token, topic, holders, held): each item a group's members hold, with how
    many of them do (`held`) and how many accounts in all (`holders`)."""
    return (
        shared.join(members.lazy(), on="account")
        .group_by("group", "token")
        .agg(pl.col("topic").first(), pl.col("holders").first(), held=pl.len())
        .collect(engine="streaming")
    )


def _signature_items(held: pl.DataFrame, group_rows: pl.DataFrame, topic_rows: pl.DataFrame) -> pl.DataFrame:
    """(group, token, topic, outside): the items each group's members hold far more often
    than the items' popularity outside it predicts, with their holders outside it."""
    outside = (pl.col("holders") - pl.col("held")).cast(pl.Float64)
    chance = pl.col("group_rows") * outside / (pl.col("rows") - pl.col("group_rows"))
    return (
        held.join(group_rows, on=["group", "topic"])
        .join(topic_rows, on="topic")
        .with_columns(chance=pl.max_horizontal(chance, 1e-12))
        .filter(
            pl.col("held") >= 2,
            tail_nats(pl.col("held").cast(pl.Float64), pl.col("chance")) >= SIGNATURE_NATS,
        )
        .select("group", "token", "topic", outside=outside)
    )


def _expected_by_rows(
    tested: pl.DataFrame,
    hits: pl.DataFrame,
    signature: pl.DataFrame,
    size: pl.DataFrame,
    group_rows: pl.DataFrame,
    topic_rows: pl.DataFrame,
) -> pl.DataFrame:
    """(account, group, by_rows): the signature items each tested account would hold were
    its rows drawn as the rows outside the group are, topic by topic, its own left out."""
    outside_hits = signature.group_by("group", "topic").agg(outside_hits=pl.col("outside").sum())
    share = (pl.col("outside_hits") - pl.col("k")) / (pl.col("rows") - pl.col("group_rows") - pl.col("size"))
    return (
        tested.select("account", "group")
        .join(size, on="account")
        .join(hits, on=["account", "group", "topic"], how="left")
        .join(outside_hits, on=["group", "topic"], how="left")
        .join(group_rows, on=["group", "topic"], how="left")
        .join(topic_rows, on="topic")
        .with_columns(pl.col("k", "outside_hits", "group_rows").fill_null(0.0))
        .group_by("account", "group")
        .agg(by_rows=(pl.col("size") * pl.max_horizontal(share, 0.0)).sum())
    )


def _expected_by_items(
    tested: pl.DataFrame,
    held: pl.DataFrame,
    signature: pl.DataFrame,
    shared: pl.LazyFrame,
    size: pl.DataFrame,
    catalogue: _Catalogue,
) -> pl.DataFrame:
    """(account, group, by_items): the signature items each tested account would hold were
    each of its items as likely to be one as the items of its topic and outside
    popularity (holders outside the group, by powers of two) are. Items no one else
    holds are of the lowest class; they are counted from `size`, whatever `shared` lacks."""
    items, alone = catalogue.items, catalogue.alone
    per_group = []
    for group in tested.get_column("group").unique().sort():
        accounts = tested.filter(pl.col("group") == group).select("account")
        classes = (
            items.join(held.filter(pl.col("group") == group).select("token", "held"), on="token", how="left")
            .join(signature.filter(pl.col("group") == group).select("token", is_signature=pl.lit(True)), on="token",
                  how="left")
            .select(
                "token", "topic", is_signature=pl.col("is_signature").fill_null(False),
                popularity=_popularity_class(pl.col("holders") - pl.col("held").fill_null(0)),
            )
        )
        odds = (
            classes.filter(pl.col("popularity") >= 0)
            .group_by("topic", "popularity")
            .agg(signature=pl.col("is_signature").sum(), items=pl.len())
            .join(alone.with_columns(popularity=pl.lit(0, pl.Int32)), on=["topic", "popularity"], how="full",
                  coalesce=True)
            .select("topic", "popularity", odds=pl.col("signature").fill_null(0)
                    / (pl.col("items").fill_null(0) + pl.col("alone").fill_null(0)))
        )
        rows = (
            shared.join(accounts.lazy(), on="account")
            .join(classes.lazy().select("token", "popularity"), on="token")
            .join(odds.lazy(), on=["topic", "popularity"])
            .group_by("account", "topic")
            .agg(pl.col("odds").sum(), in_shared=pl.len())
            .collect(engine="streaming")
        )
        lowest = odds.filter(pl.col("popularity") == 0).select("topic", lowest="odds")
        per_group.append(
            accounts.join(size, on="account")
            .join(rows, on=["account", "topic"], how="left")
            .join(lowest, on="topic", how="left")
            .group_by("account")
            .agg(by_items=(pl.col("odds").fill_null(0.0) + (pl.col("size") - pl.col("in_shared").fill_null(0))
                           * pl.col("lowest").fill_null(0.0)).sum())
            .with_columns(group=pl.lit(group, pl.UInt32))
        )
    return pl.concat(per_group).select("account", "group", "by_items")


def _popularity_class(holders: pl.Expr) -> pl.Expr:
    """⌊log2(holders)⌋, −1 for an item no one outside the group holds."""
    return pl.when(holders >= 1).then(holders.cast(pl.Float64).log(2).floor()).otherwise(-1).cast(pl.Int32)


def _nearest_members(
    attached: pl.DataFrame, signature: pl.DataFrame, shared: pl.LazyFrame, members: pl.DataFrame
) -> pl.DataFrame:
    """For each attached (account, group, found), the NEAREST_CANDIDATES other members
    sharing most of its signature items, with their `order` (0: the nearest; ties: the
    smaller code).

    Each attached account's signature items are paired with every member holding them:
    as many rows as the members holding each (a popular product's users hold its tasks
    by the hundred), so the accounts are taken in slices of about NEAREST_CHUNK_ROWS
    such rows."""
    if attached.is_empty():
        return pl.DataFrame(schema=_CANDIDATE_SCHEMA)
    tokens = signature.select("group", "token")
    rows = shared.select("account", "token").join(tokens.lazy(), on="token").collect(engine="streaming")
    inside = rows.join(members, on=["account", "group"]).select("group", "token", member="account")
    outside = rows.join(attached, on=["account", "group"]).join(
        inside.group_by("group", "token").agg(members=pl.len()), on=["group", "token"]
    )
    slices = (
        outside.group_by("account", "group").agg(pl.col("members").sum())
        .sort("account", "group")
        .select("account", "group", slice=pl.col("members").cum_sum() // NEAREST_CHUNK_ROWS)
    )
    outside = outside.join(slices, on=["account", "group"]).select("account", "group", "found", "token", "slice")
    nearest = [
        part.join(inside, on=["group", "token"])
        .filter(pl.col("member") != pl.col("account"))
        .group_by("account", "group", "found", "member")
        .agg(shared=pl.len())
        .sort("account", "group", "shared", "member", descending=[False, False, True, False])
        .with_columns(order=pl.int_range(pl.len(), dtype=pl.UInt32).over("account", "group"))
        .filter(pl.col("order") < NEAREST_CANDIDATES)
        .select("account", "group", "member", "order", "found")
        for part in outside.partition_by("slice", include_key=False, maintain_order=True)
    ]
    return pl.concat(nearest).cast(_CANDIDATE_SCHEMA).sort("account", "group", "order")
