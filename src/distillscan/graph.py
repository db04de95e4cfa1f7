"""Connected components over an edge list, shared by template clustering and account linking."""

from __future__ import annotations

import polars as pl


def component_frame(edges: pl.DataFrame, a: str = "a", b: str = "b") -> pl.DataFrame:
    """(node, root) for every node in `edges`: its component's smallest node, which
    makes the result independent of edge order (group ids stay deterministic).

    Computed with joins rather than a Python loop over edges: each round every node
    takes the smallest root among its neighbours,
    then jumps to its root's root (pointer jumping), so long chains settle in a
    logarithmic number of rounds.
    """
    both = pl.concat(
        [edges.select(node=pl.col(a), other=pl.col(b)), edges.select(node=pl.col(b), other=pl.col(a))]
    ).unique()
    labels = both.group_by("node").agg(root=pl.min_horizontal(pl.col("node").first(), pl.col("other").min()))
    while True:
        from_neighbours = (
            both.join(labels.rename({"node": "other", "root": "neighbour_root"}), on="other")
            .group_by("node")
            .agg(neighbour_root=pl.col("neighbour_root").min())
        )
        hooked = labels.join(from_neighbours, on="node").select(
            "node", root=pl.min_horizontal("root", "neighbour_root")
        )
        jumped = hooked.join(
            hooked.rename({"node": "root", "root": "root_of_root"}), on="root", how="left"
        ).select("node", root=pl.min_horizontal("root", pl.col("root_of_root").fill_null(pl.col("root"))))
        changed = jumped.join(labels, on="node", suffix="_before").filter(
            pl.col("root") != pl.col("root_before")
        ).height
        labels = jumped
        if changed == 0:
            return labels.sort("node")
