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

Memory: the token links' components, which linking finds anyway (one row per linked
account), and the item links (a few per linked account).
"""

from __future__ import annotations

import polars as pl

from distillscan.graph import component_frame
from distillscan.link.attach import MIN_GROUP_SIZE
from distillscan.link.candidates import pair_ends


def item_links_apart(item_keys: pl.Series, token_components: pl.DataFrame) -> pl.Series:
    """The item links (`item_keys`, pair keys of account codes) that merge no two
    standing groups (see the module's note), in their order; `token_components` holds
    (node, root) for each account the token links hold (see `graph.component_frame`)."""
    if item_keys.is_empty() or token_components.is_empty():
        return item_keys
    token_groups = _large(token_components)
    links = item_keys.to_frame("pair").with_columns(*pair_ends(pl.col("pair")))
    grouped = links.join(token_groups.rename({"node": "a", "root": "group_a"}), on="a", how="left").join(
        token_groups.rename({"node": "b", "root": "group_b"}), on="b", how="left"
    )
    outside = grouped.filter(pl.col("group_a").is_null() & pl.col("group_b").is_null())
    item_groups = _large(component_frame(outside.select("a", "b"))).get_column("node")
    in_item_group = pl.col("a").is_in(item_groups.implode()), pl.col("b").is_in(item_groups.implode())
    merges = (
        (pl.col("group_a").is_not_null() & pl.col("group_b").is_not_null() & (pl.col("group_a") != pl.col("group_b")))
        | (pl.col("group_a").is_not_null() & in_item_group[1])
        | (pl.col("group_b").is_not_null() & in_item_group[0])
    )
    return grouped.filter(~merges.fill_null(False)).get_column("pair")


def _large(components: pl.DataFrame) -> pl.DataFrame:
    """The (node, root) rows of the components with MIN_GROUP_SIZE or more nodes."""
    return components.filter(pl.len().over("root") >= MIN_GROUP_SIZE)
