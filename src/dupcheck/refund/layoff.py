"""Layoff-rate test (裁员率, condition C2/C3 of domain.md §5.1) under the configured formula.

Formulas (``RefundPolicy.layoff_formula``; domain.md §5.3). Columns beyond the contract are
optional extras of ``refund_applications`` (see ``_inputs.LAYOFF_EXTRA_COLUMNS``):

========  =====================================================================  ===============
formula   rate                                                                   source
========  =====================================================================  ===============
default   layoffs_prev_year ÷ insured_prev_year_end                              contract §4
A         (insured_prev2_year_end − insured_prev_year_end) ÷ insured_prev2_year_end  Zhejiang
B         ui_recipients_prev_year ÷ insured_prev2_year_end                      Zhejiang
C         (insured_jan_prev_year − insured_prev_year_end) ÷ insured_avg_prev_year   Hengyang 2021
D         new_ui_recipients_prev_year ÷ insured_avg_prev_year                   Hebei 2024
========  =====================================================================  ===============

For C the December headcount is ``insured_prev_year_end``. The rule fires when the rate is over
the threshold *strictly*: the year's threshold (6% for 2021, 5.5% from 2022; a year after the last
configured one uses the last, a year before the first uses the first), or the small-unit ceiling
(20%) for units with at most ``small_unit_headcount`` insured at the previous year's end.

A zero denominator (e.g. ``insured_prev_year_end`` = 0): the rate counts as 0 when nobody was
laid off (no layoffs passes C2 by its wording) and as over any threshold when someone was.
A negative numerator (the unit grew, variants A and C) is a rate below zero and passes.
Comparisons are exact integer arithmetic, never float.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from dupcheck.errors import ConfigError
from dupcheck.policy import RefundPolicy

from ._inputs import LAYOFF_EXTRA_COLUMNS
from ._money import common_scale, exceeds_ratio, rate_numerator

__all__ = ["FORMULA_COLUMNS", "layoff_check"]

#: Columns each formula reads (numerator, denominator).
FORMULA_COLUMNS: dict[str, tuple[str, ...]] = {
    "default": ("layoffs_prev_year", "insured_prev_year_end"),
    "A": ("insured_prev2_year_end", "insured_prev_year_end"),
    "B": ("ui_recipients_prev_year", "insured_prev2_year_end"),
    "C": ("insured_jan_prev_year", "insured_prev_year_end", "insured_avg_prev_year"),
    "D": ("new_ui_recipients_prev_year", "insured_avg_prev_year"),
}


def _num_den(formula: str) -> tuple[pl.Expr, pl.Expr]:
    c = pl.col
    if formula == "default":
        return c("layoffs_prev_year"), c("insured_prev_year_end")
    if formula == "A":
        return c("insured_prev2_year_end") - c("insured_prev_year_end"), c("insured_prev2_year_end")
    if formula == "B":
        return c("ui_recipients_prev_year"), c("insured_prev2_year_end")
    if formula == "C":
        return (
            c("insured_jan_prev_year").cast(pl.Decimal(38, 2))
            - c("insured_prev_year_end").cast(pl.Decimal(38, 2)),
            c("insured_avg_prev_year"),
        )
    if formula == "D":
        return c("new_ui_recipients_prev_year"), c("insured_avg_prev_year")
    raise ConfigError(f"refund.layoff_formula: unknown formula {formula!r}")


def threshold_table(policy: RefundPolicy, years: list[int]) -> tuple[pl.DataFrame, int]:
    """Per-year threshold numerators (``year``, ``thr_num``) and their common decimal scale."""
    if not policy.layoff_thresholds:
        raise ConfigError("refund.layoff_thresholds: at least one year is needed")
    keys = sorted(policy.layoff_thresholds)
    values: dict[int, Decimal] = {}
    for y in sorted(set(years)):
        before = [k for k in keys if k <= y]
        values[y] = policy.layoff_thresholds[before[-1] if before else keys[0]]
    scale = common_scale([*values.values(), policy.small_unit_threshold])
    frame = pl.DataFrame(
        {
            "year": list(values),
            "thr_num": [rate_numerator(v, scale) for v in values.values()],
            "thr_txt": [pct(v) for v in values.values()],
        },
        schema={"year": pl.Int64, "thr_num": pl.Int64, "thr_txt": pl.String},
    )
    return frame, scale


def layoff_check(apps: pl.DataFrame, policy: RefundPolicy) -> pl.DataFrame:
    """Per application: ``_row``, ``layoff_over`` (bool; null when inputs are missing),
    ``layoff_missing`` (columns that were null), ``layoff_threshold`` (text), ``layoff_small``.

    Raises ConfigError when the configured formula needs columns the table does not have.
    """
    formula = policy.layoff_formula
    need = FORMULA_COLUMNS.get(formula)
    if need is None:
        raise ConfigError(f"refund.layoff_formula: unknown formula {formula!r}")
    # an extension column the reader added as all-null is as absent as one the file never had
    absent = [
        c for c in need
        if c not in apps.columns
        or (c in LAYOFF_EXTRA_COLUMNS and apps.get_column(c).null_count() == apps.height)
    ]
    if absent:
        raise ConfigError(
            f"refund.layoff_formula = {formula!r} needs column(s) {', '.join(absent)} in "
            "refund_applications, which the data does not have; add them or use the default formula"
        )
    years = apps.get_column("year").drop_nulls().unique().to_list()
    thr, scale = threshold_table(policy, years)
    small_num = rate_numerator(policy.small_unit_threshold, scale)
    num, den = _num_den(formula)
    small = pl.col("insured_prev_year_end") <= policy.small_unit_headcount
    thr_expr = pl.when(small).then(pl.lit(small_num, dtype=pl.Int64)).otherwise(pl.col("thr_num"))
    missing = pl.concat_list(
        [pl.when(pl.col(c).is_null()).then(pl.lit(c)) for c in dict.fromkeys(
            (*need, "insured_prev_year_end")
        )]
    ).list.drop_nulls()
    return (
        apps.select("_row", "year", *dict.fromkeys((*need, "insured_prev_year_end")))
        .join(thr, on="year", how="left")
        .select(
            "_row",
            exceeds_ratio(num, den, thr_expr, scale).alias("layoff_over"),
            missing.alias("layoff_missing"),
            pl.when(small)
            .then(pl.lit(pct(policy.small_unit_threshold)))
            .otherwise(pl.col("thr_txt"))
            .alias("layoff_threshold"),
            small.fill_null(False).alias("layoff_small"),
        )
    )


def pct(v: Decimal) -> str:
    """A rate as an exact percentage text: Decimal('0.055') -> '5.5%'."""
    return f"{(v * 100).normalize():f}%"
