"""Names: normal form, pinyin keys and surname readings; known answers and properties."""

from __future__ import annotations

import random
import re
import string
import unicodedata
from collections.abc import Sequence

import opencc
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypinyin import lazy_pinyin

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
from dupcheck.normalize import names as names_module
from dupcheck.normalize.names import MIDDLE_DOTS

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


# --- the vectorised column path against a per-name reference written from the spec -------------

_REF_SPACE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_REF_DOTS = {ord(ch): "\u00b7" for ch in MIDDLE_DOTS}
_REF_T2S = opencc.OpenCC("t2s")


def reference_keys(value: str | None) -> tuple[str | None, str | None]:
    """``(name_norm, name_py)`` of one name, straight from the spec (one OpenCC call per name)."""
    if value is None:
        return None, None
    v = _REF_SPACE.sub("", unicodedata.normalize("NFKC", value)).translate(_REF_DOTS)
    norm = _REF_T2S.convert(v) if v else v
    if not norm:
        return None, None

    def syl(ch: str) -> str:
        return re.sub(r"[\W_]+", "", "".join(lazy_pinyin(ch)).lower())

    for size in (2, 1):
        if len(norm) > size and norm[:size] in SURNAME_READINGS:
            return norm, SURNAME_READINGS[norm[:size]][0] + "".join(map(syl, norm[size:]))
    key = "".join(map(syl, norm))
    return norm, key or None


def assert_column_matches_reference(values: Sequence[str | None]) -> None:
    known = {v: reference_keys(v) for v in set(values)}
    expected = [known[v] for v in values]
    struct = name_keys(ser(values))
    assert struct.is_null().to_list() == [v is None for v in values]  # a null name: a null struct
    keys = struct.struct.unnest()
    got = list(zip(keys["name_norm"].to_list(), keys["name_py"].to_list(), strict=True))
    assert got == expected
    assert normalize_names(ser(values)).to_list() == [n for n, _ in expected]
    assert [normalize_name(v) for v in values] == [n for n, _ in expected]
    assert name_pinyin(ser(values)).to_list() == [p for _, p in expected]
    norms = [n for n, _ in expected]
    assert name_pinyin(ser(norms), normalized=True).to_list() == [p for _, p in expected]
    readings = name_pinyin_readings(ser(values)).to_list()
    assert [None if r is None else r[0] for r in readings] == [p for _, p in expected]


TRICKY = [
    "吳敏",
    "單雄信",
    "鍾離春",
    "歐陽修",
    "張 三",
    "王\u3000小\t明",
    " 李四 ",
    "\u200b赵\ufeff六",
    "钱\u00a0七",
    "孙\u2028八",
    "周\x1c九",
    "曾国藩",
    "曾",
    "曾伟",
    "单",
    "单于",
    "单于伟",
    "尉迟",
    "尉迟恭",
    "长孙无忌",
    "澹台明月",
    "万俟卨",
    "朴槿惠",
    "覃",
    "乐乐",
    "阿卜杜·热合曼",
    "阿卜杜•热合曼",
    "阿卜杜.热合曼",
    "阿卜杜．热合曼",
    "阿卜杜・热合曼",
    "阿卜杜･热合曼",
    "阿卜杜\u0387热合曼",
    "阿卜杜ㆍ热合曼",
    "买买提·艾力",
    "ＪＯＨＮ　Ｓｍｉｔｈ",
    "John Smith",
    "O'Brien",
    "李1",
    "Zoë",
    "e\u0301",
    "\u1100\u1161",
    "\uf900",
    "𠀀",
    "㐀",
    "\u3400明",
    "·",
    "..",
    "",
    "\u3000",
    "\t\n",
    "_",
    "李_四",
    None,
    "乾隆",
    "後來",
    "髮型",
    "臺灣",
    "里",
    "裏",
]


