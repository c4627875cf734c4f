"""STOP_REASON and STOP_REASON_MISSING: did the last job end involuntarily? (contract §4, Stoppages)

The *last spell* is the claimant's employment spell with the latest ``end_date`` on or before the
claim date; the stoppage that ended it is the latest linked stoppage dated from that end date to
the claim date. Its reason must qualify for the benefit type (``policy.screening.qualifying_reasons``).
When a spell is still running at the claim date, EMPLOYED carries the case and MISSING stays quiet.
"""

from __future__ import annotations

import polars as pl

from dupcheck.rules.base import Context, claim_findings, empty_findings, record_findings

__all__ = ["last_spells", "stop_reason"]


def last_spells(ctx: Context) -> pl.DataFrame:
    """Per claim: its last ended spell (``ls_*`` columns) and whether a spell runs at the claim date."""
    emp = ctx.linked("employment")
    running = (
        emp.filter(
            (pl.col("start_date") <= pl.col("c_claim_date"))
            & (pl.col("end_date").is_null() | (pl.col("end_date") > pl.col("c_claim_date")))
        )
        .select("claim_id")
        .unique()
        .with_columns(pl.lit(True).alias("running"))
    )
    last = (
        emp.filter(pl.col("end_date") <= pl.col("c_claim_date"))
        .sort("claim_id", "end_date", "start_date", "source_key")
        .group_by("claim_id", maintain_order=True)
        .last()
        .select(
            "claim_id",
            pl.col("start_date").alias("ls_start"),
            pl.col("end_date").alias("ls_end"),
            pl.col("source_key").alias("ls_key"),
            pl.col("match").alias("ls_match"),
            pl.col("score").alias("ls_score"),
        )
    )
    return (
        ctx.claims.select("claim_id", "claim_date", "benefit_type")
        .join(last, on="claim_id", how="left")
        .join(running, on="claim_id", how="left")
        .with_columns(pl.col("running").fill_null(False))
    )


def stop_reason(ctx: Context) -> pl.DataFrame:
    """STOP_REASON (reason does not qualify) and STOP_REASON_MISSING (nothing explains the end)."""
    if not (ctx.has("employment") and ctx.has("stoppages")):
        return empty_findings()
    spells = last_spells(ctx).filter(
        pl.col("claim_date").is_not_null() & pl.col("benefit_type").is_not_null()
    )
    stops = ctx.linked("stoppages", ["claim_date"]).select(
        "claim_id", "stop_date", "reason", "employer_id",
        pl.col("source_key").alias("st_key"), pl.col("match").alias("st_match"),
        pl.col("score").alias("st_score"),
    )
    cand = (
        spells.filter(pl.col("ls_end").is_not_null())
        .join(stops, on="claim_id", how="inner")
        .filter((pl.col("stop_date") >= pl.col("ls_end")) & (pl.col("stop_date") <= pl.col("claim_date")))
        .sort("claim_id", "stop_date", "st_key")
        .group_by("claim_id", maintain_order=True)
        .last()
        .select("claim_id", "stop_date", "reason", "st_key", "st_match", "st_score")
    )
    qual = pl.DataFrame(
        [
            (bt, r)
            for bt, reasons in ctx.policy.screening.qualifying_reasons.items()
            for r in reasons
        ],
        schema={"benefit_type": pl.String, "reason": pl.String},
        orient="row",
    ).with_columns(pl.lit(True).alias("qualifies"))
    s = (
        spells.join(cand, on="claim_id", how="left")
        .join(qual, on=["benefit_type", "reason"], how="left")
        .with_columns(pl.col("qualifies").fill_null(False))
    )
    bad = s.filter(pl.col("st_key").is_not_null() & pl.col("reason").is_not_null() & ~pl.col("qualifies"))
    reason_found = record_findings(
        ctx, bad, "STOP_REASON",
        source="stoppages",
        link=("st_key", "st_match", "st_score"),
        detail=pl.format(
            "The stoppage of {} that ended the last spell gives reason '{}', which does not qualify for {}.",
            pl.col("stop_date").dt.strftime("%Y-%m-%d"), pl.col("reason"), pl.col("benefit_type"),
        ),
    )
    quiet = pl.col("running")
    no_spell = s.filter(pl.col("ls_end").is_null() & ~quiet)
    no_stop = s.filter(
        pl.col("ls_end").is_not_null() & ~quiet
        & (pl.col("st_key").is_null() | pl.col("reason").is_null())
    )
    missing = pl.concat([
        claim_findings(
            ctx, no_spell, "STOP_REASON_MISSING",
            detail=pl.lit("No ended insured-employment spell on or before the claim date was found for this claimant."),
        ),
        record_findings(
            ctx, no_stop, "STOP_REASON_MISSING",
            source="employment",
            link=("ls_key", "ls_match", "ls_score"),
            detail=pl.format(
                "No stoppage record with a known reason between the end of the last spell ({}) and the claim date explains why it ended.",
                pl.col("ls_end").dt.strftime("%Y-%m-%d"),
            ),
        ),
    ])
    return pl.concat([reason_found, missing])
