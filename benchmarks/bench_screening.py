"""Screening at scale: dupcheck beside the physical limit and beside Splink, same data, one run.

For a size tier (fixed seed) this generates the synthetic province once (or reuses it from
``benchmarks/data/``), then measures, each in its own fresh process (wall, CPU, peak RSS):

- ``full``: ``Screener().run(folder)`` with its stages (read, normalise, match, rules, decide) and
  claims per second, plus dupcheck's claim-to-record link precision/recall/F1 against the truth;
- ``exact``: the exact-only path, ``Policy(match=MatchPolicy(fuzzy_enabled=False))``;
- ``limit``: a bare polars exact join of ``claims.id_number`` against the ``id_number`` column of
  every reference table, read from the same files: the least work any exact screening must do;
- ``partitioned``: ``dupcheck.partition.screen_partitioned`` (tier L, or ``--partitioned``);
- ``splink``: Splink 5 on DuckDB (optional ``bench`` extra) linking the same claims to the same
  reference rows, EM-trained, with its own precision/recall/F1.

Writes ``benchmarks/results/screening_<tier>.json`` and rewrites the "Screening at scale" table
of ``docs/benchmarks.md`` from every tier's JSON. Usage::

    .venv/bin/python benchmarks/bench_screening.py --tier S            # CI smoke: --tier XS --no-splink
    .venv/bin/python benchmarks/bench_screening.py --tier M
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Meter, machine, replace_section, run_worker, versions

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = 2021
#: tier -> (claims, people); reference rows are about 5 per person.
TIERS: dict[str, tuple[int, int]] = {
    "XS": (1_000, 20_000),
    "S": (10_000, 200_000),
    "M": (100_000, 2_000_000),
    "L": (1_000_000, 20_000_000),
}
PERSON_TABLES = ("employment", "stoppages", "pensions", "benefits", "deaths", "incarcerations",
                 "dispatch")
LINK_KEYS = ["claim_id", "source", "source_key"]
SPLINK_THRESHOLD = 0.5


# --------------------------------------------------------------------------------------- workers

def _truth(data: Path) -> pl.DataFrame:
    return pl.read_parquet(data.parent / f"{data.name}-truth" / "links.parquet")


def _metrics(pred: pl.DataFrame, truth: pl.DataFrame) -> dict[str, Any]:
    from dupcheck.evaluate import link_metrics

    m = link_metrics(pred.select(LINK_KEYS), truth.select(LINK_KEYS), keys=LINK_KEYS)
    return {k: (round(v, 5) if isinstance(v, float) else v) for k, v in m.items()}


def work_generate(data: Path, claims: int, people: int) -> dict[str, Any]:
    """Write the synthetic province (and its truth) for the tier."""
    from dupcheck.synth import generate

    m = Meter()
    with m.section("generate"):
        generate(data, claims=claims, people=people, seed=SEED, csv_share=0.5)
    return m.report()


def work_screen(data: Path, kind: str) -> dict[str, Any]:
    """Full, exact-only or partitioned screening; stages, throughput and link quality."""
    from dupcheck.policy import MatchPolicy, Policy

    exact = kind in ("exact", "partitioned_exact")
    policy = Policy(match=MatchPolicy(fuzzy_enabled=False)) if exact else Policy()
    m = Meter()
    with m.section("total"):
        if kind.startswith("partitioned"):
            from dupcheck.partition import screen_partitioned

            res = screen_partitioned(data, policy)
        else:
            from dupcheck.screening import Screener

            res = Screener(policy).run(data)
    rep = m.report()
    n = res.decisions.height
    rep.update({
        "stages_s": res.timings, "claims": n,
        "claims_per_s": round(n / rep["total"]["wall_s"], 1),
        "decisions": dict(res.decisions.group_by("decision").len().iter_rows()),
        "findings": res.findings.height, "links": res.evidence.height,
        "link_quality": _metrics(res.evidence, _truth(data)),
    })
    return rep


def _read_columns(path: Path, cols: list[str]) -> pl.DataFrame:
    """``cols`` of one data file: Parquet directly; CSV as UTF-8 bytes, else decoded GB18030."""
    if path.suffix == ".parquet":
        return pl.read_parquet(path, columns=cols)
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return pl.read_csv(raw, columns=cols, infer_schema=False)
    except pl.exceptions.ComputeError:  # the same transcoder as dupcheck's reader (iconv)
        from dupcheck.io._transcode import gb18030_to_utf8

        return pl.read_csv(gb18030_to_utf8(raw), columns=cols, infer_schema=False)


def _files(data: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(data.iterdir()) if p.suffix in (".csv", ".parquet")}


def work_limit(data: Path) -> dict[str, Any]:
    """The bare exact join: claims' ``id_number`` = reference ``id_number``, same files, one
    table at a time (so a 92M-row tier fits in memory: only the links are kept)."""
    files = _files(data)
    m = Meter()
    parts, n_rows = [], 0
    with m.section("total"):
        claims = _read_columns(files["claims"], ["claim_id", "id_number"]).drop_nulls("id_number")
        for t in PERSON_TABLES:
            if t not in files:
                continue
            ids = _read_columns(files[t], ["id_number"]).with_row_index("_row")
            n_rows += ids.height
            parts.append(claims.join(ids, on="id_number", how="inner")
                         .with_columns(pl.lit(t).alias("source")))
            del ids
        links = pl.concat(parts)
    rep = m.report()
    rep["links"] = links.height
    rep["reference_rows"] = n_rows
    # untimed: source keys (record_id where the table has one) of the linked rows, for scoring
    keyed = []
    for t in PERSON_TABLES:
        part = links.filter(pl.col("source") == t)
        if t not in files or part.is_empty():
            continue
        head = pl.read_parquet_schema(files[t]) if files[t].suffix == ".parquet" else None
        has_id = ("record_id" in head) if head is not None else (
            "record_id" in files[t].open("rb").readline().decode("utf-8", "replace"))
        rows = part.get_column("_row")
        key = (_read_columns(files[t], ["record_id"]).get_column("record_id").gather(rows)
               if has_id else pl.Series("record_id", [None] * rows.len(), dtype=pl.String))
        keyed.append(part.with_columns(
            pl.coalesce(key, pl.col("_row").cast(pl.String)).alias("source_key")))
    rep["link_quality"] = _metrics(pl.concat(keyed), _truth(data))
    return rep


def _splink_inputs(data: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Claims and reference rows with dupcheck's person keys (normalisation shared, untimed)."""
    from dupcheck.io import load
    from dupcheck.normalize import add_person_keys
    from dupcheck.screening import prepare_reference

    ds = load(data)
    cols = [pl.col("pid"), pl.col("name_norm"), pl.col("name_py")]
    c = add_person_keys(ds.tables["claims"]).select(
        pl.col("claim_id").alias("unique_id"), *cols,
        pl.coalesce("birth_date", "id_birth").dt.strftime("%Y%m%d").alias("birth"))
    parts = []
    for t in PERSON_TABLES:
        if t not in ds.tables:
            continue
        parts.append(prepare_reference(ds.tables[t]).select(
            pl.concat_str(pl.lit(t + "|"), pl.col("source_key")).alias("unique_id"), *cols,
            pl.col("id_birth").dt.strftime("%Y%m%d").alias("birth")))
    return c, pl.concat(parts)


