"""Connected components over an edge list, shared by template clustering and account linking."""

from __future__ import annotations

import polars as pl

from distillscan import _core


def component_frame(edges: pl.DataFrame, a: str = "a", b: str = "b") -> pl.DataFrame:
    """(node, root) for every node in `edges`, sorted by node: its component's smallest
    node, which makes the result independent of edge order (group ids stay
    deterministic).

    The nodes (any sortable type) are numbered in sorted order by binary search, and the
    compiled core joins the numbered edges by union-find: memory grows with the nodes
    and two 4-byte codes per edge. On the 6.9M linked pairs of the 30M-request log, the
    joins this replaced (hooking and contraction over the edge list) held about 0.95 GB
    over their input.
    """
    nodes = pl.concat([edges.get_column(a), edges.get_column(b)]).unique().sort().rename("node")
    codes = edges.select(
        a=nodes.search_sorted(edges.get_column(a)).cast(pl.UInt32),
        b=nodes.search_sorted(edges.get_column(b)).cast(pl.UInt32),
    )
    roots = pl.DataFrame(_core.component_roots(codes.get_column("a"), codes.get_column("b"), nodes.len()))
    return pl.DataFrame({"node": nodes, "root": nodes.gather(roots.get_column("root"))})
