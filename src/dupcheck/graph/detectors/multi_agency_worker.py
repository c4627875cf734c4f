"""MULTI_AGENCY_WORKER: a person dispatched by two or more agencies, or to two or more units, at
the same time.

Method: self-join the person's dispatch relations on the person key and keep pairs that differ in
agency or in employing unit and share at least ``multi_agency_min_days`` days (default 7; a
one-day handover is not concurrent). One alert per person. Score: 0.5 for a concurrent pair,
+0.25 when two agencies (not just two units) are involved, +0.25 × min(1, longest overlap ÷ 90
days). Complexity: a self-join within each person's relations (a handful per person).
"""

from __future__ import annotations

import polars as pl

from dupcheck.graph.detectors._common import Context, empty_alerts, ent, overlap_days

PATTERN = "MULTI_AGENCY_WORKER"


def detect(ctx: Context) -> pl.DataFrame:
    """Alerts for persons with concurrent dispatch relations."""
    d = ctx.prep.dispatch.select("pid", "agency_id", "employer_id", "start", "end", "source_key")
    if d.height < 2:
        return empty_alerts()
    multi = d.group_by("pid").agg(n=pl.len()).filter(pl.col("n") >= 2).select("pid")
    d = d.join(multi, on="pid", how="semi").with_row_index("i")
    j = d.join(d, on="pid", suffix="_r").filter(pl.col("i") < pl.col("i_r"))
    j = j.filter(
        (pl.col("agency_id") != pl.col("agency_id_r"))
        | (pl.col("employer_id").fill_null("") != pl.col("employer_id_r").fill_null(""))
    ).with_columns(ov=overlap_days(pl.col("start"), pl.col("end"), pl.col("start_r"), pl.col("end_r")))
    j = j.filter(pl.col("ov") >= ctx.policy.multi_agency_min_days)
    if j.height == 0:
        return empty_alerts()
    long = pl.concat([
        j.select("pid", "agency_id", "employer_id", "ov"),
        j.select("pid", pl.col("agency_id_r").alias("agency_id"), pl.col("employer_id_r").alias("employer_id"), "ov"),
    ])
    long = ctx.enterprise_entity("agency_id", long)
    long = ctx.enterprise_entity("employer_id", long)
    g = long.group_by("pid").agg(
        agencies=pl.col("agency_id_ent").unique().sort(),
        units=pl.col("employer_id_ent").drop_nulls().unique().sort(),
        ov=pl.col("ov").max(),
    ).with_columns(two_agencies=pl.col("agencies").list.len() >= 2)
    return g.select(
        pl.lit(PATTERN).alias("pattern"),
        (0.5 + 0.25 * pl.col("two_agencies").cast(pl.Float64) + 0.25 * (pl.col("ov") / 90).clip(0, 1)).alias("score"),
        pl.concat_list(ent("person", pl.col("pid")), "agencies", "units").list.unique().list.sort().alias("entities"),
        pl.format(
            "person dispatched concurrently by {} to {} (longest overlap {} days)",
            pl.col("agencies").list.join(", "),
            pl.col("units").list.join(", "),
            pl.col("ov"),
        ).alias("detail"),
    )
