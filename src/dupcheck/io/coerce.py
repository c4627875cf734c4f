"""Coercion of raw columns to contract dtypes, with one vectorised problem check per column.

Every cell that cannot be parsed becomes null and gets a short message (``"unparseable date"``,
``"unknown value"``, ``"missing"`` ...). Messages are counted exactly; only the first
:data:`REPORT_CAP` per column and file become individual :class:`~dupcheck.errors.Problem` s, then
one summary problem carries the rest of the count. Claims get ``_problems: List(String)`` with
``"<column>: <message>"`` entries. No row is ever dropped.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import polars as pl

from dupcheck.errors import Problem
from dupcheck.masking import mask_value
from dupcheck.schema import ENUMS, UNKNOWN_LABELS, Column, TableSpec

__all__ = [
    "REPORT_CAP",
    "CoercedTable",
    "coerce_table",
    "duplicated",
    "enum_lookup",
    "merge_blocks",
    "parse_bool",
    "parse_dates",
    "parse_enum",
    "parse_int",
    "parse_money",
]

#: Individual problems reported per column and file before one summary problem takes over.
REPORT_CAP = 50

_MONEY = pl.Decimal(18, 2)
_ROW = "_row"
_PROBLEMS = "_problems"

# Accepted date layouts as (strptime format, guard regex). The guard keeps chrono's leniency (signs,
# five-digit years) out; strptime rejects impossible dates such as 2021-02-30. ISO is tried on the
# whole column, the others only on what is still unparsed, after a time of day and spaces go.
_DATE_FORMATS = (
    ("%Y-%m-%d", r"^[12]\d{3}-\d{1,2}-\d{1,2}$"),
    ("%Y%m%d", r"^[12]\d{7}$"),
    ("%Y/%m/%d", r"^[12]\d{3}/\d{1,2}/\d{1,2}$"),
    ("%Y年%m月%d日", r"^[12]\d{3}年\d{1,2}月\d{1,2}日$"),
    ("%Y.%m.%d", r"^[12]\d{3}\.\d{1,2}\.\d{1,2}$"),
)
_TIME_OF_DAY = r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"

_BOOLS: dict[str, bool] = {
    "true": True, "false": False, "t": True, "f": False, "1": True, "0": False,
    "y": True, "n": False, "yes": True, "no": False, "是": True, "否": False,
}


def _norm_label(value: str) -> str:
    """Lookup key of an enum code or label: NFKC, lower case, no whitespace."""
    return "".join(unicodedata.normalize("NFKC", value).lower().split())


def enum_lookup(enum: str) -> dict[str, str]:
    """Normalised code or Chinese label -> code, for one enum of :data:`dupcheck.schema.ENUMS`."""
    table: dict[str, str] = {}
    for code, labels in ENUMS[enum].items():
        for label in (code, *labels):
            table.setdefault(_norm_label(label), code)
    return table


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Strip surrounding whitespace (full-width too); empty or whitespace-only becomes ``""``
    (callers turn ``""`` into null in a second pass, which is cheaper than one fused ``when``)."""
    return expr.str.strip_chars()


def _try_format(text: pl.Series, fmt: str, guard: str) -> pl.Series:
    """Dates of the rows whose text fits ``guard`` and parses with ``fmt``; null elsewhere."""
    ok = text.str.contains(guard).fill_null(False)
    n_ok = int(ok.sum())
    if n_ok == 0:
        return pl.Series(text.name, [None] * text.len(), dtype=pl.Date())
    parsed = text.str.strptime(pl.Date(), fmt, strict=False)
    if n_ok == text.len():
        return parsed
    return parsed.zip_with(ok, pl.Series([None], dtype=pl.Date()))


def parse_dates(text: pl.Series) -> pl.Series:
    """Cleaned text in any accepted layout -> ``pl.Date``; null where none fits.

    A long column is parsed once per distinct value (a date column of millions of rows holds a
    few tens of thousands of dates), which is five times faster than parsing every row.
    """
    if text.len() > 4 * _UNIQUE_MIN:
        uniq = text.drop_nulls().unique()
        if uniq.len() * 4 < text.len():
            return _map_uniques(text, _parse_dates_rows(uniq), uniq)
    return _parse_dates_rows(text)


