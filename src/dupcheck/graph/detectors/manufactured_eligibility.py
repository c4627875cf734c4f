"""MANUFACTURED_ELIGIBILITY: a unit or agency whose insured spells cluster just past the one-year
qualifying threshold and end in claims (虚构劳动关系).

Method (contract §4): for each claim take the claimant's last employment spell (latest end on or
before the claim date). It is a *hit* when it lasted ``manufactured_spell_months`` (12 to 14
whole months) and ended at most ``manufactured_max_gap_days`` (60) days before the claim. The
spell is attributed to its employer and, when it names one, its agency. Per enterprise, alert when
at least ``manufactured_min_claimants`` (5) distinct claimants are hits and they are at least
``manufactured_min_share`` (30%) of the claimants whose last spell was there. Score: 0.5 × share
+ 0.5 × min(1, hits ÷ 20).
"""

from __future__ import annotations

import polars as pl

from dupcheck.graph.detectors._common import Context, empty_alerts, ent

PATTERN = "MANUFACTURED_ELIGIBILITY"


def detect(ctx: Context) -> pl.DataFrame:
    """Alerts for enterprises whose claimants' last spells cluster at 12-14 months."""
    pol = ctx.policy
    p = ctx.prep
    c = p.claims.select("claim_id", "pid", "claim_date").filter(pl.col("pid").is_not_null())
    s = p.spells.filter((pl.col("source") == "employment") & pl.col("end").is_not_null())
    j = c.join(s, on="pid").filter(pl.col("end") <= pl.col("claim_date"))
    if j.height == 0:
        return empty_alerts()
    last = (
        j.sort(["claim_id", "end", "start", "employer_id"], descending=[False, True, True, False], nulls_last=True)
        .group_by("claim_id", maintain_order=True)
        .first()
    )
    lo, hi = pol.manufactured_spell_months
    nxt = pl.col("end") + pl.duration(days=1)
    last = last.with_columns(
        hit=(nxt >= pl.col("start").dt.offset_by(f"{lo}mo"))
        & (nxt < pl.col("start").dt.offset_by(f"{hi + 1}mo"))
        & ((pl.col("claim_date") - pl.col("end")).dt.total_days() <= pol.manufactured_max_gap_days)
    )
    att = pl.concat([
        last.select("claim_id", "pid", "hit", pl.col("employer_id").alias("eid")),
        last.select("claim_id", "pid", "hit", pl.col("agency_id").alias("eid")),
    ]).drop_nulls("eid").unique(["claim_id", "eid"])
    g = att.group_by("eid").agg(
        n=pl.col("pid").n_unique(),
        hits=pl.col("pid").filter(pl.col("hit")).n_unique(),
        claims=pl.col("claim_id").filter(pl.col("hit")).sort(),
        persons=pl.col("pid").filter(pl.col("hit")).unique().sort(),
    ).with_columns(share=pl.col("hits") / pl.col("n")).filter(
        (pl.col("hits") >= pol.manufactured_min_claimants) & (pl.col("share") >= pol.manufactured_min_share)
    )
    if g.height == 0:
        return empty_alerts()
    g = ctx.enterprise_entity("eid", g)
    return g.select(
        pl.lit(PATTERN).alias("pattern"),
        (0.5 * pl.col("share") + 0.5 * (pl.col("hits") / 20).clip(0, 1)).alias("score"),
        pl.concat_list(
            pl.col("eid_ent"),
            pl.col("persons").list.eval(ent("person", pl.element())),
            pl.col("claims").list.eval(ent("claim", pl.element())),
        ).list.unique().list.sort().alias("entities"),
        pl.format("{} of {} claimants whose last spell was at {} had {}-{} month spells ending <= {} days before the claim",
                  pl.col("hits"), pl.col("n"), pl.col("eid_ent"), pl.lit(lo), pl.lit(hi),
                  pl.lit(pol.manufactured_max_gap_days)).alias("detail"),
    )
