"""Screening accuracy on a synthetic province: per-rule precision/recall (easy/hard), decisions.

Usage: python benchmarks/eval_screening.py [--claims N] [--people M] [--seed S] [--data DIR]
Generates the province (or reuses ``--data`` with its ``-truth`` folder), screens it, prints the
per-rule table and the decision accuracy, and saves JSON under ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import polars as pl

from dupcheck.evaluate import decision_accuracy, rule_table
from dupcheck.screening import Screener
from dupcheck.synth import generate

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--people", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--data", type=Path, default=None, help="reuse this data folder")
    ap.add_argument("--out", type=Path, default=RESULTS / "screening_eval.json")
    a = ap.parse_args()
    data = a.data or Path(f"benchmarks/data/province-{a.claims}-{a.people}-{a.seed}")
    truth = Path(str(data) + "-truth")
    if not (data / "claims.parquet").exists() and not (data / "claims.csv").exists():
        t0 = time.perf_counter()
        generate(data, claims=a.claims, people=a.people, seed=a.seed)
        print(f"generated {data} in {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    res = Screener().run(data)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    ct = pl.read_parquet(truth / "claims_truth.parquet")
    table = rule_table(res.decisions, ct)
    acc, confusion = decision_accuracy(res.decisions, ct)
    with pl.Config(tbl_rows=40, tbl_cols=20, float_precision=4, tbl_width_chars=200):
        print(table)
        print(confusion)
    print(f"claims {res.decisions.height}, decision accuracy {acc:.4f}")
    print(f"screening wall {wall:.1f}s, cpu {cpu:.1f}s, peak RSS {peak_gb:.2f} GB, stages {res.timings}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({
        "data": str(data), "claims": res.decisions.height, "seed": a.seed,
        "decision_accuracy": acc, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "peak_rss_gb": round(peak_gb, 2), "stages": res.timings,
        "rules": table.to_dicts(),
    }, indent=2, default=str))


if __name__ == "__main__":
    main()
