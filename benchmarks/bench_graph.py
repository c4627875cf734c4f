"""Scale benchmark of the graph stage: >= 10M evidence edges, build + all nine detectors.

Step 1 writes a contract data folder of the requested size with numpy (fixed seed; valid ids;
a few shared phones/accounts and dispatch overlaps so every detector has work). Step 2 runs, in a
fresh process limited to 2 polars threads, ``dupcheck.io.load`` and ``dupcheck.graph.analyze``
and reports wall and CPU times, the machine's load average, and the peak RSS of that process. Usage::

    .venv/bin/python benchmarks/bench_graph.py [--persons 2000000] [--employment 5000000] \
        [--dispatch 1500000] [--claims 500000] [--out /tmp/dupcheck-bench-graph]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

_W = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_REGIONS = np.array(["370102", "370103", "370112", "370202", "370203", "371502", "370602", "370702"])
_NAMES = np.array([s + g for s in "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗" for g in ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇"]])


def _ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` valid 18-character resident ids (MOD 11-2), vectorised."""
    birth = (np.datetime64("1965-01-01") + rng.integers(0, 14000, n)).astype("datetime64[D]")
    bstr = np.char.replace(np.datetime_as_string(birth), "-", "")
    body = np.char.add(np.char.add(_REGIONS[rng.integers(0, len(_REGIONS), n)], bstr),
                       np.char.zfill(rng.integers(0, 1000, n).astype(str), 3))
    digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(n, 17) - 48
    check = np.array(list("10X98765432"))[(digits @ _W) % 11]
    return np.char.add(body, check)


def _uscc(n: int, prefix: str) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(n).astype(str), 9))


def _dates(rng: np.random.Generator, lo: str, days: int, n: int) -> np.ndarray:
    return np.datetime64(lo) + rng.integers(0, days, n).astype("timedelta64[D]")


