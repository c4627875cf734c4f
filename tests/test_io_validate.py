"""``validate`` and ``dupcheck validate`` on broken inputs: every problem named precisely, exit codes,
no traceback, personal values masked, reporting capped while counts stay exact."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from dupcheck.cli import app
from dupcheck.errors import ValidationError
from dupcheck.io import REPORT_CAP, Dataset, load, validate

BROKEN = Path(__file__).parent / "data" / "io" / "broken"
DUPCHECK = Path(sys.executable).with_name("dupcheck")

#: Each broken thing in tests/data/io/broken as (file, row, column, message start, fatal), in the
#: order reported: per file, by row, then by contract column order.
EXPECTED = [
    ("readme.txt", None, None, "not a contract table; ignored", False),
    ("claims.csv", 1, "claim_date", "unparseable date", False),
    ("claims.csv", 2, "claim_date", "unparseable date", False),
    ("claims.csv", 2, "birth_date", "unparseable date", False),
    ("claims.csv", 3, "benefit_type", "unknown value", False),
    ("claims.csv", 4, "claim_id", "duplicated claim_id (also in row(s) 5)", False),
    ("claims.csv", 5, "claim_id", "duplicated claim_id (also in row(s) 4)", False),
    ("claims.csv", 6, "id_number", "required value missing", False),
    ("employment.csv", None, "start_date", "required column missing", True),
    ("pensions.parquet", None, None, "cannot read Parquet (truncated or corrupt)", True),
    ("deaths.csv", None, None, "empty file (0 bytes)", True),
]


def test_validate_reports_each_broken_input_precisely() -> None:
    report = validate(BROKEN)
    got = [(p.file, p.row, p.column, p.message, p.fatal) for p in report.problems]
    assert len(got) == len(EXPECTED)
    for (file, row, col, start, fatal), (g_file, g_row, g_col, g_msg, g_fatal) in zip(
        EXPECTED, got, strict=True
    ):
        assert (g_file, g_row, g_col, g_fatal) == (file, row, col, fatal)
        assert g_msg.startswith(start)
    assert report.fatal
    assert report.rows == {"benefits": 0, "claims": 7}  # header-only benefits.csv: valid, empty
    assert report.bad_rows == {"benefits": 0, "claims": 6}
    assert "UNUSABLE" in report.summary() and "deaths.csv" in report.summary()


def test_load_raises_naming_every_unusable_file() -> None:
    with pytest.raises(ValidationError) as info:
        load(BROKEN)
    assert {p.file for p in info.value.problems if p.fatal} == {
        "employment.csv", "pensions.parquet", "deaths.csv"}


def test_broken_claims_alone_load_with_problems_attached(tmp_path: Path) -> None:
    shutil.copy(BROKEN / "claims.csv", tmp_path / "claims.csv")
    ds = load(tmp_path)
    claims = ds["claims"].sort("_row")
    assert claims.height == 7  # no row dropped
    assert claims["_problems"].to_list() == [
        [],
        ["claim_date: unparseable date"],
        ["claim_date: unparseable date", "birth_date: unparseable date"],
        ["benefit_type: unknown value"],
        ["claim_id: duplicated"],
        ["claim_id: duplicated"],
        ["id_number: missing"],
    ]
    assert ds.bad_rows == {"claims": 6}
    assert not any(p.fatal for p in ds.problems)


def _cli(folder: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["validate", str(folder)])
    return result.exit_code, result.stdout, result.stderr


def test_cli_validate_broken_folder_exits_2_with_one_line_per_problem() -> None:
    code, out, err = _cli(BROKEN)
    assert code == 2
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == len(EXPECTED)
    assert "claims.csv, row 1, column 'claim_date': unparseable date (value '2021-13-01')" in lines
    assert "claims.csv, row 3, column 'benefit_type': unknown value (value '养老金')" in lines
    assert "employment.csv, column 'start_date': required column missing" in lines
    assert "deaths.csv: empty file (0 bytes)" in lines
    # personal values are masked: the impossible birth date is not shown, nor any full id.
    assert "claims.csv, row 2, column 'birth_date': unparseable date (value '****-**-**')" in lines
    assert "1988-02-30" not in err and "110101" not in err
    assert "UNUSABLE" in out


def test_cli_validate_exits_0_when_only_rows_are_bad(tmp_path: Path) -> None:
    shutil.copy(BROKEN / "claims.csv", tmp_path / "claims.csv")
    shutil.copy(BROKEN / "benefits.csv", tmp_path / "benefits.csv")
    code, out, err = _cli(tmp_path)
    assert code == 0
    assert "unparseable date" in err
    assert "OK with" in out


def test_cli_validate_missing_claims_and_missing_folder(tmp_path: Path) -> None:
    shutil.copy(BROKEN / "benefits.csv", tmp_path / "benefits.csv")
    code, _out, err = _cli(tmp_path)
    assert code == 2 and "required table 'claims' is missing" in err
    code, _out, err = _cli(tmp_path / "nope")
    assert code == 2 and "data folder does not exist" in err and "Traceback" not in err


def test_golden_mini_validates_clean(golden_dir: Path) -> None:
    code, out, err = _cli(golden_dir)
    assert (code, err) == (0, "")
    assert "OK: no problems" in out


@pytest.mark.skipif(not DUPCHECK.exists(), reason="console script not installed")
def test_console_script_validate_broken_folder() -> None:
    proc = subprocess.run([str(DUPCHECK), "validate", str(BROKEN)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "pensions.parquet: cannot read Parquet (truncated or corrupt)" in proc.stderr
    assert "claims.csv, row 4, column 'claim_id': duplicated claim_id" in proc.stderr


def test_repeated_problems_are_capped_but_counted_exactly() -> None:
    n = 3 * REPORT_CAP
    claims = pl.DataFrame({
        "claim_id": [f"C{i}" for i in range(n)],
        "id_number": ["110101199003074514"] * n,
        "name": ["张伟"] * n,
        "benefit_type": ["ui_benefit"] * n,
        "claim_date": ["2021-02-30" if i % 3 else "2021-08-01" for i in range(n)],
        "birth_date": ["19900230"] * n,
    })
    ds = Dataset.from_frames(claims=claims)
    n_bad = n - n // 3
    by_col: dict[str | None, list[str]] = {}
    for p in ds.problems:
        by_col.setdefault(p.column, []).append(p.message)
    assert len(by_col["claim_date"]) == REPORT_CAP + 1
    assert by_col["claim_date"][-1] == (
        f"{n_bad - REPORT_CAP} more rows with problems in this column (not listed; {n_bad} in all)")
    assert len(by_col["birth_date"]) == REPORT_CAP + 1
    assert ds.bad_rows["claims"] == n
    assert ds["claims"]["_problems"].list.len().sum() == n_bad + n
    assert all(p.value == "****-**-**" for p in ds.problems if p.column == "birth_date" and p.row is not None)


def test_duplicated_keys_list_every_row_of_the_group() -> None:
    claims = pl.DataFrame({
        "claim_id": ["A", "B", "A", "C", "A", " B"],
        "id_number": ["1"] * 6, "name": ["x"] * 6, "benefit_type": ["ui_benefit"] * 6,
        "claim_date": ["2021-08-01"] * 6,
    })
    ds = Dataset.from_frames(claims=claims)
    assert [(p.row, p.message) for p in ds.problems] == [
        (0, "duplicated claim_id (also in row(s) 2, 4)"),
        (1, "duplicated claim_id (also in row(s) 5)"),
        (2, "duplicated claim_id (also in row(s) 0, 4)"),
        (4, "duplicated claim_id (also in row(s) 0, 2)"),
        (5, "duplicated claim_id (also in row(s) 1)"),
    ]
    assert ds["claims"]["_problems"].list.len().to_list() == [1, 1, 1, 0, 1, 1]


def test_zero_byte_parquet_and_whitespace_csv_are_unusable(tmp_path: Path, golden_dir: Path) -> None:
    shutil.copy(golden_dir / "claims.csv", tmp_path / "claims.csv")
    (tmp_path / "employment.parquet").write_bytes(b"")
    (tmp_path / "deaths.csv").write_bytes(b" \r\n\n")
    report = validate(tmp_path)
    assert [(p.file, p.message) for p in report.problems if p.fatal] == [
        ("employment.parquet", "empty file (0 bytes)"), ("deaths.csv", "empty file (no header)")]
    assert report.rows == {"claims": 14}
