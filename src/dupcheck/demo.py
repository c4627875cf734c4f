"""``dupcheck demo``: a synthetic province with known frauds, screened end to end.

Generates the province (data and truth side by side), screens its claims, analyses the
dispatch-agency graph and audits the refund applications; prints the summaries and the accuracy
against the planted truth, and writes the outputs and an HTML report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

__all__ = ["decision_accuracy", "run_demo"]


def decision_accuracy(decisions: pl.DataFrame, truth_dir: Path) -> pl.DataFrame:
    """Per expected decision: claims, and the share whose screened decision matches the truth."""
    truth = pl.read_parquet(truth_dir / "claims_truth.parquet").select(
        "claim_id", pl.col("decision").alias("expected")
    )
    j = truth.join(decisions.select("claim_id", "decision"), on="claim_id", how="left")
    return (
        j.group_by("expected")
        .agg(pl.len().alias("claims"), (pl.col("decision") == pl.col("expected")).mean().alias("accuracy"))
        .sort("expected")
    )


def run_demo(
    out: Path,
    *,
    claims: int = 20_000,
    people: int = 400_000,
    seed: int = 2021,
    echo: Callable[[str], None] = print,
) -> Path:
    """Run the whole demo into ``out``; returns the report path."""
    from dupcheck.report import screening_report
    from dupcheck.screening import Screener
    from dupcheck.synth import generate

    out = Path(out)
    data = out / "data"
    t0 = time.perf_counter()
    truth = generate(data, claims=claims, people=people, seed=seed, csv_share=0.5)
    echo(f"synthetic province: {claims} claims, {people} people ({time.perf_counter() - t0:.1f}s) -> {data}")
    t1 = time.perf_counter()
    result = Screener().run(data)
    result.write(out / "screening")
    echo(f"screened in {time.perf_counter() - t1:.1f}s")
    echo(result.summary_text())
    acc = decision_accuracy(result.decisions, truth)
    overall = float((acc["claims"] * acc["accuracy"]).sum()) / max(int(acc["claims"].sum()), 1)
    echo("decision accuracy against the planted truth:")
    for expected, n, a in acc.iter_rows():
        echo(f"  {expected:<10}{n:>8} claims  {a:6.1%}")
    echo(f"  overall {overall:.2%}")
    from html import escape

    from dupcheck.graph import analyze
    from dupcheck.refund import audit

    t2 = time.perf_counter()
    graph = analyze(data, evidence=result.findings)
    graph.write(out / "graph")
    echo(f"graph analysed in {time.perf_counter() - t2:.1f}s")
    echo(graph.summary_text())
    t3 = time.perf_counter()
    refunds = audit(data, graph_alerts=graph.alerts)
    refunds.write(out / "refund")
    echo(f"refund applications audited in {time.perf_counter() - t3:.1f}s")
    echo(refunds.summary_text())
    extra = (
        "<h2>Accuracy against the planted truth</h2><p>"
        + ", ".join(f"{e}: {a:.1%} of {n}" for e, n, a in acc.iter_rows())
        + f"; overall {overall:.2%}.</p>"
        + f"<h2>Graph alerts</h2><pre>{escape(graph.summary_text())}</pre>"
        + f"<h2>Refund audit</h2><pre>{escape(refunds.summary_text())}</pre>"
    )
    report = screening_report(result, out / "report.html", title="dupcheck demo: synthetic province", extra_html=extra)
    echo(f"outputs: {out / 'screening'}, {out / 'graph'}, {out / 'refund'}")
    echo(f"report: {report}")
    return report