#: Columns shorter than four times this are parsed row by row (the unique pass would not pay).
_UNIQUE_MIN = 10_000


def _parse_dates_rows(text: pl.Series) -> pl.Series:
    """Each layout is tried only on the rows still unparsed (one pass when a column has one
    layout); a time of day and inner spaces are removed only for what no layout read as written."""
    out = _try_format(text, *_DATE_FORMATS[0])
    idx = (out.is_null() & text.is_not_null()).arg_true()
    stages: list[tuple[str, str, bool]] = [(f, g, False) for f, g in _DATE_FORMATS[1:]]
    stages += [(f, g, True) for f, g in _DATE_FORMATS]
    for fmt, guard, squeeze in stages:
        if idx.len() == 0:
            break
        rest = text.gather(idx)
        if squeeze:
            rest = rest.str.replace(_TIME_OF_DAY, "").str.replace_all(r"\s+", "")
        parsed = _try_format(rest, fmt, guard)
        hit = parsed.is_not_null()
        if hit.any():  # a layout that hits nothing costs one regex scan of the rest
            out = out.scatter(idx.filter(hit), parsed.filter(hit))
            idx = idx.filter(~hit)
    return out


def _map_uniques(text: pl.Series, mapped: pl.Series, uniq: pl.Series) -> pl.Series:
    """``mapped[i]`` wherever ``text == uniq[i]``, null elsewhere: a hash join, which is several
    times faster than ``replace_strict`` on long text columns."""
    table = pl.DataFrame({"v": uniq, "m": mapped})
    return (
        text.rename("v").to_frame()
        .join(table, on="v", how="left", maintain_order="left")
        .get_column("m").rename(text.name)
    )


def _via_uniques(text: pl.Series, convert: pl.Expr, dtype: pl.DataType) -> pl.Series:
    """Apply ``convert`` (an expression on column ``v``) to the unique values only, map back."""
    uniq = text.drop_nulls().unique()
    mapped = pl.DataFrame({"v": uniq}).select(convert.cast(dtype).alias("m")).to_series()
    return _map_uniques(text, mapped, uniq)


def parse_enum(text: pl.Series, enum: str) -> pl.Series:
    """Codes and Chinese aliases (trimmed, NFKC, any case) -> the enum's code; else null."""
    key = pl.col("v").str.normalize("NFKC").str.to_lowercase().str.replace_all(r"\s+", "")
    lookup = key.replace_strict(enum_lookup(enum), default=None, return_dtype=pl.String())
    return _via_uniques(text, lookup, pl.String())


def parse_bool(text: pl.Series) -> pl.Series:
    """true/false, t/f, 1/0, Y/N, yes/no, 是/否 in any case -> Boolean; else null."""
    convert = pl.col("v").str.to_lowercase().replace_strict(
        _BOOLS, default=None, return_dtype=pl.Boolean())
    return _via_uniques(text, convert, pl.Boolean())


def parse_int(text: pl.Series) -> pl.Series:
    """Whole numbers (a ``.0`` tail allowed, as Excel writes them) -> Int64; else null."""
    ok = text.str.contains(r"^[+-]?\d+(?:\.0*)?$").fill_null(False)
    value = text.str.replace(r"\.0*$", "").cast(pl.Int64(), strict=False)
    return value.zip_with(ok, pl.Series([None], dtype=pl.Int64()))


