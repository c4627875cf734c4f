"""What every detector shares: the context object, identifier statistics, common control, and
the raw alert frame (``pattern, score, entities, detail``) the result turns into contract alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from dupcheck.graph._inputs import Prepared, norm_account, norm_address, norm_phone
from dupcheck.graph.build import Graph, enterprise_kinds
from dupcheck.graph.engine import GraphEngine
from dupcheck.policy import GraphPolicy

__all__ = [
    "RAW_ALERT_SCHEMA",
    "Context",
    "component_groups",
    "empty_alerts",
    "ent",
    "overlap_days",
]

FAR = date(9999, 12, 31)

RAW_ALERT_SCHEMA: dict[str, pl.DataType] = {
    "pattern": pl.String(),
    "score": pl.Float64(),
    "entities": pl.List(pl.String()),
    "detail": pl.String(),
}

#: Strength of one kind of common-control key (same legal rep is strongest).
CONTROL_STRENGTH: dict[str, float] = {"legal_rep": 1.0, "account": 0.9, "phone": 0.75}


def empty_alerts() -> pl.DataFrame:
    """An alert frame with no rows."""
    return pl.DataFrame(schema=RAW_ALERT_SCHEMA)


def ent(kind: str | pl.Expr, value: pl.Expr) -> pl.Expr:
    """``kind:value`` entity string expression."""
    k = pl.lit(kind) if isinstance(kind, str) else kind
    return pl.concat_str([k, pl.lit(":"), value])


def overlap_days(s1: pl.Expr, e1: pl.Expr, s2: pl.Expr, e2: pl.Expr) -> pl.Expr:
    """Days shared by two inclusive periods (null end = open); 0 or less when disjoint."""
    lo = pl.max_horizontal(s1, s2)
    hi = pl.min_horizontal(e1.fill_null(FAR), e2.fill_null(FAR))
    return (hi - lo).dt.total_days() + 1


def _norm_allow(items: list[str]) -> list[str]:
    """Allow-list entries normalised like the graph's identifiers (``kind:value``)."""
    fns = {"phone": norm_phone, "account": norm_account, "address": norm_address}
    out: list[str] = []
    for item in items:
        kind, _, value = item.partition(":")
        fn = fns.get(kind.strip().lower())
        if fn is None or not value:
            out.append(item)
            continue
        v = pl.select(fn(pl.lit(value.strip()))).item()
        out.append(f"{kind.strip().lower()}:{v}")
    return out


