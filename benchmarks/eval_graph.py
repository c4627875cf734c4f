"""Per-pattern recall and precision of the graph alerts on a synthetic province.

Generates the province with ``dupcheck.synth.generate`` (or reuses the folder when it exists),
runs ``dupcheck.graph.analyze`` on the data folder, and scores the alerts against
``alerts_truth.parquet`` with :func:`dupcheck.graph.evaluate.score_alerts` (matching rule and
counting are documented there: recall over planted instances; precision@k over the k =
planted-count highest-scoring alerts of the pattern; near-miss hits must be 0). Usage::

    .venv/bin/python benchmarks/eval_graph.py [--claims 100000] [--people 2000000] [--seed 2021] \
        [--out /tmp/dupcheck-eval-graph] [--with-screening]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import polars as pl


def main() -> None:
    """Generate or reuse, analyze, score, print the per-pattern table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--people", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--with-screening", action="store_true",
                    help="screen the claims first and pass the findings as graph evidence, as "
                    "`dupcheck graph --findings` does (ties fuzzily linked dispatch rows)")
    args = ap.parse_args()
    out = args.out or Path(f"/tmp/dupcheck-eval-graph-{args.claims}-{args.people}-{args.seed}")
    from dupcheck.synth.build import generate, truth_path

    truth_dir = truth_path(out)
    if not (truth_dir / "alerts_truth.parquet").exists():
        t = time.perf_counter()
        generate(out, claims=args.claims, people=args.people, seed=args.seed)
        print(f"generated {out} in {time.perf_counter() - t:.0f}s")
    from dupcheck.graph import analyze
    from dupcheck.graph.evaluate import score_alerts

    evidence = None
    if args.with_screening:
        from dupcheck.screening import screen

        t = time.perf_counter()
        evidence = screen(out).findings
        print(f"screened in {time.perf_counter() - t:.1f}s (findings passed as graph evidence)")
    t = time.perf_counter()
    res = analyze(out, evidence=evidence)
    elapsed = time.perf_counter() - t
    truth = pl.read_parquet(truth_dir / "alerts_truth.parquet")
    table = score_alerts(res.alerts, truth)
    print(f"province: {args.claims:,} claims, {args.people:,} people, seed {args.seed}; "
          f"graph {res.graph.n_nodes:,} nodes / {res.graph.n_edges:,} edges; analyze {elapsed:.1f}s")
    print(f"{'pattern':<26}{'planted':>8}{'recall':>8}{'alerts':>8}{'P@k':>7}{'P(all)':>8}{'near-miss':>10}")
    for r in table.iter_rows(named=True):
        def f(x: float | None) -> str:
            return "-" if x is None else f"{x:.3f}"
        print(f"{r['pattern']:<26}{r['planted']:>8}{f(r['recall']):>8}{r['alerts']:>8}"
              f"{f(r['precision_at_k']):>7}{f(r['precision_all']):>8}{r['near_miss_hits']:>10}")


if __name__ == "__main__":
    main()
