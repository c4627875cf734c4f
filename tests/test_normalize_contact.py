"""Contact keys and add_person_keys: known answers, near misses and properties."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import stdnum.luhn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dupcheck.errors import InputError
from dupcheck.normalize import (
    PERSON_KEY_COLUMNS,
    add_person_keys,
    luhn_valid,
    normalize_account,
    normalize_address,
    normalize_phone,
)

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def col(values: Sequence[Any], fn: Callable[[pl.Expr], pl.Expr]) -> list[Any]:
    frame = pl.DataFrame({"x": values}, schema={"x": pl.String})
    return frame.select(fn(pl.col("x"))).to_series().to_list()


def test_phone_spellings_meet() -> None:
    mobile = [
        "13800138000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "(+86)13800138000",
        "0086-13800138000",
        "8613800138000",
        "013800138000",
        "１３８００１３８０００",
    ]
    assert col(mobile, normalize_phone) == ["13800138000"] * len(mobile)
    landline = ["010-88886666", "(010)88886666", "+86 10 8888 6666", "0086 10 88886666"]
    assert col(landline, normalize_phone) == ["01088886666"] * len(landline)


def test_phone_near_misses_and_blanks() -> None:
    got = col(["13800138001", "0531-88886666", "88886666", "--", "", None], normalize_phone)
    assert got == ["13800138001", "053188886666", "88886666", None, None, None]


def test_account_and_address() -> None:
    accounts = [
        "6222 0212 3456 7890 128",
        "6222-0212-3456-7890-128",
        "６２２２０２１２３４５６７８９０１２８",
    ]
    assert col(accounts, normalize_account) == ["6222021234567890128"] * 3
    assert col(["ab-12 c", " - ", None], normalize_account) == ["AB12C", None, None]
    addresses = [
        "山东省济南市历下区泉城路12号3#",
        "山东省 济南市，历下区（泉城路）１２号-3#",
        "山东省济南市历下区泉城路12号3",
    ]
    assert col(addresses, normalize_address) == ["山东省济南市历下区泉城路12号3"] * 3
    near = col(["山东省济南市历下区泉城路12号", "山东省济南市历下区泉城路13号"], normalize_address)
    assert near[0] != near[1]
    assert col(["、、 ", None], normalize_address) == [None, None]


def test_luhn_known_answers() -> None:
    got = col(
        ["79927398713", "79927398710", "4111111111111111", "6222021234567890128", "7", "12A", None],
        luhn_valid,
    )
    assert got == [True, False, True, True, False, False, False]


@FAST
@given(st.lists(st.text("0123456789", min_size=2, max_size=25), min_size=1, max_size=40))
def test_luhn_agrees_with_stdnum(values: list[str]) -> None:
    assert col(values, luhn_valid) == [stdnum.luhn.is_valid(v) for v in values]


contact_text = st.text(
    st.sampled_from([*"0123456789+-() ", "\u3000", "１", "８", "６"]), max_size=20
)


@FAST
@given(st.lists(st.one_of(st.none(), contact_text), min_size=1, max_size=40))
def test_contact_keys_idempotent(values: list[str | None]) -> None:
    for fn in (normalize_account, normalize_address):
        once = col(values, fn)
        assert col(once, fn) == once
    phones = col(values, normalize_phone)
    assert all(p is None or (isinstance(p, str) and p.isdigit() and p.isascii()) for p in phones)


# ---------------------------------------------------------------- add_person_keys


def test_add_person_keys_on_golden_claims(golden_dir: Path) -> None:
    claims = pl.read_csv(golden_dir / "claims.csv", infer_schema=False)
    out = add_person_keys(claims)
    assert out.columns == [*claims.columns, *PERSON_KEY_COLUMNS]
    assert out.schema["id_birth"] == pl.Date and out.schema["id_valid"] == pl.Boolean
    row = {r["claim_id"]: r for r in out.iter_rows(named=True)}
    assert row["C10"]["pid"] == row["C09"]["pid"] == "371581198706070913"
    assert row["C10"]["id_legacy"] is True and row["C09"]["id_legacy"] is False
    assert row["C10"]["name_norm"] == row["C09"]["name_norm"] == "吴敏"
    assert row["C10"]["name_py"] == "wumin"
    assert row["C11"]["id_valid"] is False
    assert row["C01"]["id_birth"] == dt.date(1985, 3, 14) and row["C01"]["id_gender"] == "M"
    assert row["C02"]["id_gender"] == "F"


def test_add_person_keys_lazy_prefix_and_nulls() -> None:
    frame = pl.DataFrame(
        {
            "who": ["11010519491231002x", None, " ", "371581870607091", "abc"],
            "nm": ["王 伟", None, "單雄信", "吳敏", ""],
        }
    )
    eager = add_person_keys(frame, id_col="who", name_col="nm", prefix="r_")
    lazy = add_person_keys(frame.lazy(), id_col="who", name_col="nm", prefix="r_")
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(eager)
    assert eager["r_pid"].to_list() == [
        "11010519491231002X",
        None,
        None,
        "371581198706070913",
        "ABC",
    ]
    assert eager["r_id_legacy"].to_list() == [False, False, False, True, False]
    assert eager["r_id_valid"].to_list() == [True, False, False, True, False]
    assert eager["r_id_gender"].to_list() == ["F", None, None, "M", None]
    assert eager["r_name_norm"].to_list() == ["王伟", None, "单雄信", "吴敏", None]
    assert eager["r_name_py"].to_list() == ["wangwei", None, "shanxiongxin", "wumin", None]
    no_names = add_person_keys(frame, id_col="who", name_col=None)
    assert "name_norm" not in no_names.columns and "pid" in no_names.columns


def test_add_person_keys_missing_column_is_masked_error() -> None:
    with pytest.raises(InputError, match="id_number"):
        add_person_keys(pl.DataFrame({"name": ["王伟"]}))


@FAST
@given(st.integers(0, 2**32))
def test_add_person_keys_row_order_invariant(seed: int) -> None:
    rng = random.Random(seed)
    ids = [
        "11010519491231002X",
        "371581870607091",
        "３７１５８１１９８７０６０７０９１３",
        None,
        "x",
        "440524188001010014",
    ]
    names = ["吴敏", "吳 敏", "曾国藩", None, "阿依•古丽", "单伟"]
    rows = [(rng.choice(ids), rng.choice(names), i) for i in range(12)]
    frame = pl.DataFrame(
        rows, schema={"id_number": pl.String, "name": pl.String, "k": pl.Int64}, orient="row"
    )
    a = add_person_keys(frame).sort("k")
    b = add_person_keys(frame.sample(fraction=1.0, shuffle=True, seed=seed % 1000)).sort("k")
    assert a.equals(b)


def test_add_person_keys_empty_and_streaming() -> None:
    empty = pl.DataFrame(schema={"id_number": pl.String, "name": pl.String})
    out = add_person_keys(empty)
    assert out.height == 0 and out.columns == ["id_number", "name", *PERSON_KEY_COLUMNS]
    frame = pl.DataFrame(
        {
            "id_number": ["371581870607091", "11010519491231002x", None] * 2000,
            "name": ["吳敏", "王 伟", None] * 2000,
        }
    )
    streamed = add_person_keys(frame.lazy()).collect(engine="streaming")
    assert streamed.equals(add_person_keys(frame))
