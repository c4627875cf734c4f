"""Hand-offs to people: networkx subgraphs with evidence on their edges, and GraphML files.

Only small subgraphs (components, ego networks, alerts) are converted; the big graph stays in
polars/scipy. Parallel evidence edges between two nodes (two spells at one unit) become one
``nx.Graph`` edge whose ``evidence`` attribute lists every record.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import polars as pl

if TYPE_CHECKING:
    from dupcheck.graph.build import Graph

__all__ = ["subgraph_to_networkx", "write_graphml"]


def _resolve(graph: Graph, nodes: Iterable[str] | Iterable[int] | None) -> np.ndarray | None:
    if nodes is None:
        return None
    items = list(nodes)
    if not items:
        return np.zeros(0, dtype=np.int64)
    if all(isinstance(x, (int, np.integer)) for x in items):
        return np.unique(np.asarray(items, dtype=np.int64))
    return np.unique(graph.node_ids(str(x) for x in items))


def subgraph_to_networkx(graph: Graph, nodes: Iterable[str] | Iterable[int] | None,
                         radius: int = 0) -> nx.Graph:
    """Induced subgraph on ``nodes`` grown ``radius`` hops, as an ``nx.Graph``.

    Nodes carry ``kind`` and ``entity``; edges carry ``etype``, ``evidence`` (one
    ``etype source#key start..end`` item per record, ``;``-separated), ``n``, ``start``, ``end``."""
    ids = _resolve(graph, nodes)
    e = graph.edges
    if ids is not None:
        for _ in range(max(radius, 0)):
            hop = e.filter(pl.col("src").is_in(ids.tolist()) | pl.col("dst").is_in(ids.tolist()))
            ids = np.unique(np.concatenate([ids, hop.get_column("src").to_numpy(),
                                            hop.get_column("dst").to_numpy()]))
        keep = ids.tolist()
        e = e.filter(pl.col("src").is_in(keep) & pl.col("dst").is_in(keep))
        nd = graph.nodes.filter(pl.col("node_id").is_in(keep))
    else:
        nd = graph.nodes
    g = nx.Graph()
    for nid, entity, kind in nd.select("node_id", "entity", "kind").iter_rows():
        g.add_node(entity, kind=kind, node_id=int(nid))
    if e.height:
        lookup = nd.select("node_id", "entity")
        agg = (
            e.join(lookup.rename({"node_id": "src", "entity": "u"}), on="src")
            .join(lookup.rename({"node_id": "dst", "entity": "v"}), on="dst")
            .with_columns(
                item=pl.format("{} {}#{} {}..{}", "etype", "source", pl.col("source_key").fill_null(""),
                               pl.col("start").cast(pl.String).fill_null(""),
                               pl.col("end").cast(pl.String).fill_null(""))
            )
            .sort("u", "v", "etype", "item")
            .group_by("u", "v", maintain_order=True)
            .agg(
                etype=pl.col("etype").unique(maintain_order=True).str.join(";"),
                evidence=pl.col("item").str.join("; "),
                n=pl.len(),
                start=pl.col("start").min().cast(pl.String).fill_null(""),
                end=pl.col("end").max().cast(pl.String).fill_null(""),
            )
        )
        for u, v, etype, evidence, n, start, end in agg.iter_rows():
            g.add_edge(u, v, etype=etype, evidence=evidence, n=int(n), start=start, end=end)
    return g


def write_graphml(g: nx.Graph, path: Path) -> None:
    """Write ``g`` as GraphML (attribute values are strings/ints, never None)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nx.write_graphml(g, path)
