"""Gender written as a GB/T 2261.1 code or as 'unknown' is read without inventing a problem."""

from __future__ import annotations

import polars as pl

from dupcheck.io import Dataset


def test_gender_codes_and_explicit_unknowns() -> None:
    c = pl.DataFrame({
        "claim_id": ["A", "B", "C", "D", "E"], "id_number": ["x"] * 5, "name": ["张三"] * 5,
        "benefit_type": ["ui_benefit"] * 5, "claim_date": ["2021-08-01"] * 5,
        "gender": ["未知", "2", "男", "foo", " 9 "],
    })
    ds = Dataset.from_frames(claims=c)
    got = ds["claims"].select("claim_id", "gender", "_problems").rows()
    assert got == [
        ("A", None, []), ("B", "F", []), ("C", "M", []),
        ("D", None, ["gender: unknown value"]), ("E", None, []),
    ]
    assert [p.row for p in ds.problems] == [3]
