"""Connected components over an edge list, shared by template clustering and account linking."""

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
