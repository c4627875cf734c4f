"""Regenerate the fixture folders beside this script (run once; the outputs are committed).

``gb18030/``: GB18030 CSVs with Chinese enum labels, padded mixed-case headers and every date layout.
``utf8bom/``: a UTF-8 CSV with a BOM and CRLF line ends.
``broken/``: deliberately broken inputs for ``dupcheck validate``.
All identities are made up.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent


def _write(path: Path, lines: list[str], encoding: str, newline: str = "\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = "utf-8" if encoding == "utf-8-sig" else encoding  # the BOM goes only at the start
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode(plain))


def gb18030() -> None:
    d = HERE / "gb18030"
    _write(d / "claims.csv", [
        " Claim_ID ,ID_Number, NAME ,Benefit_Type,claim_date,Period_Start,period_end,gender,birth_date",
        "G1,110101199003074514,张伟,失业保险金,2021-08-01,20210801,2022/01/31,男,1990年03月07日",
        "G2,110101199105061527, 𠮷祥 ,失业补助金,20210802,2021/8/2,2022年1月31日,女,1991-05-06",
        "G3,110101198807080011,欧阳娜娜,临时/一次性生活补助,2021/08/03,,2021-11-02,M,19880708",
        "G4,110101198807080011,欧阳娜娜,一次性生活补助 ,2021年8月4日,2021-08-04,,f,",
        "G5,110101197001010010,王强,UI_BENEFIT,2021-8-5,2021-08-05 00:00:00,2022-08-04,Male,1970/1/1",
    ], "gb18030")
    _write(d / "stoppages.csv", [
        "record_id,id_number,name,employer_id,stop_date,reason,reason_text",
        "S1,110101199003074514,张伟,91370100MA3C000001,2021-06-30,辞退,单位辞退",
        "S2,110101199105061527,𠮷祥,91370100MA3C000001,20210615,劳动合同期满,",
        "S3,110101198807080011,欧阳娜娜,91370100MA3C000002,2021/7/1,用人单位解除/辞退/除名/开除,",
        "S4,110101197001010010,王强,91370100MA3C000002,2021年7月1日,出国（境）定居,",
        "S5,110101197001010010,王强,91370100MA3C000002,2021-07-02,Resigned,",
    ], "gb18030")
    _write(d / "pensions.csv", [
        "record_id,id_number,name,scheme,start_date,end_date,region_code",
        "P1,110101197001010010,王强,城乡居民基本养老,2021-01-01,,370102",
        "P2,110101198807080011,欧阳娜娜,职工基本养老,2020-01-01,2020-12-31,370102",
    ], "gb18030")
    _write(d / "enterprises.csv", [
        "enterprise_id,name,kind,size_class,legal_rep_id,legal_rep_name,established_date,dishonest",
        "91370100MA3C000001,济南甲劳务派遣有限公司,派遣机构,小型,110101197001010010,王强,2015年3月1日,是",
        "91370100MA3C000002,济南乙公司,企业,Micro,,,2016-04-01,否",
        "12370100MB0000000X,济南某事业单位,机关事业单位,,,,,FALSE",
        "91370100MA3C000003,济南丙公司,enterprise,大型企业,,,,1",
    ], "gb18030")
    _write(d / "refund_applications.csv", [
        "application_id,enterprise_id,year,covered_units,due_prev_year,paid_prev_year,"
        "insured_prev_year_end,layoffs_prev_year,bank_account,requested_amount",
        "R1,91370100MA3C000001,2021,91370100MA3C000002;91370100MA3C000003,"
        "\"1,234.50\",1234.5,30,1,6222000000000001,740.70",
        "R2,91370100MA3C000002,2021.0,,0.10,0.20,5,0,6222000000000002,0.3",
    ], "gb18030")


def utf8bom() -> None:
    d = HERE / "utf8bom"
    _write(d / "claims.csv", [
        "claim_id,id_number,name,benefit_type,claim_date",
        "U1,110101199003074514,张伟,ui_benefit,2021-08-01",
        "U2,110101199105061527,李娜,失业补助金,2021/08/02",
    ], "utf-8-sig", newline="\r\n")


def broken() -> None:
    d = HERE / "broken"
    _write(d / "claims.csv", [
        "claim_id,id_number,name,benefit_type,claim_date,birth_date",
        "B1,110101199003074514,张伟,ui_benefit,2021-08-01,1990-03-07",
        "B2,110101199105061527,李娜,ui_benefit,2021-13-01,",
        "B3,110101198807080011,王芳,ui_subsidy,2021-02-30,1988-02-30",
        "B4,110101197001010010,赵敏,养老金,2021-08-04,",
        "B5,110101197502020021,钱进,ui_benefit,2021-08-05,",
        "B5,110101197503030032,孙力,ui_benefit,2021-08-06,",
        "B7,,周杰,ui_benefit,2021-08-07,",
    ], "utf-8")
    _write(d / "employment.csv", [
        "record_id,id_number,name,employer_id,end_date",
        "E1,110101199003074514,张伟,91370100MA3C000001,2021-06-30",
    ], "utf-8")
    _write(d / "benefits.csv", ["record_id,id_number,name,benefit_type,start_date,end_date"], "utf-8")
    (d / "deaths.csv").write_bytes(b"")
    frame = pl.DataFrame({
        "record_id": [f"P{i}" for i in range(200)],
        "id_number": ["110101197001010010"] * 200,
        "scheme": ["employee"] * 200,
        "start_date": [None] * 200,
    }, schema_overrides={"start_date": pl.Date})
    frame.write_parquet(d / "pensions.parquet")
    whole = (d / "pensions.parquet").read_bytes()
    (d / "pensions.parquet").write_bytes(whole[: len(whole) // 2])
    (d / "readme.txt").write_text("not a table\n", encoding="utf-8")


if __name__ == "__main__":
    gb18030()
    utf8bom()
    broken()
