"""Refund audit from a data folder: layoff-formula extension columns survive the reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from dupcheck.errors import ConfigError
from dupcheck.policy import Policy, RefundPolicy
from dupcheck.refund import audit

HEADER = "application_id,enterprise_id,year,due_prev_year,paid_prev_year,insured_prev_year_end,layoffs_prev_year,bank_account"


def _folder(tmp_path: Path, extra_header: str = "", extra: tuple[str, str] = ("", "")) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    (d / "refund_applications.csv").write_text(
        f"{HEADER}{extra_header}\n"
        f"A1,91370000000000001A,2021,10000.00,10000.00,100,0,ACC1{extra[0]}\n"
        f"A2,91370000000000002A,2021,10000.00,10000.00,100,0,ACC2{extra[1]}\n",
        encoding="utf-8",
    )
    return d


def test_formula_a_reads_its_extension_column_from_csv(tmp_path: Path) -> None:
    # Zhejiang formula A: (insured N-2 - insured N-1) / insured N-2 -> 20% for A1, 0% for A2.
    d = _folder(tmp_path, ",insured_prev2_year_end", (",125", ",100"))
    res = audit(d, policy=Policy(refund=RefundPolicy(layoff_formula="A")))
    rules = {a: list(r) for a, r in res.decisions.select("application_id", "rules").iter_rows()}
    assert "REFUND_LAYOFF_RATE" in rules["A1"]
    assert "REFUND_LAYOFF_RATE" not in rules["A2"]


def test_formula_without_its_column_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="insured_prev2_year_end"):
        audit(_folder(tmp_path), policy=Policy(refund=RefundPolicy(layoff_formula="A")))


def test_policy_overrides_a_refund_severity(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    (d / "refund_applications.csv").write_text(
        f"{HEADER}\nA1,91370000000000001A,2021,10000.00,9000.00,100,0,ACC1\n", encoding="utf-8"
    )
    default = audit(d).decisions.row(0, named=True)
    assert default["decision"] == "reject" and default["rules"] == ["REFUND_ARREARS"]
    lenient = audit(d, policy=Policy.from_dict({"refund": {"severities": {"REFUND_ARREARS": "review"}}}))
    assert lenient.decisions.row(0, named=True)["decision"] == "review"
    with pytest.raises(ConfigError, match="REFUND_TYPO"):
        Policy.from_dict({"refund": {"severities": {"REFUND_TYPO": "review"}}})