@dataclass
class Context:
    """Everything a detector reads: graph, prepared frames, parameters, engine, evidence."""

    graph: Graph
    policy: GraphPolicy
    engine: GraphEngine
    flagged_claims: pl.DataFrame | None = None
    _idents: pl.DataFrame | None = field(default=None, repr=False)
    _uses: pl.DataFrame | None = field(default=None, repr=False)
    _kinds: pl.DataFrame | None = field(default=None, repr=False)
    cache: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def prep(self) -> Prepared:
        """The prepared input frames."""
        return self.graph.prep

    @property
    def kinds(self) -> pl.DataFrame:
        """``enterprise_id, ekind`` for every enterprise id seen."""
        if self._kinds is None:
            self._kinds = self.graph.kinds if self.graph.kinds is not None else enterprise_kinds(self.prep)
        return self._kinds

    def enterprise_entity(self, col: str, frame: pl.DataFrame, alias: str | None = None) -> pl.DataFrame:
        """Attach ``alias`` (default ``<col>_ent``): the ``agency:``/``unit:`` entity of ``col``."""
        k = self.kinds.rename({"enterprise_id": col, "ekind": "_k"})
        return frame.join(k, on=col, how="left").with_columns(
            ent(pl.col("_k").fill_null("unit"), pl.col(col)).alias(alias or f"{col}_ent")
        ).drop("_k")

    @property
    def uses(self) -> pl.DataFrame:
        """Identifier use: ``ident, ikind, holder, hkind ('person'|'enterprise'), claim_id, pid``."""
        if self._uses is None:
            c = self.prep.claims
            e = self.enterprise_entity("enterprise_id", self.prep.enterprises, "holder")
            parts = []
            for col in ("phone", "account"):
                parts.append(c.select(
                    ent(col, pl.col(col)).alias("ident"), pl.lit(col).alias("ikind"),
                    ent("person", pl.col("pid")).alias("holder"), pl.lit("person").alias("hkind"),
                    "claim_id", "pid",
                ))
            for col in ("phone", "account", "address"):
                parts.append(e.select(
                    ent(col, pl.col(col)).alias("ident"), pl.lit(col).alias("ikind"),
                    "holder", pl.lit("enterprise").alias("hkind"),
                    pl.lit(None, dtype=pl.String).alias("claim_id"),
                    pl.lit(None, dtype=pl.String).alias("pid"),
                ))
            self._uses = pl.concat(parts).filter(
                pl.col("ident").is_not_null() & pl.col("holder").is_not_null()
            )
        return self._uses

    @property
    def idents(self) -> pl.DataFrame:
        """Per identifier: ``n_persons, n_enterprises, registered, allowed, hub`` (contract §4 Hubs)."""
        if self._idents is None:
            allow = _norm_allow(list(self.policy.allow_list))
            self._idents = (
                self.uses.group_by("ident", "ikind")
                .agg(
                    n_persons=pl.col("pid").drop_nulls().n_unique(),
                    n_enterprises=pl.col("holder").filter(pl.col("hkind") == "enterprise").n_unique(),
                )
                .with_columns(
                    registered=pl.col("n_enterprises") > 0,
                    allowed=pl.col("ident").is_in(pl.lit(allow, dtype=pl.List(pl.String)).first()) if allow
                    else pl.lit(False),
                )
                .with_columns(
                    hub=((pl.col("n_persons") + pl.col("n_enterprises")) > self.policy.hub_cap)
                    | pl.col("allowed")
                )
            )
        return self._idents

    def person_ties(self) -> pl.DataFrame:
        """Claim-side identifier uses that may tie people: not a hub, not allow-listed, and not
        an enterprise's registered contact (contract §4 Hubs)."""
        ok = self.idents.filter(~pl.col("hub") & ~pl.col("registered")).select("ident")
        return self.uses.filter(pl.col("hkind") == "person").join(ok, on="ident", how="semi")

    def control_keys(self) -> pl.DataFrame:
        """``enterprise_id, key, kkind``: common-control keys (legal rep; phone or account within
        the hub cap and not allow-listed; never an address alone)."""
        e = self.prep.enterprises
        ok = self.idents.filter(~pl.col("hub") & pl.col("ikind").is_in(["phone", "account"]))
        rows = [e.select("enterprise_id", ent("legal_rep", pl.col("legal_rep")).alias("key"),
                         pl.lit("legal_rep").alias("kkind"))]
        for col in ("phone", "account"):
            rows.append(e.select("enterprise_id", ent(col, pl.col(col)).alias("key"),
                                 pl.lit(col).alias("kkind")))
        keys = pl.concat(rows).filter(pl.col("key").is_not_null())
        return keys.filter(
            (pl.col("kkind") == "legal_rep")
            | pl.col("key").is_in(ok.get_column("ident").implode())
        ).unique()


def component_groups(engine: GraphEngine, members: pl.DataFrame, item: str, link: str) -> pl.DataFrame:
    """Group ``item`` values that share any ``link`` value (bipartite components via the engine).

    Returns ``item, group`` where ``group`` is the smallest item of its component (stable)."""
    if members.height == 0:
        return pl.DataFrame(schema={item: pl.String, "group": pl.String})
    m = members.select(pl.col(item).cast(pl.String), pl.col(link).cast(pl.String)).unique()
    items = m.select(pl.col(item).alias("v")).unique().sort("v").with_row_index("i")
    links = m.select(pl.col(link).alias("v")).unique().sort("v").with_row_index("j")
    n_items = items.height
    e = m.join(items.rename({"v": item}), on=item).join(links.rename({"v": link}), on=link)
    src = e.get_column("i").to_numpy().astype(np.int64)
    dst = e.get_column("j").to_numpy().astype(np.int64) + n_items
    lab = engine.components(n_items + links.height, src, dst)[:n_items]
    out = items.with_columns(lab=pl.Series(lab))
    first = out.group_by("lab").agg(group=pl.col("v").min())
    return out.join(first, on="lab").select(pl.col("v").alias(item), "group")
