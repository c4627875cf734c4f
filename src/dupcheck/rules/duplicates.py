"""DUPLICATE_CLAIM: one person, two claims in the batch with overlapping periods (contract §4).

Of each overlapping pair the later-filed claim (later ``claim_date``; on the same day the larger
``claim_id``) gets ``reject`` and the other ``review``; each finding cites the other claim.
"""

from __future__ import annotations

import polars as pl

from dupcheck.periods import overlap_end, overlap_start, overlaps
from dupcheck.rules.base import Context, make_findings

__all__ = ["duplicate_claim"]


def duplicate_claim(ctx: Context) -> pl.DataFrame:
    """Self-join claims on the normalised id; flag every overlapping pair from both sides."""
    c = ctx.claims.filter(
        pl.col("pid").is_not_null() & pl.col("period_start").is_not_null()
    ).select("claim_id", "pid", "id_legacy", "claim_date", "period_start", "period_end")
    pairs = c.join(c, on="pid", suffix="_o").filter(
        (pl.col("claim_id") != pl.col("claim_id_o"))
        & overlaps(
            pl.col("period_start"), pl.col("period_end"),
            pl.col("period_start_o"), pl.col("period_end_o"),
        )
    )
    later = (pl.col("claim_date") > pl.col("claim_date_o")) | (
        (pl.col("claim_date") == pl.col("claim_date_o")) & (pl.col("claim_id") > pl.col("claim_id_o"))
    )
    legacy = pl.col("id_legacy").fill_null(False) | pl.col("id_legacy_o").fill_null(False)
    reject, review = ctx.severity("DUPLICATE_CLAIM"), "review"
    return make_findings(
        pairs,
        rule="DUPLICATE_CLAIM",
        severity=pl.when(later).then(pl.lit(reject)).otherwise(pl.lit(review)),
        source="claims",
        source_key=pl.col("claim_id_o"),
        match=pl.when(legacy).then(pl.lit("legacy_id")).otherwise(pl.lit("id")),
        score=pl.lit(1.0),
        overlap_start=overlap_start(pl.col("period_start"), pl.col("period_start_o")),
        overlap_end=overlap_end(pl.col("period_end"), pl.col("period_end_o")),
        detail=pl.when(later)
        .then(pl.format("Same person already claimed in claim {} (filed earlier) for an overlapping period; this later claim is the duplicate.", pl.col("claim_id_o")))
        .otherwise(pl.format("Same person filed claim {} later for an overlapping period; this claim is the earlier one.", pl.col("claim_id_o"))),
    )
