"""Contact details (phones, bank accounts, addresses) as comparable keys, polars expressions.

These keys feed the shared-identifier and common-control checks (contract: SHARED_IDENTIFIER,
RELATED_PARTY, ONE_PERSON_MANY_IDS), so two spellings of one phone, account or address must give
the same key. Every function maps an empty result to null, so blanks never look shared.
"""

from __future__ import annotations

import polars as pl

from dupcheck.normalize.ids import V, _add_fold, _apply_frame

__all__ = ["luhn_valid", "normalize_account", "normalize_address", "normalize_phone"]


def _null_if_empty(expr: pl.Expr) -> pl.Expr:
    """Null where the string is empty."""
    return pl.when(expr.str.len_bytes() > 0).then(expr)


def _k_phone(df: pl.DataFrame) -> pl.DataFrame:
    """Phone key of column ``v`` into ``out`` (see :func:`normalize_phone`)."""
    df = _add_fold(df, V, "f")
    f = pl.col("f")
    df = df.with_columns(
        f.str.replace_all(r"[^0-9]", "").alias("d"),
        f.str.contains(r"^[(\[]?(\+|00)86").fill_null(False).alias("intl"),
    )
    d, intl = pl.col("d"), pl.col("intl")
    df = df.with_columns(
        pl.when(intl & d.str.starts_with("0086"))
        .then(d.str.slice(4))
        .when(intl)
        .then(d.str.slice(2))
        .when((d.str.len_bytes() == 13) & d.str.contains(r"^861[3-9]"))
        .then(d.str.slice(2))
        .when((d.str.len_bytes() == 12) & d.str.contains(r"^01[3-9]"))
        .then(d.str.slice(1))
        .otherwise(d)
        .alias("b")
    )
    b = pl.col("b")
    fixed = (
        pl.when(intl & ~b.str.contains(r"^1[3-9][0-9]{9}$") & ~b.str.starts_with("0"))
        .then(pl.concat_str([pl.lit("0"), b]))
        .otherwise(b)
    )
    return df.with_columns(out=pl.when(fixed.str.len_bytes() > 0).then(fixed))


def normalize_phone(expr: pl.Expr) -> pl.Expr:
    """Digits only; ``+86``/``0086``/``86`` country code dropped from mobiles; landlines keep area code.

    ``+86 138 0013 8000``, ``0086-13800138000``, ``8613800138000`` and ``013800138000`` all become
    ``13800138000``. A landline written with the country code (``+86 10 8888 6666``) gets its trunk
    ``0`` back (``01088886666``), like the domestic spelling ``010-88886666``.
    """
    return _apply_frame(expr, _k_phone, pl.String())


def normalize_account(expr: pl.Expr) -> pl.Expr:
    """Bank account key: ASCII digits and upper-case letters only (full-width folded)."""

    def build(df: pl.DataFrame) -> pl.DataFrame:
        df = _add_fold(df, V, "f")
        return df.with_columns(out=_null_if_empty(pl.col("f").str.replace_all(r"[^0-9A-Z]", "")))

    return _apply_frame(expr, build, pl.String())


def normalize_address(expr: pl.Expr) -> pl.Expr:
    """Address key: NFKC, upper case, whitespace, punctuation and symbols removed."""

    def build(df: pl.DataFrame) -> pl.DataFrame:
        key = pl.col(V).str.normalize("NFKC").str.to_uppercase()
        df = df.with_columns(k=key.str.replace_all(r"[\s\p{P}\p{S}]+", ""))
        return df.with_columns(out=_null_if_empty(pl.col("k")))

    return _apply_frame(expr, build, pl.String())


def luhn_valid(expr: pl.Expr) -> pl.Expr:
    """True where the string is 2+ ASCII digits passing the Luhn check (bank cards); else False."""

    def build(df: pl.DataFrame) -> pl.DataFrame:
        df = df.with_columns(ok=pl.col(V).str.contains(r"^[0-9]{2,}$").fill_null(False))
        x = pl.element().cast(pl.Int64)
        doubled = x * 2 - pl.when(x * 2 > 9).then(9).otherwise(0)
        term = pl.when(pl.int_range(pl.len()) % 2 == 1).then(doubled).otherwise(x)
        digits = pl.when(pl.col("ok")).then(pl.col(V)).str.reverse().str.split("")
        total = digits.list.eval(term).list.sum()
        return df.with_columns(out=(pl.col("ok") & (total % 10 == 0)).fill_null(False))

    return _apply_frame(expr, build, pl.Boolean())
