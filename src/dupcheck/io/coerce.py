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
from dupcheck.schema import ENUMS, Column, TableSpec

__all__ = [
    "REPORT_CAP",
    "CoercedTable",
    "bool_expr",
    "coerce_table",
    "date_expr",
    "enum_expr",
    "enum_lookup",
    "int_expr",
    "money_expr",
]

#: Individual problems reported per column and file before one summary problem takes over.
REPORT_CAP = 50

_MONEY = pl.Decimal(18, 2)
_ROW = "_row"
_PROBLEMS = "_problems"

# Accepted date layouts, each rewritten to ``Y-M-D`` before one strict ISO parse (which also
# rejects impossible dates such as 2021-02-30). An optional time of day is ignored.
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_LAYOUTS = (
    rf"^([12]\d{{3}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}$",
    rf"^([12]\d{{3}})/(\d{{1,2}})/(\d{{1,2}}){_TIME}$",
    rf"^([12]\d{{3}})\.(\d{{1,2}})\.(\d{{1,2}}){_TIME}$",
    rf"^([12]\d{{3}})(\d{{2}})(\d{{2}}){_TIME}$",
    r"^([12]\d{3})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$",
)
_ISO = r"^[12]\d{3}-\d{1,2}-\d{1,2}$"

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
    """Strip surrounding whitespace (full-width too); empty or whitespace-only becomes null."""
    s = expr.str.strip_chars()
    return pl.when(s.str.len_bytes() > 0).then(s)


def date_expr(text: pl.Expr) -> pl.Expr:
    """Parse cleaned text in any accepted layout to ``pl.Date``; null where none fits."""
    canon = text
    for layout in _DATE_LAYOUTS:
        canon = canon.str.replace(layout, "${1}-${2}-${3}")
    return pl.when(canon.str.contains(_ISO)).then(
        canon.str.strptime(pl.Date(), "%Y-%m-%d", strict=False)
    )


def enum_expr(text: pl.Expr, enum: str) -> pl.Expr:
    """Map codes and Chinese aliases (trimmed, NFKC, any case) to the enum's code; else null."""
    key = text.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"\s+", "")
    return key.replace_strict(enum_lookup(enum), default=None, return_dtype=pl.String())


def bool_expr(text: pl.Expr) -> pl.Expr:
    """true/false, t/f, 1/0, Y/N, yes/no, 是/否 in any case -> Boolean; else null."""
    return text.str.to_lowercase().replace_strict(_BOOLS, default=None, return_dtype=pl.Boolean())


def int_expr(text: pl.Expr) -> pl.Expr:
    """Whole numbers (a ``.0`` tail allowed, as Excel writes them) -> Int64; else null."""
    ok = text.str.contains(r"^[+-]?\d+(?:\.0*)?$")
    return pl.when(ok).then(text.str.replace(r"\.0*$", "").cast(pl.Int64(), strict=False))


