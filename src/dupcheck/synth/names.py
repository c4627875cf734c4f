"""Realistic Chinese names and their dirty variants (traditional, spaced, homophone), vectorised.

Surnames follow Faker zh_CN's frequency table; given names are one or two characters from Faker's
male/female given-name lists. Per-value work (OpenCC, pypinyin) runs on unique values only.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import polars as pl

__all__ = ["homophone_map", "sample_names", "to_traditional", "with_homophone", "with_space"]

# Extra common given-name characters so homophones have somewhere to go.
_EXTRA = (
    "伟炜玮薇维卫为威微巍娜那纳丽莉立力利俐黎李理敏民闵珉静晶京经菁精婧涛韬滔桃陶"
    "明铭鸣名茗洋阳扬杨扬芳方舫昉军君均钧俊峻华桦骅铧强蔷墙磊蕾垒霞夏侠峡杰洁捷婕"
    "平萍苹屏辉晖徽慧惠蕙会鹏朋彭红宏洪鸿虹玲铃灵凌琳林霖麟超潮朝晓小筱孝勇永咏泳"
    "艳燕彦雁颜宁凝柠斌彬滨宾飞菲非霏宇雨羽语玉毅怡宜仪怡欣新心馨鑫星兴幸杏婷亭庭"
    "梅玫媚美涵寒晗含韩秀修琇嘉佳家加浩皓昊豪颖莹盈英鹰瑛刚钢岗纲波博柏伯"
)


@lru_cache(maxsize=1)
def _lists() -> tuple[list[str], np.ndarray, list[str], list[str]]:
    from faker.providers.person.zh_CN import Provider

    last = dict(Provider.last_names)
    surnames = list(last)
    weights = np.array([float(last[s]) for s in surnames])
    male = [s for s in Provider.first_names_male if len(s) == 1]
    female = [s for s in Provider.first_names_female if len(s) == 1]
    return surnames, weights / weights.sum(), male, female


def sample_names(rng: np.random.Generator, gender: np.ndarray) -> pl.Series:
    """Names for persons of the given genders (array of ``"M"``/``"F"``): a frequency-weighted
    surname and a one- or two-character given name from the gender's list."""
    surnames, weights, male, female = _lists()
    n = len(gender)
    sur = np.asarray(surnames, dtype=object)[rng.choice(len(surnames), size=n, p=weights)]
    is_m = gender == "M"
    g1 = np.where(is_m, rng.integers(0, len(male), n), rng.integers(0, len(female), n))
    g2 = np.where(is_m, rng.integers(0, len(male), n), rng.integers(0, len(female), n))
    m_arr = np.asarray(male, dtype=object)
    f_arr = np.asarray(female, dtype=object)
    c1 = np.where(is_m, m_arr[np.minimum(g1, len(male) - 1)], f_arr[np.minimum(g1, len(female) - 1)])
    c2 = np.where(is_m, m_arr[np.minimum(g2, len(male) - 1)], f_arr[np.minimum(g2, len(female) - 1)])
    two = rng.random(n) < 0.62
    frame = pl.DataFrame(
        {"s": pl.Series(sur, dtype=pl.String), "a": pl.Series(c1, dtype=pl.String),
         "b": pl.Series(c2, dtype=pl.String), "two": two}
    )
    return frame.select(
        pl.when(pl.col("two")).then(pl.col("s") + pl.col("a") + pl.col("b"))
        .otherwise(pl.col("s") + pl.col("a")).alias("name")
    ).to_series()


@lru_cache(maxsize=1)
def homophone_map() -> dict[str, list[str]]:
    """Character -> other characters with the same toneless pinyin (over the name lists)."""
    from pypinyin import Style, lazy_pinyin

    surnames, _w, male, female = _lists()
    chars = sorted(set("".join(surnames) + "".join(male) + "".join(female) + _EXTRA))
    by_py: dict[str, list[str]] = {}
    for ch in chars:
        py = lazy_pinyin(ch, style=Style.NORMAL)[0]
        by_py.setdefault(py, []).append(ch)
    return {ch: [o for o in group if o != ch] for group in by_py.values() for ch in group
            if len(group) > 1}


def _map_unique(values: pl.Series, fn: object) -> pl.Series:
    uniq = values.unique().sort()
    mapped = pl.Series([fn(v) for v in uniq.to_list()], dtype=pl.String)  # type: ignore[operator]
    return values.replace_strict(uniq, mapped, return_dtype=pl.String)


@lru_cache(maxsize=1)
def _s2t() -> object:
    import opencc

    return opencc.OpenCC("s2t")


def to_traditional(names: pl.Series) -> pl.Series:
    """Names in traditional characters (OpenCC s2t, per unique value)."""
    return _map_unique(names, _s2t().convert)  # type: ignore[attr-defined]


def with_space(names: pl.Series) -> pl.Series:
    """A space after the surname (``张 伟``), as some systems write it."""
    return names.str.slice(0, 1) + " " + names.str.slice(1)


def with_homophone(names: pl.Series) -> pl.Series:
    """One given-name character replaced by a homophone (the last one that has any); names with
    no replaceable character are returned unchanged."""
    hmap = homophone_map()

    def swap(name: str) -> str:
        for i in range(len(name) - 1, 0, -1):
            alts = hmap.get(name[i])
            if alts:
                return name[:i] + alts[(ord(name[0]) + i) % len(alts)] + name[i + 1:]
        return name

    return _map_unique(names, swap)
