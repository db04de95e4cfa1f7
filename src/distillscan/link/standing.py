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

Memory: the token links' components (two 4-byte codes a link, in the core's union-find)
and the item links (a few per linked account).
"""

from __future__ import annotations

import polars as pl

from distillscan.graph import component_frame
from distillscan.link.attach import MIN_GROUP_SIZE
from distillscan.link.candidates import pair_ends


def item_links_apart(item_keys: pl.Series, token_keys: pl.Series) -> pl.Series:
    """The item links (`item_keys`, pair keys of account codes) that merge no two
    standing groups (see the module's note), in their order; `token_keys` are the pair
    keys of the token links."""
    if item_keys.is_empty() or token_keys.is_empty():
        return item_keys
    token_groups = _large_groups(token_keys.to_frame("pair").select(*pair_ends(pl.col("pair"))))
    links = item_keys.to_frame("pair").with_columns(*pair_ends(pl.col("pair")))
    grouped = links.join(token_groups.rename({"node": "a", "root": "group_a"}), on="a", how="left").join(
        token_groups.rename({"node": "b", "root": "group_b"}), on="b", how="left"
    )
    outside = grouped.filter(pl.col("group_a").is_null() & pl.col("group_b").is_null())
    item_groups = _large_groups(outside.select("a", "b")).get_column("node")
    in_item_group = pl.col("a").is_in(item_groups.implode()), pl.col("b").is_in(item_groups.implode())
    merges = (
        (pl.col("group_a").is_not_null() & pl.col("group_b").is_not_null() & (pl.col("group_a") != pl.col("group_b")))
        | (pl.col("group_a").is_not_null() & in_item_group[1])
        | (pl.col("group_b").is_not_null() & in_item_group[0])
    )
    return grouped.filter(~merges.fill_null(False)).get_column("pair")


def _large_groups(edges: pl.DataFrame) -> pl.DataFrame:
    """(node, root) of the nodes in components of `edges` (a, b) with MIN_GROUP_SIZE or
    more nodes."""
    if edges.is_empty():
        return pl.DataFrame(schema={"node": edges.schema["a"], "root": edges.schema["a"]})
    components = component_frame(edges)
    return components.filter(pl.len().over("root") >= MIN_GROUP_SIZE)
