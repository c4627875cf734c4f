"""Graph build: typed nodes and evidence-carrying edges as polars tables with integer node ids.

Node kinds (contract §4 entity kinds): ``agency``, ``unit``, ``person``, ``claim``, ``account``,
``phone``, ``address``. A legal representative is a ``person`` node; the role is the edge type
``legal_rep_of`` (so a legal representative who also claims is one node). Edge types:

=================  ====================  =======================================================
etype              ends                  evidence carried
=================  ====================  =======================================================
dispatched_by      person – agency       dispatch relation: start, end, source row
dispatched_to      person – unit         the employing unit of a dispatch relation
employed_at        person – unit/agency  employment spell: start, end, source row
filed              person – claim        claim_date .. claimed period end
claim_agency       claim – agency        agency declared on the claim
claim_employer     claim – unit          last employer declared on the claim
uses_phone         claim – phone         contact on the claim
uses_account       claim – account       payee account on the claim
registered_*       agency/unit – phone/account/address   the enterprise's own contacts
legal_rep_of       person – agency/unit  enterprises.legal_rep_id
covers             agency – unit         refund application covering the unit (year in start)
=================  ====================  =======================================================

Node ids are assigned per value space (account, address, claim, enterprise, person, phone) by\nsorting its distinct values, so they do not depend on input row order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from dupcheck.graph._inputs import Prepared

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["EDGE_SCHEMA", "Graph", "build_graph", "enterprise_kinds"]

EDGE_SCHEMA: dict[str, pl.DataType] = {
    "src": pl.Int64(),
    "dst": pl.Int64(),
    "etype": pl.String(),
    "start": pl.Date(),
    "end": pl.Date(),
    "source": pl.String(),
    "source_key": pl.String(),
}


def _ent(kind: str | pl.Expr, value: pl.Expr) -> pl.Expr:
    k = pl.lit(kind) if isinstance(kind, str) else kind
    return pl.concat_str([k, pl.lit(":"), value])


def enterprise_kinds(prep: Prepared) -> pl.DataFrame:
    """``enterprise_id, ekind`` for every enterprise id seen anywhere (agency wins)."""

    def distinct(frame: pl.DataFrame, col: str) -> pl.Series:
        return frame.get_column(col).drop_nulls().unique().alias("e")

    agency_ids = pl.concat([
        prep.enterprises.filter(pl.col("ekind") == "agency").get_column("enterprise_id").alias("e"),
        distinct(prep.claims, "agency_id"),
        distinct(prep.spells, "agency_id"),
        distinct(prep.applications.filter(pl.col("covered_units").is_not_null()), "enterprise_id"),
    ]).unique()
    all_ids = pl.concat([
        agency_ids,
        prep.enterprises.get_column("enterprise_id").alias("e"),
        distinct(prep.claims, "last_employer_id"),
        distinct(prep.spells, "employer_id"),
        distinct(prep.applications, "enterprise_id"),
    ]).unique()
    return pl.DataFrame({"enterprise_id": all_ids}).with_columns(
        ekind=pl.when(pl.col("enterprise_id").is_in(agency_ids.implode()))
        .then(pl.lit("agency")).otherwise(pl.lit("unit"))
    )


def _edge(frame: pl.DataFrame, a: tuple[str, pl.Expr], b: tuple[str, pl.Expr], etype: str,
          start: pl.Expr | None = None, end: pl.Expr | None = None, source: str = "",
          key: pl.Expr | None = None) -> tuple[str, str, pl.DataFrame]:
    """One edge part: (space of a, space of b, frame of ``a, b, etype, start, end, source,
    source_key``) where ``a``/``b`` are raw values in their value space."""
    part = frame.select(
        a[1].alias("a"),
        b[1].alias("b"),
        pl.lit(etype).alias("etype"),
        (start if start is not None else pl.lit(None, dtype=pl.Date)).alias("start"),
        (end if end is not None else pl.lit(None, dtype=pl.Date)).alias("end"),
        pl.lit(source).alias("source"),
        (key if key is not None else pl.lit(None, dtype=pl.String)).cast(pl.String).alias("source_key"),
    ).filter(pl.col("a").is_not_null() & pl.col("b").is_not_null())
    return a[0], b[0], part


#: Value spaces of node ids, in id order; enterprises get ``agency``/``unit`` from the kind table.
SPACES = ("account", "address", "claim", "enterprise", "person", "phone")


@dataclass
class Graph:
    """Nodes (``node_id, entity, kind``) and edges (``src, dst, etype, start, end, source,
    source_key``) of the dispatch graph, plus the prepared frames the detectors read."""

    nodes: pl.DataFrame
    edges: pl.DataFrame
    prep: Prepared
    kinds: pl.DataFrame
    _index: dict[str, int] | None = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return self.nodes.height

    @property
    def n_edges(self) -> int:
        """Number of evidence edges (parallel edges kept: one per record)."""
        return self.edges.height

    def node_ids(self, entities: Iterable[str]) -> np.ndarray:
        """Integer ids of the given ``kind:value`` entities (unknown entities are skipped)."""
        want = pl.DataFrame({"entity": list(entities)}, schema={"entity": pl.String})
        got = self.nodes.join(want, on="entity", how="semi")
        return got.get_column("node_id").to_numpy()

    def to_networkx(self, nodes: Iterable[str] | Iterable[int] | None = None,
                    radius: int = 0) -> nx.Graph:
        """An ``nx.Graph`` of the given nodes (entities or ids) grown ``radius`` hops, with
        evidence on its edges; ``nodes=None`` converts the whole graph (small graphs only)."""
        from dupcheck.graph.export import subgraph_to_networkx

        return subgraph_to_networkx(self, nodes, radius=radius)

    def component_of(self, entity: str) -> list[str]:
        """Entities of the connected component that contains ``entity`` (all edge types)."""
        from dupcheck.graph.engine import default_engine

        ids = self.node_ids([entity])
        if len(ids) == 0:
            return []
        e = self.edges
        lab = default_engine().components(
            self.n_nodes, e.get_column("src").to_numpy(), e.get_column("dst").to_numpy()
        )
        members = np.flatnonzero(lab == lab[ids[0]])
        return self.nodes.filter(pl.col("node_id").is_in(members.tolist())).get_column("entity").to_list()


_CANON = r"^[0-9]{17}[0-9X]$"


def _intern(values: pl.Series, offset: int) -> tuple[np.ndarray, pl.Series]:
    """Ids ``offset..`` for ``values`` by rank among its sorted distinct values, and those values.

    Canonical resident ids (the bulk of the person space) are ranked as integers (17 digits × 11
    + check value, which sorts like the string); other values through one categorical cast."""
    ids = np.empty(len(values), dtype=np.int64)
    num = values.str.contains(_CANON).fill_null(False).to_numpy()
    parts: list[pl.Series] = []
    if num.any():
        v = values.filter(pl.Series(num))
        last = pl.lit(v).str.slice(17, 1)
        code = pl.select(
            pl.lit(v).str.slice(0, 17).cast(pl.Int64) * 11
            + pl.when(last == "X").then(pl.lit(10, dtype=pl.Int64)).otherwise(last.cast(pl.Int64, strict=False))
        ).to_series()
        # polars' dense rank and sorted unique (numpy's unique/searchsorted are far slower here)
        ids[num] = (code.rank("dense").cast(pl.Int64) - 1 + offset).to_numpy()
        uniq = code.unique().sort().to_numpy()
        offset += len(uniq)
        digits = pl.Series(uniq // 11).cast(pl.String).str.zfill(17)
        check = pl.Series(uniq % 11).replace_strict(list(range(11)), [*"0123456789X"],
                                                    return_dtype=pl.String)
        parts.append(digits + check)
    if (~num).any():
        cat = values.filter(pl.Series(~num)).cast(pl.Categorical)
        uniq_c = cat.unique()
        u_str = uniq_c.cast(pl.String)
        order = u_str.arg_sort().to_numpy()
        u_phys = uniq_c.to_physical().to_numpy().astype(np.int64)
        lut = np.full(int(u_phys.max()) + 1, -1, dtype=np.int64)
        lut[u_phys[order]] = np.arange(len(order), dtype=np.int64) + offset
        ids[~num] = lut[cat.to_physical().to_numpy().astype(np.int64)]
        parts.append(u_str.gather(order))
    out = pl.concat(parts) if parts else pl.Series([], dtype=pl.String)
    return ids, out


def build_graph(prep: Prepared) -> Graph:
    """Build the typed node table and the evidence edge table from the prepared frames.

    Values are interned per value space (one join per edge end against that space's sorted
    distinct values), so no entity string is built per edge."""
    kinds = enterprise_kinds(prep)
    P, C, E = "person", "claim", "enterprise"
    parts: list[tuple[str, str, pl.DataFrame]] = []
    person = (P, pl.col("pid"))
    sp = prep.spells
    disp = sp.filter(pl.col("source") == "dispatch")
    emp = sp.filter(pl.col("source") == "employment")
    parts.append(_edge(disp, person, (E, pl.col("agency_id")), "dispatched_by", pl.col("start"),
                       pl.col("end"), "dispatch", pl.col("source_key")))
    parts.append(_edge(disp, person, (E, pl.col("employer_id")), "dispatched_to", pl.col("start"),
                       pl.col("end"), "dispatch", pl.col("source_key")))
    parts.append(_edge(emp, person, (E, pl.col("employer_id")), "employed_at", pl.col("start"),
                       pl.col("end"), "employment", pl.col("source_key")))
    parts.append(_edge(emp, person, (E, pl.col("agency_id")), "dispatched_by", pl.col("start"),
                       pl.col("end"), "employment", pl.col("source_key")))

    cl = prep.claims
    claim = (C, pl.col("claim_id"))
    parts.append(_edge(cl, person, claim, "filed", pl.col("claim_date"), pl.col("p_end"), "claims",
                       pl.col("claim_id")))
    parts.append(_edge(cl, claim, (E, pl.col("agency_id")), "claim_agency", source="claims",
                       key=pl.col("claim_id")))
    parts.append(_edge(cl, claim, (E, pl.col("last_employer_id")), "claim_employer",
                       source="claims", key=pl.col("claim_id")))
    parts.append(_edge(cl, claim, ("phone", pl.col("phone")), "uses_phone", source="claims",
                       key=pl.col("claim_id")))
    parts.append(_edge(cl, claim, ("account", pl.col("account")), "uses_account", source="claims",
                       key=pl.col("claim_id")))

    en = prep.enterprises
    ent = (E, pl.col("enterprise_id"))
    for col in ("phone", "account", "address"):
        parts.append(_edge(en, ent, (col, pl.col(col)), f"registered_{col}", source="enterprises",
                           key=pl.col("enterprise_id")))
    parts.append(_edge(en, (P, pl.col("legal_rep")), ent, "legal_rep_of", source="enterprises",
                       key=pl.col("enterprise_id")))

    cov = (
        prep.applications.filter(pl.col("covered_units").is_not_null())
        .with_columns(unit=pl.col("covered_units").str.split(";"))
        .explode("unit")
        .with_columns(unit=pl.col("unit").str.strip_chars().str.to_uppercase())
        .filter(pl.col("unit").str.len_chars() > 0)
    )
    parts.append(_edge(cov, (E, pl.col("enterprise_id")), (E, pl.col("unit")), "covers",
                       pl.date(pl.col("year").cast(pl.Int32), 1, 1), None, "refund_applications",
                       pl.col("application_id")))

    # intern values per space (see _intern): ids follow the sorted distinct values
    segs: dict[str, list[tuple[int, str, pl.Series]]] = {s: [] for s in SPACES}
    segs[E].append((-1, "k", kinds.get_column("enterprise_id")))
    for i, (sa, sb, f) in enumerate(parts):
        segs[sa].append((i, "a", f.get_column("a")))
        segs[sb].append((i, "b", f.get_column("b")))
    ids: dict[tuple[int, str], np.ndarray] = {}
    node_parts: list[pl.DataFrame] = []
    offset = 0
    for space in SPACES:
        values = pl.concat([x for _, _, x in segs[space]]) if segs[space] else pl.Series([], dtype=pl.String)
        all_ids, u_sorted = _intern(values, offset)
        pos = 0
        for i, side, x in segs[space]:
            ids[(i, side)] = all_ids[pos:pos + len(x)]
            pos += len(x)
        t = pl.DataFrame({"v": u_sorted}).with_row_index("node_id", offset=offset).with_columns(
            pl.col("node_id").cast(pl.Int64))
        offset += t.height
        if space == E:
            kind = t.join(kinds.rename({"enterprise_id": "v"}), on="v", how="left",
                          maintain_order="left").get_column("ekind")
            node_parts.append(t.select("node_id", pl.format("{}:{}", pl.lit(kind), "v").alias("entity"),
                                       pl.lit(kind).alias("kind")))
        else:
            node_parts.append(t.select("node_id", pl.format("{}:{}", pl.lit(space), "v").alias("entity"),
                                       pl.lit(space).alias("kind")))
    nodes = pl.concat(node_parts)
    edges = pl.concat([
        f.select(
            pl.Series("src", ids[(i, "a")]), pl.Series("dst", ids[(i, "b")]),
            "etype", "start", "end", "source", "source_key",
        )
        for i, (_, _, f) in enumerate(parts)
    ])
    return Graph(nodes=nodes, edges=edges, prep=prep, kinds=kinds)
