"""Policy: documented defaults, TOML overrides, and clear errors for bad configuration."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dupcheck.cli import app
from dupcheck.errors import ConfigError
from dupcheck.policy import Policy

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "policy-example.toml"


def test_every_field_is_documented() -> None:
    def walk(model: type) -> list[str]:
        missing = []
        for name, f in model.model_fields.items():  # type: ignore[attr-defined]
            ann = f.annotation
            if isinstance(ann, type) and hasattr(ann, "model_fields"):
                missing += walk(ann)
            elif not f.description and model.__name__ not in {"RetirementSchedule", "Policy"}:
                missing.append(f"{model.__name__}.{name}")
        return missing

    assert walk(Policy) == []


def test_example_toml_overrides_only_what_it_names() -> None:
    p = Policy.from_toml(EXAMPLE)
    assert p.match.reject_threshold == 0.95
    assert p.match.review_threshold == Policy().match.review_threshold
    assert p.screening.retirement_women.first_birth_month == date(1970, 1, 1)
    assert p.screening.severities["RETIREMENT_AGE"] == "info"
    assert p.screening.severities["EMPLOYED"] == "reject"


def test_unknown_keys_and_bad_values_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text("[match]\nreject_treshold = 0.9\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="reject_treshold"):
        Policy.from_toml(bad)
    bad.write_text('[screening.qualifying_reasons]\nui_benefit = ["fired"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="fired"):
        Policy.from_toml(bad)


def test_severity_override_changes_the_decision(golden_dir: Path, tmp_path: Path) -> None:
    from dupcheck.screening import Screener

    res = Screener(Policy.from_toml(EXAMPLE)).run(golden_dir)
    c15 = res.decisions.filter(res.decisions["claim_id"] == "C15").row(0, named=True)
    assert c15["decision"] == "review"  # ID_CONFLICT unchanged
    c06 = res.decisions.filter(res.decisions["claim_id"] == "C06").row(0, named=True)
    assert c06["decision"] == "reject" and "RETIREMENT_AGE" in c06["rules"]


def test_cli_reports_bad_policy_with_exit_2(golden_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text("[match\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["screen", str(golden_dir), "--out", str(tmp_path / "o"), "--policy", str(bad)])
    assert res.exit_code == 2
    assert "not valid TOML" in res.output and "Traceback" not in res.output
