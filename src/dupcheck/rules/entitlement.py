"""Entitlement: the default claimed period and ENTITLEMENT_USED (contract §4).

``ui_benefit`` entitlement is 12, 18 or 24 months by the contribution years the employment table
shows (Law Art. 46); ``ui_subsidy`` is paid once; earlier receipt that overlaps the claimed period
is PRIOR_BENEFIT, not this rule.
"""

from __future__ import annotations

import polars as pl

from dupcheck.periods import months_between, period_days
from dupcheck.policy import ScreeningPolicy
from dupcheck.rules.base import Context, empty_findings, record_findings

__all__ = ["MONTH_TOLERANCE", "contribution_years", "entitlement_expr", "entitlement_used"]

#: Slack, in months, before a claimed period counts as longer than what is left (calendar months
#: vary from 28 to 31 days, so a six-month period is 5.9 to 6.1 "average" months).
MONTH_TOLERANCE = 0.25


def contribution_years(ctx: Context) -> pl.DataFrame:
    """``claim_id, contrib_years, ls_start``: years of linked spells up to the claim date, last spell start."""
    if not ctx.has("employment"):
        return pl.DataFrame(schema={"claim_id": pl.String, "contrib_years": pl.Float64, "ls_start": pl.Date})
    emp = ctx.linked("employment", ["claim_date"]).filter(pl.col("start_date") <= pl.col("c_claim_date"))
    end = pl.min_horizontal(pl.col("end_date").fill_null(pl.col("c_claim_date")), pl.col("c_claim_date"))
    days = period_days(pl.col("start_date"), end)
    last_start = (
        pl.col("start_date")
        .filter(pl.col("end_date") <= pl.col("c_claim_date"))
        .sort_by(pl.col("end_date").filter(pl.col("end_date") <= pl.col("c_claim_date")))
        .last()
    )
    return emp.group_by("claim_id").agg(
        (days.sum() / 365.25).alias("contrib_years"),
        last_start.alias("ls_start"),
    )


def entitlement_expr(policy: ScreeningPolicy) -> pl.Expr:
    """Entitlement in months per claim from ``benefit_type`` and ``contrib_years`` (12 when unknown)."""
    levels = sorted(policy.ui_benefit_months)
    ui: pl.Expr = pl.lit(levels[0][1])
    for years, months in levels[1:]:
        ui = pl.when(pl.col("contrib_years") >= years).then(pl.lit(months)).otherwise(ui)
    ui = pl.when(pl.col("contrib_years").is_null()).then(pl.lit(levels[0][1])).otherwise(ui)
    expr: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for bt, months in sorted(policy.entitlement_months.items()):
        expr = pl.when(pl.col("benefit_type") == bt).then(pl.lit(months)).otherwise(expr)
    return pl.when(pl.col("benefit_type") == "ui_benefit").then(ui).otherwise(expr).cast(pl.Int64)


def entitlement_used(ctx: Context) -> pl.DataFrame:
    """ENTITLEMENT_USED: earlier non-overlapping receipt already used what this claim draws on."""
    if not ctx.has("benefits"):
        return empty_findings()
    cols = ["claim_date", "period_start", "period_end", "benefit_type", "entitlement_months", "ls_start"]
    b = ctx.linked("benefits", cols).filter(
        pl.col("c_period_start").is_not_null()
        & (pl.col("end_date") < pl.col("c_period_start"))
        & (pl.col("benefit_type") == pl.col("c_benefit_type"))
    )
    subsidy = b.filter(pl.col("c_benefit_type") == "ui_subsidy")
    f_sub = record_findings(
        ctx, subsidy, "ENTITLEMENT_USED",
        source="benefits",
        detail=pl.format(
            "Unemployment subsidy was already received {}..{}; it is paid once.",
            pl.col("start_date").dt.strftime("%Y-%m-%d"), pl.col("end_date").dt.strftime("%Y-%m-%d"),
        ),
    )
    ui = b.filter(
        (pl.col("c_benefit_type") == "ui_benefit")
        & (pl.col("c_ls_start").is_null() | (pl.col("start_date") >= pl.col("c_ls_start")))
    ).with_columns(months_between(pl.col("start_date"), pl.col("end_date")).alias("used"))
    per_claim = ui.with_columns(
        pl.col("used").sum().over("claim_id").alias("used_total"),
        months_between(pl.col("c_period_start"), pl.col("c_period_end")).alias("claimed"),
    ).filter(
        pl.col("claimed") > pl.col("c_entitlement_months") - pl.col("used_total") + MONTH_TOLERANCE
    )
    f_ui = record_findings(
        ctx, per_claim, "ENTITLEMENT_USED",
        source="benefits",
        detail=pl.format(
            "UI benefit of {} months was already received since the last spell began; {} months claimed exceed the {} left of a {}-month entitlement.",
            pl.col("used_total").round(1), pl.col("claimed").round(1),
            (pl.col("c_entitlement_months") - pl.col("used_total")).clip(0).round(1),
            pl.col("c_entitlement_months"),
        ),
    )
    return pl.concat([f_sub, f_ui])
