"""Exact identity links: claims and reference records with the same normalised id.

Ids are compared after normalisation (``normalize.canonical_id``), so a legacy 15-digit number,
lowercase ``x``, spaces or full-width digits on either side still link; such a link is labelled
``legacy_id`` when either side was written in the 15-digit form (contract §2, findings.match).
"""

from __future__ import annotations

import polars as pl

__all__ = ["exact_links"]


def exact_links(claims: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """``claim_id, source, _row, source_key, match, score`` for every record whose ``pid`` equals a claim's.

    ``claims`` needs ``claim_id, pid, id_legacy``; ``records`` needs ``source, _row, source_key,
    pid, id_legacy``.
    """
    c = claims.filter(pl.col("pid").is_not_null() & (pl.col("pid") != "")).select(
        "claim_id", "pid", pl.col("id_legacy").fill_null(False).alias("c_legacy")
    )
    r = records.filter(pl.col("pid").is_not_null()).select(
        "source", "_row", "source_key", "pid", pl.col("id_legacy").fill_null(False).alias("r_legacy")
    )
    return c.join(r, on="pid", how="inner").select(
        "claim_id",
        "source",
        "_row",
        "source_key",
        pl.when(pl.col("c_legacy") | pl.col("r_legacy"))
        .then(pl.lit("legacy_id"))
        .otherwise(pl.lit("id"))
        .alias("match"),
        pl.lit(1.0).alias("score"),
    )