def work_splink(data: Path, max_pairs: float = 1e6) -> dict[str, Any]:
    """Splink 5 (DuckDB): block on id, and on name + birth date; EM-trained; threshold 0.5.

    ``max_pairs`` is Splink's default for u sampling (its cost is fixed: ~20 s here); the id
    levels' u are set, not sampled (peers.md).
    """
    import logging

    import splink
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    claims, refs = _splink_inputs(data)
    persons = max(refs.get_column("pid").n_unique(), 1)
    m = Meter()
    with m.section("total"):
        api = DuckDBAPI()
        left = api.register(claims.to_arrow(), table_name="claims")
        right = api.register(refs.to_arrow(), table_name="records")
        # peers.md: exact id agreement is too rare among random pairs for sampling to see it;
        # the u of the exact and near-exact id levels is set (about 1 / persons) and kept fixed
        id_cmp = cl.CustomComparison(
            output_column_name="id",
            comparison_levels=[
                cll.NullLevel("pid"),
                cll.ExactMatchLevel("pid").configure(u_probability=1 / persons,
                                                     fix_u_probability=True),
                cll.DamerauLevenshteinLevel("pid", 1).configure(u_probability=10 / persons,
                                                                fix_u_probability=True),
                cll.DamerauLevenshteinLevel("pid", 2).configure(u_probability=100 / persons,
                                                                fix_u_probability=True),
                cll.ElseLevel(),
            ])
        name_cmp = cl.CustomComparison(
            output_column_name="name",
            comparison_levels=[
                cll.NullLevel("name_norm"),
                cll.ExactMatchLevel("name_norm", term_frequency_adjustments=True),
                cll.ExactMatchLevel("name_py"),
                cll.JaroWinklerLevel("name_py", 0.9),
                cll.ElseLevel(),
            ])
        settings = SettingsCreator(
            link_type="link_only",
            comparisons=[id_cmp, name_cmp, cl.DamerauLevenshteinAtThresholds("birth", [1])],
            blocking_rules_to_generate_predictions=[block_on("pid"),
                                                    block_on("name_py", "birth")],
            retain_intermediate_calculation_columns=False,
            retain_matching_columns=False,
        )
        linker = Linker([left, right], settings, log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("pid")], recall=0.9)
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=SEED)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("name_py", "birth"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("pid"))
        pred = linker.inference.predict(threshold_match_probability=SPLINK_THRESHOLD)
        out = pl.from_arrow(pred.as_duckdbpyrelation().select(  # type: ignore[union-attr]
            "unique_id_l", "unique_id_r").arrow())
    rep = m.report()
    assert isinstance(out, pl.DataFrame)
    # claims are the first input table: unique_id_l is the claim
    p = out.select(
        pl.col("unique_id_l").alias("claim_id"),
        pl.col("unique_id_r").str.split_exact("|", 1).struct.rename_fields(["source", "source_key"]),
    ).unnest("unique_id_r")
    rep.update({"tool": f"splink {splink.__version__} (DuckDB)", "links": p.height,
                "reference_rows": refs.height, "link_quality": _metrics(p, _truth(data))})
    return rep


