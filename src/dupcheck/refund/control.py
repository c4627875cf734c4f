"""Common control among refund applicants and SPLIT_ENTERPRISE groups (contract §4).

*Common control* between enterprises: the same legal representative, or the same phone or bank
account, where that identifier is registered by at most ``GraphPolicy.hub_cap`` units and is not on
the allow-list (``person:``/``phone:``/``account:`` entries). A shared address alone is **not**
common control (business centres host dozens of unrelated firms); it is reported as information
only (``REFUND_SHARED_ADDRESS``), although the refund issue lists address among the ties.

*SPLIT_ENTERPRISE*: two or more units under common control, each ``small`` or ``micro`` by
``size_class`` (a null class counts when the unit's own headcount is below the large-enterprise
headcount, as in ``dupcheck.graph``: such a unit gets the SME rate), applying in the same year, whose combined ``insured_prev_year_end`` reaches
``GraphPolicy.large_headcount``. Groups are connected components of the unit–identifier graph
restricted to those units (scipy ``csgraph``; linear in the number of ties), so a chain A–B–C of
ties is one group, as in ``dupcheck.graph``.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dupcheck.policy import GraphPolicy

__all__ = ["control_ties", "related_pairs", "split_from_alerts", "split_groups"]

_KINDS = {"rep": "person", "phone_n": "phone", "account_n": "account", "address_n": "address"}


def control_ties(enterprises: pl.DataFrame, graph: GraphPolicy) -> pl.DataFrame:
    """Non-hub identifiers shared by 2+ enterprises: ``enterprise_id, tie_kind, tie_value``.

    ``tie_kind`` is ``person`` (legal representative), ``phone``, ``account`` or ``address``;
    only the first three are common control.
    """
    allow = set(graph.allow_list)
    parts = [
        enterprises.select(
            "enterprise_id",
            pl.lit(kind).alias("tie_kind"),
            pl.col(col).alias("tie_value"),
        )
        for col, kind in _KINDS.items()
    ]
    ids = pl.concat(parts).drop_nulls("tie_value").unique()
    ids = ids.filter(~(pl.col("tie_kind") + ":" + pl.col("tie_value")).is_in(list(allow)))
    counts = ids.group_by("tie_kind", "tie_value").len("n").filter(
        (pl.col("n") >= 2) & (pl.col("n") <= graph.hub_cap)
    )
    return ids.join(counts.drop("n"), on=["tie_kind", "tie_value"], how="semi")


def related_pairs(apps: pl.DataFrame, ties: pl.DataFrame) -> pl.DataFrame:
    """Per application: ties shared with another applicant of the same year, or with a covered unit.

    Returns ``_row, tie_kind, other`` (the other enterprise) for every such pair, address included
    (callers separate control from address-only sharing).
    """
    t = ties.select("enterprise_id", "tie_kind", "tie_value")
    app_units = apps.select("_row", "year", "enterprise_id").drop_nulls("enterprise_id")
    mine = app_units.join(t, on="enterprise_id", how="inner")
    # (a) other applicants of the same year sharing the identifier
    others = mine.select(
        pl.col("year"), "tie_kind", "tie_value", pl.col("enterprise_id").alias("other")
    ).unique()
    peer = mine.join(others, on=["year", "tie_kind", "tie_value"], how="inner").filter(
        pl.col("other") != pl.col("enterprise_id")
    )
    # (b) covered units of the same application sharing the identifier with the applicant
    cov = apps.select("_row", pl.col("covered").alias("other")).explode("other").drop_nulls()
    cov_t = cov.join(
        t.rename({"enterprise_id": "other"}), on="other", how="inner"
    )
    covered = mine.join(cov_t, on=["_row", "tie_kind", "tie_value"], how="inner")
    out = pl.concat(
        [
            peer.select("_row", "tie_kind", "other", pl.lit("applicant").alias("relation")),
            covered.select("_row", "tie_kind", "other", pl.lit("covered").alias("relation")),
        ]
    )
    return out.unique().sort("_row", "relation", "other", "tie_kind")


def split_groups(apps: pl.DataFrame, ties: pl.DataFrame, graph: GraphPolicy) -> pl.DataFrame:
    """SPLIT_ENTERPRISE groups: ``year, enterprise_id, group`` (group = smallest member USCC)."""
    large = graph.large_headcount
    cand = (
        apps.filter(
            pl.col("size_class").is_in(["small", "micro"])
            | (pl.col("size_class").is_null()
               & (pl.col("insured_prev_year_end").fill_null(large) < large))
        )
        .drop_nulls(["year", "enterprise_id"])
        .group_by("year", "enterprise_id")
        .agg(pl.col("insured_prev_year_end").max())
    )
    control = ties.filter(pl.col("tie_kind") != "address")
    edges = cand.join(control, on="enterprise_id", how="inner")
    empty = pl.DataFrame(schema={"year": pl.Int64, "enterprise_id": pl.String, "group": pl.String})
    if edges.is_empty():
        return empty
    nodes = cand.select("year", "enterprise_id").with_row_index("u")
    idents = edges.select("year", "tie_kind", "tie_value").unique().sort(pl.all()).with_row_index("i")
    e = edges.join(nodes, on=["year", "enterprise_id"]).join(
        idents, on=["year", "tie_kind", "tie_value"]
    )
    nu, ni = nodes.height, idents.height
    a = e.get_column("u").to_numpy().astype(np.int64)
    b = e.get_column("i").to_numpy().astype(np.int64) + nu
    m = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(nu + ni, nu + ni))
    _, labels = connected_components(m, directed=False)
    comp = nodes.with_columns(pl.Series("comp", labels[:nu]))
    comp = comp.join(cand, on=["year", "enterprise_id"])
    grp = comp.with_columns(
        pl.len().over("comp").alias("n"),
        pl.col("insured_prev_year_end").sum().over("comp").alias("total"),
        pl.col("enterprise_id").min().over("comp").alias("group"),
    ).filter((pl.col("n") >= 2) & (pl.col("total") >= large))
    return grp.select("year", "enterprise_id", "group").sort("year", "group", "enterprise_id")


def split_from_alerts(apps: pl.DataFrame, alerts: pl.DataFrame | None) -> pl.DataFrame:
    """SPLIT_ENTERPRISE groups taken from graph alerts: ``year, enterprise_id, group``.

    An alert names its units (``unit:``/``agency:`` entities) but no year; it applies to the years
    in which at least two of its units apply.
    """
    empty = pl.DataFrame(schema={"year": pl.Int64, "enterprise_id": pl.String, "group": pl.String})
    if alerts is None or alerts.is_empty() or "pattern" not in alerts.columns:
        return empty
    units = (
        alerts.filter(pl.col("pattern") == "SPLIT_ENTERPRISE")
        .select(pl.col("entities"))
        .with_row_index("alert")
        .explode("entities")
        .filter(pl.col("entities").str.contains(r"^(unit|agency):"))
        .select("alert", pl.col("entities").str.replace(r"^[a-z]+:", "").str.strip_chars()
                .str.to_uppercase().alias("enterprise_id"))
        .unique()
    )
    if units.is_empty():
        return empty
    hits = units.join(
        apps.select("year", "enterprise_id").drop_nulls().unique(), on="enterprise_id"
    )
    hits = hits.with_columns(
        pl.col("enterprise_id").n_unique().over("alert", "year").alias("n"),
        pl.col("enterprise_id").min().over("alert", "year").alias("group"),
    ).filter(pl.col("n") >= 2)
    return hits.select("year", "enterprise_id", "group").unique().sort(
        "year", "group", "enterprise_id"
    )