def _money_parts(text: pl.Series) -> tuple[pl.Series, pl.Series, pl.Series]:
    """(value, well-formed, too many decimals) of money text; parsed as text, never via float."""
    frame = pl.DataFrame({"t": text})
    grouped = pl.col("t").str.contains(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
    t = pl.when(grouped).then(pl.col("t").str.replace_all(",", "")).otherwise(pl.col("t"))
    frame = frame.select(t.alias("t"))
    ok = pl.col("t").str.contains(r"^[+-]?(?:\d+\.?\d*|\.\d+)$").fill_null(False)
    extra = pl.col("t").str.extract(r"\.\d{2}(\d*)$", 1)
    too_precise = ok & extra.str.contains(r"[1-9]").fill_null(False)
    canon = pl.col("t").str.replace(r"(\.\d{0,2})\d*$", "$1").str.replace(r"\.$", "")
    frame = frame.select(ok.alias("ok"), too_precise.alias("tp"), canon.alias("canon"))
    value = frame.select(
        pl.when(pl.col("ok") & ~pl.col("tp")).then(pl.col("canon").cast(_MONEY, strict=False))
    ).to_series()
    return value, frame["ok"], frame["tp"]


def parse_money(text: pl.Series) -> pl.Series:
    """Decimal text (at most 2 decimals, ``1,234.50`` grouping allowed) -> exact Decimal(18, 2)."""
    return _money_parts(text)[0]


def duplicated(values: pl.Series) -> pl.Series:
    """True where a non-null value occurs more than once; sort-based (string hashing is slower)."""
    order = values.arg_sort(nulls_last=True)
    ranked = values.gather(order)
    same = (ranked == ranked.shift(1)).fill_null(False) | (ranked == ranked.shift(-1)).fill_null(False)
    return same.gather(order.arg_sort())


_KIND_MESSAGE = {
    "date": "unparseable date",
    "enum": "unknown value",
    "bool": "not a boolean",
    "int": "not an integer",
    "money": "not a decimal amount",
    "str": "unreadable value",
    "list": "unreadable value",
}


def _is_nested(dtype: pl.DataType) -> bool:
    return isinstance(dtype, (pl.List, pl.Array, pl.Struct))


def _native(column: Column, dtype: pl.DataType) -> bool:
    """True when a typed column converts to its contract dtype without going through text."""
    kind = column.kind
    if kind == "date":
        return dtype == pl.Date() or isinstance(dtype, pl.Datetime)
    if kind == "bool":
        return dtype == pl.Boolean()
    if kind == "int":
        return dtype.is_integer()
    if kind == "money":
        return (isinstance(dtype, pl.Decimal) and (dtype.scale or 0) <= 2) or dtype.is_integer()
    return False


def _text_of(column: Column, dtype: pl.DataType) -> pl.Expr:
    """Cleaned text of a column, used for parsing and for reporting values; a natively typed column
    is passed through as is (only its nulls matter, and reported values are cast when shown)."""
    col = pl.col(column.name)
    if dtype == pl.String():
        return clean_text(col)
    if _native(column, dtype):
        return col
    if isinstance(dtype, (pl.List, pl.Array)):
        return clean_text(col.cast(pl.List(pl.String())).list.join(";"))
    if isinstance(dtype, pl.Datetime):
        return col.dt.strftime("%Y-%m-%d %H:%M:%S")
    return clean_text(col.cast(pl.String()))


def _coerce_column(
    column: Column, src: pl.Series, text: pl.Series
) -> tuple[pl.Series, pl.Series | None]:
    """(coerced value, own message or None) of one present column; ``text`` is its cleaned text.

    When no own message is given, the caller reports the kind's message where text is present
    but the value is null.
    """
    dtype = src.dtype
    kind = column.kind
    native = _native(column, dtype)
    special: pl.Series | None = None
    if kind == "date":
        if native:
            value = src.dt.date() if isinstance(dtype, pl.Datetime) else src
        else:
            value = parse_dates(text)
    elif kind == "enum":
        assert column.enum is not None
        value = parse_enum(text, column.enum)
        unknown = {_norm_label(v) for v in UNKNOWN_LABELS.get(column.enum, ())}
        if unknown:
            said_unknown = pl.select(
                pl.lit(text).str.normalize("NFKC").str.to_lowercase()
                .str.replace_all(r"\s+", "").is_in(sorted(unknown))
            ).to_series()
            special = pl.select(
                pl.when(pl.lit(text).is_null() | pl.lit(said_unknown)).then(None)
                .when(pl.lit(value).is_null()).then(pl.lit(_KIND_MESSAGE["enum"]))
            ).to_series()
    elif kind == "bool":
        value = src if native else parse_bool(text)
    elif kind == "int":
        value = src.cast(pl.Int64(), strict=False) if native else parse_int(text)
    elif kind == "money":
        if native:
            value = src.cast(_MONEY, strict=False)
            special = pl.select(
                pl.when(pl.lit(text).is_not_null() & pl.lit(value).is_null())
                .then(pl.lit("amount out of range"))
            ).to_series()
        else:
            value, ok, too_precise = _money_parts(text)
            special = pl.select(
                pl.when(pl.lit(text).is_null()).then(None)
                .when(~pl.lit(ok)).then(pl.lit("not a decimal amount"))
                .when(pl.lit(too_precise)).then(pl.lit("more than 2 decimals"))
                .when(pl.lit(value).is_null()).then(pl.lit("amount out of range"))
            ).to_series()
    else:  # str, list: the cleaned text as is
        value = text
    return value.cast(column.dtype), special


@dataclass(slots=True)
class CoercedTable:
    """A table in contract dtypes with ``_row`` (and ``_problems`` for claims), plus its problems."""

    frame: pl.DataFrame | None
    problems: list[Problem] = field(default_factory=list)
    bad_rows: int = 0
    #: rows with a problem, per column (exact, whatever :data:`REPORT_CAP` listed)
    counts: dict[str, int] = field(default_factory=dict)


def _msg(name: str) -> str:
    return f"__m_{name}"


def _txt(name: str) -> str:
    return f"__t_{name}"


def _problem_text(message: str) -> str:
    return "required value missing" if message == "missing" else message


def _report(frame: pl.DataFrame, file: str, column: str, mcol: str, count: int) -> list[Problem]:
    """The first REPORT_CAP problems of a column (values masked), then one summary problem."""
    head = (
        frame.lazy().select(_ROW, pl.col(_txt(column)).cast(pl.String()), mcol)
        .filter(pl.col(mcol).is_not_null()).head(REPORT_CAP).collect()
    )
    out = [
        Problem(file, row, column, mask_value(value, column), _problem_text(message))
        for row, value, message in head.iter_rows()
    ]
    if count > REPORT_CAP:
        out.append(_summary(file, column, count))
    return out


def _summary(file: str, column: str, count: int) -> Problem:
    """The one problem that stands for the unlisted ones of a column."""
    return Problem(file, None, column, None,
                   f"{count - REPORT_CAP} more rows with problems in this column "
                   f"(not listed; {count} in all)")


def merge_blocks(parts: list[CoercedTable], file: str) -> list[Problem]:
    """Cell problems of one file coerced in blocks (in row order), capped per column as if the
    file had been coerced whole: the first :data:`REPORT_CAP` listed, then one summary."""
    listed: dict[str, list[Problem]] = {}
    counts: dict[str, int] = {}
    other: list[Problem] = []
    for part in parts:
        for name, n in part.counts.items():
            counts[name] = counts.get(name, 0) + n
        for p in part.problems:
            if p.row is not None and p.column is not None and p.column in part.counts:
                listed.setdefault(p.column, []).append(p)
            elif p.row is not None or p.column not in part.counts:
                other.append(p)
    out = list(other)
    for name, n in counts.items():
        out += listed.get(name, [])[:REPORT_CAP]
        if n > REPORT_CAP:
            out.append(_summary(file, name, n))
    return out


def _duplicates(work: pl.DataFrame, key: str, file: str) -> tuple[pl.Series, list[Problem]]:
    """Mask of rows whose (coerced) key occurs more than once, and the reported problems."""
    vcol = f"__v_{key}"
    dup = duplicated(work.get_column(vcol))
    rows = work.select(_ROW, pl.col(vcol).alias("key")).filter(dup)
    count = rows.height
    if not count:
        return dup, []
    groups = rows.group_by("key").agg(pl.col(_ROW).sort().head(11).alias("rows"), pl.len().alias("n"))
    head = rows.head(REPORT_CAP).join(groups, on="key", how="left").sort(_ROW)
    problems: list[Problem] = []
    for row, value, group, n in head.select(_ROW, "key", "rows", "n").iter_rows():
        others = [r for r in group if r != row][:10]
        listed = ", ".join(str(r) for r in others) + (", ..." if n - 1 > len(others) else "")
        problems.append(Problem(file, row, key, mask_value(value, key),
                                f"duplicated {key} (also in row(s) {listed})"))
    if count > REPORT_CAP:
        problems.append(Problem(file, None, key, None,
                                f"{count - REPORT_CAP} more rows with a duplicated {key} "
                                f"(not listed; {count} in all)"))
    return dup, problems


def coerce_table(frame: pl.DataFrame, spec: TableSpec, file: str) -> CoercedTable:
    """Coerce the contract columns of ``frame`` (raw or typed) to the contract dtypes.

    Absent optional columns become typed nulls; ``_row`` is the 0-based row in the source (taken
    from the frame when it has a ``_row`` column, as a block of a large file does).
    """
    problems: list[Problem] = []
    present = [c for c in spec.columns if c.name in frame.columns]
    for c in present:
        dtype = frame.schema[c.name]
        if _is_nested(dtype) and not (c.kind == "list" and isinstance(dtype, (pl.List, pl.Array))):
            problems.append(Problem(file, None, c.name, None,
                                    f"column has type {dtype}, expected {c.dtype}", fatal=True))
    if problems:
        return CoercedTable(None, problems)

    if _ROW in frame.columns:  # a block or a subset of a larger file keeps its own row numbers
        base = frame.with_columns(pl.col(_ROW).cast(pl.Int64()))
    else:
        base = frame.with_row_index(_ROW).with_columns(pl.col(_ROW).cast(pl.Int64()))
    texts = base.select(_ROW, *(_text_of(c, frame.schema[c.name]).alias(_txt(c.name))
                                for c in present))
    texts = texts.with_columns(  # empty after stripping -> null (a second, cheap pass)
        pl.when(pl.col(_txt(c.name)).str.len_bytes() > 0).then(pl.col(_txt(c.name)))
        for c in present if texts.schema[_txt(c.name)] == pl.String()
    )
    added: list[pl.Series] = []
    for c in present:
        text = texts.get_column(_txt(c.name))
        value, special = _coerce_column(c, frame.get_column(c.name), text)
        added.append(value.alias(f"__v_{c.name}"))
        if special is not None:
            added.append(special.alias(f"__s_{c.name}"))
    work = texts.with_columns(added)

    messages: list[pl.Expr] = []
    for c in present:
        t, v = pl.col(_txt(c.name)), pl.col(f"__v_{c.name}")
        bad = (pl.col(f"__s_{c.name}") if f"__s_{c.name}" in work.columns
               else pl.when(t.is_not_null() & v.is_null()).then(pl.lit(_KIND_MESSAGE[c.kind])))
        if c.required:
            bad = pl.when(t.is_null()).then(pl.lit("missing")).otherwise(bad)
        messages.append(bad.alias(_msg(c.name)))
    work = work.with_columns(messages)

    checked = [c.name for c in present]
    counts = (
        work.select(pl.col(_msg(n)).is_not_null().sum().alias(n) for n in checked).row(0, named=True)
        if checked else {}
    )
    for name in checked:
        if counts[name]:
            problems += _report(work, file, name, _msg(name), counts[name])

    key_dup = pl.repeat(False, work.height, eager=True)
    if spec.key is not None and spec.by_name[spec.key].required and spec.key in frame.columns:
        key_dup, dup_problems = _duplicates(work, spec.key, file)
        problems += dup_problems
    work = work.with_columns(key_dup.alias("__dup"))

    any_bad = pl.any_horizontal(*(pl.col(_msg(n)).is_not_null() for n in checked), pl.col("__dup"))
    out_cols: list[pl.Expr] = []
    for c in spec.columns:
        if c.name in frame.columns:
            out_cols.append(pl.col(f"__v_{c.name}").alias(c.name))
        else:
            out_cols.append(pl.lit(None, dtype=c.dtype).alias(c.name))
    out_cols.append(pl.col(_ROW))
    if spec.name == "claims":
        entries = [
            pl.when(pl.col(_msg(n)).is_not_null()).then(pl.lit(f"{n}: ") + pl.col(_msg(n)))
            for n in checked
        ]
        if spec.key is not None:
            entries.append(pl.when(pl.col("__dup")).then(pl.lit(f"{spec.key}: duplicated")))
        out_cols.append(
            pl.concat_list(entries).list.drop_nulls().cast(pl.List(pl.String())).alias(_PROBLEMS)
        )
    result = work.select(*out_cols, any_bad.alias("__bad"))
    bad_rows = int(result.get_column("__bad").sum())
    order = {c.name: i for i, c in enumerate(spec.columns)}
    problems.sort(key=lambda p: (p.row is None, p.row or 0, order.get(p.column or "", len(order))))
    return CoercedTable(result.drop("__bad"), problems, bad_rows,
                        {n: int(c) for n, c in counts.items()})
