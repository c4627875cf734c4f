"""Refund audit on a synthetic province: per-rule precision/recall, decisions and exact amounts.

Usage: ``python benchmarks/eval_refund.py [--claims N] [--people M] [--seed S] [--out DIR]``.
Generates the province with ``dupcheck.synth.generate`` (reused when ``DIR`` already holds one),
runs ``dupcheck.refund.audit`` on the written folder (through ``dupcheck.io.load``, so CSV and
Parquet readers are exercised too) and compares with ``DIR-truth/refund_truth.parquet``. When the
graph module is available, the audit is run a second time fed with its alerts.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import polars as pl

from dupcheck.refund import RefundResult, audit


def _pairs(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select("application_id", "rules").explode("rules").drop_nulls().rename(
        {"rules": "rule"}
    ).unique()


def score(result: RefundResult, truth: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, float]]:
    """Per-rule TP/FP/FN/precision/recall over (application, rule) pairs, and overall figures."""
    got, want = _pairs(result.decisions), _pairs(truth)
    tp = got.join(want, on=["application_id", "rule"], how="semi").group_by("rule").len("tp")
    fp = got.join(want, on=["application_id", "rule"], how="anti").group_by("rule").len("fp")
    fn = want.join(got, on=["application_id", "rule"], how="anti").group_by("rule").len("fn")
    rules = pl.concat([got.select("rule"), want.select("rule")]).unique()
    table = (
        rules.join(tp, on="rule", how="left").join(fp, on="rule", how="left")
        .join(fn, on="rule", how="left").fill_null(0)
        .with_columns(
            precision=pl.when(pl.col("tp") + pl.col("fp") > 0)
            .then(pl.col("tp") / (pl.col("tp") + pl.col("fp"))),
            recall=pl.when(pl.col("tp") + pl.col("fn") > 0)
            .then(pl.col("tp") / (pl.col("tp") + pl.col("fn"))),
        )
        .sort("rule")
    )
    j = result.decisions.join(truth, on="application_id", how="inner", suffix="_t")
    overall = {
        "applications": float(result.decisions.height),
        "truth rows": float(truth.height),
        "decision agreement": float((j["decision"] == j["decision_t"]).mean() or 0.0),
        "exact rule set": float((j["rules"] == j["rules_t"]).mean() or 0.0),
        "exact amount": float(
            (j["eligible_amount"].cast(pl.String) == j["eligible_amount_t"]).mean() or 0.0
        ),
    }
    return table, overall


def _print(title: str, table: pl.DataFrame, overall: dict[str, float], secs: float) -> None:
    print(f"\n## {title} (audit {secs:.2f} s)")
    print("| rule | TP | FP | FN | precision | recall |\n|---|---|---|---|---|---|")
    for r in table.iter_rows(named=True):
        p = "-" if r["precision"] is None else f"{r['precision']:.3f}"
        rc = "-" if r["recall"] is None else f"{r['recall']:.3f}"
        print(f"| {r['rule']} | {r['tp']} | {r['fp']} | {r['fn']} | {p} | {rc} |")
    for k, v in overall.items():
        print(f"- {k}: {v:.4f}" if v <= 1 else f"- {k}: {int(v)}")


def main() -> None:
    """Generate or reuse a province, audit it and print the comparison."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--claims", type=int, default=5_000)
    ap.add_argument("--people", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--out", type=Path, default=Path("/tmp/dupcheck-refund-province"))
    args = ap.parse_args()
    from dupcheck.synth import generate
    from dupcheck.synth.build import truth_path

    truth_dir = truth_path(args.out)
    if not (truth_dir / "refund_truth.parquet").exists():
        t0 = time.perf_counter()
        generate(args.out, claims=args.claims, people=args.people, seed=args.seed)
        print(f"generated {args.out} in {time.perf_counter() - t0:.1f} s")
    truth = pl.read_parquet(truth_dir / "refund_truth.parquet")

    t0 = time.perf_counter()
    result = audit(args.out)
    secs = time.perf_counter() - t0
    _print("refund audit, enterprises table only", *score(result, truth), secs)

    try:
        from dupcheck.graph import analyze
    except ImportError:
        print("\n(graph module not available: the run with graph alerts is skipped)")
        return
    alerts = analyze(args.out).alerts
    t0 = time.perf_counter()
    fed = audit(args.out, graph_alerts=alerts)
    secs = time.perf_counter() - t0
    n_split = alerts.filter(pl.col("pattern") == "SPLIT_ENTERPRISE").height
    _print(f"refund audit fed with graph alerts ({n_split} SPLIT_ENTERPRISE)", *score(fed, truth), secs)


if __name__ == "__main__":
    main()
