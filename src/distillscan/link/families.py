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
(91-94% at 1M) sat at the edge. Two families, not one: a campaign that drives a popular
agent holds most of the agent's prompt family too (82% of its 1,089 holders at 1M),
and at one family the agent's 200 benign users would have been attached; none of them
uses a second family of the hydra's. Only lone accounts and components too small to own
a family are attached, each by one link to a group large enough to own one, so no two
such groups merge this way.

Memory: one row per (account, prompt family) used, and per group its own families.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan.link.attach import MIN_GROUP_SIZE
from distillscan.model.aggregates import Aggregates

# A family is a group's own when this share of its holders are the group's members
# (and MIN_GROUP_SIZE of them) ...
SIGNATURE_SHARE: Final = 0.75
# ... and a lone account is attached when it uses this many of one group's own families.
MIN_OWN_FAMILIES: Final = 2

_EDGE_SCHEMA: Final = {"account": pl.UInt32, "partner": pl.UInt32}


def family_attachments(
    aggregates: Aggregates, system_families: pl.DataFrame, components: pl.DataFrame, codes: pl.DataFrame
) -> pl.DataFrame:
    """(account, partner) codes: each crew that uses MIN_OWN_FAMILIES of one group's own
    prompt families, by its smallest account, with the smallest-coded member of that
    group that uses one of them, sorted by account. `components` holds `node`, `root`
    codes of every linked account; a group is a component of MIN_GROUP_SIZE or more, a
    crew an account in none of them or a smaller component, whose families are those any
    of its accounts uses. A crew that qualifies for several groups goes to the one whose
    families it uses most (ties: the smaller root). `codes` maps account_id → code."""
    used = _families_used(aggregates, system_families, codes)
    sized = components.select(account="node", group="root", size=pl.len().over("root"))
    group_of = sized.filter(pl.col("size") >= MIN_GROUP_SIZE).drop("size")
    if used.is_empty() or group_of.is_empty():
        return pl.DataFrame(schema=_EDGE_SCHEMA)
    holders = used.group_by("family").agg(holders=pl.len())
    own = (
        used.join(group_of, on="account")
        .group_by("group", "family")
        .agg(members=pl.len(), first_member=pl.col("account").min())
        .join(holders, on="family")
        .filter(pl.col("members") >= MIN_GROUP_SIZE, pl.col("members") >= SIGNATURE_SHARE * pl.col("holders"))
    )
    crews = (
        used.join(sized, on="account", how="left")
        .filter(pl.col("size").is_null() | (pl.col("size") < MIN_GROUP_SIZE))
        .select(account=pl.col("group").fill_null(pl.col("account")), family="family")
        .unique()
    )
    chosen = (
        crews.join(own, on="family")
        .group_by("account", "group")
        .agg(families=pl.len(), partner=pl.col("first_member").min())
        .filter(pl.col("families") >= MIN_OWN_FAMILIES)
        .sort("account", "families", "group", descending=[False, True, False])
        .unique("account", keep="first")
    )
    return chosen.select(pl.col("account", "partner").cast(pl.UInt32)).sort("account")


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
