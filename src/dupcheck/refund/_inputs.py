"""Getting the refund tables into shape: typed columns, normalised keys, optional extra columns.

``dupcheck.io.load`` already delivers contract dtypes; this module also accepts plain in-memory
frames (tests, notebooks) and brings both to the same form. Money must arrive as decimal, integer
or text with at most two decimals: a float money column is refused (it is already inexact).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from dupcheck.errors import InputError
from dupcheck.normalize import normalize_account, normalize_address, normalize_phone
from dupcheck.schema import ENUMS, TABLES

from ._money import MONEY

__all__ = [
    "LAYOFF_EXTRA_COLUMNS",
    "get_tables",
    "norm_account",
    "norm_address",
    "norm_phone",
    "norm_uscc",
    "prepare_applications",
    "prepare_enterprises",
]

#: Optional extra columns of ``refund_applications`` used by the layoff-rate variants A-D
#: (domain.md §5.3). Integers, or decimals for the monthly average.
LAYOFF_EXTRA_COLUMNS: dict[str, str] = {
    "insured_prev2_year_end": "insured headcount at the end of year N-2 (variants A, B)",
    "insured_jan_prev_year": "insured headcount in January of year N-1 (variant C)",
    "insured_avg_prev_year": "monthly average insured headcount in year N-1 (variants C, D)",
    "ui_recipients_prev_year": "the unit's former staff receiving UI benefit in N-1 (variant B)",
    "new_ui_recipients_prev_year": "new UI-benefit recipients from the unit in N-1 (variant D)",
}

_MONEY_TEXT = r"^-?\d+(\.\d{1,2})?$"
_TRUE = {"true", "1", "y", "yes", "是", "t"}
_FALSE = {"false", "0", "n", "no", "否", "f"}


def get_tables(data: Any) -> dict[str, pl.DataFrame]:
    """The tables of ``data``: a folder path (read with ``dupcheck.io.load``), a Dataset, or a dict."""
    if isinstance(data, Mapping):
        return {str(k).strip().lower(): v for k, v in data.items()}
    tables = getattr(data, "tables", None)
    if isinstance(tables, Mapping):
        return dict(tables)
    if isinstance(data, str | Path):
        from dupcheck.io import load

        # a refund data folder needs no claims table (contract §1: each table enables its checks)
        return dict(load(Path(data), require=("refund_applications",)).tables)
    raise InputError(f"refund audit needs a data folder, a Dataset or a dict of frames, not {type(data).__name__}")


def _lower_names(df: pl.DataFrame) -> pl.DataFrame:
    return df.rename({c: c.strip().lower() for c in df.columns if c != c.strip().lower()})


def norm_uscc(expr: pl.Expr) -> pl.Expr:
    """USCC for comparison: NFKC (full-width forms), no spaces, upper case; empty -> null."""
    v = expr.cast(pl.String).str.normalize("NFKC").str.replace_all(r"\s", "").str.to_uppercase()
    return pl.when(v.str.len_chars() > 0).then(v).otherwise(None)


#: Contact keys are the project's one normalisation (``dupcheck.normalize.contact``), so the refund
#: audit and the graph compare phones, accounts and addresses identically.
norm_phone = normalize_phone
norm_account = normalize_account
norm_address = normalize_address


def _enum_codes(expr: pl.Expr, enum: str) -> pl.Expr:
    mapping: dict[str, str] = {}
    for code, labels in ENUMS[enum].items():
        mapping[code] = code
        for label in labels:
            mapping[label.lower()] = code
    v = expr.cast(pl.String).str.strip_chars().str.to_lowercase()
    return v.replace_strict(mapping, default=None, return_dtype=pl.String)


def _money(df: pl.DataFrame, col: str, table: str) -> tuple[pl.DataFrame, pl.Expr]:
    """Cast a money column to Decimal(18,2) exactly; returns the frame and a 'was bad' expr."""
    dt = df.schema[col]
    bad = pl.lit(False)
    if isinstance(dt, pl.Decimal):
        if (dt.scale or 0) > 2:
            # refuse silent truncation: only values that are exact at two places are kept
            exact = pl.col(col).cast(MONEY).cast(dt) == pl.col(col)
            bad = pl.col(col).is_not_null() & ~exact
            df = df.with_columns(
                pl.when(exact).then(pl.col(col).cast(MONEY)).alias(col), bad.alias(f"_bad_{col}")
            )
        else:
            df = df.with_columns(pl.col(col).cast(MONEY))
    elif dt.is_integer():
        df = df.with_columns(pl.col(col).cast(MONEY))
    elif dt in (pl.String(), pl.Null()):
        txt = pl.col(col).cast(pl.String).str.normalize("NFKC").str.replace_all(r"[\s,]", "")
        ok = txt.str.contains(_MONEY_TEXT)
        bad = txt.is_not_null() & (txt != "") & ~ok
        df = df.with_columns(
            pl.when(ok).then(txt).cast(MONEY).alias(col), bad.alias(f"_bad_{col}")
        )
    else:
        raise InputError(
            f"{table}: column {col!r} is {dt}; money must be decimal, integer or text (never float)"
        )
    if f"_bad_{col}" not in df.columns:
        df = df.with_columns(bad.alias(f"_bad_{col}"))
    return df, pl.col(f"_bad_{col}")


def _count(df: pl.DataFrame, col: str, *, fractional: bool = False) -> tuple[pl.DataFrame, pl.Expr]:
    """Cast a headcount column to Int64 (or exact Decimal(18,2) when ``fractional``)."""
    dt = df.schema[col]
    target: pl.DataType = MONEY if fractional else pl.Int64()
    if dt.is_float():
        raise InputError(f"refund_applications: column {col!r} is {dt}; headcounts must be exact")
    if dt.is_integer() or (isinstance(dt, pl.Decimal) and (fractional or (dt.scale or 0) == 0)):
        return df.with_columns(pl.col(col).cast(target)), pl.lit(False)
    txt = pl.col(col).cast(pl.String).str.normalize("NFKC").str.strip_chars()
    ok = txt.str.contains(r"^\d+(\.\d{1,2})?$" if fractional else r"^\d+$")
    bad = txt.is_not_null() & (txt != "") & ~ok
    df = df.with_columns(pl.when(ok).then(txt).cast(target).alias(col), bad.alias(f"_bad_{col}"))
    return df, pl.col(f"_bad_{col}")


def prepare_applications(raw: pl.DataFrame) -> pl.DataFrame:
    """Typed applications with ``_row``, normalised keys, ``units`` (list) and ``_bad`` (list of str).

    ``units`` is the applicant plus its covered units, normalised and without repeats;
    ``covered`` the covered units alone. ``_bad`` names the columns that could not be read.
    """
    df = _lower_names(raw)
    spec = TABLES["refund_applications"]
    for c in spec.columns:
        if c.name not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=c.dtype).alias(c.name))
    if "_row" not in df.columns:
        df = df.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
    bad_exprs: list[pl.Expr] = []
    for col in ("due_prev_year", "paid_prev_year", "requested_amount"):
        df, bad = _money(df, col, "refund_applications")
        bad_exprs.append(pl.when(bad).then(pl.lit(col)))
    for col in ("year", "insured_prev_year_end", "layoffs_prev_year"):
        df, bad = _count(df, col)
        bad_exprs.append(pl.when(bad).then(pl.lit(col)))
    for col in LAYOFF_EXTRA_COLUMNS:
        if col in df.columns:
            df, bad = _count(df, col, fractional=col == "insured_avg_prev_year")
            bad_exprs.append(pl.when(bad).then(pl.lit(col)))
    df = df.with_columns(
        pl.col("year").cast(pl.Int64),
        pl.col("application_id").cast(pl.String).str.strip_chars(),
        norm_uscc(pl.col("enterprise_id")).alias("enterprise_id"),
        norm_account(pl.col("bank_account")).alias("payee"),
        pl.concat_list(bad_exprs).list.drop_nulls().alias("_bad"),
    )
    df = df.drop([c for c in df.columns if c.startswith("_bad_")])
    cov = pl.col("covered_units")
    if not isinstance(df.schema["covered_units"], pl.List):
        cov = cov.cast(pl.String).str.normalize("NFKC").str.split(";")
    covered = (
        # list.sort is very slow in polars 2.1 (seconds per 100k rows); order is not needed here
        cov.list.eval(norm_uscc(pl.element())).list.drop_nulls().list.unique()
    )
    df = df.with_columns(covered.fill_null(pl.lit([], dtype=pl.List(pl.String))).alias("covered"))
    df = df.with_columns(
        pl.col("covered").list.set_difference(pl.concat_list(pl.col("enterprise_id"))).alias("covered")
    ).with_columns(
        pl.concat_list(pl.col("enterprise_id"), pl.col("covered"))
        .list.drop_nulls()
        .list.unique()
        .alias("units")
    )
    return df


def prepare_enterprises(raw: pl.DataFrame | None) -> pl.DataFrame | None:
    """One row per normalised ``enterprise_id`` with enum codes and normalised contacts, or None."""
    if raw is None:
        return None
    df = _lower_names(raw)
    spec = TABLES["enterprises"]
    for c in spec.columns:
        if c.name not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=c.dtype).alias(c.name))
    dis = pl.col("dishonest")
    if df.schema["dishonest"] != pl.Boolean():
        v = dis.cast(pl.String).str.strip_chars().str.to_lowercase()
        dis = pl.when(v.is_in(list(_TRUE))).then(True).when(v.is_in(list(_FALSE))).then(False)
    df = df.with_columns(
        norm_uscc(pl.col("enterprise_id")).alias("enterprise_id"),
        _enum_codes(pl.col("kind"), "kind").alias("kind"),
        _enum_codes(pl.col("size_class"), "size_class").alias("size_class"),
        dis.alias("dishonest"),
        pl.col("legal_rep_id").cast(pl.String).str.normalize("NFKC").str.replace_all(r"\s", "")
        .str.to_uppercase().alias("rep"),
        norm_phone(pl.col("phone")).alias("phone_n"),
        norm_account(pl.col("bank_account")).alias("account_n"),
        norm_address(pl.col("address")).alias("address_n"),
        pl.col("name").cast(pl.String),
    ).with_columns(pl.when(pl.col("rep").str.len_chars() > 0).then(pl.col("rep")).alias("rep"))
    df = df.filter(pl.col("enterprise_id").is_not_null())
    cols = ["name", "kind", "size_class", "rep", "phone_n", "account_n", "address_n"]
    keep = ["enterprise_id", *cols, "dishonest"]
    if not df.get_column("enterprise_id").is_duplicated().any():
        return df.select(keep).with_columns(pl.col("dishonest").fill_null(False))
    # several rows of one unit: the smallest non-null value of each field (so the result does
    # not depend on row order), and dishonest if any row says so
    return df.group_by("enterprise_id").agg(
        *[pl.col(c).drop_nulls().min().alias(c) for c in cols],
        pl.col("dishonest").fill_null(False).any().alias("dishonest"),
    ).select(keep)
