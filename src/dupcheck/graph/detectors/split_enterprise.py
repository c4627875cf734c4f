"""SPLIT_ENTERPRISE: small units under common control whose combined size would not qualify for
the small-enterprise refund rate.

Method: take the refund applicants of each policy year that are ``small`` or ``micro`` (a null
size class counts when the unit's own headcount is below ``large_headcount``), group them by
common control exactly as RELATED_PARTY does (engine components over shared control keys), and
alert on groups of two or more whose combined ``insured_prev_year_end`` reaches
``large_headcount`` (default 300). Score: 0.5 × control strength + 0.5 × min(1, combined ÷
(2 × large_headcount)).
"""

from __future__ import annotations

import polars as pl

from dupcheck.graph.detectors._common import Context, empty_alerts
from dupcheck.graph.detectors.related_party import _key_entity, _score, applicant_groups

PATTERN = "SPLIT_ENTERPRISE"


def detect(ctx: Context) -> pl.DataFrame:
    """Alerts for same-year small applicants under common control reaching the large headcount."""
    p = ctx.prep
    large = ctx.policy.large_headcount
    apps = p.applications.filter(pl.col("enterprise_id").is_not_null()).group_by("enterprise_id", "year").agg(
        head=pl.col("insured_prev_year_end").max()
    )
    if apps.height == 0:
        return empty_alerts()
    apps = apps.join(p.enterprises.select("enterprise_id", "size_class"), on="enterprise_id", how="left")
    small = apps.filter(
        pl.col("size_class").is_in(["small", "micro"])
        | (pl.col("size_class").is_null() & (pl.col("head").fill_null(large) < large))
    )
    groups = applicant_groups(ctx, small)
    if groups.height == 0:
        return empty_alerts()
    groups = groups.join(small.select("enterprise_id", "year", "head"), on=["enterprise_id", "year"])
    groups = ctx.enterprise_entity("enterprise_id", groups)
    g = groups.group_by("year", "group").agg(
        members=pl.col("enterprise_id_ent").unique().sort(),
        keys=pl.col("keys").list.explode(keep_nulls=False, empty_as_null=False).unique().sort(),
        combined=pl.col("head").fill_null(0).sum(),
    ).filter((pl.col("members").list.len() >= 2) & (pl.col("combined") >= large))
    if g.height == 0:
        return empty_alerts()
    return g.select(
        pl.lit("SPLIT_ENTERPRISE").alias("pattern"),
        (0.5 * _score(pl.col("keys")) + 0.5 * (pl.col("combined") / (2 * large)).clip(0, 1)).alias("score"),
        pl.concat_list("members", pl.col("keys").list.eval(_key_entity(pl.element())))
        .list.unique().list.sort().alias("entities"),
        pl.format("{} small/micro applicants of {} under common control ({}) insure {} together (>= {})",
                  pl.col("members").list.len(), pl.col("year"), pl.col("keys").list.join(", "),
                  pl.col("combined"), pl.lit(large)).alias("detail"),
    )
