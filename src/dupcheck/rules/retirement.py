"""RETIREMENT_AGE: the claimant had reached statutory retirement age on the claim date.

Ages come from ``policy.screening.retirement_men`` / ``retirement_women``, including the gradual
increase from 2025 (one month per ``step_every_months`` birth months from ``first_birth_month``).
Birth date and gender come from a valid id, else from the claim. Review, not reject: people past
the age without a pension may still be paid (domain.md §2.2).
"""

from __future__ import annotations

import polars as pl

from dupcheck.periods import add_months
from dupcheck.policy import RetirementSchedule
from dupcheck.rules.base import Context, claim_findings

__all__ = ["retirement_age", "retirement_date"]


def _months_of(sched: RetirementSchedule, birth: pl.Expr) -> pl.Expr:
    k = (birth.dt.year() - sched.first_birth_month.year) * 12 + (
        birth.dt.month() - sched.first_birth_month.month
    )
    delay = pl.when(k >= 0).then(pl.min_horizontal(k // sched.step_every_months + 1, pl.lit(sched.max_delay_months))).otherwise(0)
    return sched.base_age_years * 12 + delay


def retirement_date(men: RetirementSchedule, women: RetirementSchedule, birth: pl.Expr, gender: pl.Expr) -> pl.Expr:
    """The date statutory retirement age is reached; null when birth or gender is unknown."""
    months = (
        pl.when(gender == "M").then(_months_of(men, birth))
        .when(gender == "F").then(_months_of(women, birth))
        .otherwise(None)
    )
    return add_months(birth, months)


def retirement_age(ctx: Context) -> pl.DataFrame:
    """Flag claims filed on or after the claimant's statutory retirement date."""
    p = ctx.policy.screening
    birth = pl.when(pl.col("id_valid")).then(pl.col("id_birth")).otherwise(pl.col("birth_date"))
    gender = pl.when(pl.col("id_valid")).then(pl.col("id_gender")).otherwise(pl.col("gender"))
    c = ctx.claims.with_columns(
        retirement_date(p.retirement_men, p.retirement_women, birth, gender).alias("_retire")
    ).filter((pl.col("claim_date") >= pl.col("_retire")).fill_null(False))
    return claim_findings(
        ctx, c, "RETIREMENT_AGE",
        detail=pl.format(
            "Statutory retirement age was reached on {}, before the claim date {}.",
            pl.col("_retire").dt.strftime("%Y-%m-%d"), pl.col("claim_date").dt.strftime("%Y-%m-%d"),
        ),
    )
