"""Benchmark identity normalisation: N resident ids and N names (default 10M each).

The columns are built vectorised: ids from random regions (stdnum's GB/T 2260 list), birth dates
and sequences with their check characters computed in numpy, then dirtied (legacy 15-digit form,
lower-case x, spaces, full-width digits, typos, blanks); names drawn from a few thousand distinct
ones (simplified, traditional, spaced, dotted). Prints times and peak RSS and writes
``benchmarks/results/normalize.json``.

    .venv/bin/python benchmarks/bench_normalize.py --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dupcheck.normalize import add_person_keys, name_pinyin, normalize_names, person_id_keys
from dupcheck.normalize.ids import region_codes

RESULTS = Path(__file__).resolve().parent / "results" / "normalize.json"
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK = np.array(list("10X98765432"))


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_ids(n: int, rng: np.random.Generator) -> tuple[pl.Series, pl.Series, pl.Series]:
    """``(raw, truth, kind)``: dirty raw ids, the clean 18-character truth, and the corruption."""
    regions = np.array(sorted(int(c) for c in region_codes() if not c.endswith("0000")))
    region = rng.choice(regions, n)
    days = rng.integers(-25_000, 19_000, n)  # about 1901 .. 2022
    birth = (np.datetime64("1970-01-01") + days.astype("timedelta64[D]")).astype("datetime64[D]")
    ymd = pl.Series(birth).dt.strftime("%Y%m%d").cast(pl.Int64).to_numpy()
    seq = rng.integers(0, 996, n)
    body = region.astype(np.int64) * 10**11 + ymd * 10**3 + seq  # 17 digits
    total = np.zeros(n, dtype=np.int64)
    for i, w in enumerate(WEIGHTS):  # digit i of 17, most significant first
        total += (body // 10 ** (16 - i)) % 10 * w
    check = CHECK[total % 11]
    truth = pl.Series("truth", body).cast(pl.String) + pl.Series(check)
    kind_codes = np.array(["clean", "legacy", "lower_x", "spaces", "fullwidth", "typo", "blank"])
    picked = kind_codes[rng.choice(7, n, p=[0.85, 0.05, 0.02, 0.03, 0.02, 0.025, 0.005])]
    # 15-digit numbers were issued before 1999 only: later births cannot be written that way
    picked[(picked == "legacy") & (ymd >= 20000101)] = "clean"
    kind = pl.Series("kind", picked)
    t = pl.col("truth")
    fullwidth = t.str.replace_many(
        [str(d) for d in range(10)], [chr(0xFF10 + d) for d in range(10)]
    )
    typo_digit = ((t.str.slice(16, 1).cast(pl.Int64) + 1) % 10).cast(pl.String)
    raw = (
        pl.DataFrame([truth, kind])
        .select(
            pl.when(pl.col("kind") == "legacy")
            .then(pl.concat_str([t.str.slice(0, 6), t.str.slice(8, 9)]))
            .when(pl.col("kind") == "lower_x")
            .then(t.str.to_lowercase())
            .when(pl.col("kind") == "spaces")
            .then(
                pl.concat_str(
                    [
                        t.str.slice(0, 6),
                        pl.lit(" "),
                        t.str.slice(6, 8),
                        pl.lit("\u3000"),
                        t.str.slice(14),
                    ]
                )
            )
            .when(pl.col("kind") == "fullwidth")
            .then(fullwidth)
            .when(pl.col("kind") == "typo")
            .then(pl.concat_str([t.str.slice(0, 16), typo_digit, t.str.slice(17)]))
            .when(pl.col("kind") == "blank")
            .then(pl.lit(None, pl.String))
            .otherwise(t)
            .alias("id_number")
        )
        .to_series()
    )
    return raw, truth, kind


def build_names(n: int, rng: np.random.Generator, distinct: int = 3000) -> pl.Series:
    """``n`` names drawn from ``distinct`` base names and their dirty spellings."""
    import opencc
    from faker.providers.person.zh_CN import Provider

    surnames = list(dict(Provider.last_names))
    given = sorted({*Provider.first_names_male, *Provider.first_names_female})
    s = rng.choice(surnames, distinct)
    g = rng.choice(given, distinct)
    base = sorted({a + b for a, b in zip(s, g, strict=True)})
    s2t = opencc.OpenCC("s2t")
    variants = base + [s2t.convert(x) for x in base[::3]] + [x[0] + " " + x[1:] for x in base[::5]]
    variants += [
        "阿依•古丽",
        "阿依・古丽",
        "艾力·买买提",
        "曾国藩",
        "单雄信",
        "ＪＯＨＮ　Ｓｍｉｔｈ",
    ]
    pool = pl.Series("name", variants, dtype=pl.String)
    return pool.gather(rng.integers(0, pool.len(), n)).alias("name")


CPU: dict[str, float] = {}


def timed(fn: Any, label: str | None = None) -> tuple[float, Any]:
    """Wall seconds and result of ``fn()``; the CPU seconds of all threads go to ``CPU[label]``.

    CPU time is recorded because the machine is shared: wall time depends on the neighbours.
    """
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    if label:
        CPU[label] = round(time.process_time() - c0, 3)
    return time.perf_counter() - t0, out


def measure(data: Path, out: Path, build_seconds: dict[str, float]) -> None:
    """Time the normalisation of the prepared columns (fresh process: RSS is normalisation's)."""
    inputs = pl.read_parquet(data, columns=["id_number", "name"])
    raw, names = inputs.get_column("id_number"), inputs.get_column("name")
    rows = inputs.height
    rss_inputs = peak_rss_mib()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    ids = pl.DataFrame([raw])
    t_ids, keys = timed(
        lambda: ids.select(person_id_keys(pl.col("id_number")).alias("k")).unnest("k"),
        "ids_person_keys",
    )
    rss_ids = peak_rss_mib()
    print(
        f"ids: pid/legacy/valid/birth/gender for {rows:,} rows in {t_ids:.2f}s"
        f" (CPU {CPU['ids_person_keys']:.2f}s)"
    )

    t_norm, norm = timed(lambda: normalize_names(names), "names_normalize")
    t_py, _py = timed(lambda: name_pinyin(norm, normalized=True), "names_pinyin")
    print(f"names: normal form {t_norm:.2f}s, pinyin {t_py:.2f}s ({names.n_unique():,} distinct)")

    frame = pl.DataFrame([raw, names])
    t_all, _ = timed(lambda: add_person_keys(frame), "add_person_keys_total")
    print(f"add_person_keys (ids + names) {t_all:.2f}s (CPU {CPU['add_person_keys_total']:.2f}s)")

    peak = peak_rss_mib()  # before the answer key is read
    truth = pl.read_parquet(data, columns=["truth", "kind"])
    check = pl.DataFrame([truth["truth"], truth["kind"], keys["pid"], keys["id_valid"]])
    recovered = (
        check.filter(~pl.col("kind").is_in(["typo", "blank"]))
        .select((pl.col("pid") == pl.col("truth")).mean())
        .item()
    )
    typo_invalid = (
        check.filter(pl.col("kind") == "typo").select((~pl.col("id_valid")).mean()).item()
    )
    print(f"recovered {recovered:.4%} of fixable ids; {typo_invalid:.2%} of typos flagged invalid")
    print(
        f"peak RSS {peak:,.0f} MiB (inputs read: {rss_inputs:,.0f} MiB, after ids: {rss_ids:,.0f})"
    )

    result = {
        "rows": rows,
        "cpus": os.cpu_count(),
        "polars_threads": pl.thread_pool_size(),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "seconds": {
            "ids_person_keys": round(t_ids, 3),
            "names_normalize": round(t_norm, 3),
            "names_pinyin": round(t_py, 3),
            "add_person_keys_total": round(t_all, 3),
            **build_seconds,
        },
        "cpu_seconds": CPU,
        "load_average_at_end": os.getloadavg(),
        "distinct_names": names.n_unique(),
        "recovered_fixable_ids": recovered,
        "typos_flagged_invalid": typo_invalid,
        "peak_rss_mib": round(peak, 1),
        "rss_after_inputs_mib": round(rss_inputs, 1),
        "rss_after_ids_mib": round(rss_ids, 1),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def build(data: Path, rows: int, seed: int) -> None:
    """Build the input columns and write them (with the answer key) to ``data``."""
    rng = np.random.default_rng(seed)
    t_build_ids, (raw, truth, kind) = timed(lambda: build_ids(rows, rng))
    t_build_names, names = timed(lambda: build_names(rows, rng))
    print(f"built {rows:,} ids in {t_build_ids:.1f}s and names in {t_build_names:.1f}s")
    pl.DataFrame([raw, names, truth, kind]).write_parquet(data)
    seconds = {"build_ids": round(t_build_ids, 3), "build_names": round(t_build_names, 3)}
    data.with_suffix(".json").write_text(json.dumps(seconds), encoding="utf-8")


def main() -> None:
    """Build the columns in one process, time their normalisation in another; save the figures.

    Separate processes because Linux carries the peak RSS of a parent into a forked child: the
    measuring process must not inherit the memory spent building the inputs.
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--stage", choices=["build", "measure"], help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stage == "build":
        build(args.data, args.rows, args.seed)
        return
    if args.stage == "measure":
        built = json.loads(args.data.with_suffix(".json").read_text(encoding="utf-8"))
        measure(args.data, args.out, built)
        return

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "inputs.parquet"
        base = [sys.executable, __file__, "--data", str(data), "--out", str(args.out)]
        sizes = ["--rows", str(args.rows), "--seed", str(args.seed)]
        subprocess.run([*base, *sizes, "--stage", "build"], check=True)
        subprocess.run([*base, "--stage", "measure"], check=True)


if __name__ == "__main__":
    main()
