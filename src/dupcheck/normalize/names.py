"""Personal names: normal form, toneless pinyin key and alternative surname readings.

Per-value Python (unicodedata, pypinyin) runs once per distinct value or character only; the
rest is vectorised (see below). A column with many repeats (20+ rows per distinct value) is
reduced to its distinct values first and joined back, so 10M names drawn from a few thousand
distinct ones cost a few thousand conversions.

Normal form (design.md): NFKC, every whitespace removed, middle dots unified to ``·``, traditional
characters converted to simplified (OpenCC ``t2s``). Empty results become null.

Pinyin key: ``pypinyin.lazy_pinyin`` of each character of the normal form (cached per character),
lower-case, without spaces, dots or other punctuation. Character by character rather than by
phrase: a name is not a phrase (the phrase table reads 殷红慧 as "yan..." and 曾国藩 as "ceng..."),
and it is 20x faster, which matters with millions of distinct names. Heteronym surnames (曾
zeng/ceng, 单 shan/dan ...) take their surname reading; ``name_pinyin_readings`` lists every
plausible key so that blocking and comparison can use sets of readings.

Columns take a vectorised path (``normalize_names``, ``name_pinyin``, ``name_keys``; 12 µs ->
~1 µs a name). Names made only of CJK ideographs (basic block, extension A), ASCII letters and
digits, whitespace and middle dots are NFKC-inert up to the whitespace and dot steps, which one
polars ``replace_many`` does; the few other names take the per-value reference
(:func:`normalize_name`). OpenCC converts the whole column as one newline-joined string (a newline
is in no OpenCC phrase, so no phrase crosses it). Pinyin maps the distinct characters once through
the cached per-character reading and rewrites every name in one leftmost-first ``replace_many``,
where longer patterns anchored at the start of the name carry the surname readings. Tests check
the vectorised path against a per-name reference written from this specification.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np
import polars as pl

__all__ = [
    "MIDDLE_DOTS",
    "SURNAME_READINGS",
    "name_keys",
    "name_keys_expr",
    "name_pinyin",
    "name_pinyin_readings",
    "normalize_name",
    "normalize_name_expr",
    "normalize_names",
    "pinyin_expr",
    "pinyin_readings_expr",
]

#: Characters written for the middle dot of minority and foreign names (after NFKC). U+FF65
#: (half-width katakana) and U+0387 (Greek ano teleia) fold into U+30FB / U+00B7 under NFKC. The
#: ASCII full stop is included: clerks type ``阿卜杜.热合曼`` (and NFKC folds ``．`` into ``.``).
MIDDLE_DOTS = ".\u00b7\u0387\u2022\u2027\u2219\u22c5\u30fb\uff65\u2e31\u16eb\u318d"
_DOT_TABLE = {ord(ch): "\u00b7" for ch in MIDDLE_DOTS}
_SPACE_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_NON_KEY_RE = re.compile(r"[\W_]+")

#: Everything ``_SPACE_RE`` removes (Python's ``\s`` matches nothing above U+3000).
_SPACE_CHARS = "".join(ch for ch in map(chr, [*range(0x3001), 0xFEFF]) if _SPACE_RE.fullmatch(ch))


def _rx_chars(chars: str) -> str:
    """The inside of a Rust-regex character class matching exactly ``chars`` (escaped by code)."""
    return "".join(f"\\x{{{ord(ch):x}}}" for ch in chars)


#: Middle dots that NFKC keeps among the middle dots. Not U+318D (Hangul araea): NFKC turns it
#: into the jamo U+119E, which is no dot, so names holding it take the per-value path.
_FAST_DOTS = "".join(ch for ch in MIDDLE_DOTS if unicodedata.normalize("NFKC", ch) in MIDDLE_DOTS)
#: Whitespace out and middle dots unified in one ``replace_many`` pass (single characters).
_CLEAN_FROM = [*_SPACE_CHARS, *_FAST_DOTS]
_CLEAN_TO = [""] * len(_SPACE_CHARS) + ["\u00b7"] * len(_FAST_DOTS)
#: Names made only of these characters skip the per-value NFKC: CJK unified ideographs (basic
#: block and extension A: no decompositions, never composed) and ASCII letters and digits are NFKC
#: fixed points, and NFKC maps every whitespace character to whitespace (removed next) and every
#: middle dot to a middle dot (unified next), with no composition involving any of them.
_RX_SAFE = (
    "^[\\x{3400}-\\x{4dbf}\\x{4e00}-\\x{9fff}0-9A-Za-z"
    f"{_rx_chars(_SPACE_CHARS)}{_rx_chars(_FAST_DOTS)}]*$"
)

#: Heteronym surnames: the surname reading first, then other readings seen in the data.
#: Compound surnames (复姓) are listed whole and take precedence over their first character.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "曾": ("zeng", "ceng"),
    "单": ("shan", "dan", "chan"),
    "仇": ("qiu", "chou"),
    "解": ("xie", "jie"),
    "查": ("zha", "cha"),
    "朴": ("piao", "pu", "po"),
    "区": ("ou", "qu"),
    "盖": ("ge", "gai"),
    "尉": ("wei", "yu"),
    "覃": ("qin", "tan"),
    "召": ("shao", "zhao"),
    "缪": ("miao", "mou", "miu"),
    "乐": ("yue", "le"),
    "员": ("yun", "yuan"),
    "种": ("chong", "zhong"),
    "重": ("chong", "zhong"),
    "秘": ("bi", "mi"),
    "翟": ("zhai", "di"),
    "柏": ("bai", "bo"),
    "隗": ("kui", "wei"),
    "句": ("gou", "ju"),
    "莘": ("shen", "xin"),
    "牟": ("mou", "mu"),
    "颉": ("xie", "jie"),
    "粘": ("nian", "zhan"),
    "繁": ("po", "fan"),
    "黑": ("he", "hei"),
    "那": ("na", "nuo"),
    "长": ("chang", "zhang"),
    "费": ("fei", "bi"),
    "番": ("pan", "fan"),
    "洗": ("xian", "xi"),
    "尉迟": ("yuchi", "weichi"),
    "单于": ("chanyu", "shanyu", "danyu"),
    "万俟": ("moqi", "wanqi"),
    "长孙": ("zhangsun", "changsun"),
    "澹台": ("tantai", "dantai"),
}


@cache
def _t2s() -> Any:
    """The OpenCC traditional-to-simplified converter (built once)."""
    import opencc

    return opencc.OpenCC("t2s")


def _pre_t2s(value: str) -> str:
    """NFKC, whitespace out, middle dots unified (everything but the t2s step)."""
    v = unicodedata.normalize("NFKC", value)
    v = _SPACE_RE.sub("", v)
    return v.translate(_DOT_TABLE)


def _normalize_many(values: Sequence[str]) -> list[str | None]:
    """Normal forms of distinct non-null names; one OpenCC call for the whole batch."""
    pre = [_pre_t2s(v) for v in values]
    # Values hold no whitespace now, so a newline cannot fall inside any name or OpenCC phrase.
    converted = _t2s().convert("\n".join(pre)).split("\n") if pre else []
    if len(converted) != len(pre):  # defensive: fall back to one call per value
        converted = [_t2s().convert(v) for v in pre]
    return [c if c else None for c in converted]


def normalize_name(value: str | None) -> str | None:
    """Normal form of one name (for messages and tests; columns go through :func:`normalize_names`)."""
    if value is None:
        return None
    return _normalize_many([value])[0]


def _map_unique(
    s: pl.Series, fn: Callable[[list[str]], Sequence[Any]], dtype: pl.DataType
) -> pl.Series:
    """Apply ``fn`` to the sorted distinct non-null values of ``s`` and map the results back.

    The mapping is a left join on the value, so the work in Python is one call per distinct value.
    """
    src = s.cast(pl.String)
    uniq = src.drop_nulls().unique().sort()
    mapping = pl.DataFrame([uniq.alias("k"), pl.Series("v", list(fn(uniq.to_list())), dtype=dtype)])
    joined = src.alias("k").to_frame().join(mapping, on="k", how="left", maintain_order="left")
    return joined.get_column("v").alias(s.name)


def _per_distinct(s: pl.Series, fn: Callable[[str], str | None]) -> pl.Series:
    """``fn`` of every value of a null-free String column, called once per distinct value."""
    distinct = s.unique()
    mapped = pl.Series([fn(v) for v in distinct.to_list()], dtype=pl.String)
    return s.replace_strict(distinct, mapped, return_dtype=pl.String)


def _t2s_column(pre: pl.Series) -> pl.Series:
    """OpenCC ``t2s`` of a column of whitespace-free strings as one newline-joined C++ call."""
    if pre.len() == 0:
        return pre
    filled = pre.fill_null("")
    text = filled.str.join("\n").item()
    converted = pl.Series([_t2s().convert(text)]).str.split("\n").explode()
    if converted.len() != pre.len():  # defensive (a newline or NUL slipped in): one call per value
        converted = pl.Series([_t2s().convert(v) for v in filled.to_list()], dtype=pl.String)
    return converted.alias(pre.name)


def _normalize_column(s: pl.Series) -> pl.Series:
    """Vectorised :func:`normalize_name` over a String column (duplicates are converted again)."""
    slow = s.str.contains(_RX_SAFE).not_().fill_null(False).arg_true()
    pre = s.str.replace_many(_CLEAN_FROM, _CLEAN_TO)
    if slow.len():
        pre = pre.scatter(slow, _per_distinct(s.gather(slow), _pre_t2s))
    out = _t2s_column(pre)
    return pl.select(pl.when(out.str.len_bytes() > 0).then(out)).to_series().alias(s.name)


#: Reduce a column to its distinct values first only when it has this many rows per distinct value
#: (measured on 2M rows: the join back wins from about 20 rows per value).
_DEDUP_FACTOR = 20


def _on_distinct(s: pl.Series, fn: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """``fn`` (a vectorised, elementwise function of a String column) over ``s``, once per value.

    A column with many repeats (by a HyperLogLog estimate: the choice only affects speed) is
    reduced to its distinct values first and joined back; any other column, such as the distinct
    names ``prepare_references`` passes, is converted as it is: hashing and joining millions of
    strings costs as much as converting them (about 1 µs a row either way).
    """
    src = s.cast(pl.String)
    n_distinct = src.to_frame("k").select(pl.col("k").approx_n_unique()).item()
    if _DEDUP_FACTOR * n_distinct > src.len():
        return fn(src).alias(s.name)
    uniq = src.drop_nulls().unique()
    mapping = pl.DataFrame([uniq.alias("k"), fn(uniq).alias("v")])
    joined = src.alias("k").to_frame().join(mapping, on="k", how="left", maintain_order="left")
    return joined.get_column("v").alias(s.name)


def normalize_names(s: pl.Series) -> pl.Series:
    """Normal form of every name in ``s`` (NFKC, no whitespace, ``·`` dots, simplified); null kept."""
    return _on_distinct(s, _normalize_column)


@cache
def _char_pinyin(ch: str) -> str:
    """Toneless default reading of one character (lower case, punctuation dropped; cached)."""
    from pypinyin import lazy_pinyin

    return _NON_KEY_RE.sub("", "".join(lazy_pinyin(ch)).lower())


def _syllables(name: str) -> list[str]:
    """One toneless syllable (or ASCII letter, or '') per character of a normalised name."""
    return [_char_pinyin(ch) for ch in name]


def _surname(name: str) -> str | None:
    """The heteronym surname (compound first) that starts ``name``, if any and not the whole name."""
    for size in (2, 1):
        head = name[:size]
        if len(name) > size and head in SURNAME_READINGS:
            return head
    return None


def _readings_one(name: str) -> list[str]:
    """Keys of one normalised name: surname reading first, then the other readings, sorted."""
    sylls = _syllables(name)
    rest_default = "".join(sylls)
    head = _surname(name)
    if head is None:
        return [rest_default] if rest_default else []
    rest = "".join(sylls[len(head) :])
    keys = [r + rest for r in SURNAME_READINGS[head]]
    primary = keys[0]
    others = sorted({*keys[1:], rest_default} - {primary, ""})
    return [primary, *others]


def _pinyin_many(values: Sequence[str]) -> list[str | None]:
    """Primary pinyin keys of distinct normalised names (null when nothing is left)."""
    out: list[str | None] = []
    for v in values:
        keys = _readings_one(v)
        out.append(keys[0] if keys else None)
    return out


def _readings_many(values: Sequence[str]) -> list[list[str] | None]:
    """Reading lists of distinct normalised names (null when nothing is left)."""
    return [_readings_one(v) or None for v in values]


def _norm_then(fn: Callable[[Sequence[str]], list[Any]]) -> Callable[[list[str]], list[Any]]:
    """Compose name normalisation with ``fn`` over distinct raw values (nulls pass through)."""

    def run(values: list[str]) -> list[Any]:
        normed = _normalize_many(values)
        present = sorted({v for v in normed if v is not None})
        results = dict(zip(present, fn(present), strict=True))
        return [None if v is None else results[v] for v in normed]

    return run


def _distinct_chars(s: pl.Series) -> list[str]:
    """The distinct characters of a String column, sorted (a code-point histogram in numpy)."""
    text: str = s.str.join("").item() if s.len() else ""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return [chr(c) for c in np.flatnonzero(np.bincount(codes)).tolist()]


_EDGE = "\n"  # marks both ends of a name for the surname patterns; never in a normal form


@cache
def _surname_patterns() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``replace_many`` patterns for names framed by ``_EDGE``, longest first (leftmost-first).

    A whole name that is a table entry reads as :func:`_readings_one` does (a compound by its
    first character's surname reading, a single character by its default reading); otherwise a
    compound, then a single heteronym at the start of the name takes its surname reading.
    """
    pairs: list[tuple[str, str]] = []
    compounds = [k for k in SURNAME_READINGS if len(k) == 2]
    singles = [k for k in SURNAME_READINGS if len(k) == 1]
    for c in compounds:  # the whole name is a compound surname
        first = SURNAME_READINGS[c[0]][0] if c[0] in SURNAME_READINGS else _char_pinyin(c[0])
        pairs.append((_EDGE + c + _EDGE, first + _char_pinyin(c[1])))
    pairs += [(_EDGE + h + _EDGE, _char_pinyin(h)) for h in singles]  # a one-character name
    pairs += [(_EDGE + c, SURNAME_READINGS[c][0]) for c in compounds]
    pairs += [(_EDGE + h, SURNAME_READINGS[h][0]) for h in singles]
    pairs.append((_EDGE, ""))
    return tuple(p for p, _ in pairs), tuple(r for _, r in pairs)


