"""Inclusive calendar periods as polars expressions: the one place overlap logic lives.

Contract §4: periods are inclusive calendar dates; two periods overlap when they share at least
one day; a null end means still running. Every rule uses these helpers, so the semantics cannot
drift between rules.
"""

from __future__ import annotations

from datetime import date

import polars as pl

__all__ = [
    "FAR_FUTURE",
    "add_months",
    "months_between",
    "overlap_end",
    "overlap_start",
    "overlaps",
    "period_days",
]

#: Stand-in for an open end when a concrete date is needed (never written to outputs).
FAR_FUTURE = date(9999, 12, 31)


def _end(e: pl.Expr) -> pl.Expr:
    return e.fill_null(pl.lit(FAR_FUTURE))


def overlaps(s1: pl.Expr, e1: pl.Expr, s2: pl.Expr, e2: pl.Expr) -> pl.Expr:
    """True when [s1, e1] and [s2, e2] share a day; a null end is open; a null start is unknown (null)."""
    return (s1 <= _end(e2)) & (s2 <= _end(e1))


def overlap_start(s1: pl.Expr, s2: pl.Expr) -> pl.Expr:
    """First shared day of two overlapping periods."""
    return pl.max_horizontal(s1, s2)


def overlap_end(e1: pl.Expr, e2: pl.Expr) -> pl.Expr:
    """Last shared day of two overlapping periods; null when both are open."""
    m = pl.min_horizontal(_end(e1), _end(e2))
    return pl.when(m == pl.lit(FAR_FUTURE)).then(None).otherwise(m)


def add_months(d: pl.Expr, months: pl.Expr | int) -> pl.Expr:
    """``d`` plus a whole number of months (end-of-month clamped, as calendars do)."""
    m = pl.lit(months) if isinstance(months, int) else months
    return d.dt.offset_by(pl.format("{}mo", m))


def period_days(s: pl.Expr, e: pl.Expr) -> pl.Expr:
    """Number of days in the inclusive period [s, e] (Int64)."""
    return (e - s).dt.total_days() + 1


def months_between(s: pl.Expr, e: pl.Expr) -> pl.Expr:
    """Length of the inclusive period [s, e] in months (Float64, 30.4375-day months)."""
    return period_days(s, e).cast(pl.Float64) / 30.4375
