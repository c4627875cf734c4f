"""`dupcheck demo` runs end to end on a small province and writes every output and the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dupcheck.cli import app


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    res = CliRunner().invoke(app, ["demo", "--out", str(out), "--claims", "800", "--people", "8000", "--seed", "5"])
    assert res.exit_code == 0, res.output
    assert "decision accuracy against the planted truth" in res.output
    for f in ("screening/decisions.parquet", "screening/findings.parquet", "graph/alerts.parquet",
              "refund/refund_decisions.parquet", "refund/notice.csv", "report.html"):
        assert (out / f).exists(), f
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Graph alerts" in html and "********" in html  # ids masked in the report
