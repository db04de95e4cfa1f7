"""Co-harvest links grow groups; they never merge two groups that stand on their own.

Task items are statistical evidence: an account is item-linked when it sends items
that another account, or an item group, sends far beyond their popularity. Public
datasets are shared by many operations, though, and a large group holds many items:
on the 10M-request log of seed 7 with the optional columns dropped, one 30-request
account of the hydra (held in its group of 22,854 by cards of IPs and templates) sent
22 items that the low-and-slow campaign's accounts send too, and its item links merged
that campaign's 599 accounts into the hydra's group. A benign team held together by its
organisation's addresses would be merged into a campaign the same way, by one member.

A group stands on its own when token links hold MIN_GROUP_SIZE or more accounts in it
(a *token group*), or item links hold MIN_GROUP_SIZE or more accounts that are in no
token group (an *item group*). Item links between two different token groups, or
between a token group and an item group, are dropped; those that bring lone accounts
or small crews into either kind of group are kept (a hydra account that only its items
tie to the hydra still joins it).

Unless one of the two is mostly the other's: when ABSORBED_SHARE of either group's
accounts are item-linked into the other, the links between them are kept and the two
are one. One crew of a campaign can be held by tokens of its own: on the 10M-request log
of seed 7, 20 of the low-and-slow campaign's 600 accounts shared a system prompt and a
closing sentence (a wrapper), 14 of them item-linked into the campaign's item group of
580, and they were reported apart. The merge this rule stops is one account's: the
hydra's account above linked into the campaign's accounts from a group of 22,854.

Memory: the token links' components, which linking finds anyway (one row per linked
account), and the item links (a few per linked account).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from distillscan.graph import component_frame
from distillscan.link.attach import MIN_GROUP_SIZE
from distillscan.link.candidates import pair_ends

# Share of a group's accounts item-linked into another that makes it part of that one.
ABSORBED_SHARE: Final = 0.5


def item_links_apart(item_keys: pl.Series, token_components: pl.DataFrame) -> pl.Series:
    """The item links (`item_keys`, pair keys of account codes) that merge no two
    standing groups (see the module's note), in their order; `token_components` holds
    (node, root) for each account the token links hold (see `graph.component_frame`)."""
    if item_keys.is_empty() or token_components.is_empty():
        return item_keys
    token_groups = _large(token_components)
    links = item_keys.to_frame("pair").with_columns(*pair_ends(pl.col("pair")))
    in_token_group = links.join(token_groups.rename({"node": "a", "root": "group_a"}), on="a", how="left").join(
        token_groups.rename({"node": "b", "root": "group_b"}), on="b", how="left"
    )
    outside = in_token_group.filter(pl.col("group_a").is_null() & pl.col("group_b").is_null())
    # An item group's root is its smallest account; token groups' roots are their own
    # smallest, so the two kinds' roots never clash (an account is in one group at most).
    item_groups = _large(component_frame(outside.select("a", "b")))
    grouped = in_token_group.join(item_groups.rename({"node": "a", "root": "item_a"}), on="a", how="left").join(
        item_groups.rename({"node": "b", "root": "item_b"}), on="b", how="left"
    ).select(
        "pair", "a", "b",
        group_a=pl.coalesce("group_a", "item_a"), group_b=pl.coalesce("group_b", "item_b"),
    )
    crossing = grouped.filter(
        pl.col("group_a").is_not_null() & pl.col("group_b").is_not_null() & (pl.col("group_a") != pl.col("group_b"))
    )
    absorbed = _absorbed(crossing, pl.concat([token_groups, item_groups]))
    merges = crossing.join(absorbed, on=["group_a", "group_b"], how="anti").get_column("pair")
    return grouped.filter(~pl.col("pair").is_in(merges.implode())).get_column("pair")


def _absorbed(crossing: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """(group_a, group_b): the pairs of groups joined by the `crossing` item links (pair,
    a, b, group_a, group_b) where ABSORBED_SHARE of either group's accounts (`groups`:
    node, root) are item-linked into the other."""
    sizes = groups.group_by("root").agg(size=pl.len())
    ends = pl.concat([
        crossing.select(account="a", group="group_a", other="group_b"),
        crossing.select(account="b", group="group_b", other="group_a"),
    ])
    mostly_linked = (
        ends.group_by("group", "other")
        .agg(linked=pl.col("account").n_unique())
        .join(sizes, left_on="group", right_on="root")
        .filter(pl.col("linked") >= ABSORBED_SHARE * pl.col("size"))
    )
    both_ways = pl.concat([
        mostly_linked.select(group_a="group", group_b="other"),
        mostly_linked.select(group_a="other", group_b="group"),
    ])
    return both_ways.unique()


def _large(components: pl.DataFrame) -> pl.DataFrame:
    """The (node, root) rows of the components with MIN_GROUP_SIZE or more nodes."""
    return components.filter(pl.len().over("root") >= MIN_GROUP_SIZE)
