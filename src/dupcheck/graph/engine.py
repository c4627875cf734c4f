"""Graph computation behind a small protocol, with a scipy.sparse implementation.

Detectors hand the engine plain integer edge arrays (``src``, ``dst`` over ``0..n-1``) and get
numpy arrays back, so another engine (igraph, a distributed one) can be plugged in by implementing
:class:`GraphEngine`. Complexity of the scipy engine: components O(n + m) (``csgraph``); degrees
O(m); PageRank O(k·m) for k power iterations; projection O(Σ deg²) of the shared side.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse import csgraph

__all__ = ["GraphEngine", "ScipyEngine", "default_engine"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@runtime_checkable
class GraphEngine(Protocol):
    """What detectors need from a graph library; all graphs are undirected edge lists."""

    def components(self, n: int, src: IntArray, dst: IntArray) -> IntArray:
        """Connected-component label per node (labels 0..k-1, numbered by smallest member)."""
        ...

    def degrees(self, n: int, src: IntArray, dst: IntArray) -> IntArray:
        """Number of incident edges per node (a self-loop counts once)."""
        ...

    def pagerank(
        self, n: int, src: IntArray, dst: IntArray, weight: FloatArray | None = None,
        alpha: float = 0.85, personalization: FloatArray | None = None,
        tol: float = 1e-10, max_iter: int = 200,
    ) -> FloatArray:
        """PageRank of the undirected weighted graph (sums to 1; dangling mass teleports)."""
        ...

    def project(
        self, n_left: int, n_right: int, left: IntArray, right: IntArray,
        right_weight: FloatArray | None = None,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Left-left projection of a bipartite graph: pairs (i < j) and their weighted co-links."""
        ...


class ScipyEngine:
    """The default engine: scipy.sparse CSR and ``scipy.sparse.csgraph``."""

    @staticmethod
    def _adj(n: int, src: IntArray, dst: IntArray, weight: FloatArray | None = None) -> sp.csr_array:
        w = np.ones(len(src), dtype=np.float64) if weight is None else np.asarray(weight, np.float64)
        a = sp.coo_array((w, (np.asarray(src), np.asarray(dst))), shape=(n, n)).tocsr()
        return (a + a.T).tocsr()

    def components(self, n: int, src: IntArray, dst: IntArray) -> IntArray:
        """Connected components via ``csgraph.connected_components`` (labels by smallest node)."""
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        a = sp.coo_array(
            (np.ones(len(src), dtype=np.int8), (np.asarray(src), np.asarray(dst))), shape=(n, n)
        ).tocsr()
        _, lab = csgraph.connected_components(a, directed=True, connection="weak")
        lab = lab.astype(np.int64)
        # renumber so that labels follow the smallest node of each component (order-free)
        first = np.full(lab.max() + 1, n, dtype=np.int64)
        np.minimum.at(first, lab, np.arange(n, dtype=np.int64))
        order = np.argsort(first, kind="stable")
        remap = np.empty_like(order)
        remap[order] = np.arange(len(order))
        return np.asarray(remap[lab], dtype=np.int64)

    def degrees(self, n: int, src: IntArray, dst: IntArray) -> IntArray:
        """Incident-edge counts from two bincounts."""
        s, d = np.asarray(src), np.asarray(dst)
        loops = s == d
        return (np.bincount(s, minlength=n) + np.bincount(d[~loops], minlength=n)).astype(np.int64)

    def pagerank(
        self, n: int, src: IntArray, dst: IntArray, weight: FloatArray | None = None,
        alpha: float = 0.85, personalization: FloatArray | None = None,
        tol: float = 1e-10, max_iter: int = 200,
    ) -> FloatArray:
        """Power iteration on the column-stochastic sparse matrix (networkx's convention)."""
        if n == 0:
            return np.zeros(0)
        a = self._adj(n, src, dst, weight)
        out_w = np.asarray(a.sum(axis=1)).ravel()
        dangling = out_w == 0
        inv = np.divide(1.0, out_w, out=np.zeros(n), where=~dangling)
        p = np.full(n, 1.0 / n) if personalization is None else personalization / personalization.sum()
        x = np.full(n, 1.0 / n)
        at = a.T.tocsr()
        for _ in range(max_iter):
            prev = x
            x = alpha * (at @ (prev * inv)) + (alpha * prev[dangling].sum() + 1 - alpha) * p
            if np.abs(x - prev).sum() < n * tol:
                break
        return np.asarray(x / x.sum(), dtype=np.float64)

    def project(
        self, n_left: int, n_right: int, left: IntArray, right: IntArray,
        right_weight: FloatArray | None = None,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """B·W·Bᵀ restricted to its strict upper triangle (shared neighbours, weighted)."""
        b = sp.coo_array(
            (np.ones(len(left)), (np.asarray(left), np.asarray(right))), shape=(n_left, n_right)
        ).tocsr()
        b.data[:] = 1.0  # repeated links count once
        w = np.ones(n_right) if right_weight is None else np.asarray(right_weight, np.float64)
        m = sp.triu(b @ sp.diags_array(w) @ b.T, k=1).tocoo()
        return m.row.astype(np.int64), m.col.astype(np.int64), m.data.astype(np.float64)


def default_engine() -> GraphEngine:
    """The engine used when the caller names none."""
    return ScipyEngine()