# ---------------------------------------------------------------------------------- orchestration

def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def _g(rep: dict[str, Any], *path: str) -> Any:
    cur: Any = rep
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def run_tier(tier: str, data_root: Path, splink: bool, partitioned: bool,
             timeout: float | None) -> dict[str, Any]:
    """Generate (once) and measure every tool on one tier; returns the JSON written."""
    claims, people = TIERS[tier]
    data = data_root / f"{tier}-{SEED}"
    me = Path(__file__).resolve()
    tmp = data_root / f".{tier}-worker.json"
    result: dict[str, Any] = {"tier": tier, "claims": claims, "people": people, "seed": SEED,
                              "machine": machine(),
                              "versions": versions("polars", "dupcheck", "splink", "duckdb")}
    gen = data_root / f"{data.name}-generate.json"  # figures of the run that generated it
    if not (data.parent / f"{data.name}-truth" / "links.parquet").exists():
        print(f"[{tier}] generating {claims} claims / {people} people ...", flush=True)
        rep = run_worker(me, ["--worker", "generate", "--data", str(data), "--tier", tier],
                         tmp, timeout)
        gen.write_text(json.dumps(rep, indent=1), encoding="utf-8")
    if gen.exists():
        result["generate"] = json.loads(gen.read_text(encoding="utf-8"))
    manifest = json.loads((data.parent / f"{data.name}-truth" / "manifest.json")
                          .read_text(encoding="utf-8"))
    rows = {k: v["rows"] for k, v in manifest["tables"].items()}
    result["rows"] = rows
    result["reference_rows"] = sum(rows.get(t, 0) for t in PERSON_TABLES)
    result["data_mb"] = round(sum(p.stat().st_size for p in data.iterdir()) / 1e6, 1)
    # at L the in-memory engine (and Splink) would need several times this machine's memory:
    # the streaming, partitioned engine is the one measured there
    in_memory = tier != "L"
    kinds = ["limit"] + (["exact", "full"] if in_memory else []) + (
        ["partitioned_exact", "partitioned"] if partitioned else []) + (
        ["splink"] if splink and in_memory else [])
    for kind in kinds:
        print(f"[{tier}] measuring {kind} ...", flush=True)
        result[kind] = run_worker(me, ["--worker", kind, "--data", str(data)], tmp, timeout)
    tmp.unlink(missing_ok=True)
    # Splink is handed dupcheck's person keys, so its like-for-like figure is the match stage;
    # normalise + match is the conservative one
    match = _g(result, "full", "stages_s", "match") or _g(result, "partitioned", "stages_s", "match")
    full_link = (_g(result, "full", "stages_s", "normalise") or 0) + (match or 0)
    result["linkage_wall_s"] = {"dupcheck_match": match,
                                "dupcheck_normalise_match": round(full_link, 2) or None,
                                "splink_train_predict": _g(result, "splink", "total", "wall_s")}
    result["ratios_cpu"] = {
        f"{kind}_over_limit_cpu": _ratio(_g(result, kind, "total", "cpu_s"),
                                         _g(result, "limit", "total", "cpu_s"))
        for kind in ("exact", "partitioned_exact", "full", "partitioned")
    }
    result["ratios"] = {
        "partitioned_exact_over_limit_wall": _ratio(
            _g(result, "partitioned_exact", "total", "wall_s"),
            _g(result, "limit", "total", "wall_s")),
        "splink_over_dupcheck_match_wall": _ratio(_g(result, "splink", "total", "wall_s"), match),
        "exact_over_limit_wall": _ratio(_g(result, "exact", "total", "wall_s"),
                                        _g(result, "limit", "total", "wall_s")),
        "full_over_limit_wall": _ratio(_g(result, "full", "total", "wall_s"),
                                       _g(result, "limit", "total", "wall_s")),
        "splink_over_dupcheck_linkage_wall": _ratio(_g(result, "splink", "total", "wall_s"),
                                                    full_link or None),
    }
    result["machine_after"] = machine()
    return result


