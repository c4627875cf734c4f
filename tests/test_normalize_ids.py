"""Resident ids and USCCs: known answers, near misses and properties against references."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import stdnum.cn.ric as ric
import stdnum.cn.uscc as stdnum_uscc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dupcheck.normalize import (
    canonical_id,
    clean_id,
    clean_uscc,
    id_birth_date,
    id_check_char,
    id_gender,
    id_is_valid,
    is_legacy_raw,
    legacy_form,
    region_codes,
    uscc_check_char,
    uscc_is_valid,
)
from dupcheck.normalize.ids import USCC_ALPHABET

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REGIONS = sorted(region_codes())
TODAY = dt.date.today()


def col(values: Sequence[Any], fn: Callable[[pl.Expr], pl.Expr]) -> list[Any]:
    """Apply an expression builder to a one-column frame and return the values."""
    frame = pl.DataFrame({"x": values}, schema={"x": pl.String})
    return frame.select(fn(pl.col("x"))).to_series().to_list()


def make_id(region: str, birth: dt.date, seq: int) -> str:
    """A correct 18-character id built with stdnum's check digit (the reference)."""
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def ric_reference(body17: str) -> str:
    """MOD 11-2 check character with the explicit weights of domain.md §8.1."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body17, weights, strict=True))
    return "10X98765432"[total % 11]


def uscc_reference(body17: str) -> str:
    """GB 32100 check character computed by hand, independent of the code under test."""
    weights = [pow(3, i, 31) for i in range(17)]
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(body17, weights, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


valid_ids = st.builds(
    make_id,
    st.sampled_from(REGIONS),
    st.dates(dt.date(1880, 1, 1), TODAY),
    st.integers(0, 999),
)


# ---------------------------------------------------------------- known answers


def test_known_valid_ids() -> None:
    ids = ["11010519491231002X", "440524188001010014", "11010519491231002x"]
    canon = col(ids, canonical_id)
    assert canon == ["11010519491231002X", "440524188001010014", "11010519491231002X"]
    assert col(canon, id_is_valid) == [True, True, True]
    assert col(canon, id_birth_date) == [
        dt.date(1949, 12, 31),
        dt.date(1880, 1, 1),
        dt.date(1949, 12, 31),
    ]
    assert col(canon, id_gender) == ["F", "M", "F"]


def test_golden_example_ids(golden_dir: Path) -> None:
    claims = pl.read_csv(golden_dir / "claims.csv", infer_schema=False)
    pensions = pl.read_csv(golden_dir / "pensions.csv", infer_schema=False)
    canon = claims.select("claim_id", c=canonical_id(pl.col("id_number")))
    got = dict(zip(canon["claim_id"], canon["c"], strict=True))
    assert got["C10"] == "371581198706070913" == got["C09"]
    valid = dict(zip(canon["claim_id"], col(canon["c"].to_list(), id_is_valid), strict=True))
    assert valid["C11"] is False
    assert all(v for k, v in valid.items() if k != "C11")
    r003 = pensions.filter(pl.col("record_id") == "R003")["id_number"].to_list()
    assert r003 == ["371521560109033"]
    assert col(r003, canonical_id) == ["371521195601090336"]
    assert col(r003, is_legacy_raw) == [True]


def test_legacy_centenarian_sequence_gets_19th_century() -> None:
    assert col(["110105800101997"], canonical_id) == [make_id("110105", dt.date(1880, 1, 1), 997)]
    assert col(["110105800101995"], canonical_id) == [make_id("110105", dt.date(1980, 1, 1), 995)]


def test_cleaning_corruptions() -> None:
    raw = [
        " 1101 0519 4912 3100 2x ",
        "110105\u300019491231002X",
        "１１０１０５１９４９１２３１００２Ｘ",
        "\t11010519491231002ｘ\n",
        "",
        "\u3000 ",
        None,
    ]
    assert col(raw, clean_id) == ["11010519491231002X"] * 4 + [None, None, None]
    assert col(raw, is_legacy_raw) == [False] * 4 + [None, None, None]


def test_invalid_near_misses() -> None:
    good = make_id("371502", dt.date(1990, 2, 28), 123)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    feb30 = make_id("371502", dt.date(1990, 2, 28), 123)[:12] + "30" + "123"
    feb30 += ric.calc_check_digit(feb30 + "0")
    future = make_id("371502", TODAY + dt.timedelta(days=1), 1)
    too_old = make_id("371502", dt.date(1879, 12, 31), 1)
    bad_region = "999999" + good[6:17]
    bad_region += ric.calc_check_digit(bad_region + "0")
    short = good[:17]
    letters = good[:10] + "AB" + good[12:]
    got = col(
        [good, wrong_check, feb30, future, too_old, bad_region, short, letters, None], id_is_valid
    )
    assert got == [True, False, False, False, False, False, False, False, False]
    assert col([feb30, short], id_birth_date) == [None, None]
    assert col([short, None], id_gender) == [None, None]


def test_region_kept_from_issue_not_birth_year() -> None:
    # 110103 (崇文区) was abolished in 2010; ids issued before keep it. A person born 2012 with it is
    # implausible but the rule is: any code ever in GB/T 2260 is accepted (stdnum rejects this one).
    old = make_id("110103", dt.date(2012, 5, 1), 11)
    assert col([old], id_is_valid) == [True]
    assert not ric.is_valid(old)
    # and a code only introduced later (北京 通州区 1997-) is accepted for an earlier birth
    newer = make_id("110112", dt.date(1960, 5, 1), 11)
    assert col([newer], id_is_valid) == [True]
    assert {"810000", "820000", "830000"} <= region_codes()


def test_legacy_form_and_none() -> None:
    assert col(["11010519491231002X", "abc", None], legacy_form) == ["110105491231002", None, None]


def test_uscc_known_and_letter_start() -> None:
    body = "N1110000600037341"  # a code whose registration authority is a letter
    letter_code = body + uscc_reference(body)
    codes: list[str | None] = [
        "91110000600037341L",
        "91110000600037341l",
        " 9111 0000 6000 3734 1L",
        letter_code,
    ]
    codes += ["91110000600037341M", "91110000600037341", "I1110000600037341L", None]
    assert col(codes, uscc_is_valid) == [True, True, True, True, False, False, False, False]
    assert not stdnum_uscc.is_valid(letter_code)  # the reason we do not rely on stdnum
    assert col(["9111000060003734 1l"], clean_uscc) == ["91110000600037341L"]


# ---------------------------------------------------------------- properties


@FAST
@given(st.lists(valid_ids, min_size=1, max_size=30), st.data())
def test_check_char_agrees_with_stdnum(ids: list[str], data: st.DataObject) -> None:
    corrupted = []
    for i in ids:
        pos = data.draw(st.integers(0, 16))
        digit = data.draw(st.sampled_from("0123456789"))
        corrupted.append(i[:pos] + digit + i[pos + 1 :])
    both = ids + corrupted
    got = col([x[:17] for x in both], id_check_char)
    assert got == [ric.calc_check_digit(x) for x in both]
    assert col(ids, id_is_valid) == [True] * len(ids)
    expected = [ric.calc_check_digit(x) == x[17] for x in corrupted]
    assert [
        bool(v)
        for v in col(corrupted, lambda e: id_check_char(e.str.slice(0, 17)) == e.str.slice(17, 1))
    ] == expected


@FAST
@given(st.lists(st.text("0123456789", min_size=17, max_size=17), min_size=1, max_size=30))
def test_check_char_agrees_on_any_digits(bodies: list[str]) -> None:
    got = col(bodies, id_check_char)
    assert got == [ric.calc_check_digit(b + "0") for b in bodies]
    assert got == [ric_reference(b) for b in bodies]


def _corrupt(value: str, hows: list[str], seed: int) -> str:
    """The corruptions the contract names, applied in turn to a valid id."""
    for how in hows:
        if how == "lower":
            value = value.lower()
        elif how == "spaces":
            cut = 1 + seed % (len(value) - 1)
            value = f" {value[:cut]}\u3000{value[cut:]}\t"
        elif how == "fullwidth":  # digits and X/x to their full-width forms
            value = "".join(
                chr(ord(c) + 0xFEE0) if c.isalnum() and c.isascii() else c for c in value
            )
        else:
            raise AssertionError(how)
    return value


@FAST
@given(
    st.lists(
        st.tuples(
            valid_ids,
            st.lists(st.sampled_from(["lower", "spaces", "fullwidth"]), min_size=1, max_size=3),
            st.integers(0, 99),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_corruptions_normalise_back(items: list[tuple[str, list[str], int]]) -> None:
    dirty = [_corrupt(v, hows, seed) for v, hows, seed in items]
    assert col(dirty, canonical_id) == [v for v, _, _ in items]
    canon = col(dirty, canonical_id)
    assert col(canon, id_is_valid) == [True] * len(items)


legacy_ids = st.one_of(
    st.builds(
        make_id,
        st.sampled_from(REGIONS),
        st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)),
        st.integers(0, 995),
    ),
    st.builds(
        make_id,
        st.sampled_from(REGIONS),
        st.dates(dt.date(1880, 1, 1), dt.date(1899, 12, 31)),
        st.integers(996, 999),
    ),
)


@FAST
@given(st.lists(st.tuples(legacy_ids, st.integers(0, 99)), min_size=1, max_size=5), st.data())
def test_legacy_then_dirtied_normalises_back(
    items: list[tuple[str, int]], data: st.DataObject
) -> None:
    ids = [i for i, _ in items]
    legacy = col(ids, legacy_form)
    hows = data.draw(st.lists(st.sampled_from(["spaces", "fullwidth"]), max_size=2))
    dirty = [_corrupt(x, hows, seed) for x, (_, seed) in zip(legacy, items, strict=True)]
    assert col(dirty, is_legacy_raw) == [True] * len(ids)
    assert col(dirty, canonical_id) == ids


@FAST
@given(st.lists(legacy_ids, min_size=1, max_size=30))
def test_legacy_form_normalises_back(ids: list[str]) -> None:
    legacy = col(ids, legacy_form)
    assert all(isinstance(x, str) and len(x) == 15 for x in legacy)
    assert col(legacy, is_legacy_raw) == [True] * len(ids)
    assert col(legacy, canonical_id) == ids


@FAST
@given(st.lists(st.text("0123456789", min_size=15, max_size=15), min_size=1, max_size=30))
def test_legacy_round_trip(raw15: list[str]) -> None:
    canon = col(raw15, canonical_id)
    assert all(len(c) == 18 for c in canon)
    assert col(canon, legacy_form) == raw15


id_like = st.text(
    st.sampled_from([*list("0123456789Xx "), "\u3000", "\t", "１", "９", "Ｘ", "ｘ", "a", "-"]),
    max_size=20,
)


@FAST
@given(st.lists(st.one_of(st.none(), id_like), min_size=1, max_size=40))
def test_canonical_is_idempotent(raw: list[str | None]) -> None:
    once = col(raw, canonical_id)
    assert col(once, canonical_id) == once
    assert col(once, clean_id) == once
    assert [o is None for o in once] == [r is None or not "".join(r.split()) for r in raw]


@FAST
@given(st.lists(st.one_of(st.none(), valid_ids, id_like), min_size=2, max_size=40), st.randoms())
def test_row_order_does_not_matter(raw: list[str | None], rnd: random.Random) -> None:
    def keys(values: list[str | None]) -> dict[str | None, tuple[object, ...]]:
        frame = pl.DataFrame({"x": values}, schema={"x": pl.String})
        out = frame.with_columns(c=canonical_id(pl.col("x"))).with_columns(
            v=id_is_valid(pl.col("c")), b=id_birth_date(pl.col("c")), g=id_gender(pl.col("c"))
        )
        return {r["x"]: (r["c"], r["v"], r["b"], r["g"]) for r in out.iter_rows(named=True)}

    shuffled = list(raw)
    rnd.shuffle(shuffled)
    assert keys(raw) == keys(shuffled)


@FAST
@given(st.lists(st.text(USCC_ALPHABET, min_size=17, max_size=17), min_size=1, max_size=30))
def test_uscc_check_agrees_with_hand_reference(bodies: list[str]) -> None:
    expected = [uscc_reference(b) for b in bodies]
    assert col(bodies, uscc_check_char) == expected
    codes = [b + c for b, c in zip(bodies, expected, strict=True)]
    assert col(codes, uscc_is_valid) == [True] * len(codes)
    wrong = [
        b + USCC_ALPHABET[(USCC_ALPHABET.index(c) + 1) % 31]
        for b, c in zip(bodies, expected, strict=True)
    ]
    assert col(wrong, uscc_is_valid) == [False] * len(codes)
    # where stdnum can judge (digits in positions 1-8) it agrees with us
    for code in codes:
        if code[:8].isdigit():
            assert stdnum_uscc.is_valid(code)


@pytest.mark.parametrize(
    "bad", ["9111000060003734", "9111000060003734IL", "9111000060003734OL", ""]
)
def test_uscc_check_char_rejects_bad_bodies(bad: str) -> None:
    assert col([bad[:17] if len(bad) >= 17 else bad], uscc_check_char) == [None]
