"""Scoring alerts against planted truth (``alerts_truth``): per-pattern recall and precision.

Counting. An alert *matches* a truth row of the same pattern when they share at least
``min(2, len(truth entities))`` entities (so a one-entity truth such as ``agency:X`` needs that
entity, and a claim, person or group truth needs two of its members). ``agency:`` and ``unit:``
are compared as one enterprise kind (the USCC identifies the enterprise whatever its label). Per pattern, with ``k`` the
number of planted (non-near-miss) instances: recall = planted instances matched by any alert;
precision@k = share of the ``k`` highest-scoring alerts that match a planted instance;
precision(all) = the same over every alert; near-miss hits = alerts matching a near-miss row.
"""

from __future__ import annotations

import polars as pl

__all__ = ["score_alerts"]


def _matches(alerts: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Pairs ``alert_id, t`` (truth row index) of matching alerts and truth rows."""
    a = alerts.select("alert_id", "pattern", pl.col("entities").alias("e")).explode("e")
    a = a.with_columns(pl.col("e").str.replace(r"^(agency|unit):", "enterprise:"))
    t = truth.with_row_index("t").with_columns(need=pl.min_horizontal(pl.lit(2), pl.col("entities").list.len()))
    te = t.select("t", "pattern", "need", pl.col("entities").alias("e")).explode("e")
    te = te.with_columns(pl.col("e").str.replace(r"^(agency|unit):", "enterprise:"))
    j = a.join(te, on=["pattern", "e"])
    return j.group_by("alert_id", "t").agg(k=pl.len(), need=pl.col("need").first()).filter(
        pl.col("k") >= pl.col("need")).select("alert_id", "t")


def score_alerts(alerts: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Per-pattern ``planted, recall, alerts, precision_at_k, precision_all, near_miss_hits``."""
    truth = truth.with_row_index("t")
    m = _matches(alerts, truth.drop("t")).join(truth.select("t", "near_miss"), on="t")
    good = m.filter(~pl.col("near_miss"))
    bad = m.filter(pl.col("near_miss"))
    rows = []
    patterns = sorted(set(truth.get_column("pattern").to_list()) | set(alerts.get_column("pattern").to_list()))
    for pat in patterns:
        planted = truth.filter((pl.col("pattern") == pat) & ~pl.col("near_miss"))
        al = alerts.filter(pl.col("pattern") == pat).sort(["score", "alert_id"], descending=[True, False])
        good_ids = set(good.filter(pl.col("alert_id").is_in(al.get_column("alert_id").implode()))
                       .get_column("alert_id").to_list())
        found = good.join(planted.select("t"), on="t", how="semi").get_column("t").n_unique()
        k = planted.height
        top = al.head(k).get_column("alert_id").to_list()
        nm = bad.join(truth.filter(pl.col("pattern") == pat).select("t"), on="t", how="semi")
        rows.append({
            "pattern": pat,
            "planted": k,
            "recall": found / k if k else None,
            "alerts": al.height,
            "precision_at_k": (sum(x in good_ids for x in top) / len(top)) if top else None,
            "precision_all": (len(good_ids) / al.height) if al.height else None,
            "near_miss_hits": nm.get_column("alert_id").n_unique(),
        })
    return pl.DataFrame(rows, schema={"pattern": pl.String, "planted": pl.Int64, "recall": pl.Float64,
                                      "alerts": pl.Int64, "precision_at_k": pl.Float64,
                                      "precision_all": pl.Float64, "near_miss_hits": pl.Int64})
