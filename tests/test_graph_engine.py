"""The scipy engine against networkx (hypothesis) and its protocol."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dupcheck.graph.engine import GraphEngine, ScipyEngine, default_engine

edges_st = st.integers(1, 30).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                                             max_size=3 * n))
)


def _arrays(edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    src = np.asarray([a for a, _ in edges], dtype=np.int64)
    dst = np.asarray([b for _, b in edges], dtype=np.int64)
    return src, dst


@settings(max_examples=200, deadline=None)
@given(edges_st)
def test_components_equal_networkx(data: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = data
    src, dst = _arrays(edges)
    lab = ScipyEngine().components(n, src, dst)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    ours = {frozenset(np.flatnonzero(lab == k).tolist()) for k in np.unique(lab)}
    theirs = {frozenset(c) for c in nx.connected_components(g)}
    assert ours == theirs
    # labels are numbered by each component's smallest node: independent of edge order
    firsts = [int(np.flatnonzero(lab == k).min()) for k in range(lab.max() + 1)]
    assert firsts == sorted(firsts)


@settings(max_examples=50, deadline=None)
@given(edges_st)
def test_degrees_equal_networkx(data: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = data
    edges = sorted({(min(a, b), max(a, b)) for a, b in edges if a != b})
    src, dst = _arrays(edges)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    assert ScipyEngine().degrees(n, src, dst).tolist() == [g.degree(i) for i in range(n)]


def test_pagerank_matches_networkx() -> None:
    g = nx.karate_club_graph()
    src, dst = _arrays(list(g.edges()))
    pr = ScipyEngine().pagerank(g.number_of_nodes(), src, dst)
    ref = nx.pagerank(g, weight=None, tol=1e-12, max_iter=1000)
    assert pr == pytest.approx(np.array([ref[i] for i in range(len(ref))]), abs=1e-6)


def test_projection_counts_shared_neighbours() -> None:
    # left 0,1,2 ; right 0,1 ; 0-0, 1-0, 1-1, 2-1, and a repeated link 0-0
    left = np.array([0, 1, 1, 2, 0])
    right = np.array([0, 0, 1, 1, 0])
    i, j, w = ScipyEngine().project(3, 2, left, right, right_weight=np.array([1.0, 0.5]))
    got = {(int(a), int(b)): float(c) for a, b, c in zip(i, j, w, strict=True)}
    assert got == {(0, 1): 1.0, (1, 2): 0.5}


def test_default_engine_satisfies_protocol() -> None:
    assert isinstance(default_engine(), GraphEngine)
    assert ScipyEngine().components(0, np.zeros(0, np.int64), np.zeros(0, np.int64)).size == 0
