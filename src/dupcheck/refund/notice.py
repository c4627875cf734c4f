"""The public-notice list (公示名单) of approved refund applications (contract §4, domain.md §7).

Columns ``application_id, year, enterprise_name, enterprise_id, amount``; nothing else personal.
The name of an individual business (USCC starting ``92``), which usually contains its owner's
name, is masked like a personal name. The CSV is UTF-8 with a BOM (so spreadsheets detect the
encoding), every value is text, and a cell that a spreadsheet would read as a formula (starting with
``=``, ``+``, ``-``, ``@``, or a tab / carriage return, per OWASP) is prefixed with ``'``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dupcheck.masking import mask_name_expr

__all__ = ["NOTICE_COLUMNS", "build_notice", "defuse_formula", "write_notice"]

NOTICE_COLUMNS = ["application_id", "year", "enterprise_name", "enterprise_id", "amount"]

_FORMULA_START = r"^[=+\-@\t\r]"


def defuse_formula(expr: pl.Expr) -> pl.Expr:
    """Prefix ``'`` to a text cell a spreadsheet would execute as a formula."""
    return pl.when(expr.str.contains(_FORMULA_START)).then(pl.lit("'") + expr).otherwise(expr)


def build_notice(approved: pl.DataFrame) -> pl.DataFrame:
    """The notice frame (all columns text) from approved applications.

    ``approved`` needs ``application_id, year, enterprise_id, name, eligible_amount``.
    """
    name = pl.col("name").cast(pl.String)
    ind = pl.col("enterprise_id").str.starts_with("92").fill_null(False)
    frame = approved.select(
        pl.col("application_id").cast(pl.String),
        pl.col("year").cast(pl.String),
        pl.when(ind).then(mask_name_expr(name)).otherwise(name).alias("enterprise_name"),
        pl.col("enterprise_id").cast(pl.String),
        pl.col("eligible_amount").cast(pl.String).alias("amount"),
    )
    return frame.with_columns([defuse_formula(pl.col(c)).alias(c) for c in NOTICE_COLUMNS])


def write_notice(notice: pl.DataFrame, path: Path) -> None:
    """Write ``notice.csv`` as UTF-8 with BOM, every field quoted as text."""
    notice.select(NOTICE_COLUMNS).write_csv(path, include_bom=True, quote_style="non_numeric")
