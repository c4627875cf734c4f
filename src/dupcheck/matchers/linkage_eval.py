"""Linkage quality on a synthetic province: exact + fuzzy links against the generator's truth.

Reads a data folder written by `dupcheck.synth.generate` (truth in ``OUT-truth/links.parquet``),
links every claim to the reference rows the way screening does (exact id links, then fuzzy links
at review strength), and reports precision/recall/F1 overall and on the hard cases (links whose
identity was damaged), recall per corruption kind, and an ablation table of what each
name-comparison level adds. Run: ``python -m dupcheck.matchers.linkage_eval [folder]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

import polars as pl

from dupcheck.evaluate import link_metrics, recall_by
from dupcheck.matchers.exact import exact_links
from dupcheck.matchers.fuzzy import NAME_LEVELS, chinese_person_linker, fuzzy_links
from dupcheck.policy import MatchPolicy

__all__ = ["ABLATIONS", "evaluate_province", "link_province", "load_linkage_inputs"]

KEYS = ("claim_id", "source", "source_key")

#: Name-level configurations compared in the ablation table (cumulative, simplest first).
ABLATIONS: dict[str, tuple[str, ...]] = {
    "exact characters only": ("exact",),
    "+ same pinyin (heteronym aware)": ("exact", "pinyin"),
    "+ one-character edit": ("exact", "pinyin", "edit"),
    "+ close pinyin": ("exact", "pinyin", "edit", "close"),
    "+ term frequency (all levels)": NAME_LEVELS,
}



def load_linkage_inputs(folder: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Claims and stacked reference rows with person keys, as screening prepares them."""
    from dupcheck.io import load
    from dupcheck.matchers.evidence import stack_records
    from dupcheck.normalize import add_person_keys
    from dupcheck.screening import prepare_references

    ds = load(folder)
    return add_person_keys(ds.tables["claims"]), stack_records(prepare_references(ds.tables))


def link_province(claims: pl.DataFrame, records: pl.DataFrame,
                  name_levels: Collection[str] = NAME_LEVELS,
                  policy: MatchPolicy | None = None) -> pl.DataFrame:
    """Exact and fuzzy links (review strength and up): ``claim_id, source, source_key, match``."""
    policy = policy or MatchPolicy.model_validate({})
    ex = exact_links(claims, records).select("claim_id", "source", "_row", "match")
    fz = fuzzy_links(claims, records, policy,
                     linker=chinese_person_linker(name_levels=name_levels))
    fz = fz.select("claim_id", "source", "_row", pl.lit("fuzzy").alias("match"))
    both = pl.concat([ex, fz]).unique(subset=["claim_id", "source", "_row"], keep="first",
                                      maintain_order=True)
    return both.join(records.select("source", "_row", "source_key"), on=["source", "_row"],
                     how="left")


def _hard(pred: pl.DataFrame, truth: pl.DataFrame) -> dict[str, Any]:
    """P/R/F1 on hard cases: damaged truth links vs predictions that are those or false."""
    hard = truth.filter(pl.col("corruption") != "none")
    in_truth = pred.join(truth, on=list(KEYS), how="semi")
    pred_hard = pl.concat([
        in_truth.join(hard, on=list(KEYS), how="semi").select(KEYS),
        pred.join(truth, on=list(KEYS), how="anti").select(KEYS),
    ])
    return link_metrics(pred_hard, hard, keys=KEYS)


def evaluate_province(folder: str | Path) -> dict[str, Any]:
    """Overall and hard-case linkage metrics, recall per corruption and the name ablation."""
    folder = Path(folder)
    truth = pl.read_parquet(folder.parent / f"{folder.name}-truth" / "links.parquet")
    t0 = time.perf_counter()
    claims, records = load_linkage_inputs(folder)
    load_s = time.perf_counter() - t0
    out: dict[str, Any] = {"claims": claims.height, "records": records.height,
                           "true_links": truth.height, "load_s": load_s, "ablation": []}
    for label, levels in ABLATIONS.items():
        t1 = time.perf_counter()
        pred = link_province(claims, records, levels)
        wall = time.perf_counter() - t1
        row = {"levels": label, "wall_s": wall,
               **{f"all_{k}": v for k, v in link_metrics(pred, truth, keys=KEYS).items()},
               **{f"hard_{k}": v for k, v in _hard(pred, truth).items()}}
        by = recall_by(pred, truth, by="corruption", keys=KEYS)
        row["recall_by_corruption"] = dict(zip(by["corruption"].to_list(),
                                               by["recall"].to_list(), strict=True))
        out["ablation"].append(row)
    return out


def _print(res: dict[str, Any]) -> None:
    print(f"province: {res['claims']} claims, {res['records']} reference rows, "
          f"{res['true_links']} true links (load {res['load_s']:.1f} s)")
    head = (f"{'name levels':<34} {'P':>7} {'R':>7} {'F1':>7} {'hard P':>7} {'hard R':>7} "
            f"{'hard F1':>7} {'s':>6}")
    print(head)
    print("-" * len(head))
    for r in res["ablation"]:
        print(f"{r['levels']:<34} {r['all_precision']:>7.4f} {r['all_recall']:>7.4f} "
              f"{r['all_f1']:>7.4f} {r['hard_precision']:>7.4f} {r['hard_recall']:>7.4f} "
              f"{r['hard_f1']:>7.4f} {r['wall_s']:>6.2f}")
    full = res["ablation"][-1]["recall_by_corruption"]
    print("recall by corruption (all levels): "
          + ", ".join(f"{k} {v:.3f}" for k, v in sorted(full.items())))


def main(argv: list[str] | None = None) -> None:
    """Generate (if needed) a small province and print the linkage table."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path("/tmp/dupcheck-linkage-province")
    if not (folder.parent / f"{folder.name}-truth" / "links.parquet").exists():
        from dupcheck.synth import generate

        generate(folder, claims=2000, people=20000, seed=1)
    _print(evaluate_province(folder))


if __name__ == "__main__":
    main()
