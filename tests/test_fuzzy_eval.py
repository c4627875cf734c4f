"""Synthetic-province linkage evaluation helpers on a small hand-made world with known truth."""

from __future__ import annotations

import polars as pl

from dupcheck.matchers.linkage_eval import ABLATIONS, _hard, link_province
from test_fuzzy import claims_frame, make_id, records_frame


def world() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    a, b = make_id("371502", "19880930", "042"), make_id("371502", "19700101", "311")
    claims = claims_frame([{"claim_id": "A", "id_number": a, "name": "刘洋"},
                           {"claim_id": "B", "id_number": b, "name": "曾小明"}])
    recs = records_frame([
        {"id_number": a, "name": "刘洋"},                          # clean
        {"id_number": a[:16] + a[17] + a[16], "name": "刘洋"},     # transposed check digit
        {"id_number": b[:-1] + ("1" if b[-1] != "1" else "2"), "name": "层小明"},  # typo+homophone
        {"id_number": make_id("371502", "19700101", "313"), "name": "曾小明"},  # namesake
    ]).with_columns(pl.format("E{}", pl.col("_row")).alias("source_key"))
    truth = pl.DataFrame({
        "claim_id": ["A", "A", "B"], "source": ["employment"] * 3,
        "source_key": ["E0", "E1", "E2"], "corruption": ["none", "id_transposed", "homophone"]})
    return claims, recs, truth


def test_link_province_finds_exact_and_hard_links_but_not_the_namesake() -> None:
    claims, recs, truth = world()
    pred = link_province(claims, recs)
    got = {(r["claim_id"], r["source_key"], r["match"]) for r in pred.iter_rows(named=True)}
    assert got == {("A", "E0", "id"), ("A", "E1", "fuzzy"), ("B", "E2", "fuzzy")}
    m = _hard(pred, truth)
    assert (m["tp"], m["fp"], m["fn"]) == (2, 0, 0)


def test_ablation_without_pinyin_misses_the_homophone_with_a_typo() -> None:
    claims, recs, truth = world()
    exact_only = link_province(claims, recs, ABLATIONS["exact characters only"])
    keys = set(zip(exact_only["claim_id"], exact_only["source_key"], strict=True))
    assert ("B", "E2") not in keys
    m = _hard(exact_only, truth)
    assert m["fn"] == 1 and m["fp"] == 0
