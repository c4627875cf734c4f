"""DISPATCH_WHILE_CLAIMING: a claimant with an active dispatch relation during the claimed period.

Method: join claims to dispatch relations (the ``dispatch`` table and employment spells that name
an agency) on the person key and keep relations that share at least one day with the claimed
period, using EMPLOYED's overlap (claim date or period start .. claimed period end, a null end
open). One alert per claim. Score: 0.5 + 0.5 × (overlap days ÷ claimed days), so a relation that
runs through the whole claimed period scores 1. Complexity: one hash join on ``pid``.
"""

from __future__ import annotations

import polars as pl

from dupcheck.graph.detectors._common import Context, empty_alerts, ent, overlap_days

PATTERN = "DISPATCH_WHILE_CLAIMING"


def detect(ctx: Context) -> pl.DataFrame:
    """Alerts for claims overlapping an active dispatch relation."""
    p = ctx.prep
    rel = p.spells.filter(pl.col("agency_id").is_not_null())
    if rel.height == 0 or p.claims.height == 0:
        return empty_alerts()
    cl = p.claims.select(
        "claim_id", "pid",
        pl.min_horizontal("claim_date", "p_start").alias("cs"),
        pl.col("p_end").alias("ce"),
    ).filter(pl.col("pid").is_not_null())
    j = cl.join(rel, on="pid").with_columns(
        ov=overlap_days(pl.col("cs"), pl.col("ce"), pl.col("start"), pl.col("end")),
        claimed=(pl.col("ce") - pl.col("cs")).dt.total_days() + 1,
    ).filter(pl.col("ov") >= 1)
    if j.height == 0:
        return empty_alerts()
    j = ctx.enterprise_entity("agency_id", j)
    j = ctx.enterprise_entity("employer_id", j)
    g = j.group_by("claim_id").agg(
        pid=pl.col("pid").first(),
        ov=pl.col("ov").max(),
        claimed=pl.col("claimed").first(),
        agencies=pl.col("agency_id_ent").unique(),
        units=pl.col("employer_id_ent").drop_nulls().unique(),
        n=pl.len(),
    )
    return g.select(
        pl.lit(PATTERN).alias("pattern"),
        (0.5 + 0.5 * (pl.col("ov") / pl.col("claimed").clip(1)).clip(0, 1)).alias("score"),
        pl.concat_list(
            ent("claim", pl.col("claim_id")),
            ent("person", pl.col("pid")),
            "agencies",
            "units",
        ).list.unique().list.sort().alias("entities"),
        pl.format(
            "claimant dispatched by {} during the claimed period ({} of {} claimed days overlap, {} relation(s))",
            pl.col("agencies").list.sort().list.join(", "),
            pl.col("ov"),
            pl.col("claimed"),
            pl.col("n"),
        ).alias("detail"),
    )