def make_data(out: Path, persons: int, employment: int, dispatch: int, claims: int, seed: int = 7) -> None:
    """Write the benchmark data folder (Parquet) with numpy-generated contract tables."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    pid = _ids(rng, persons)
    names = _NAMES[rng.integers(0, len(_NAMES), persons)]
    n_units, n_ag = max(1000, persons // 10), max(50, persons // 1000)
    units = _uscc(n_units, "91370100")
    ags = _uscc(n_ag, "91370200")
    p = rng.integers(0, persons, employment)
    st = _dates(rng, "2010-01-01", 4000, employment)
    end = st + rng.integers(30, 2000, employment).astype("timedelta64[D]")
    pl.DataFrame({"record_id": np.char.add("E", np.arange(employment).astype(str)), "id_number": pid[p],
                  "name": names[p], "employer_id": units[rng.integers(0, n_units, employment)],
                  "start_date": st, "end_date": end}).write_parquet(out / "employment.parquet")
    p = rng.integers(0, persons, dispatch)
    st = _dates(rng, "2015-01-01", 3000, dispatch)
    end = st + rng.integers(30, 900, dispatch).astype("timedelta64[D]")
    pl.DataFrame({"record_id": np.char.add("H", np.arange(dispatch).astype(str)),
                  "agency_id": ags[rng.integers(0, n_ag, dispatch)], "employer_id": units[rng.integers(0, n_units, dispatch)],
                  "id_number": pid[p], "name": names[p], "start_date": st, "end_date": end}).write_parquet(
        out / "dispatch.parquet")
    p = rng.integers(0, persons, claims)
    phone = (13 * 10**9 + rng.integers(0, 10**9, claims)).astype(str)
    grp = rng.random(claims) < 0.02  # 2% of claims share a phone in small groups
    phone[grp] = (15 * 10**9 + rng.integers(0, claims // 200 + 1, grp.sum())).astype(str)
    acct = (6222 * 10**12 + rng.integers(0, 10**12, claims)).astype(str)
    pl.DataFrame({"claim_id": np.char.add("C", np.arange(claims).astype(str)), "id_number": pid[p],
                  "name": names[p], "benefit_type": rng.choice(["ui_benefit", "ui_subsidy", "migrant_allowance"], claims),
                  "claim_date": _dates(rng, "2021-01-01", 365, claims), "phone": phone, "bank_account": acct,
                  "last_employer_id": units[rng.integers(0, n_units, claims)],
                  "agency_id": ags[rng.integers(0, n_ag, claims)]}
                 ).with_columns(agency_id=pl.when(pl.Series(rng.random(claims) < 0.3)).then(pl.col("agency_id"))
                                ).write_parquet(out / "claims.parquet")
    ent = np.concatenate([units, ags])
    n = len(ent)
    reps = pid[rng.integers(0, persons, n)]
    pl.DataFrame({"enterprise_id": ent, "name": np.char.add("企业", np.arange(n).astype(str)),
                  "kind": np.where(np.arange(n) < n_units, "enterprise", "dispatch_agency"),
                  "size_class": rng.choice(["large", "medium", "small", "micro"], n),
                  "legal_rep_id": reps, "legal_rep_name": names[rng.integers(0, persons, n)],
                  "phone": (531 * 10**8 + rng.integers(0, 10**8, n)).astype(str),
                  "address": np.char.add("济南市经十路", rng.integers(0, n // 3, n).astype(str)),
                  "bank_account": (31 * 10**14 + rng.integers(0, 10**14, n)).astype(str)}
                 ).write_parquet(out / "enterprises.parquet")
    a = rng.choice(n, size=n // 4, replace=False)
    pl.DataFrame({"application_id": np.char.add("R", np.arange(len(a)).astype(str)), "enterprise_id": ent[a],
                  "year": rng.integers(2021, 2024, len(a)), "insured_prev_year_end": rng.integers(5, 400, len(a))}
                 ).write_parquet(out / "refund_applications.parquet")


def measure(data: Path) -> dict[str, object]:
    """Load and analyze ``data`` in this process; wall times and peak RSS."""
    from dupcheck.graph import analyze
    from dupcheck.io import load

    c0 = time.process_time()
    t0 = time.perf_counter()
    ds = load(data)
    t_load = time.perf_counter() - t0
    t1 = time.perf_counter()
    c1 = time.process_time()
    res = analyze(ds)
    t_an = time.perf_counter() - t1
    c_an = time.process_time() - c1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return {"nodes": res.graph.n_nodes, "edges": res.graph.n_edges, "alerts": res.alerts.height,
            "load_s": round(t_load, 1), "analyze_s": round(t_an, 1), "analyze_cpu_s": round(c_an, 1),
            "load_cpu_s": round(c1 - c0, 1), "load_avg_1min": round(os.getloadavg()[0], 1),
            "timings": {k: round(v, 2) for k, v in res.timings.items()}, "peak_rss_gb": round(rss, 2),
            "alerts_per_pattern": dict(res.alerts.group_by("pattern").len().sort("pattern").iter_rows())}


def main() -> None:
    """Make (or reuse) the data folder, then measure in a fresh process."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=2_000_000)
    ap.add_argument("--employment", type=int, default=5_000_000)
    ap.add_argument("--dispatch", type=int, default=1_500_000)
    ap.add_argument("--claims", type=int, default=500_000)
    ap.add_argument("--out", type=Path, default=Path("/tmp/dupcheck-bench-graph"))
    ap.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure_only:
        print(json.dumps(measure(args.out)))
        return
    if not (args.out / "claims.parquet").exists():
        t = time.perf_counter()
        make_data(args.out, args.persons, args.employment, args.dispatch, args.claims)
        print(f"data written in {time.perf_counter() - t:.1f}s: {args.out}")
    env = dict(os.environ, POLARS_MAX_THREADS="2")
    r = subprocess.run([sys.executable, __file__, "--measure-only", "--out", str(args.out)],
                       capture_output=True, text=True, check=True, env=env)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    print(json.dumps(res, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
