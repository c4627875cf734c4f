"""Contact details (phones, bank accounts, addresses) as comparable keys, polars expressions.

These keys feed the shared-identifier and common-control checks (contract: SHARED_IDENTIFIER,
RELATED_PARTY, ONE_PERSON_MANY_IDS), so two spellings of one phone, account or address must give
the same key. Every function maps an empty result to null, so blanks never look shared.
"""

from __future__ import annotations

import polars as pl

from dupcheck.normalize.ids import _fold

__all__ = ["luhn_valid", "normalize_account", "normalize_address", "normalize_phone"]


def _null_if_empty(expr: pl.Expr) -> pl.Expr:
    """Null where the string is empty."""
    return pl.when(expr.str.len_bytes() > 0).then(expr)


def normalize_phone(expr: pl.Expr) -> pl.Expr:
    """Digits only; ``+86``/``0086``/``86`` country code dropped from mobiles; landlines keep area code.

    ``+86 138 0013 8000``, ``0086-13800138000``, ``8613800138000`` and ``013800138000`` all become
    ``13800138000``. A landline written with the country code (``+86 10 8888 6666``) gets its trunk
    ``0`` back (``01088886666``), like the domestic spelling ``010-88886666``.
    """
    folded = _fold(expr)
    digits = folded.str.replace_all(r"[^0-9]", "")
    intl = folded.str.contains(r"^[(\[]?(\+|00)86")
    body = (
        pl.when(intl & digits.str.starts_with("0086"))
        .then(digits.str.slice(4))
        .when(intl)
        .then(digits.str.slice(2))
        .when((digits.str.len_bytes() == 13) & digits.str.contains(r"^861[3-9]"))
        .then(digits.str.slice(2))
        .when((digits.str.len_bytes() == 12) & digits.str.contains(r"^01[3-9]"))
        .then(digits.str.slice(1))
        .otherwise(digits)
    )
    fixed = (
        pl.when(intl & ~body.str.starts_with("1") & ~body.str.starts_with("0"))
        .then(pl.concat_str([pl.lit("0"), body]))
        .otherwise(body)
    )
    return _null_if_empty(fixed)


def normalize_account(expr: pl.Expr) -> pl.Expr:
    """Bank account key: ASCII digits and upper-case letters only (full-width folded)."""
    return _null_if_empty(_fold(expr).str.replace_all(r"[^0-9A-Z]", ""))


def normalize_address(expr: pl.Expr) -> pl.Expr:
    """Address key: NFKC, upper case, whitespace, punctuation and symbols removed."""
    key = expr.str.normalize("NFKC").str.to_uppercase().str.replace_all(r"[\s\p{P}\p{S}]+", "")
    return _null_if_empty(key)


def luhn_valid(expr: pl.Expr) -> pl.Expr:
    """True where the string is 2+ ASCII digits passing the Luhn check (bank cards); else False."""
    shaped = expr.str.contains(r"^[0-9]{2,}$")
    x = pl.element().cast(pl.Int64)
    doubled = x * 2 - pl.when(x * 2 > 9).then(9).otherwise(0)
    term = pl.when(pl.int_range(pl.len()) % 2 == 1).then(doubled).otherwise(x)
    total = pl.when(shaped).then(expr).str.reverse().str.split("").list.eval(term).list.sum()
    return (shaped & (total % 10 == 0)).fill_null(False)
