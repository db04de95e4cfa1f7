from distillscan.graph import component_roots


def test_components_root_at_smallest_node_regardless_of_edge_order() -> None:
    edges = [("d", "c"), ("b", "a"), ("c", "b"), ("x", "y")]
    roots = component_roots(edges)
    assert roots == {"a": "a", "b": "a", "c": "a", "d": "a", "x": "x", "y": "x"}
    assert component_roots(reversed(edges)) == roots


def test_no_edges_no_nodes() -> None:
    assert component_roots([]) == {}
