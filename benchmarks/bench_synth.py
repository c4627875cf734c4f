"""Benchmark of ``dupcheck.synth.generate``: wall time, CPU time and peak RSS at a given size.

Target (issue 3): 100k claims over 2M people (about 10M reference rows) in under 2 minutes on
2 cores and under 8 GB peak. Run once:

    .venv/bin/python benchmarks/bench_synth.py --claims 100000 --people 2000000

Prints the figures and saves them to ``benchmarks/results/synth.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import polars as pl

from dupcheck.synth import generate


def main() -> None:
    """Generate once at the requested size and record the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--people", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--csv-share", type=float, default=0.5)
    ap.add_argument("--out", type=Path, default=None, help="data folder (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the generated folders")
    ap.add_argument("--results", type=Path,
                    default=Path(__file__).resolve().parent / "results" / "synth.json")
    args = ap.parse_args()

    tmp = None
    out = args.out
    if out is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-synth-"))
        out = tmp / "province"
    t0 = time.perf_counter()
    c0 = time.process_time()
    truth = generate(out, claims=args.claims, people=args.people, seed=args.seed,
                     csv_share=args.csv_share)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    manifest = json.loads((truth / "manifest.json").read_text(encoding="utf-8"))
    tables = manifest["tables"]
    ref_rows = sum(v["rows"] for k, v in tables.items()
                   if k not in {"claims", "enterprises", "refund_applications"})
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    truth_rows = pl.read_parquet(truth / "claims_truth.parquet").height
    result = {
        "claims": args.claims,
        "people": args.people,
        "seed": args.seed,
        "csv_share": args.csv_share,
        "claims_written": tables["claims"]["rows"],
        "truth_claims": truth_rows,
        "reference_rows": ref_rows,
        "rows_per_table": {k: v["rows"] for k, v in tables.items()},
        "formats": {k: v.get("encoding", v["format"]) for k, v in tables.items()},
        "data_bytes": sum(sizes.values()),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_rss_mb": round(peak_kb / 1024, 0),
        "cores": os.cpu_count(),
        "load_avg_1m_after": round(os.getloadavg()[0], 1),
        "python": platform.python_version(),
        "polars": pl.__version__,
    }
    print(json.dumps(result, indent=1, ensure_ascii=False))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    if tmp is not None and not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
