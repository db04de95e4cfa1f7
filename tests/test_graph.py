"""Connected components: the Polars implementation against a plain union-find oracle."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def component_roots(edges: Iterable[tuple[Node, Node]]) -> dict[Node, Node]:
    """Map every node that appears in an edge to its component's smallest node.

    Union-find with path halving; the smallest node as root makes the result
    independent of edge order, which keeps group ids deterministic.
    """
    parent: dict[Node, Node] = {}

    def find(node: Node) -> Node:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            if root_b < root_a:  # type: ignore[operator]
                root_a, root_b = root_b, root_a
            parent[root_b] = root_a
    return {node: find(node) for node in list(parent)}




def test_components_root_at_smallest_node_regardless_of_edge_order() -> None:
    edges = [("d", "c"), ("b", "a"), ("c", "b"), ("x", "y")]
    roots = component_roots(edges)
    assert roots == {"a": "a", "b": "a", "c": "a", "d": "a", "x": "x", "y": "x"}
    assert component_roots(reversed(edges)) == roots


def test_no_edges_no_nodes() -> None:
    assert component_roots([]) == {}


def test_component_frame_agrees_with_union_find_on_random_graphs() -> None:
    import random

    import polars as pl

    from distillscan.graph import component_frame

    rng = random.Random(7)
    for nodes, n_edges in [(50, 30), (500, 400), (2000, 1999)]:
        edges = [(rng.randrange(nodes), rng.randrange(nodes)) for _ in range(n_edges)]
        expected = component_roots(edges)
        frame = component_frame(pl.DataFrame(edges, schema={"a": pl.Int64, "b": pl.Int64}, orient="row"))
        assert dict(frame.iter_rows()) == expected


def test_component_frame_settles_a_long_chain() -> None:
    import polars as pl

    from distillscan.graph import component_frame

    chain = pl.DataFrame({"a": list(range(1, 5000)), "b": list(range(4999))})
    frame = component_frame(chain)
    assert frame["root"].unique().to_list() == [0]
    assert frame.height == 5000


def test_component_frame_keeps_nodes_whose_only_edge_is_to_themselves() -> None:
    import polars as pl

    from distillscan.graph import component_frame

    edges = [("m", "m"), ("b", "a"), ("b", "b"), ("a", "b"), ("a", "a")]
    frame = component_frame(pl.DataFrame(edges, schema={"a": pl.String, "b": pl.String}, orient="row"))
    assert frame.rows() == [("a", "a"), ("b", "a"), ("m", "m")]
    assert dict(frame.rows()) == component_roots(edges)
    assert component_frame(pl.DataFrame(schema={"a": pl.UInt64, "b": pl.UInt64})).height == 0


def test_the_core_refuses_bad_edges_with_an_error() -> None:
    import polars as pl
    import pytest

    from distillscan import _core

    codes = pl.Series([0, 1], dtype=pl.UInt32)
    with pytest.raises(ValueError, match="not below the node count 1"):
        _core.component_roots(codes, codes, 1)
    with pytest.raises(ValueError, match='column "a" is not UInt32'):
        _core.component_roots(pl.Series([0, 1], dtype=pl.Int64), codes, 2)
    with pytest.raises(ValueError, match="differ in length"):
        _core.component_roots(codes, codes.head(1), 2)
    with pytest.raises(ValueError, match="holds nulls"):
        _core.component_roots(codes, pl.Series([0, None], dtype=pl.UInt32), 2)


def test_component_frame_over_no_edges_keeps_the_node_type() -> None:
    import polars as pl

    from distillscan.graph import component_frame

    frame = component_frame(pl.DataFrame(schema={"a": pl.UInt64, "b": pl.UInt64}))
    assert frame.height == 0 and frame.schema == pl.Schema({"node": pl.UInt64, "root": pl.UInt64})
