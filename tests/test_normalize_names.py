"""Names: normal form, pinyin keys and surname readings; known answers and properties."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dupcheck.normalize import (
    SURNAME_READINGS,
    name_keys,
    name_pinyin,
    name_pinyin_readings,
    normalize_name,
    normalize_name_expr,
    normalize_names,
    pinyin_expr,
    pinyin_readings_expr,
)

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ser(values: Sequence[str | None]) -> pl.Series:
    return pl.Series("name", values, dtype=pl.String)


def test_normal_form_known_answers() -> None:
    raw = [
        "吳敏",  # traditional
        "吴 敏",  # ASCII space
        "吴\u3000敏",  # ideographic space
        " 吴敏\t",
        "單雄信",
        "鍾離春",
        "阿依•古丽",  # bullet
        "阿依・古丽",  # katakana middle dot
        "阿依･古丽",  # half-width katakana middle dot
        "阿依‧古丽",  # hyphenation point
        "阿依∙古丽",  # bullet operator
        "阿依.古丽",  # typed full stop
        "阿依．古丽",  # full-width full stop
        "ＪＯＨＮ　Ｓｍｉｔｈ",
        "",
        "\u3000",
        None,
    ]
    expected: list[str | None] = [*["吴敏"] * 4, "单雄信", "钟离春", *["阿依·古丽"] * 7]
    expected += ["JOHNSmith", None, None, None]
    assert normalize_names(ser(raw)).to_list() == expected
    assert [normalize_name(v) for v in raw] == expected


def test_near_misses_stay_apart() -> None:
    got = normalize_names(ser(["吴敏", "吴明", "吴敏敏", "阿依古丽", "阿依·古丽"])).to_list()
    assert len(set(got)) == 5


def test_pinyin_keys_and_homophones() -> None:
    names = ["吴敏", "吳敏", "伍敏", "吴明", "阿依·古丽", "吕伟", "John Smith", None, " "]
    keys = name_pinyin(ser(names)).to_list()
    assert keys == [
        "wumin",
        "wumin",
        "wumin",
        "wuming",
        "ayiguli",
        "lvwei",
        "johnsmith",
        None,
        None,
    ]


def test_heteronym_surnames_take_surname_reading() -> None:
    names = [
        "曾国藩",
        "单雄信",
        "仇英",
        "解缙",
        "查良镛",
        "朴槿惠",
        "区志坚",
        "盖聂",
        "尉迟恭",
        "殷红慧",
    ]
    keys = name_pinyin(ser(names)).to_list()
    assert keys == [
        "zengguofan",
        "shanxiongxin",
        "qiuying",
        "xiejin",
        "zhaliangyong",
        "piaojinhui",
        "ouzhijian",
        "genie",
        "yuchigong",
        "yinhonghui",  # read by character: the phrase table would give "yanhong" (dark red)
    ]


def test_readings_cover_alternatives() -> None:
    names = ["曾国藩", "单伟", "尉迟恭", "王伟", None]
    readings = name_pinyin_readings(ser(names)).to_list()
    assert readings[0][0] == "zengguofan" and "cengguofan" in readings[0]
    assert readings[1][0] == "shanwei" and {"danwei", "chanwei"} <= set(readings[1])
    assert readings[2][0] == "yuchigong" and "weichigong" in readings[2]
    assert readings[3] == ["wangwei"]
    assert readings[4] is None
    # a homophone spelled with the other reading's character meets in the reading set
    other = name_pinyin(ser(["丹伟", "增国藩"])).to_list()
    assert other[0] in readings[1] and other[1] in readings[0]


def test_surname_table_is_consistent() -> None:
    for surname, readings in SURNAME_READINGS.items():
        assert readings and len(set(readings)) == len(readings), surname
        assert all(r.isascii() and r.isalpha() and r.islower() for r in readings), surname


def test_expression_wrappers_work_lazily() -> None:
    frame = pl.LazyFrame({"name": ["吳 敏", "曾国藩", None, "吳 敏"]})
    out = (
        frame.with_columns(norm=normalize_name_expr(pl.col("name")))
        .with_columns(
            py=pinyin_expr(pl.col("norm"), normalized=True),
            py_raw=pinyin_expr(pl.col("name")),
            readings=pinyin_readings_expr(pl.col("name")),
        )
        .collect()
    )
    assert out["norm"].to_list() == ["吴敏", "曾国藩", None, "吴敏"]
    assert out["py"].to_list() == out["py_raw"].to_list() == ["wumin", "zengguofan", None, "wumin"]
    assert out["readings"].to_list()[1] == ["zengguofan", "cengguofan"]


def test_all_null_and_empty_series() -> None:
    assert normalize_names(ser([None, None])).to_list() == [None, None]
    assert name_pinyin(ser([])).to_list() == []
    assert name_pinyin_readings(ser([None])).to_list() == [None]


name_chars = st.sampled_from(
    [*list("张王李赵吳吴敏單单曾國国藩阿依古丽·•・ "), "\u3000", "\t", "Ａ", "a", ".", "．", "･"]
)
names = st.one_of(st.none(), st.text(name_chars, max_size=8))


@FAST
@given(st.lists(names, min_size=1, max_size=40))
def test_normalisation_idempotent_and_clean(values: list[str | None]) -> None:
    once = normalize_names(ser(values))
    assert normalize_names(once).to_list() == once.to_list()
    for v in once.to_list():
        if v is not None:
            assert v and not any(ch.isspace() for ch in v)
            assert unicodedata.normalize("NFKC", v) == v
            assert not set(v) & set("•・‧∙･.")


@FAST
@given(st.lists(names, min_size=1, max_size=40), st.integers(0, 2**32))
def test_row_order_and_duplicates_do_not_matter(values: list[str | None], seed: int) -> None:
    shuffled = list(values)
    random.Random(seed).shuffle(shuffled)
    a = dict(zip(values, normalize_names(ser(values)).to_list(), strict=True))
    b = dict(zip(shuffled, normalize_names(ser(shuffled)).to_list(), strict=True))
    assert a == b
    pa = dict(zip(values, name_pinyin(ser(values)).to_list(), strict=True))
    pb = dict(zip(shuffled, name_pinyin(ser(shuffled)).to_list(), strict=True))
    assert pa == pb
    # the vectorised path agrees with the per-value path
    assert [normalize_name(v) for v in values] == [a[v] for v in values]


@FAST
@given(st.lists(names, min_size=1, max_size=30))
def test_primary_key_is_first_reading(values: list[str | None]) -> None:
    keys = name_pinyin(ser(values)).to_list()
    readings = name_pinyin_readings(ser(values)).to_list()
    for k, r in zip(keys, readings, strict=True):
        assert (k is None) == (r is None)
        if r is not None:
            assert r[0] == k and len(set(r)) == len(r)
            assert all(x.isalnum() and x == x.lower() for x in r)


@FAST
@given(st.lists(names, min_size=1, max_size=30))
def test_name_keys_struct_agrees_with_parts(values: list[str | None]) -> None:
    keys = name_keys(ser(values)).struct.unnest()
    assert keys["name_norm"].to_list() == normalize_names(ser(values)).to_list()
    assert keys["name_py"].to_list() == name_pinyin(ser(values)).to_list()
