"""Connected components over an edge list, shared by template clustering and account linking."""

from __future__ import annotations

import polars as pl


def component_frame(edges: pl.DataFrame, a: str = "a", b: str = "b") -> pl.DataFrame:
    """(node, root) for every node in `edges`: its component's smallest node, which
    makes the result independent of edge order (group ids stay deterministic).

    Computed with joins rather than a Python loop over edges, by hooking and
    contraction: each round every node hooks to its smallest neighbour if that is
    smaller than itself, pointer jumping takes every node to the root of its tree, and
    the edges are rewritten between roots, dropping those inside one tree. Every round merges each component's
    smallest node with a neighbour, and the edge list shrinks as components close, so
    later rounds are cheap.
    """
    pairs = _between_roots(edges.select(a=pl.col(a), b=pl.col(b)))
    # Only the nodes that hook to a smaller one are kept, with where they hook (a pair
    # is (smaller, larger), so a node's smallest neighbour is the smallest `a` of the
    # pairs it is the `b` of; a node never a `b` is a root this round): half the rows
    # of listing every node both ways, and the roots of the result are added at the end.
    labels = pl.DataFrame(schema={"node": pairs.schema["a"], "root": pairs.schema["a"]})
    while pairs.height:
        hooks = pairs.group_by("b").agg(root=pl.col("a").min()).rename({"b": "node"})
        roots = _jump_to_roots(hooks)
        pairs = _between_roots(
            pairs.join(roots.rename({"node": "a", "root": "root_a"}), on="a", how="left")
            .join(roots.rename({"node": "b", "root": "root_b"}), on="b", how="left")
            .select(a=pl.col("root_a").fill_null(pl.col("a")), b=pl.col("root_b").fill_null(pl.col("b")))
        )
        # Nodes hooked in earlier rounds follow their root to its new root; the nodes
        # hooked now (roots until now, so not yet listed) join them.
        labels = pl.concat([
            labels.join(roots.rename({"node": "root", "root": "new_root"}), on="root", how="left").select(
                "node", root=pl.col("new_root").fill_null(pl.col("root"))
            ),
            roots,
        ])
    # Every final root has a node hooked to it, except a node whose only edges are to
    # itself: it is a component of its own.
    alone = edges.filter(pl.col(a) == pl.col(b)).select(node=pl.col(a)).join(labels, on="node", how="anti")
    final_roots = pl.concat([labels.select(node="root"), alone]).unique().with_columns(root="node")
    return pl.concat([labels, final_roots]).sort("node")


def _between_roots(pairs: pl.DataFrame) -> pl.DataFrame:
    """Distinct (smaller, larger) pairs of different nodes."""
    return (
        pairs.select(a=pl.min_horizontal("a", "b"), b=pl.max_horizontal("a", "b"))
        .filter(pl.col("a") != pl.col("b"))
        .unique()
    )


def _jump_to_roots(parents: pl.DataFrame) -> pl.DataFrame:
    """(node, root) from (node, parent) where every parent is no larger than its node:
    follow parents (doubling the stride each round) until each node reaches a root."""
    while True:
        jumped = parents.join(
            parents.rename({"node": "root", "root": "grand"}), on="root", how="left", maintain_order="left"
        ).select("node", root=pl.col("grand").fill_null(pl.col("root")))
        if not (jumped["root"] != parents["root"]).any():
            return jumped
        parents = jumped
