"""AGENCY_CLAIM_SPIKE: an agency whose former workers claim far more often than its peers'.

Method (contract §4). A claim is attributed to the agency of the claimant's last spell before the
claim (latest end on or before the claim date among dispatch relations and employment spells;
ties broken by later start, then agency id). An agency's former workers are the distinct persons
whose relation with it (dispatch table or ``employment.agency_id``) ended on or before the last
claim date of the batch. Claim rate = attributed claims ÷ former workers. The peer rate p0 is the
median rate of agencies with at least ``GraphPolicy.peer_min_workers`` (10) former workers (the pooled rate when
that median is 0). An agency alerts when it has at least ``spike_min_claims`` claims, its rate is
at least ``spike_ratio`` × p0, and the one-sided binomial test P(X ≥ k | n, p0) is below
``spike_alpha``. Score: min(1, −log10(p) ÷ 20), so it ranks by the strength of the test.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.stats import binom

from dupcheck.graph.detectors._common import Context, empty_alerts, ent

PATTERN = "AGENCY_CLAIM_SPIKE"


def last_spells(ctx: Context) -> pl.DataFrame:
    """Per claim, the claimant's last ended spell on or before the claim date (contract §4)."""
    if "last_spells" in ctx.cache:
        return ctx.cache["last_spells"]
    c = ctx.prep.claims.select("claim_id", "pid", "claim_date").filter(pl.col("pid").is_not_null())
    s = ctx.prep.spells.filter(pl.col("end").is_not_null())
    j = c.join(s, on="pid").filter(pl.col("end") <= pl.col("claim_date"))
    out = (
        j.sort(["claim_id", "end", "start", "source", "agency_id", "employer_id"],
               descending=[False, True, True, False, False, False], nulls_last=True)
        .group_by("claim_id", maintain_order=True)
        .first()
    )
    ctx.cache["last_spells"] = out
    return out


def detect(ctx: Context) -> pl.DataFrame:
    """Alerts for agencies whose former workers' claim rate is a significant outlier."""
    pol = ctx.policy
    p = ctx.prep
    if p.claims.height == 0:
        return empty_alerts()
    horizon = p.claims.get_column("claim_date").max()
    rel = p.spells.filter(pl.col("agency_id").is_not_null() & pl.col("end").is_not_null()
                          & (pl.col("end") <= horizon))
    formers = rel.group_by("agency_id").agg(n=pl.col("pid").n_unique())
    if formers.height == 0:
        return empty_alerts()
    ls = last_spells(ctx).filter(pl.col("agency_id").is_not_null())
    k = ls.group_by("agency_id").agg(k=pl.len(), claims=pl.col("claim_id").sort())
    t = formers.join(k, on="agency_id", how="left").with_columns(pl.col("k").fill_null(0))
    t = t.with_columns(rate=pl.col("k") / pl.col("n"))
    peers = t.filter(pl.col("n") >= ctx.policy.peer_min_workers)
    med_v = peers.get_column("rate").median() if peers.height else None
    med = float(med_v) if isinstance(med_v, (int, float)) else 0.0
    if med <= 0:
        tot_n = int(t.get_column("n").sum())
        med = float(t.get_column("k").sum()) / tot_n if tot_n else 0.0
    if med <= 0:
        return empty_alerts()
    cand = t.filter((pl.col("k") >= pol.spike_min_claims) & (pl.col("rate") >= pol.spike_ratio * med))
    if cand.height == 0:
        return empty_alerts()
    kk = cand.get_column("k").to_numpy()
    nn = cand.get_column("n").to_numpy()
    pv = binom.sf(np.minimum(kk, nn) - 1, nn, min(med, 1.0))
    cand = cand.with_columns(p=pl.Series(pv, dtype=pl.Float64)).filter(pl.col("p") < pol.spike_alpha)
    if cand.height == 0:
        return empty_alerts()
    cand = ctx.enterprise_entity("agency_id", cand)
    return cand.select(
        pl.lit(PATTERN).alias("pattern"),
        (-(pl.col("p").clip(1e-300, 1.0).log10()) / 20).clip(0, 1).alias("score"),
        pl.concat_list(pl.col("agency_id_ent"), pl.col("claims").list.eval(ent("claim", pl.element())))
        .list.unique().list.sort().alias("entities"),
        pl.format("{} of {} former workers claimed (rate {}, peer median {}); binomial p = {}",
                  pl.col("k"), pl.col("n"), pl.col("rate").round(3), pl.lit(round(med, 4)),
                  pl.col("p").map_elements(lambda v: f"{v:.2e}", return_dtype=pl.String)).alias("detail"),
    )
