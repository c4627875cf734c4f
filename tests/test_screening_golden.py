"""The hand-made golden example must be reproduced exactly: decision and rule set per claim."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from dupcheck.cli import app
from dupcheck.screening import screen


def _expected(path: Path) -> dict[str, tuple[str, list[str]]]:
    df = pl.read_csv(path, infer_schema=False)
    return {
        cid: (dec, sorted(r.split(";")) if r else [])
        for cid, dec, r in df.select("claim_id", "decision", "rules").iter_rows()
    }


def test_golden_mini_decisions_match_expected(golden_dir: Path, golden_expected: Path) -> None:
    result = screen(golden_dir)
    got = {cid: (dec, list(rules)) for cid, dec, rules in result.decisions.select("claim_id", "decision", "rules").iter_rows()}
    assert got == _expected(golden_expected)


def test_golden_mini_command_line_writes_contract_outputs(golden_dir: Path, golden_expected: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["screen", str(golden_dir), "--out", str(out), "--csv"])
    assert res.exit_code == 0, res.output
    d = pl.read_parquet(out / "decisions.parquet")
    assert d.columns == ["claim_id", "decision", "rules", "risk_score"]
    got = {cid: (dec, list(rules)) for cid, dec, rules, _ in d.iter_rows()}
    assert got == _expected(golden_expected)
    f = pl.read_parquet(out / "findings.parquet")
    assert f.columns == [
        "claim_id", "rule", "severity", "source", "source_key", "match", "score",
        "overlap_start", "overlap_end", "detail",
    ]
    # Evidence is specific: C10's duplicate cites C09; R003 (legacy id) links C13's pension.
    dup = f.filter((pl.col("claim_id") == "C10") & (pl.col("rule") == "DUPLICATE_CLAIM"))
    assert dup["source_key"].to_list() == ["C09"] and dup["severity"].to_list() == ["reject"]
    pen = f.filter((pl.col("claim_id") == "C13") & (pl.col("rule") == "PENSION")).row(0, named=True)
    assert (pen["source"], pen["source_key"], pen["match"]) == ("pensions", "R003", "legacy_id")
    assert (out / "decisions.csv").exists()


def test_golden_explain_mentions_every_finding(golden_dir: Path) -> None:
    result = screen(golden_dir)
    text = result.explain("C06")
    assert "PENSION" in text and "RETIREMENT_AGE" in text and "REJECT" in text
    assert "371524196105030610" not in text  # ids are masked in explanations
    assert "No finding" in result.explain("C01")


def test_explain_shows_fuzzy_waterfall_and_rejected_namesake(golden_dir: Path) -> None:
    result = screen(golden_dir)
    c11 = result.explain("C11")
    assert "linked to employment E011 (fuzzy" in c11 and "id one digit" in c11
    namesake = result.explain_link("C01", "employment", "E014")
    assert namesake.startswith("not linked") and "another valid id" in namesake
    assert "exact link" in result.explain_link("C13", "pensions", "R003")
