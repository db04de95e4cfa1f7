"""Accounts that link to nobody, and small crews, attached to a group whose own system
prompts they use.

A system prompt is configuration: an operator sets it once for a crew of accounts, and
strangers either share a product's prompt or write their own. A prompt family that
mostly one group's members use (SIGNATURE_SHARE of its holders, and at least
MIN_GROUP_SIZE of them) is that group's own; an account in no linked pair, or a
component of fewer than MIN_GROUP_SIZE accounts, whose accounts use MIN_OWN_FAMILIES or
more of one group's own families is attached to it. Without payment columns a hydra's
small accounts (a handful of requests, each in another frame, from rotating exits)
share no token any pair test can weigh: at 1M requests 176 of the 194 it lost used a
prompt family only the hydra uses. With them, two such accounts sharing a card are
attached to each other (`cards`) and form a pair of their own: at 10M requests 11 of
the hydra's 36 groups were such pairs, each using two or more of its families.

The lost accounts are themselves holders outside the group, so the share must leave
room for them: at 0.9, families of the hydra's with a tenth of their holders lost
(91-94% at 1M) sat at the edge. Over a short span a group loses more than a quarter:
in the first 7 days of the 10M-request log, with the optional columns dropped, the
hydra's main group held a median 76% of the holders of the 811 system prompts only the
hydra's accounts used (a quarter of them under 65%), the rest its own lone accounts,
and 35% of its accounts stayed alone. So the crews that use two families a group
*leads* (LEAD_SHARE of their holders are its members) count as its members when its
own families are found: the lost accounts are not held against it, while strangers
who use one of its families still are. On that log the hydra's two networks went from
0.65 and 0.61 recall in 3,917 and 2,323 groups to 0.84 and 0.83 in 1,755 and 1,009,
with no benign account flagged more; the 1M-request logs came out unchanged.

Two families, not one: a campaign that drives a popular agent holds most of the
agent's prompt family too (82% of its 1,089 holders at 1M), and at one family the
agent's 200 benign users would have been attached; none of them uses a second family
of the hydra's.

A crew that uses one family only is attached when the family is *exclusive* to the group
(EXCLUSIVE_SHARE of its holders, the crews attached by two families counted as members)
and the crew also exits through one of the group's own /24s (SIGNATURE_SHARE of the
accounts seen on it are members): content and network, two kinds of evidence, as two
families are two pieces of one kind. The accounts a hydra loses with one request or a
few hold one prompt, a card of their own and an exit or three of its pool: on the
10M-request log 24 hydra accounts stayed alone after two families, 16 of them used one
exclusive family and one own subnet, and no other account did. A family alone would have
attached 16 too, but it is one coincidence; at SIGNATURE_SHARE rather than
EXCLUSIVE_SHARE it took in 13 users of the agent the campaign drives whose homes are
among its exits (the agent's family is 85% the hydra's).

A family no group owns alone is owned by its OWNER_COALITION largest holder groups
together when they hold the share (`attach.coalition_owns`, see `frames`): one playbook
run by two groups. In the 8-day log `frames` cites, the four pairs of hydra accounts
sharing a card joined so.

Only lone accounts and components too small to own a family are attached, each by one
link to a member of a group large enough to own one, so no two such groups merge this
way.

Memory: one row per (account, prompt family) used, per group its own families, the
one-family crews' (crew, subnet) rows and, per subnet they use, how many accounts are
seen on it and how many of them each group holds (counted in a streaming pass, never
listed).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan.link.attach import LEAD_SHARE, MIN_GROUP_SIZE, coalition_owns
from distillscan.model.aggregates import Aggregates

# A family is a group's own when this share of its holders are the group's members
# (and MIN_GROUP_SIZE of them) ...
SIGNATURE_SHARE: Final = 0.75
# ... and a lone account is attached when it uses this many of one group's own families,
MIN_OWN_FAMILIES: Final = 2
# ... or one whose holders are this share members, and one of the group's own subnets.
EXCLUSIVE_SHARE: Final = 0.95

_EDGE_SCHEMA: Final = {"account": pl.UInt32, "partner": pl.UInt32, "network": pl.Boolean}


def family_attachments(
    aggregates: Aggregates, system_families: pl.DataFrame, components: pl.DataFrame, codes: pl.DataFrame
) -> pl.DataFrame:
    """(account, partner, network): each crew attached to a group (see the module's
    note), by its smallest account, with the smallest-coded member of that group that
    uses one of the families it was attached by; `network` is true where one family
    and an own subnet attached it. Sorted by account. `components` holds `node`, `root`
    codes of every linked account; a group is a component of MIN_GROUP_SIZE or more, a
    crew an account in none of them or a smaller component, whose families (subnets)
    are those any of its accounts uses. A crew that qualifies for several groups goes to
    the one whose families it uses most (ties: the smaller root). `codes` maps
    account_id → code."""
    used = _families_used(aggregates, system_families, codes)
    sized = components.select(account="node", group="root", size=pl.len().over("root"))
    group_of = sized.filter(pl.col("size") >= MIN_GROUP_SIZE).drop("size")
    if used.is_empty() or group_of.is_empty():
        return pl.DataFrame(schema=_EDGE_SCHEMA)
    crew_of = (
        used.select("account").unique()
        .join(sized, on="account", how="left")
        .filter(pl.col("size").is_null() | (pl.col("size") < MIN_GROUP_SIZE))
        .select("account", crew=pl.col("group").fill_null(pl.col("account")))
    )
    crews = used.join(crew_of, on="account").select(pl.col("crew").alias("account"), "family").unique()
    holders = used.group_by("family").agg(holders=pl.len())
    # The crews that use two families a group leads count as its members when its own
    # families are found: they are the accounts it lost (see the module's note).
    leading = _by_two(crews, _own_families(used, holders, group_of, group_of, LEAD_SHARE))
    counted = pl.concat([group_of, _crew_accounts(crew_of, leading)])
    by_two = _by_two(crews, _own_families(used, holders, counted, group_of, SIGNATURE_SHARE))
    members = pl.concat([group_of, _crew_accounts(crew_of, by_two)])
    exclusive = _own_families(used, holders, members, group_of, EXCLUSIVE_SHARE).drop_nulls("first_member")
    by_one = (
        crews.join(by_two, on="account", how="anti")
        .join(exclusive, on="family")
        .group_by("account", "group")
        .agg(partner=pl.col("first_member").min())
    )
    by_network = by_one.join(_own_subnets(aggregates, codes, crew_of, by_one, members), on=["account", "group"])
    chosen = pl.concat([
        by_two.select("account", "partner", network=pl.lit(False)),
        by_network.sort("account", "group").unique("account", keep="first").select(
            "account", "partner", network=pl.lit(True)
        ),
    ])
    return chosen.with_columns(pl.col("account", "partner").cast(pl.UInt32)).sort("account")


def _crew_accounts(crew_of: pl.DataFrame, chosen: pl.DataFrame) -> pl.DataFrame:
    """(account, group): the accounts of the crews `chosen` (account: the crew, group)
    took into a group (`crew_of`: account, crew)."""
    return crew_of.join(chosen, left_on="crew", right_on="account").select("account", "group")


def _by_two(crews: pl.DataFrame, own: pl.DataFrame) -> pl.DataFrame:
    """(account, partner, group): each crew (account: the crew, family) that uses
    MIN_OWN_FAMILIES or more of one group's `own` families, with the group whose
    families it uses most (ties: more of its members, then the smaller root)."""
    return (
        crews.join(own, on="family")
        .group_by("account", "group")
        .agg(families=pl.len(), weight=pl.col("members").sum(), partner=pl.col("first_member").min())
        .filter(pl.col("families") >= MIN_OWN_FAMILIES)
        .sort("account", "families", "weight", "group", descending=[False, True, True, False])
        .unique("account", keep="first", maintain_order=True)
        .select("account", "partner", "group")
    )


def _own_families(
    used: pl.DataFrame, holders: pl.DataFrame, members: pl.DataFrame, partners: pl.DataFrame, share: float
) -> pl.DataFrame:
    """(group, family, first_member): the families of each group (`members`: account,
    group) that MIN_GROUP_SIZE of its members and `share` of their holders (`holders`:
    family, holders) use, with the smallest-coded of `partners` (account, group) using it
    (null if none)."""
    first = used.join(partners, on="account").group_by("group", "family").agg(first_member=pl.col("account").min())
    return (
        used.join(members, on="account")
        .group_by("group", "family")
        .agg(members=pl.len())
        .filter(pl.col("members") >= MIN_GROUP_SIZE)
        .join(holders, on="family")
        .sort("family", "members", "group", descending=[False, True, False])
        .filter(coalition_owns("family", pl.col("holders") * share))
        .join(first, on=["group", "family"], how="left")
        .select("group", "family", "first_member", "members")
    )


def _own_subnets(
    aggregates: Aggregates, codes: pl.DataFrame, crew_of: pl.DataFrame, candidates: pl.DataFrame,
    members: pl.DataFrame,
) -> pl.DataFrame:
    """(account, group): the `candidates` crews (account: the crew, group) whose accounts
    exit through a subnet of that group's own: MIN_GROUP_SIZE of its `members` and
    SIGNATURE_SHARE of the accounts seen on it."""
    if candidates.is_empty():
        return pl.DataFrame(schema={"account": pl.UInt32, "group": pl.UInt32})
    subnets = (
        aggregates.account_values.lazy()
        .filter(pl.col("kind") == "subnet")
        .select("account_id", subnet="value")
        .join(codes.lazy(), on="account_id")
        .select(account=pl.col("code").cast(pl.UInt32), subnet="subnet")
    )
    crew_accounts = crew_of.join(candidates.select(crew="account").unique(), on="crew")
    crew_subnets = subnets.join(crew_accounts.lazy(), on="account").select("crew", "subnet").unique().collect()
    # The accounts seen on those subnets are counted, never held: a rotating pool's /24s
    # are shared by thousands of accounts each.
    seen = subnets.join(crew_subnets.lazy().select("subnet").unique(), on="subnet")
    holders, by_group = pl.collect_all(
        [
            seen.group_by("subnet").agg(holders=pl.len()),
            seen.join(members.lazy(), on="account").group_by("subnet", "group").agg(members=pl.len()),
        ],
        engine="streaming",
    )
    own = by_group.join(holders, on="subnet").filter(
        pl.col("members") >= MIN_GROUP_SIZE, pl.col("members") >= SIGNATURE_SHARE * pl.col("holders")
    )
    return crew_subnets.join(own, on="subnet").select(account="crew", group="group").unique()


def _families_used(aggregates: Aggregates, system_families: pl.DataFrame, codes: pl.DataFrame) -> pl.DataFrame:
    """(account, family): each account's code and the prompt families it used at all (a
    prompt in no family is its own)."""
    return (
        aggregates.account_frames.lazy()
        .drop_nulls("system_fp")
        .select("account_id", "system_fp")
        .unique()
        .join(system_families.lazy().select("system_fp", "family_fp"), on="system_fp", how="left")
        .join(codes.lazy(), on="account_id")
        .select(account=pl.col("code").cast(pl.UInt32), family=pl.col("family_fp").fill_null(pl.col("system_fp")))
        .unique()
        .collect(engine="streaming")
    )