def _pinyin_column(norm: pl.Series) -> pl.Series:
    """Vectorised primary key of :func:`_readings_one` over normalised names (null when empty).

    The distinct characters go once through the cached per-character reading, and every name,
    framed by ``_EDGE``, is rewritten in one leftmost-first Aho-Corasick pass (``replace_many``)
    whose longer patterns give heteronym surnames at the start of a name their surname reading.
    """
    distinct = [ch for ch in _distinct_chars(norm) if ch != _EDGE]
    heads, head_readings = _surname_patterns()
    patterns = [*heads, *distinct]
    readings = [*head_readings, *(_char_pinyin(ch) for ch in distinct)]
    framed = pl.concat_str([pl.lit(_EDGE), pl.col("n"), pl.lit(_EDGE)])
    key = pl.col("k")
    out = (
        pl.DataFrame([norm.alias("n")])
        .select(framed.str.replace_many(patterns, readings, leftmost=True).alias("k"))
        .select(pl.when(key.str.len_bytes() > 0).then(key))
        .to_series()
        .alias(norm.name)
    )
    odd = norm.str.contains(_EDGE, literal=True).fill_null(False).arg_true()
    if odd.len():  # an already-normalised input holding the frame character: per value
        out = out.scatter(odd, _per_distinct(norm.gather(odd), lambda v: _pinyin_many([v])[0]))
    return out


