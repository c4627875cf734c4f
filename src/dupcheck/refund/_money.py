"""Exact money arithmetic for the refund audit: integer fen, half-up rounding, no float anywhere.

Why not polars' own decimal ops: in polars 2.1, ``Expr.round`` on decimals rounds half-to-even
(``0.025 -> 0.02``) and a decimal product is silently re-scaled, so neither gives the half-up
rounding to the fen that refund amounts need (contract §4). Instead an amount is carried as its
unscaled ``Int128`` fen value (the decimal's physical representation), a rate as an integer
numerator over ``10**scale``, and ``rate × amount`` is rounded half away from zero with integer
floor division. Rates are few (one per year and size class), so they are handled as Python
``Decimal`` values and turned into integer numerators once.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import polars as pl

__all__ = [
    "MONEY",
    "common_scale",
    "exceeds_ratio",
    "from_fen",
    "mul_rate_half_up",
    "rate_numerator",
    "to_fen",
    "to_scaled",
]

#: The contract's money dtype.
MONEY = pl.Decimal(18, 2)


def common_scale(values: Iterable[Decimal]) -> int:
    """The smallest number of decimal places that writes every value exactly (at least 0)."""
    scale = 0
    for v in values:
        exp = v.normalize().as_tuple().exponent
        if not isinstance(exp, int):
            raise ValueError(f"not a finite decimal: {v}")
        scale = max(scale, -exp)
    return scale


def rate_numerator(rate: Decimal, scale: int) -> int:
    """``rate`` as an integer numerator over ``10**scale``; raises if that is not exact."""
    num = rate.scaleb(scale)
    if num != num.to_integral_value():
        raise ValueError(f"{rate} has more than {scale} decimal places")
    return int(num)


def to_fen(expr: pl.Expr) -> pl.Expr:
    """A money column (Decimal with 2 places) as its exact Int128 number of fen."""
    return expr.cast(MONEY).to_physical().cast(pl.Int128)


def to_scaled(expr: pl.Expr) -> pl.Expr:
    """An integer or 2-place decimal column as Int128 hundredths (exact; for ratio tests)."""
    return expr.cast(pl.Decimal(38, 2)).to_physical().cast(pl.Int128)


def from_fen(expr: pl.Expr) -> pl.Expr:
    """Int128 fen back to ``Decimal(18, 2)`` yuan (exact: dividing an integer by 100 at scale 2)."""
    return (expr.cast(pl.Decimal(38, 2)) / 100).cast(MONEY)


def mul_rate_half_up(fen: pl.Expr, numerator: pl.Expr, scale: int) -> pl.Expr:
    """``fen × numerator / 10**scale`` rounded half away from zero to a whole fen (Int128).

    Both inputs are integers, so the result is exact: ``(2·|p| + d) // (2·d)`` is half-up rounding
    of ``|p| / d``, and the sign is restored afterwards.
    """
    den = 10**scale
    prod = fen.cast(pl.Int128) * numerator.cast(pl.Int128)
    mag = (prod.abs() * 2 + den) // (2 * den)
    return pl.when(prod < 0).then(mag * -1).otherwise(mag)  # i128 has no unary neg in polars 2.1


def exceeds_ratio(num: pl.Expr, den: pl.Expr, thr_numerator: pl.Expr, scale: int) -> pl.Expr:
    """Exactly whether ``num / den > thr_numerator / 10**scale`` (num, den: ints or decimals).

    A zero denominator exceeds any threshold when the numerator is positive and none otherwise
    (a unit with nobody insured and no layoffs has laid off no one). Null inputs give null.
    """
    n = to_scaled(num)
    d = to_scaled(den)
    lhs = n * (10**scale)
    rhs = thr_numerator.cast(pl.Int128) * d
    return (
        pl.when(d > 0)
        .then(lhs > rhs)
        .when(d == 0)
        .then(n > 0)
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    )
