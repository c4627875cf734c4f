"""Writers: Parquet round trip, CSV copies with BOM and joined lists, formula-safe CSV."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl

from dupcheck.io import write_csv_excel_safe, write_frames


def _decisions() -> pl.DataFrame:
    return pl.DataFrame({
        "claim_id": ["C1", "C2"],
        "rules": [["EMPLOYED", "PENSION"], []],
        "amount": pl.Series([Decimal("1.10"), Decimal("-2.00")], dtype=pl.Decimal(18, 2)),
        "day": [dt.date(2021, 8, 1), None],
    })


def test_write_frames_parquet_round_trip_and_csv_copy(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    written = write_frames(out, {"decisions": _decisions()}, csv=True)
    assert [p.name for p in written] == ["decisions.parquet", "decisions.csv"]
    back = pl.read_parquet(out / "decisions.parquet")
    assert back.equals(_decisions())
    raw = (out / "decisions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines == ["claim_id,rules,amount,day", "C1,EMPLOYED;PENSION,1.10,2021-08-01", "C2,,-2.00,"]
    assert sorted(p.name for p in out.iterdir()) == ["decisions.csv", "decisions.parquet"]


def test_write_frames_without_csv_writes_parquet_only(tmp_path: Path) -> None:
    write_frames(tmp_path, {"a": _decisions(), "b": _decisions().head(1)})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet", "b.parquet"]


def test_excel_safe_csv_prefixes_formula_cells(tmp_path: Path) -> None:
    df = pl.DataFrame({
        "name": ["=HYPERLINK(\"x\")", "+1", "-cmd", "@SUM(A1)", "plain", "a=b", None],
        "amount": pl.Series([Decimal("-1.00"), Decimal("2.00"), None, None, None, None, None],
                            dtype=pl.Decimal(18, 2)),
    })
    path = write_csv_excel_safe(df, tmp_path / "sub" / "notice.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pl.read_csv(path, infer_schema=False)
    assert back["name"].to_list() == [
        "'=HYPERLINK(\"x\")", "'+1", "'-cmd", "'@SUM(A1)", "plain", "a=b", None]
    assert back["amount"].to_list() == ["'-1.00", "2.00", None, None, None, None, None]