def name_pinyin(s: pl.Series, *, normalized: bool = False) -> pl.Series:
    """Toneless pinyin key of each name (normalised first unless ``normalized``); null kept."""
    if normalized:
        return _on_distinct(s, _pinyin_column)
    return _on_distinct(s, lambda v: _pinyin_column(_normalize_column(v)))


def name_pinyin_readings(s: pl.Series, *, normalized: bool = False) -> pl.Series:
    """List of alternative pinyin keys per name (primary first; heteronym surnames expanded)."""
    fn = _readings_many if normalized else _norm_then(_readings_many)
    return _map_unique(s, fn, pl.List(pl.String()))


NAME_KEYS_DTYPE = pl.Struct({"name_norm": pl.String, "name_py": pl.String})


def _keys_column(s: pl.Series) -> pl.Series:
    """Vectorised ``{name_norm, name_py}`` struct of a String column of raw names (null for null)."""
    norm = _normalize_column(s).alias("name_norm")
    frame = pl.DataFrame([s.alias("raw"), norm, _pinyin_column(norm).alias("name_py")])
    keys = pl.when(pl.col("raw").is_not_null()).then(pl.struct("name_norm", "name_py"))
    return frame.select(keys.alias(s.name)).to_series()


def name_keys(s: pl.Series) -> pl.Series:
    """Struct of ``name_norm`` and ``name_py`` per name (a null struct for a null name), vectorised."""
    return _on_distinct(s, _keys_column)


def name_keys_expr(expr: pl.Expr) -> pl.Expr:
    """Expression form of :func:`name_keys` (what ``add_person_keys`` uses)."""
    return expr.map_batches(name_keys, return_dtype=NAME_KEYS_DTYPE, is_elementwise=True)


def normalize_name_expr(expr: pl.Expr) -> pl.Expr:
    """Expression form of :func:`normalize_names` (per batch, distinct values only)."""
    return expr.map_batches(normalize_names, return_dtype=pl.String, is_elementwise=True)


def pinyin_expr(expr: pl.Expr, *, normalized: bool = False) -> pl.Expr:
    """Expression form of :func:`name_pinyin`."""
    return expr.map_batches(
        lambda s: name_pinyin(s, normalized=normalized),
        return_dtype=pl.String,
        is_elementwise=True,
    )


def pinyin_readings_expr(expr: pl.Expr, *, normalized: bool = False) -> pl.Expr:
    """Expression form of :func:`name_pinyin_readings`."""
    return expr.map_batches(
        lambda s: name_pinyin_readings(s, normalized=normalized),
        return_dtype=pl.List(pl.String),
        is_elementwise=True,
    )
