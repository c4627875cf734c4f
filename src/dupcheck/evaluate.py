"""Evaluation of links, blocking and screening decisions against truth (polars in, polars out).

Used by the repository's benchmarks on synthetic truth and FEBRL, and usable by agencies on their
own clerically reviewed samples: predictions and truth are plain frames keyed by the same columns.

* `link_metrics`: precision, recall, F1 of predicted links.
* `blocking_metrics`: pair completeness and reduction ratio of a candidate set.
* `pr_curve` / `threshold_for_precision`: the precision-recall curve over the link threshold and
  the threshold that reaches a target precision with the most recall.
* `recall_by`: recall per group of the truth (e.g. per ``corruption`` kind: the difficulty table).
* `rule_table` / `decision_accuracy`: per-rule precision and recall of screening findings, with
  recall split into easy and hard cases, and decision accuracy with its confusion table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

__all__ = [
    "blocking_metrics",
    "decision_accuracy",
    "link_metrics",
    "pr_curve",
    "recall_by",
    "rule_table",
    "threshold_for_precision",
]

_KEYS = ("left_id", "right_id")


def _pairs(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    return frame.select(list(keys)).drop_nulls().unique()


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f}


def link_metrics(pred: pl.DataFrame, truth: pl.DataFrame,
                 keys: Sequence[str] = _KEYS) -> dict[str, Any]:
    """Precision, recall and F1 of predicted links (each a row of ``keys``) against true links.

    Duplicate rows count once. Empty predictions have precision 1 by convention.
    """
    p, t = _pairs(pred, keys), _pairs(truth, keys)
    tp = p.join(t, on=list(keys), how="semi").height
    fp, fn = p.height - tp, t.height - tp
    return {"tp": tp, "fp": fp, "fn": fn, **_prf(tp, fp, fn)}


def blocking_metrics(candidates: pl.DataFrame, truth: pl.DataFrame, n_left: int, n_right: int,
                     keys: Sequence[str] = _KEYS) -> dict[str, Any]:
    """Pair completeness (true links among candidates) and reduction ratio of a blocking.

    ``n_left * n_right`` is the number of all possible pairs (pass the table sizes).
    """
    c, t = _pairs(candidates, keys), _pairs(truth, keys)
    found = t.join(c, on=list(keys), how="semi").height
    total = max(n_left * n_right, 1)
    return {
        "pairs": c.height,
        "true_links": t.height,
        "pair_completeness": found / t.height if t.height else 1.0,
        "reduction_ratio": 1.0 - c.height / total,
    }


def pr_curve(pred: pl.DataFrame, truth: pl.DataFrame, keys: Sequence[str] = _KEYS,
             score: str = "match_probability") -> pl.DataFrame:
    """Precision, recall and F1 when keeping scores >= each distinct score, highest first.

    ``pred`` holds every scored candidate (not only kept links). Returns ``threshold, tp, fp, fn,
    precision, recall, f1``; true links never scored count as false negatives at every threshold.
    """
    t = _pairs(truth, keys).with_columns(pl.lit(True).alias("_true"))
    scored = (pred.select(*keys, pl.col(score).cast(pl.Float64).alias("_s"))
              .group_by(list(keys)).agg(pl.col("_s").max())
              .join(t, on=list(keys), how="left")
              .with_columns(pl.col("_true").fill_null(False)))
    n_true = t.height
    curve = (scored.group_by("_s").agg(pl.col("_true").sum().alias("_tp"),
                                       (~pl.col("_true")).sum().alias("_fp"))
             .sort("_s", descending=True)
             .select(pl.col("_s").alias("threshold"),
                     pl.col("_tp").cum_sum().cast(pl.Int64).alias("tp"),
                     pl.col("_fp").cum_sum().cast(pl.Int64).alias("fp")))
    p = pl.col("tp") / (pl.col("tp") + pl.col("fp"))
    r = pl.col("tp") / n_true if n_true else pl.lit(1.0)
    return curve.with_columns(
        (n_true - pl.col("tp")).alias("fn"), p.alias("precision"), r.alias("recall"),
    ).with_columns(
        pl.when(pl.col("precision") + pl.col("recall") > 0)
        .then(2 * pl.col("precision") * pl.col("recall")
              / (pl.col("precision") + pl.col("recall")))
        .otherwise(0.0).alias("f1"))


def threshold_for_precision(curve: pl.DataFrame, target: float) -> float | None:
    """Lowest threshold whose precision is still >= ``target`` (most recall); None if none is."""
    ok = curve.filter(pl.col("precision") >= target)
    if ok.height == 0:
        return None
    best = ok.sort(["recall", "threshold"], descending=[True, True]).row(0, named=True)
    return float(best["threshold"])


def recall_by(pred: pl.DataFrame, truth: pl.DataFrame, by: str,
              keys: Sequence[str] = _KEYS) -> pl.DataFrame:
    """Recall of the predicted links per group of the truth (``by``: e.g. ``corruption``)."""
    p = _pairs(pred, keys).with_columns(pl.lit(True).alias("_hit"))
    t = truth.select(*keys, by).unique(subset=list(keys), keep="first", maintain_order=True)
    return (t.join(p, on=list(keys), how="left")
            .group_by(by).agg(pl.len().alias("true_links"),
                              pl.col("_hit").fill_null(False).sum().alias("found"))
            .with_columns((pl.col("found") / pl.col("true_links")).alias("recall"))
            .sort(by))


def _rule_lists(frame: pl.DataFrame, col: str) -> pl.Expr:
    """A rules column as ``list[str]`` whether it is a list or a ';'-joined string."""
    dtype = frame.schema[col]
    if isinstance(dtype, pl.List):
        return pl.col(col).fill_null([])
    return pl.col(col).fill_null("").str.split(";").list.eval(
        pl.element().filter(pl.element() != ""))


def _explode(frame: pl.DataFrame, col: str, alias: str) -> pl.DataFrame:
    return (frame.select("claim_id", _rule_lists(frame, col).alias(alias))
            .explode(alias).drop_nulls().unique())


def rule_table(pred: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Per-rule precision and recall of screening, with recall on easy and on hard cases.

    ``pred``: ``claim_id, rules`` (decisions; list or ';'-joined) or ``claim_id, rule`` (findings,
    one row each). ``truth``: ``claim_id, rules`` and optionally ``hard_rules`` (the rules whose
    case is hard: corrupted identity, boundary dates...).
    """
    if "rules" in pred.columns:
        p = _explode(pred, "rules", "rule")
    else:
        p = pred.select("claim_id", "rule").drop_nulls().unique()
    t = _explode(truth, "rules", "rule")
    if "hard_rules" in truth.columns:
        hard = _explode(truth, "hard_rules", "rule").with_columns(pl.lit(True).alias("hard"))
        t = t.join(hard, on=["claim_id", "rule"], how="left").with_columns(
            pl.col("hard").fill_null(False))
    else:
        t = t.with_columns(pl.lit(False).alias("hard"))
    pm = p.with_columns(pl.lit(True).alias("_pred"))
    tm = t.join(pm, on=["claim_id", "rule"], how="left").with_columns(
        pl.col("_pred").fill_null(False))
    tp_fp = (p.join(t.select("claim_id", "rule").with_columns(pl.lit(True).alias("_t")),
                    on=["claim_id", "rule"], how="left")
             .group_by("rule").agg(pl.len().alias("predicted"),
                                   pl.col("_t").fill_null(False).sum().alias("tp")))
    rec = tm.group_by("rule").agg(
        pl.len().alias("true"),
        pl.col("_pred").sum().alias("found"),
        (~pl.col("hard")).sum().alias("true_easy"),
        (pl.col("_pred") & ~pl.col("hard")).sum().alias("found_easy"),
        pl.col("hard").sum().alias("true_hard"),
        (pl.col("_pred") & pl.col("hard")).sum().alias("found_hard"),
    )
    out = tp_fp.join(rec, on="rule", how="full", coalesce=True).with_columns(
        pl.col(c).fill_null(0) for c in ("predicted", "tp", "true", "found", "true_easy",
                                         "found_easy", "true_hard", "found_hard"))

    def ratio(a: str, b: str, empty: float | None) -> pl.Expr:
        return (pl.when(pl.col(b) > 0).then(pl.col(a) / pl.col(b))
                .otherwise(pl.lit(empty, dtype=pl.Float64)))

    return out.select(
        "rule", "predicted", "true", "tp",
        ratio("tp", "predicted", 1.0).alias("precision"),
        ratio("found", "true", 1.0).alias("recall"),
        ratio("found_easy", "true_easy", None).alias("recall_easy"),
        ratio("found_hard", "true_hard", None).alias("recall_hard"),
        "true_hard",
    ).sort("rule")


def decision_accuracy(pred: pl.DataFrame, truth: pl.DataFrame) -> tuple[float, pl.DataFrame]:
    """Share of claims whose decision equals the truth, and the confusion table (truth x pred).

    A claim missing from ``pred`` counts as a wrong decision (``missing``).
    """
    j = truth.select("claim_id", pl.col("decision").alias("truth")).join(
        pred.select("claim_id", pl.col("decision").alias("pred")), on="claim_id", how="left"
    ).with_columns(pl.col("pred").fill_null("missing"))
    acc = int((j["truth"] == j["pred"]).sum()) / j.height if j.height else 1.0
    table = j.group_by("truth", "pred").len().sort("truth", "pred")
    return acc, table
