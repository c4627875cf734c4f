"""Spell-overlap rules: EMPLOYED, PENSION, PRIOR_BENEFIT, INCARCERATED and DECEASED.

Each is "a linked record whose period overlaps the claimed period" (contract §3-§4), so they share
one implementation over :meth:`Context.linked`, with inclusive dates and open ends from
:mod:`dupcheck.periods`.
"""

from __future__ import annotations

import polars as pl

from dupcheck.periods import overlap_end, overlap_start, overlaps
from dupcheck.rules.base import Context, empty_findings, record_findings

__all__ = ["deceased", "employed", "incarcerated", "pension", "prior_benefit"]

_FMT = "%Y-%m-%d"


def _period_text(s: str, e: str) -> pl.Expr:
    return pl.concat_str(
        pl.col(s).dt.strftime(_FMT),
        pl.lit(".."),
        pl.col(e).dt.strftime(_FMT).fill_null("open"),
    )


def _overlap_rule(ctx: Context, *, rule: str, source: str, what: pl.Expr, also_claim_date: bool = False) -> pl.DataFrame:
    if not ctx.has(source):
        return empty_findings()
    df = ctx.linked(source)
    if df.is_empty():
        return empty_findings()
    hit = overlaps(pl.col("start_date"), pl.col("end_date"), pl.col("c_period_start"), pl.col("c_period_end"))
    if also_claim_date:
        hit = hit | overlaps(pl.col("start_date"), pl.col("end_date"), pl.col("c_claim_date"), pl.col("c_claim_date"))
    hits = df.filter(hit.fill_null(False))
    # Overlap with the claimed period, widened to the claim date when that is earlier.
    lo = pl.min_horizontal("c_claim_date", "c_period_start") if also_claim_date else pl.col("c_period_start")
    return record_findings(
        ctx, hits, rule,
        source=source,
        overlap_start=overlap_start(pl.col("start_date"), lo),
        overlap_end=overlap_end(pl.col("end_date"), pl.col("c_period_end")),
        detail=pl.concat_str(
            what,
            pl.lit(" "),
            _period_text("start_date", "end_date"),
            pl.lit(" overlaps the claimed period "),
            _period_text("c_period_start", "c_period_end"),
            pl.lit("."),
        ),
    )


def employed(ctx: Context) -> pl.DataFrame:
    """EMPLOYED: an employment or dispatch spell covers the claim date or overlaps the period."""
    emp = _overlap_rule(
        ctx, rule="EMPLOYED", source="employment", also_claim_date=True,
        what=pl.concat_str(pl.lit("Insured employment spell at unit "), pl.col("employer_id").fill_null("?"))
        if ctx.has("employment") else pl.lit(""),
    )
    dis = _overlap_rule(
        ctx, rule="EMPLOYED", source="dispatch", also_claim_date=True,
        what=pl.concat_str(
            pl.lit("Dispatch relation by agency "), pl.col("agency_id").fill_null("?"),
            pl.lit(" to unit "), pl.col("employer_id").fill_null("?"),
        ) if ctx.has("dispatch") else pl.lit(""),
    )
    return pl.concat([emp, dis])


def pension(ctx: Context) -> pl.DataFrame:
    """PENSION: an employee or resident basic pension is received during the claimed period."""
    return _overlap_rule(
        ctx, rule="PENSION", source="pensions",
        what=pl.concat_str(pl.lit("Basic pension ("), pl.col("scheme").fill_null("unknown scheme"), pl.lit(") received"))
        if ctx.has("pensions") else pl.lit(""),
    )


def prior_benefit(ctx: Context) -> pl.DataFrame:
    """PRIOR_BENEFIT: a recorded UI benefit or subsidy spell (any type, any region) overlaps the period."""
    return _overlap_rule(
        ctx, rule="PRIOR_BENEFIT", source="benefits",
        what=pl.concat_str(
            pl.lit("Recorded "), pl.col("benefit_type").fill_null("benefit"),
            pl.lit(" receipt in region "), pl.col("region_code").fill_null("?"),
        ) if ctx.has("benefits") else pl.lit(""),
    )


def incarcerated(ctx: Context) -> pl.DataFrame:
    """INCARCERATED: an incarceration spell overlaps the claimed period."""
    return _overlap_rule(ctx, rule="INCARCERATED", source="incarcerations", what=pl.lit("Incarceration"))


def deceased(ctx: Context) -> pl.DataFrame:
    """DECEASED: a death record dated before the claimed period's end."""
    if not ctx.has("deaths"):
        return empty_findings()
    df = ctx.linked("deaths")
    hits = df.filter((pl.col("death_date") < pl.col("c_period_end")).fill_null(False))
    return record_findings(
        ctx, hits, "DECEASED",
        source="deaths",
        overlap_start=pl.max_horizontal("death_date", "c_period_start"),
        overlap_end=pl.col("c_period_end"),
        detail=pl.concat_str(
            pl.lit("Death recorded on "), pl.col("death_date").dt.strftime(_FMT),
            pl.lit(", before the end of the claimed period "), _period_text("c_period_start", "c_period_end"), pl.lit("."),
        ),
    )