def _money_parts(text: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(value, well-formed, too many decimals) of money text; parsed as text, never via float."""
    grouped = text.str.contains(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
    t = pl.when(grouped).then(text.str.replace_all(",", "")).otherwise(text)
    ok = t.str.contains(r"^[+-]?(?:\d+\.?\d*|\.\d+)$")
    extra = t.str.extract(r"\.\d{2}(\d*)$", 1)
    too_precise = ok & extra.str.contains(r"[1-9]").fill_null(False)
    canon = t.str.replace(r"(\.\d{0,2})\d*$", "$1").str.replace(r"\.$", "")
    value = pl.when(ok & ~too_precise).then(canon.cast(_MONEY, strict=False))
    return value, ok, too_precise


def money_expr(text: pl.Expr) -> pl.Expr:
    """Decimal text (at most 2 decimals, ``1,234.50`` grouping allowed) -> exact Decimal(18, 2)."""
    return _money_parts(text)[0]


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


def _text_of(name: str, dtype: pl.DataType) -> pl.Expr:
    """Cleaned text of a column of any dtype (used for parsing and for reporting values)."""
    col = pl.col(name)
    if dtype == pl.String():
        return clean_text(col)
    if isinstance(dtype, (pl.List, pl.Array)):
        return clean_text(col.cast(pl.List(pl.String())).list.join(";"))
    if isinstance(dtype, pl.Datetime):
        return col.dt.strftime("%Y-%m-%d %H:%M:%S")
    return clean_text(col.cast(pl.String()))


def _value_and_message(column: Column, dtype: pl.DataType, t: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(coerced value, message-or-null) of one present column; ``t`` is its cleaned text."""
    src = pl.col(column.name)
    kind = column.kind
    special: pl.Expr | None = None
    if kind == "date":
        if dtype == pl.Date():
            value = src
        elif isinstance(dtype, pl.Datetime):
            value = src.dt.date()
        else:
            value = date_expr(t)
    elif kind == "enum":
        assert column.enum is not None
        value = enum_expr(t, column.enum)
    elif kind == "bool":
        value = src if dtype == pl.Boolean() else bool_expr(t)
    elif kind == "int":
        value = src.cast(pl.Int64(), strict=False) if dtype.is_integer() else int_expr(t)
    elif kind == "money":
        if (isinstance(dtype, pl.Decimal) and (dtype.scale or 0) <= 2) or dtype.is_integer():
            value = src.cast(_MONEY, strict=False)
            special = pl.when(t.is_not_null() & value.is_null()).then(pl.lit("amount out of range"))
        else:
            value, ok, too_precise = _money_parts(t)
            special = (
                pl.when(t.is_null()).then(None)
                .when(~ok).then(pl.lit("not a decimal amount"))
                .when(too_precise).then(pl.lit("more than 2 decimals"))
                .when(value.is_null()).then(pl.lit("amount out of range"))
            )
    else:  # str, list: text as is
        value = t
    bad = special if special is not None else (
        pl.when(t.is_not_null() & value.is_null()).then(pl.lit(_KIND_MESSAGE[kind]))
    )
    if column.required:
        bad = pl.when(t.is_null()).then(pl.lit("missing")).otherwise(bad)
    return value.cast(column.dtype), bad


@dataclass(slots=True)
class CoercedTable:
    """A table in contract dtypes with ``_row`` (and ``_problems`` for claims), plus its problems."""

    frame: pl.DataFrame | None
    problems: list[Problem] = field(default_factory=list)
    bad_rows: int = 0


def _msg(name: str) -> str:
    return f"__m_{name}"


def _txt(name: str) -> str:
    return f"__t_{name}"


def _problem_text(message: str) -> str:
    return "required value missing" if message == "missing" else message


def _report(frame: pl.DataFrame, file: str, column: str, mcol: str, count: int) -> list[Problem]:
    """The first REPORT_CAP problems of a column (values masked), then one summary problem."""
    head = frame.filter(pl.col(mcol).is_not_null()).head(REPORT_CAP)
    out = [
        Problem(file, row, column, mask_value(value, column), _problem_text(message))
        for row, value, message in head.select(_ROW, _txt(column), mcol).iter_rows()
    ]
    if count > REPORT_CAP:
        out.append(Problem(file, None, column, None,
                           f"{count - REPORT_CAP} more rows with problems in this column "
                           f"(not listed; {count} in all)"))
    return out


def _duplicates(work: pl.DataFrame, key: str, file: str) -> tuple[pl.Expr, list[Problem]]:
    """Mask of rows whose (coerced) key occurs more than once, and the reported problems."""
    vcol = f"__v_{key}"
    dup = pl.col(vcol).is_duplicated() & pl.col(vcol).is_not_null()
    rows = work.filter(dup).select(_ROW, pl.col(vcol).alias("key"))
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

    Absent optional columns become typed nulls; ``_row`` is the 0-based row in the source.
    """
    problems: list[Problem] = []
    present = [c for c in spec.columns if c.name in frame.columns]
    for c in present:
        dtype = frame.schema[c.name]
        if _is_nested(dtype) and c.kind != "list":
            problems.append(Problem(file, None, c.name, None,
                                    f"column has type {dtype}, expected {c.dtype}", fatal=True))
    if problems:
        return CoercedTable(None, problems)

    base = frame.with_row_index(_ROW).with_columns(pl.col(_ROW).cast(pl.Int64()))
    base = base.with_columns(_text_of(c.name, frame.schema[c.name]).alias(_txt(c.name)) for c in present)
    values: list[pl.Expr] = []
    messages: list[pl.Expr] = []
    for c in present:
        value, bad = _value_and_message(c, frame.schema[c.name], pl.col(_txt(c.name)))
        values.append(value.alias(f"__v_{c.name}"))
        messages.append(bad.alias(_msg(c.name)))
    work = base.with_columns(*values, *messages)

    checked = [c.name for c in present]
    counts = (
        work.select(pl.col(_msg(n)).is_not_null().sum().alias(n) for n in checked).row(0, named=True)
        if checked else {}
    )
    for name in checked:
        if counts[name]:
            problems += _report(work, file, name, _msg(name), counts[name])

    key_dup: pl.Expr = pl.lit(False)
    if spec.key is not None and spec.by_name[spec.key].required and spec.key in frame.columns:
        key_dup, dup_problems = _duplicates(work, spec.key, file)
        problems += dup_problems

    any_bad = pl.any_horizontal(*(pl.col(_msg(n)).is_not_null() for n in checked), key_dup)
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
            entries.append(pl.when(key_dup).then(pl.lit(f"{spec.key}: duplicated")))
        out_cols.append(
            pl.concat_list(entries).list.drop_nulls().cast(pl.List(pl.String())).alias(_PROBLEMS)
        )
    result = work.select(*out_cols, any_bad.alias("__bad"))
    bad_rows = int(result.get_column("__bad").sum())
    return CoercedTable(result.drop("__bad"), problems, bad_rows)
