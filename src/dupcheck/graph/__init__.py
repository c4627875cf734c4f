"""Dispatch-agency graph analysis (contract §3 graph patterns, §4 graph semantics).

Edges are polars tables with integer node ids (:mod:`.build`); computation runs on an engine
behind a protocol (:mod:`.engine`, scipy.sparse by default); one detector module per pattern
(:mod:`.detectors`); small subgraphs go to networkx and GraphML (:mod:`.export`).
"""

from __future__ import annotations

from dupcheck.graph.build import Graph, build_graph
from dupcheck.graph.engine import GraphEngine, ScipyEngine, default_engine
from dupcheck.graph.result import GraphResult, analyze

__all__ = [
    "Graph",
    "GraphEngine",
    "GraphResult",
    "ScipyEngine",
    "analyze",
    "build_graph",
    "default_engine",
]