@pytest.mark.parametrize("dedup_factor", [1, 10**9])
def test_vectorised_path_matches_reference_known_cases(
    dedup_factor: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # both ways of running a column: distinct values then a join back, or every row as it is
    monkeypatch.setattr(names_module, "_DEDUP_FACTOR", dedup_factor)
    assert_column_matches_reference(TRICKY)
    rng = random.Random(dedup_factor)
    assert_column_matches_reference(rng.choices(TRICKY, k=30 * len(TRICKY)))


def test_known_keys_of_vectorised_path() -> None:
    keys = name_keys(
        ser(["尉迟恭", "尉迟", "单于", "長孫無忌", "买买提 • 艾力", "曾"])
    ).struct.unnest()
    assert keys["name_norm"].to_list() == [
        "尉迟恭",
        "尉迟",
        "单于",
        "长孙无忌",
        "买买提·艾力",
        "曾",
    ]
    # a compound surname that is the whole name reads its first character as a surname
    assert keys["name_py"].to_list() == [
        "yuchigong",
        "weichi",
        "shanyu",
        "zhangsunwuji",
        "maimaitiaili",
        "ceng",
    ]


def test_batched_opencc_matches_per_name_conversion() -> None:
    # adjacent names that would form t2s phrases if the separator did not break them
    parts = ["頭", "髮", "乾", "隆", "後", "來", "臺", "灣", "裏", "面", "鍾", "離"]
    rng = random.Random(7)
    values = ["".join(rng.choices(parts, k=rng.randint(1, 3))) for _ in range(400)]
    assert normalize_names(ser(values)).to_list() == [_REF_T2S.convert(v) for v in values]


def test_fast_path_characters_are_nfkc_inert() -> None:
    """The characters that skip per-value NFKC: fixed points, or whitespace/dots into their class."""
    spaces = {ch for ch in map(chr, range(0x3001)) if _REF_SPACE.fullmatch(ch)} | {"\ufeff"}
    cjk = [*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000)]
    for ch in [*map(chr, cjk), *"0123456789", *string.ascii_letters]:
        assert unicodedata.normalize("NFKC", ch) == ch and unicodedata.combining(ch) == 0
    for ch in spaces:
        assert all(c in spaces for c in unicodedata.normalize("NFKC", ch))
    fast_dots = {ch for ch in MIDDLE_DOTS if unicodedata.normalize("NFKC", ch) in MIDDLE_DOTS}
    assert set(MIDDLE_DOTS) - fast_dots == {"\u318d"}  # Hangul araea: NFKC makes it a jamo
    assert_column_matches_reference(sorted(spaces | set(MIDDLE_DOTS)))
    assert_column_matches_reference([f"王{ch}伟" for ch in sorted(spaces | set(MIDDLE_DOTS))])


mixed_chars = st.one_of(
    st.sampled_from(
        [
            *"张王李赵吳吴敏單单曾國国藩尉迟长孙澹台欧陽阿卜杜热合曼乐朴覃乾隆頭髮",
            *MIDDLE_DOTS,
            *[" ", "\u3000", "\t", "\u200b", "\ufeff", "Ａ", "a", "Z", "9", "_", "'", "\u0301"],
        ]
    ),
    st.characters(exclude_categories=["Cs"]),
)


@FAST
@given(st.lists(st.one_of(st.none(), st.text(mixed_chars, max_size=8)), min_size=1, max_size=40))
def test_vectorised_path_matches_reference(values: list[str | None]) -> None:
    assert_column_matches_reference(values)


@FAST
@given(
    st.lists(st.one_of(st.none(), st.text(mixed_chars | st.just("\n"), max_size=6)), max_size=30)
)
def test_normalized_pinyin_matches_per_value_readings(values: list[str | None]) -> None:
    """On already-normalised input (here any text, newlines included) the vectorised key is the
    first of the per-value readings."""
    framed = [*values, *(f"{k}{v}" for k in SURNAME_READINGS for v in ("", "伟", "\n"))]
    keys = name_pinyin(ser(framed), normalized=True).to_list()
    readings = name_pinyin_readings(ser(framed), normalized=True).to_list()
    assert keys == [None if r is None else r[0] for r in readings]