def _fmt(v: Any, spec: str = ".1f") -> str:
    return "n/a" if v is None else format(v, spec)


def _prf(q: dict[str, Any] | None) -> str:
    q = q or {}
    return "/".join(_fmt(q.get(k), ".4f") for k in ("precision", "recall", "f1"))


def render_table(results_dir: Path) -> str:
    """Markdown of every tier's JSON found in ``results_dir`` (smallest tier first)."""
    reps = []
    for tier in TIERS:
        p = results_dir / f"screening_{tier}.json"
        if p.exists():
            reps.append(json.loads(p.read_text(encoding="utf-8")))
    lines = [
        "Produced by `benchmarks/bench_screening.py`: one run per tier, every tool in its own "
        "process on the same files, so ratios are within one run. Wall and CPU in seconds, "
        "peak RSS in MB. *limit* = bare polars join of `claims.id_number` with every reference "
        "table's `id_number`; *exact* = screening with fuzzy matching off; *part.* = "
        "`dupcheck.partition.screen_partitioned`.", "",
        "| tier | claims / reference rows | full: wall (read/norm/match/rules) | CPU | RSS | "
        "claims/s | exact wall / RSS | part. exact wall / RSS | part. full wall / RSS | "
        "limit wall / RSS | exact / limit | part. exact / limit |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in reps:
        st = _g(r, "full", "stages_s") or {}
        stages = "/".join(_fmt(st.get(k)) for k in ("read", "normalise", "match", "rules"))
        lines.append(
            f"| {r['tier']} | {r['claims']:,} / {r['reference_rows']:,} | "
            f"{_fmt(_g(r, 'full', 'total', 'wall_s'))} ({stages}) | "
            f"{_fmt(_g(r, 'full', 'total', 'cpu_s'))} | {_fmt(_g(r, 'full', 'peak_rss_mb'), '.0f')} | "
            f"{_fmt(_g(r, 'full', 'claims_per_s'), '.0f')} | {_fmt(_g(r, 'exact', 'total', 'wall_s'))} / "
            f"{_fmt(_g(r, 'exact', 'peak_rss_mb'), '.0f')} | "
            f"{_fmt(_g(r, 'partitioned_exact', 'total', 'wall_s'))} / "
            f"{_fmt(_g(r, 'partitioned_exact', 'peak_rss_mb'), '.0f')} | "
            f"{_fmt(_g(r, 'partitioned', 'total', 'wall_s'))} / "
            f"{_fmt(_g(r, 'partitioned', 'peak_rss_mb'), '.0f')} | "
            f"{_fmt(_g(r, 'limit', 'total', 'wall_s'), '.2f')} / "
            f"{_fmt(_g(r, 'limit', 'peak_rss_mb'), '.0f')} | "
            f"{_fmt(_g(r, 'ratios', 'exact_over_limit_wall'), '.1f')}x | "
            f"{_fmt(_g(r, 'ratios', 'partitioned_exact_over_limit_wall'), '.1f')}x |")
    lines += [
        "", "Claim-to-record linkage against the synthetic truth (`OUT-truth/links.parquet`). "
        "Splink gets dupcheck's normalised person keys (id, simplified name, pinyin, birth date) "
        "for free, so its like-for-like dupcheck figure is the match stage; normalise + match "
        "is the conservative one. At L only the streaming engine runs (its linkage figures).", "",
        "| tier | limit P/R/F1 | dupcheck P/R/F1 | dupcheck match / norm+match wall | "
        "Splink P/R/F1 | Splink wall | Splink RSS | Splink / dupcheck match | "
        "Splink / dupcheck norm+match |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in reps:
        lines.append(
            f"| {r['tier']} | {_prf(_g(r, 'limit', 'link_quality'))} | "
            f"{_prf(_g(r, 'full', 'link_quality') or _g(r, 'partitioned', 'link_quality'))} | "
            f"{_fmt(_g(r, 'linkage_wall_s', 'dupcheck_match'))} / "
            f"{_fmt(_g(r, 'linkage_wall_s', 'dupcheck_normalise_match'))} | "
            f"{_prf(_g(r, 'splink', 'link_quality'))} | {_fmt(_g(r, 'splink', 'total', 'wall_s'))} | "
            f"{_fmt(_g(r, 'splink', 'peak_rss_mb'), '.0f')} | "
            f"{_fmt(_g(r, 'ratios', 'splink_over_dupcheck_match_wall'), '.1f')}x | "
            f"{_fmt(_g(r, 'ratios', 'splink_over_dupcheck_linkage_wall'), '.1f')}x |")
    lines.append("")
    for r in reps:
        mc, v = r["machine"], r["versions"]
        gen = r.get("generate") or {}
        lines.append(
            f"- {r['tier']}: {mc['date']}, {mc['cpu']}, {mc['cores']} cores, {mc['mem_gb']} GB; "
            f"load (1 min) {mc['load_avg_1m']} before, {_g(r, 'machine_after', 'load_avg_1m')} "
            f"after; python {v['python']}, polars {v['polars']}, splink {v['splink']}, duckdb "
            f"{v['duckdb']}; data {r['data_mb']} MB"
            + (f"; generation {_fmt(_g(gen, 'generate', 'wall_s'))} s wall, "
               f"{_fmt(_g(gen, 'generate', 'cpu_s'))} s CPU, "
               f"{_fmt(gen.get('peak_rss_mb'), '.0f')} MB" if gen else "")
            + "".join(f"; {k}: {_g(r, k, 'note')}" for k in ("partitioned", "partitioned_exact")
                      if _g(r, k, "note")))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run one tier (or one worker, when called by the orchestrator)."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tier", choices=list(TIERS), default="S")
    ap.add_argument("--no-splink", action="store_true", help="leave the Splink peer out")
    ap.add_argument("--partitioned", action="store_true",
                    help="also measure dupcheck.partition (always on for tier L)")
    ap.add_argument("--data-root", type=Path, default=HERE / "data")
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md",
                    help="page whose 'Screening at scale' table is rewritten ('-' for none)")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per measured process")
    ap.add_argument("--worker", choices=["generate", "limit", "exact", "full", "partitioned",
                                         "partitioned_exact", "splink"], help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        if a.worker == "generate":
            rep = work_generate(a.data, *TIERS[a.tier])
        elif a.worker == "limit":
            rep = work_limit(a.data)
        elif a.worker == "splink":
            rep = work_splink(a.data)
        else:
            rep = work_screen(a.data, a.worker)
        a.out.write_text(json.dumps(rep, indent=1, default=str), encoding="utf-8")
        return
    splink = not a.no_splink
    if splink:
        try:
            import splink as _  # noqa: F401
        except ImportError:
            print("splink is not installed (the optional `bench` extra): peer skipped")
            splink = False
    a.data_root.mkdir(parents=True, exist_ok=True)
    result = run_tier(a.tier, a.data_root, splink, a.partitioned or a.tier == "L", a.timeout)
    a.results.mkdir(parents=True, exist_ok=True)
    out = a.results / f"screening_{a.tier}.json"
    out.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("linkage_wall_s", "ratios")}, indent=1))
    if str(a.docs) != "-":
        replace_section(a.docs, "bench_screening", render_table(a.results),
                        "## Screening at scale (issue 7)")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
