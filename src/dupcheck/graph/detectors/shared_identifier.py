"""SHARED_IDENTIFIER: claimants who share a bank account or phone they should not.

Method: from claim contacts, count distinct persons per normalised identifier (one person's several
claims are one person). An identifier that is a hub (more holders than ``hub_cap``), allow-listed,
or registered as an agency's or unit's own contact does not tie people (contract §4 Hubs). Alert
when at least ``shared_min_persons`` (3) distinct persons remain. Enterprises that register the
identifier are never the reason for the alert, so a business centre or an agency office phone
produces none. Score: kind weight (account 1.0, phone 0.85) × (1 − 1 ÷ persons).
"""

from __future__ import annotations

import polars as pl

from dupcheck.graph.detectors._common import Context, empty_alerts, ent

PATTERN = "SHARED_IDENTIFIER"
_KIND_WEIGHT = {"account": 1.0, "phone": 0.85, "address": 0.7}


def detect(ctx: Context) -> pl.DataFrame:
    """Alerts for non-hub identifiers shared by at least 3 distinct claimants."""
    ties = ctx.person_ties()
    if ties.height == 0:
        return empty_alerts()
    g = ties.group_by("ident", "ikind").agg(
        persons=pl.col("pid").unique().sort(),
        claims=pl.col("claim_id").unique().sort(),
    ).with_columns(n=pl.col("persons").list.len()).filter(pl.col("n") >= ctx.policy.shared_min_persons)
    if g.height == 0:
        return empty_alerts()
    return g.select(
        pl.lit(PATTERN).alias("pattern"),
        (pl.col("ikind").replace_strict(_KIND_WEIGHT, default=0.7, return_dtype=pl.Float64)
         * (1.0 - 1.0 / pl.col("n"))).alias("score"),
        pl.concat_list(
            "ident",
            pl.col("persons").list.eval(ent("person", pl.element())),
            pl.col("claims").list.eval(ent("claim", pl.element())),
        ).list.unique().list.sort().alias("entities"),
        pl.format("{} {} is used by {} distinct claimants on {} claims", pl.col("ikind"),
                  pl.col("ident").str.split_exact(":", 1).struct.field("field_1"),
                  pl.col("n"), pl.col("claims").list.len()).alias("detail"),
    )
