"""Reading data folders: encodings, headers, every date layout, enum aliases, Parquet, coercion."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from dupcheck.errors import ValidationError
from dupcheck.io import Dataset, load, validate
from dupcheck.io.coerce import enum_lookup
from dupcheck.schema import ENUMS, TABLES

DATA = Path(__file__).parent / "data" / "io"
D = dt.date


def _by(frame: pl.DataFrame, key: str) -> dict[str, dict[str, object]]:
    return {row[key]: row for row in frame.iter_rows(named=True)}


def test_golden_mini_loads_without_problems(golden_dir: Path) -> None:
    ds = load(golden_dir)
    assert ds.problems == []
    assert set(ds.bad_rows.values()) == {0}
    claims = ds["claims"]
    assert claims.height == 14
    assert claims.schema["claim_date"] == pl.Date()
    assert claims["_problems"].list.len().sum() == 0
    assert claims["_row"].to_list() == list(range(14))
    # CRLF file (deaths.csv) reads cleanly.
    assert ds["deaths"]["death_date"].to_list() == [D(2021, 5, 1)]


def test_every_table_has_exact_contract_columns_and_dtypes(golden_dir: Path) -> None:
    ds = load(golden_dir)
    for name, frame in ds.tables.items():
        spec = TABLES[name]
        extra = ["_row", "_problems"] if name == "claims" else ["_row"]
        assert frame.columns == [c.name for c in spec.columns] + extra
        for c in spec.columns:
            assert frame.schema[c.name] == c.dtype, (name, c.name)
        assert frame.schema["_row"] == pl.Int64()


def test_gb18030_csv_with_chinese_labels_and_padded_headers() -> None:
    ds = load(DATA / "gb18030")
    assert ds.problems == []
    claims = _by(ds["claims"], "claim_id")
    # header " Claim_ID ", " NAME " etc. matched; a name outside GBK (GB18030 four-byte) survives.
    assert claims["G2"]["name"] == "𠮷祥"
    assert {k: v["benefit_type"] for k, v in claims.items()} == {
        "G1": "ui_benefit", "G2": "ui_subsidy", "G3": "migrant_allowance",
        "G4": "migrant_allowance", "G5": "ui_benefit",
    }
    assert [claims[k]["gender"] for k in ("G1", "G2", "G3", "G4", "G5")] == ["M", "F", "M", "F", "M"]
    reasons = _by(ds["stoppages"], "record_id")
    assert {k: v["reason"] for k, v in reasons.items()} == {
        "S1": "dismissed", "S2": "contract_expired", "S3": "dismissed", "S4": "emigrated",
        "S5": "resigned",
    }
    assert ds["pensions"].sort("_row")["scheme"].to_list() == ["resident", "employee"]
    ent = _by(ds["enterprises"], "enterprise_id")
    assert ent["91370100MA3C000001"]["kind"] == "dispatch_agency"
    assert ent["12370100MB0000000X"]["kind"] == "public_institution"
    assert [e["size_class"] for e in ent.values()] == ["small", "micro", None, "large"]
    assert [e["dishonest"] for e in ent.values()] == [True, False, False, True]


def test_every_date_layout_parses_to_the_same_day() -> None:
    claims = _by(load(DATA / "gb18030")["claims"], "claim_id")
    assert [claims[k]["claim_date"] for k in ("G1", "G2", "G3", "G4", "G5")] == [
        D(2021, 8, d) for d in range(1, 6)
    ]
    assert claims["G1"]["period_start"] == D(2021, 8, 1)  # YYYYMMDD
    assert claims["G1"]["period_end"] == D(2022, 1, 31)  # YYYY/MM/DD
    assert claims["G2"]["period_end"] == D(2022, 1, 31)  # YYYY年M月D日
    assert claims["G1"]["birth_date"] == D(1990, 3, 7)  # YYYY年MM月DD日
    assert claims["G5"]["period_start"] == D(2021, 8, 5)  # with a midnight time
    assert claims["G5"]["birth_date"] == D(1970, 1, 1)  # 1970/1/1
    assert claims["G3"]["period_start"] is None  # empty stays null, no problem


def test_utf8_bom_crlf_csv() -> None:
    ds = load(DATA / "utf8bom")
    assert ds.problems == []
    claims = ds["claims"]
    assert claims["claim_id"].to_list() == ["U1", "U2"]  # BOM not part of the first header
    assert claims["claim_date"].to_list() == [D(2021, 8, 1), D(2021, 8, 2)]
    assert claims["benefit_type"].to_list() == ["ui_benefit", "ui_subsidy"]


def test_money_int_and_list_columns_are_exact() -> None:
    apps = _by(load(DATA / "gb18030")["refund_applications"], "application_id")
    assert apps["R1"]["due_prev_year"] == Decimal("1234.50")  # "1,234.50"
    assert apps["R1"]["covered_units"] == "91370100MA3C000002;91370100MA3C000003"
    assert apps["R2"]["year"] == 2021  # "2021.0" as Excel writes it
    frame = load(DATA / "gb18030")["refund_applications"]
    assert frame.schema["paid_prev_year"] == pl.Decimal(18, 2)
    # 0.10 + 0.20 is exactly 0.30: parsed from text, never through float.
    r2 = frame.filter(pl.col("application_id") == "R2")
    assert (r2["due_prev_year"] + r2["paid_prev_year"]).item() == Decimal("0.30")


def _one_claim(**cells: str) -> pl.DataFrame:
    base = {"claim_id": "X1", "id_number": "110101199003074514", "name": "张伟",
            "benefit_type": "ui_benefit", "claim_date": "2021-08-01"}
    base.update(cells)
    return pl.DataFrame({k: [v] for k, v in base.items()})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-08-01", D(2021, 8, 1)), ("20210801", D(2021, 8, 1)), ("2021/08/01", D(2021, 8, 1)),
        ("2021年08月01日", D(2021, 8, 1)), ("2021/8/1", D(2021, 8, 1)), ("2021年8月1日", D(2021, 8, 1)),
        ("  2020-02-29 ", D(2020, 2, 29)), ("2021-08-01T00:00:00", D(2021, 8, 1)),
    ],
)
def test_date_layouts(raw: str, expected: dt.date) -> None:
    ds = Dataset.from_frames(claims=_one_claim(claim_date=raw))
    assert ds["claims"]["claim_date"].item() == expected
    assert ds["claims"]["_problems"].item().to_list() == []


@pytest.mark.parametrize(
    "raw", ["2021-02-30", "2021-13-01", "2021-02-29", "2021-8", "01/08/2021", "2021-08-01x",
            "+2021-08-01", "202108011", "2021/08-01", "tomorrow"],
)
def test_unparseable_or_impossible_dates_are_null_with_a_problem(raw: str) -> None:
    ds = Dataset.from_frames(claims=_one_claim(claim_date=raw))
    claims = ds["claims"]
    assert claims["claim_date"].item() is None
    assert claims["_problems"].item().to_list() == ["claim_date: unparseable date"]
    (p,) = ds.problems
    assert (p.file, p.row, p.column, p.value, p.message) == (
        "claims", 0, "claim_date", raw.strip(), "unparseable date")
    assert ds.bad_rows["claims"] == 1


@pytest.mark.parametrize(
    ("raw", "code"),
    [("失业保险金", "ui_benefit"), (" UI_Benefit ", "ui_benefit"), ("临时/一次性生活补助", "migrant_allowance"),
     ("临时生活补助", "migrant_allowance"), ("农民合同制工人一次性生活补助", "migrant_allowance"),
     ("失业补助金", "ui_subsidy")],
)
def test_benefit_type_aliases(raw: str, code: str) -> None:
    ds = Dataset.from_frames(claims=_one_claim(benefit_type=raw))
    assert ds["claims"]["benefit_type"].item() == code


def test_unknown_enum_value_is_null_and_reported() -> None:
    ds = Dataset.from_frames(claims=_one_claim(benefit_type="养老金", gender="X"))
    claims = ds["claims"]
    assert claims["benefit_type"].item() is None and claims["gender"].item() is None
    assert claims["_problems"].item().to_list() == [
        "benefit_type: unknown value", "gender: unknown value"]


def test_enum_aliases_do_not_collide() -> None:
    for enum, codes in ENUMS.items():
        lookup = enum_lookup(enum)
        for code, labels in codes.items():
            for label in (code, *labels):  # every alias maps to its own code, none shared
                key = "".join(label.lower().split())
                assert lookup[key] == code, (enum, label)


def test_required_missing_is_reported_and_row_kept() -> None:
    ds = Dataset.from_frames(claims=_one_claim(id_number="   ", name=""))
    claims = ds["claims"]
    assert claims.height == 1
    assert claims["id_number"].item() is None
    assert claims["_problems"].item().to_list() == ["id_number: missing", "name: missing"]
    assert [p.message for p in ds.problems] == ["required value missing"] * 2


def test_bool_values() -> None:
    raw = ["true", "FALSE", "1", "0", "Y", "n", "是", "否", "Yes", "maybe"]
    ent = pl.DataFrame({"enterprise_id": [f"E{i}" for i in range(len(raw))], "dishonest": raw})
    ds = Dataset.from_frames(enterprises=ent)
    assert ds["enterprises"]["dishonest"].to_list() == [
        True, False, True, False, True, False, True, False, True, None]
    assert [(p.row, p.message) for p in ds.problems] == [(9, "not a boolean")]


def test_money_parsing_and_problems() -> None:
    raw = ["12.30", "1.230", "1.234", "abc", "-5", "1,234.5", "12345678901234567", ".5", "1e3"]
    apps = pl.DataFrame({"application_id": [f"A{i}" for i in range(len(raw))],
                         "enterprise_id": ["E"] * len(raw), "year": ["2021"] * len(raw),
                         "requested_amount": raw})
    ds = Dataset.from_frames(refund_applications=apps)
    assert ds["refund_applications"]["requested_amount"].to_list() == [
        Decimal("12.30"), Decimal("1.23"), None, None, Decimal("-5.00"), Decimal("1234.50"), None,
        Decimal("0.50"), None]
    assert [(p.row, p.message) for p in ds.problems] == [
        (2, "more than 2 decimals"), (3, "not a decimal amount"), (6, "amount out of range"),
        (8, "not a decimal amount")]
    assert ds.bad_rows["refund_applications"] == 4


def test_int_values() -> None:
    raw = ["2021", " 2022 ", "2021.0", "2021.5", "二〇二一", None]
    apps = pl.DataFrame({"application_id": [f"A{i}" for i in range(len(raw))],
                         "enterprise_id": ["E"] * len(raw), "year": raw})
    ds = Dataset.from_frames(refund_applications=apps)
    assert ds["refund_applications"]["year"].to_list() == [2021, 2022, 2021, None, None, None]
    assert [(p.row, p.message) for p in ds.problems] == [
        (3, "not an integer"), (4, "not an integer"), (5, "required value missing")]


def test_parquet_typed_columns_and_case_insensitive_names(tmp_path: Path) -> None:
    pl.DataFrame({
        "Claim_ID ": ["P1", "P2"],
        "ID_NUMBER": ["110101199003074514", "110101199105061527"],
        "name": ["张伟", "李娜"],
        "benefit_type": ["失业保险金", "ui_subsidy"],
        "claim_date": [dt.datetime(2021, 8, 1, 9, 30), dt.datetime(2021, 8, 2)],
        "period_end": [D(2022, 1, 31), None],
        "region_code": [370102, 370103],
        "unrelated": [1, 2],
    }).write_parquet(tmp_path / "claims.parquet")
    apps = pl.DataFrame({
        "application_id": ["A1"], "enterprise_id": ["E1"], "year": pl.Series([2021], dtype=pl.Int32),
        "covered_units": [["U1", "U2"]],
        "paid_prev_year": pl.Series([Decimal("100.5")], dtype=pl.Decimal(12, 1)),
        "due_prev_year": pl.Series([Decimal("1.239")], dtype=pl.Decimal(12, 3)),
        "requested_amount": [10.25],
    })
    apps.write_parquet(tmp_path / "refund_applications.parquet")
    ds = load(tmp_path)
    claims = ds["claims"]
    assert claims["claim_date"].to_list() == [D(2021, 8, 1), D(2021, 8, 2)]
    assert claims["region_code"].to_list() == ["370102", "370103"]
    assert claims["benefit_type"].to_list() == ["ui_benefit", "ui_subsidy"]
    assert "unrelated" not in claims.columns
    app = ds["refund_applications"].row(0, named=True)
    assert app["year"] == 2021 and app["covered_units"] == "U1;U2"
    assert app["paid_prev_year"] == Decimal("100.50")
    assert app["due_prev_year"] is None  # 3 decimals that are not zeros
    assert app["requested_amount"] == Decimal("10.25")
    messages = {(p.file, p.column, p.message) for p in ds.problems}
    assert ("claims.parquet", "unrelated", "not a contract column; ignored") in messages
    assert ("refund_applications.parquet", "due_prev_year", "more than 2 decimals") in messages


def test_both_csv_and_parquet_of_one_table_is_fatal(tmp_path: Path, golden_dir: Path) -> None:
    (tmp_path / "claims.csv").write_bytes((golden_dir / "claims.csv").read_bytes())
    load(tmp_path).tables["claims"].write_parquet(tmp_path / "claims.parquet")
    report = validate(tmp_path)
    assert report.fatal
    assert [p.message for p in report.problems if p.fatal] == [
        "table 'claims' is given by more than one file (claims.csv, claims.parquet)"]
    with pytest.raises(ValidationError):
        load(tmp_path)


def test_undecodable_csv_names_the_byte_offset(tmp_path: Path) -> None:
    head = "claim_id,id_number,name,benefit_type,claim_date\nC1,1,张伟,ui_benefit,2021-08-01\n"
    data = head.encode("gb18030") + b"C2,\xff\xff,x,ui_benefit,2021-08-01\n"
    (tmp_path / "claims.csv").write_bytes(data)
    report = validate(tmp_path)
    (p,) = [p for p in report.problems if p.fatal]
    assert p.file == "claims.csv"
    utf8_at = head.encode("gb18030").index("张".encode("gb18030"))
    gb_at = len(head.encode("gb18030")) + 3
    assert p.message == (f"cannot decode: not UTF-8 (invalid byte at offset {utf8_at}) and not "
                         f"GB18030 (invalid byte at offset {gb_at})")


def test_dataset_access_and_load_passthrough(golden_dir: Path) -> None:
    ds = load(golden_dir)
    assert load(ds) is ds
    assert "claims" in ds and "enterprises" not in ds
    assert ds.get("enterprises") is None
    with pytest.raises(KeyError, match="enterprises"):
        ds["enterprises"]
    assert ds.files["claims"].name == "claims.csv"
    assert ds.folder == golden_dir


def test_from_frames_accepts_typed_columns_and_raises_when_unusable() -> None:
    typed = pl.DataFrame({"claim_id": ["T1"], "id_number": ["1"], "name": ["a"],
                          "benefit_type": ["ui_benefit"], "claim_date": [D(2021, 8, 1)]})
    assert Dataset.from_frames(claims=typed)["claims"]["claim_date"].item() == D(2021, 8, 1)
    with pytest.raises(ValidationError, match="required column missing"):
        Dataset.from_frames(claims=typed.drop("claim_date"))
    with pytest.raises(ValidationError, match="required table 'claims'"):
        Dataset.from_frames(require=("claims",), employment=pl.DataFrame(
            {"id_number": ["1"], "start_date": ["2020-01-01"]}))


def test_gb18030_detected_when_the_first_chinese_byte_comes_late(tmp_path: Path) -> None:
    lines = ["claim_id,id_number,name,benefit_type,claim_date"]
    lines += [f"C{i},1,zhang,ui_benefit,2021-08-01" for i in range(5000)]
    lines += ["C9999,1,张伟,失业补助金,2021年8月1日"]
    (tmp_path / "claims.csv").write_bytes("\n".join(lines).encode("gb18030"))
    ds = load(tmp_path)
    last = ds["claims"].filter(pl.col("claim_id") == "C9999").row(0, named=True)
    assert (last["name"], last["benefit_type"], last["claim_date"]) == (
        "张伟", "ui_subsidy", D(2021, 8, 1))
    assert last["_row"] == 5000


def test_utf16_and_tab_separated_exports(tmp_path: Path) -> None:
    text = "claim_id\tid_number\tname\tbenefit_type\tclaim_date\nT1\t1\t李娜\t失业保险金\t2021/8/1\n"
    (tmp_path / "claims.csv").write_bytes(text.encode("utf-16"))
    claims = load(tmp_path)["claims"]
    assert claims.row(0, named=True)["name"] == "李娜"
    assert claims.row(0, named=True)["claim_date"] == D(2021, 8, 1)


def test_header_only_csv_is_a_valid_empty_table(tmp_path: Path) -> None:
    (tmp_path / "claims.csv").write_text("claim_id,id_number,name,benefit_type,claim_date\n")
    ds = load(tmp_path)
    assert ds["claims"].height == 0
    assert ds["claims"].schema["claim_date"] == pl.Date()
    assert ds.problems == []


def test_ragged_csv_is_unusable_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "claims.csv").write_text(
        "claim_id,id_number,name,benefit_type,claim_date\nC1,1,a,ui_benefit,2021-08-01,extra\n")
    report = validate(tmp_path)
    (p,) = report.problems
    assert p.fatal and p.file == "claims.csv" and p.message.startswith("cannot parse CSV")


def test_partitioned_parquet_folder_reads_as_one_table(tmp_path: Path, golden_dir: Path) -> None:
    claims = load(golden_dir)["claims"].drop("_row", "_problems")
    part_dir = tmp_path / "claims.parquet"
    part_dir.mkdir()
    claims.head(10).write_parquet(part_dir / "part-00000.parquet")
    claims.slice(10).write_parquet(part_dir / "part-00001.parquet")
    ds = load(tmp_path)
    assert ds["claims"]["claim_id"].to_list() == claims["claim_id"].to_list()
    assert ds["claims"]["_row"].to_list() == list(range(claims.height))


def test_headerless_csv_is_fatal_without_echoing_personal_data(tmp_path: Path) -> None:
    (tmp_path / "claims.csv").write_text("C1,110101199003074514,张伟,ui_benefit,2021-08-01\n")
    report = validate(tmp_path)
    (p,) = report.problems
    assert p.fatal and "is the header missing?" in p.message
    assert "110101199003074514" not in str(p) and "张伟" not in str(p)


def test_unknown_header_cells_that_look_like_ids_are_masked(tmp_path: Path) -> None:
    (tmp_path / "claims.csv").write_text(
        "claim_id,id_number,name,benefit_type,claim_date,110101199003074514\n")
    (p,) = validate(tmp_path).problems
    assert (p.column, p.message) == ("110101********4514", "not a contract column; ignored")


def test_from_frames_takes_lazy_frames_and_ignores_unknown_tables() -> None:
    lazy = _one_claim().lazy()
    ds = Dataset.from_frames(claims=lazy, Notes=pl.DataFrame({"x": [1]}))
    assert ds["claims"].height == 1
    assert [(p.file, p.message) for p in ds.problems] == [("Notes", "not a contract table; ignored")]


def test_unconvertible_parquet_columns_are_fatal_not_a_crash(tmp_path: Path) -> None:
    pl.DataFrame({
        "claim_id": ["S1"], "id_number": ["1"], "name": ["a"], "benefit_type": ["ui_benefit"],
        "claim_date": [{"y": 2021, "m": 8}],  # a struct where a date belongs
    }).write_parquet(tmp_path / "claims.parquet")
    pl.DataFrame({"enterprise_id": [b"\xff\xfe"]}).write_parquet(tmp_path / "enterprises.parquet")
    report = validate(tmp_path)
    fatal = {(p.file, p.column) for p in report.problems if p.fatal}
    assert ("claims.parquet", "claim_date") in fatal
    assert any(f == "enterprises.parquet" for f, _ in fatal)
