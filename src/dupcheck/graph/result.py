"""``analyze``: build the graph, run every detector, and return a :class:`GraphResult`."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import polars as pl

from dupcheck.graph._inputs import as_tables, prepare
from dupcheck.graph.build import Graph, build_graph
from dupcheck.graph.detectors import DETECTORS, RAW_ALERT_SCHEMA, Context
from dupcheck.graph.engine import GraphEngine, default_engine
from dupcheck.graph.export import subgraph_to_networkx, write_graphml
from dupcheck.policy import Policy
from dupcheck.schema import ALERT_SCHEMA

__all__ = ["GraphResult", "analyze", "finalize_alerts"]

log = logging.getLogger(__name__)

_ABBREV = {
    "DISPATCH_WHILE_CLAIMING": "DWC",
    "MULTI_AGENCY_WORKER": "MAW",
    "SHARED_IDENTIFIER": "SID",
    "RELATED_PARTY": "RPT",
    "SPLIT_ENTERPRISE": "SPL",
    "AGENCY_CLAIM_SPIKE": "ACS",
    "MANUFACTURED_ELIGIBILITY": "MFE",
    "ONE_PERSON_MANY_IDS": "OPM",
    "SUSPICIOUS_COMMUNITY": "COM",
}


def _alert_id(pattern: str, entities: Sequence[str]) -> str:
    """Deterministic id from the pattern and its sorted entity set."""
    h = hashlib.sha1(("\x1f".join([pattern, *sorted(entities)])).encode("utf-8")).hexdigest()[:12]
    return f"{_ABBREV.get(pattern, pattern[:3])}-{h}"


def finalize_alerts(raw: pl.DataFrame) -> pl.DataFrame:
    """Contract alerts: ids, scores clipped to 0..1, duplicates merged, sorted deterministically."""
    if raw.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    raw = raw.with_columns(
        pl.col("entities").list.unique().list.sort(), pl.col("score").clip(0.0, 1.0).round(6)
    )
    ids = [_alert_id(p, ents) for p, ents in raw.select("pattern", "entities").iter_rows()]
    out = raw.with_columns(alert_id=pl.Series(ids, dtype=pl.String))
    out = (
        out.sort(["alert_id", "score", "detail"], descending=[False, True, False])
        .unique("alert_id", keep="first", maintain_order=True)
        .sort(["pattern", "score", "alert_id"], descending=[False, True, False])
    )
    return out.select([pl.col(c).cast(t) for c, t in ALERT_SCHEMA.items()])


@dataclass
class GraphResult:
    """Alerts (contract schema, sorted by pattern, score desc, id), the graph, and timings."""

    alerts: pl.DataFrame
    graph: Graph
    timings: dict[str, float] = field(default_factory=dict)

    def alert_graph(self, alert_id: str) -> nx.Graph:
        """The alert's entities and the evidence edges among them, as an ``nx.Graph``."""
        row = self.alerts.filter(pl.col("alert_id") == alert_id)
        if row.height == 0:
            raise KeyError(f"no alert {alert_id!r}")
        pattern, ents, detail, score = row.select("pattern", "entities", "detail", "score").row(0)
        g = subgraph_to_networkx(self.graph, ents)
        for e in ents:  # entities absent from the graph (rare) still appear
            if e not in g:
                g.add_node(e, kind=e.partition(":")[0], node_id=-1)
        g.graph.update(alert_id=alert_id, pattern=pattern, detail=detail, score=float(score))
        return g

    def to_networkx(self, nodes: Iterable[str] | Iterable[int] | None = None, radius: int = 0) -> nx.Graph:
        """Any component, ego network (``radius`` hops) or node set as an ``nx.Graph``."""
        return subgraph_to_networkx(self.graph, nodes, radius=radius)

    def summary_text(self) -> str:
        """Alert counts per pattern, graph size and timings, for the terminal."""
        counts = dict(self.alerts.group_by("pattern").len().iter_rows()) if self.alerts.height else {}
        lines = [f"graph: {self.graph.n_nodes:,} nodes, {self.graph.n_edges:,} edges; "
                 f"{self.alerts.height:,} alerts"]
        for pat in DETECTORS:
            lines.append(f"  {pat:<26} {counts.get(pat, 0):>7,}")
        if self.timings:
            lines.append("  time: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items()))
        return "\n".join(lines)

    def write(self, out: Path | str) -> None:
        """Write ``alerts.parquet`` and ``alerts.graphml``: the union of all alert subgraphs, each
        node and edge tagged with the ``;``-joined ids of the alerts it belongs to."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        self.alerts.write_parquet(out / "alerts.parquet")
        write_graphml(self.alerts_networkx(), out / "alerts.graphml")

    def alerts_networkx(self) -> nx.Graph:
        """All alert subgraphs in one ``nx.Graph`` (membership computed with joins, not per alert)."""
        member = (
            self.alerts.select("alert_id", pl.col("entities").alias("entity")).explode("entity")
            .join(self.graph.nodes.select("entity", "node_id"), on="entity", how="left")
        )
        g = subgraph_to_networkx(self.graph, member.get_column("node_id").drop_nulls().unique().to_list())
        by_node = member.group_by("entity").agg(pl.col("alert_id").unique().sort().str.join(";"))
        for entity, ids in by_node.iter_rows():
            if entity not in g:
                g.add_node(entity, kind=entity.partition(":")[0], node_id=-1)
            g.nodes[entity]["alerts"] = ids
        m = member.drop_nulls("node_id").select("alert_id", "node_id")
        e = self.graph.edges.select("src", "dst").unique()
        e = e.join(m.rename({"node_id": "src"}), on="src").join(
            m.rename({"node_id": "dst"}), on=["dst", "alert_id"])
        lookup = self.graph.nodes.select("node_id", "entity")
        tagged = (
            e.join(lookup.rename({"node_id": "src", "entity": "u"}), on="src")
            .join(lookup.rename({"node_id": "dst", "entity": "v"}), on="dst")
            .group_by("u", "v").agg(pl.col("alert_id").unique().sort().str.join(";"))
        )
        for u, v, ids in tagged.iter_rows():
            if g.has_edge(u, v):
                g.edges[u, v]["alerts"] = ids
        g.remove_edges_from([(u, v) for u, v, a in g.edges(data="alerts") if a is None])
        return g


def _flagged(evidence: pl.DataFrame | None) -> pl.DataFrame | None:
    """Claims with screening findings: a findings frame (any row), or decisions (not approve);
    a bare linkage-evidence frame flags nothing."""
    if evidence is None or "claim_id" not in evidence.columns:
        return None
    if "decision" in evidence.columns:
        evidence = evidence.filter(pl.col("decision") != "approve")
    elif "rule" in evidence.columns:
        evidence = evidence.filter(pl.col("rule").is_not_null())
    else:
        return None
    return evidence.select(pl.col("claim_id").cast(pl.String)).unique()


def analyze(data: Any, policy: Policy | None = None, evidence: pl.DataFrame | None = None,
            engine: GraphEngine | None = None, patterns: Sequence[str] | None = None) -> GraphResult:
    """Build the dispatch graph from ``data`` (folder, ``Dataset`` or dict of frames) and run the
    detectors (all, or ``patterns``). ``evidence`` is the screening's output where present:
    findings or the matchers' evidence frame (``claim_id, source, source_key``) tie fuzzily linked
    employment/dispatch rows to the claimant; findings or decisions rank communities."""
    pol = policy or Policy()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    tables = as_tables(data)
    prep = prepare(tables, pol, links=evidence)
    timings["prepare"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    graph = build_graph(prep)
    timings["build"] = time.perf_counter() - t1
    ctx = Context(graph=graph, policy=pol.graph, engine=engine or default_engine(),
                  flagged_claims=_flagged(evidence))
    raws = []
    for pat, fn in DETECTORS.items():
        if patterns is not None and pat not in patterns:
            continue
        t = time.perf_counter()
        raws.append(fn(ctx).select([pl.col(c).cast(tp) for c, tp in RAW_ALERT_SCHEMA.items()]))
        timings[pat] = time.perf_counter() - t
    alerts = finalize_alerts(pl.concat(raws) if raws else pl.DataFrame(schema=RAW_ALERT_SCHEMA))
    timings["total"] = time.perf_counter() - t0
    log.info("graph analysis: %d nodes, %d edges, %d alerts", graph.n_nodes, graph.n_edges, alerts.height)
    return GraphResult(alerts=alerts, graph=graph, timings=timings)
