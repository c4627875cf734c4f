"""Identity rules: INPUT_INVALID, ID_INVALID and ID_CONFLICT (contract §3-§4).

These rest on the claim row itself, except the name part of ID_CONFLICT, which compares the
claim's name with the name that the exactly linked reference records agree on.
"""

from __future__ import annotations

import polars as pl

from dupcheck.rules.base import Context, claim_findings, empty_findings, record_findings

__all__ = ["id_conflict", "id_invalid", "input_invalid"]


def input_invalid(ctx: Context) -> pl.DataFrame:
    """INPUT_INVALID: the claim row could not be read as written; ``detail`` names the fields."""
    c = ctx.claims.filter(pl.col("_problems").list.len() > 0)
    return claim_findings(
        ctx, c, "INPUT_INVALID",
        detail=pl.concat_str(
            pl.lit("Claim row not fully usable ("),
            pl.col("_problems").list.join("; "),
            pl.lit("); screened on the usable fields only."),
        ),
    )


def id_invalid(ctx: Context) -> pl.DataFrame:
    """ID_INVALID: after normalisation the id is malformed, fails its check, or has no real date/region."""
    c = ctx.claims.filter(pl.col("pid").is_not_null() & ~pl.col("id_valid"))
    return claim_findings(
        ctx, c, "ID_INVALID",
        detail=pl.lit(
            "Identity number is not a valid GB 11643 number after normalisation "
            "(length, check character, birth date or region code); identity was linked by "
            "name and birth date where possible."
        ),
    )


def _against_id(ctx: Context) -> pl.DataFrame:
    c = ctx.claims.filter(pl.col("id_valid"))
    birth = c.filter(pl.col("birth_date").is_not_null() & (pl.col("birth_date") != pl.col("id_birth")))
    gender = c.filter(pl.col("gender").is_not_null() & (pl.col("gender") != pl.col("id_gender")))
    parts = [
        claim_findings(
            ctx, birth, "ID_CONFLICT",
            detail=pl.lit("Birth date entered on the claim differs from the birth date in the identity number."),
        ),
        claim_findings(
            ctx, gender, "ID_CONFLICT",
            detail=pl.lit("Gender entered on the claim differs from the gender coded in the identity number."),
        ),
    ]
    return pl.concat(parts)


def _against_records(ctx: Context) -> pl.DataFrame:
    """Claim name vs the name that >= 2 exactly linked records (a strict majority) agree on."""
    frames = []
    for source, table in ctx.tables.items():
        if "name_norm" not in table.columns or source == "claims":
            continue
        ev = ctx.evidence.filter(
            (pl.col("source") == source) & pl.col("match").is_in(["id", "legacy_id"])
        ).select("claim_id", "_row", "source", "source_key", "match", "score")
        frames.append(
            ev.join(table.select("_row", "name_norm", "name_py"), on="_row", how="inner")
        )
    if not frames:
        return empty_findings()
    recs = pl.concat(frames).filter(pl.col("name_norm").is_not_null())
    counts = recs.group_by("claim_id", "name_norm").agg(
        pl.len().alias("n"),
        pl.col("name_py").first(),
        pl.struct("source", "source_key", "match", "score").sort_by("source", "source_key").first().alias("ex"),
    )
    totals = counts.group_by("claim_id").agg(pl.col("n").sum().alias("total"))
    agreed = (
        counts.join(totals, on="claim_id")
        .filter((pl.col("n") >= 2) & (pl.col("n") * 2 > pl.col("total")))
        .rename({"name_norm": "ref_name", "name_py": "ref_py"})
    )
    c = ctx.claims.select("claim_id", "name_norm", "name_py").join(agreed, on="claim_id")
    bad = c.filter(
        pl.col("name_norm").is_not_null()
        & (pl.col("name_norm") != pl.col("ref_name"))
        & (pl.col("name_py") != pl.col("ref_py"))
    ).unnest("ex")
    return record_findings(
        ctx, bad, "ID_CONFLICT",
        source=pl.col("source"),
        detail=pl.format(
            "Name on the claim differs (in characters and pinyin) from the name that {} reference records of this identity number agree on.",
            pl.col("n"),
        ),
    )


def id_conflict(ctx: Context) -> pl.DataFrame:
    """ID_CONFLICT: birth date or gender disagree with the id, or the name with its records."""
    return pl.concat([_against_id(ctx), _against_records(ctx)])
