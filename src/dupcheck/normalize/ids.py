"""Resident id numbers (GB 11643-1999) and USCCs (GB 32100-2015) as polars expressions.

Every function takes and returns a ``pl.Expr`` over a whole string column, so 10M ids are cleaned,
canonicalised and validated without a Python loop. Conventions (domain.md §8.1, design.md):

* ``clean_id`` strips every whitespace (U+3000 included), folds full-width digits and letters to
  ASCII and upper-cases letters (so ``x`` becomes ``X``); an empty result is null.
* ``canonical_id`` is the cleaned value, except that a 15-digit legacy number is upgraded to 18
  characters (century ``19``, or ``18`` for the centenarian sequences 996-999, plus the check
  character). Anything else stays as cleaned, so invalid ids remain comparable.
* ``id_is_valid`` checks pattern, MOD 11-2 check character, a real birth date between 1880-01-01 and
  today, and the region code against the historical GB/T 2260 list shipped by python-stdnum. A
  number keeps the code in force when it was issued, so, unlike stdnum, the code need not have
  existed in the birth year.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources

import polars as pl

__all__ = [
    "ID_WEIGHTS",
    "USCC_ALPHABET",
    "USCC_WEIGHTS",
    "canonical_id",
    "clean_id",
    "clean_uscc",
    "id_birth_date",
    "id_check_char",
    "id_gender",
    "id_is_valid",
    "is_legacy_raw",
    "legacy_form",
    "region_codes",
    "uscc_check_char",
    "uscc_is_valid",
]

#: ISO 7064 MOD 11-2 weights of the first 17 positions (2**(18-i) mod 11).
ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Check character for ``sum(d_i * w_i) % 11`` = 0..10.
_ID_CHECK_CHARS = "10X98765432"
#: GB 32100 alphabet: the value of a character is its index (no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: GB 32100 weights of the first 17 positions (3**i mod 31).
USCC_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

#: Earliest birth date accepted in a valid id.
MIN_BIRTH = dt.date(1880, 1, 1)
#: Region codes of residence permits (Hong Kong, Macau, Taiwan; domain.md §8.1). stdnum's list
#: has 810000 and 820000 but lacks 830000, which Taiwan residents' permits carry.
_PERMIT_CODES = frozenset({"810000", "820000", "830000"})

# Unicode White_Space plus the invisible characters that copy-paste leaves in ids.
_WHITESPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff"
)


def _fold_map() -> dict[str, str]:
    """One replace table: whitespace -> '', full-width digits/letters -> ASCII, letters -> upper."""
    table: dict[str, str] = {ch: "" for ch in _WHITESPACE}
    table.update({chr(0xFF10 + i): str(i) for i in range(10)})
    for i in range(26):
        upper = chr(ord("A") + i)
        table[chr(0xFF21 + i)] = upper  # Ａ..Ｚ
        table[chr(0xFF41 + i)] = upper  # ａ..ｚ
        table[chr(ord("a") + i)] = upper
    return table


_FOLD = _fold_map()
_FOLD_FROM = list(_FOLD)
_FOLD_TO = list(_FOLD.values())

_ID18 = r"^\d{17}[0-9X]$"
_ID15 = r"^\d{15}$"


def _fold(expr: pl.Expr) -> pl.Expr:
    """Whitespace out, full-width folded, letters upper-cased (one Aho-Corasick pass); '' -> null."""
    out = expr.str.replace_many(_FOLD_FROM, _FOLD_TO)
    return pl.when(out.str.len_bytes() > 0).then(out)


def clean_id(expr: pl.Expr) -> pl.Expr:
    """Cleaned id: no whitespace (U+3000 too), ASCII digits, upper-case letters; '' and null -> null."""
    return _fold(expr)


def clean_uscc(expr: pl.Expr) -> pl.Expr:
    """Cleaned USCC, same folding as :func:`clean_id` (whitespace out, full-width in, upper case)."""
    return _fold(expr)


def id_check_char(expr17: pl.Expr) -> pl.Expr:
    """MOD 11-2 check character of a 17-digit string (null when not exactly 17 ASCII digits)."""
    ok = expr17.str.contains(r"^\d{17}$")
    n = pl.when(ok).then(expr17).str.to_integer(base=10, dtype=pl.Int64, strict=False)
    total = pl.sum_horizontal(
        [((n // (10 ** (16 - i))) % 10) * w for i, w in enumerate(ID_WEIGHTS)]
    )
    return (total % 11).replace_strict(
        list(range(11)), list(_ID_CHECK_CHARS), default=None, return_dtype=pl.String
    )


def _century(seq: pl.Expr) -> pl.Expr:
    """'18' for the 1989 centenarian sequences 996-999, else '19' (domain.md §8.1)."""
    return (
        pl.when(seq.is_in(["996", "997", "998", "999"])).then(pl.lit("18")).otherwise(pl.lit("19"))
    )


def _upgrade_legacy(clean: pl.Expr) -> pl.Expr:
    """18-character form of a cleaned 15-digit id (garbage in other rows; callers mask them)."""
    body = pl.concat_str(
        [clean.str.slice(0, 6), _century(clean.str.slice(12, 3)), clean.str.slice(6, 9)]
    )
    return pl.concat_str([body, id_check_char(body)])


def _is_legacy_clean(clean: pl.Expr) -> pl.Expr:
    """True where an already cleaned id is a 15-digit legacy number."""
    return clean.str.contains(_ID15)


def _canonical_from_clean(clean: pl.Expr) -> pl.Expr:
    """:func:`canonical_id` of an already cleaned column."""
    return pl.when(_is_legacy_clean(clean)).then(_upgrade_legacy(clean)).otherwise(clean)


def canonical_id(expr: pl.Expr) -> pl.Expr:
    """Canonical 18-character id: cleaned, 15-digit legacy numbers upgraded; else the cleaned value."""
    return _canonical_from_clean(clean_id(expr))


def is_legacy_raw(expr: pl.Expr) -> pl.Expr:
    """True where the raw id, once cleaned, is a 15-digit legacy number (null for null)."""
    return _is_legacy_clean(clean_id(expr))


@cache
def region_codes() -> frozenset[str]:
    """Every 6-digit address code ever in GB/T 2260 (stdnum's ``cn/loc.dat``) plus permit codes."""
    text = (resources.files("stdnum") / "cn" / "loc.dat").read_text(encoding="utf-8")
    codes: set[str] = set(_PERMIT_CODES)
    prefix = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        token = line.split()[0]
        if not line[0].isspace():
            prefix = token
            if len(prefix) == 2:
                codes.add(prefix + "0000")
        elif len(prefix) + len(token) == 6 and token.isdigit():
            codes.add(prefix + token)
    return frozenset(codes)


@cache
def _region_series() -> pl.Series:
    """Sorted region codes as a Series (stable input for ``is_in``)."""
    return pl.Series("region", sorted(region_codes()), dtype=pl.String)


def _birth_date_any(canon: pl.Expr) -> pl.Expr:
    """Date in characters 7-14 of an 18-character id; null when not a real calendar date."""
    shaped = canon.str.contains(_ID18)
    return pl.when(shaped).then(canon.str.slice(6, 8)).str.strptime(pl.Date, "%Y%m%d", strict=False)


def id_birth_date(canon: pl.Expr) -> pl.Expr:
    """Birth date encoded in a canonical id (null when the id is malformed or the date unreal)."""
    return _birth_date_any(canon)


def id_gender(canon: pl.Expr) -> pl.Expr:
    """'M' when the 17th character (sequence) is odd, 'F' when even; null for a malformed id."""
    digit = (
        pl.when(canon.str.contains(_ID18)).then(canon.str.slice(16, 1)).cast(pl.Int8, strict=False)
    )
    return (
        pl.when(digit.is_null())
        .then(pl.lit(None, pl.String))
        .when(digit % 2 == 1)
        .then(pl.lit("M"))
        .otherwise(pl.lit("F"))
    )


def legacy_form(canon: pl.Expr) -> pl.Expr:
    """15-digit legacy form of a canonical id (century and check character dropped); else null."""
    return pl.when(canon.str.contains(_ID18)).then(
        pl.concat_str([canon.str.slice(0, 6), canon.str.slice(8, 9)])
    )


def id_is_valid(canon: pl.Expr, today: dt.date | None = None) -> pl.Expr:
    """True for a well-formed id with right check character, real birth date and known region.

    ``today`` (default: the current date) bounds the birth date. Never null: a null id is False.
    """
    limit = today or dt.date.today()
    shaped = canon.str.contains(_ID18)
    check_ok = id_check_char(canon.str.slice(0, 17)) == canon.str.slice(17, 1)
    birth = _birth_date_any(canon)
    date_ok = birth.is_between(pl.lit(MIN_BIRTH), pl.lit(limit), closed="both")
    region_ok = canon.str.slice(0, 6).is_in(_region_series().implode())
    valid = shaped & check_ok & date_ok & region_ok
    return valid.fill_null(False)


def uscc_check_char(expr17: pl.Expr) -> pl.Expr:
    """GB 32100 MOD 31 check character of 17 USCC characters (null if length or alphabet wrong)."""
    values = list(range(len(USCC_ALPHABET)))
    ok = expr17.str.contains(rf"^[{USCC_ALPHABET}]{{17}}$")
    src = pl.when(ok).then(expr17)
    terms = [
        src.str.slice(i, 1).replace_strict(
            list(USCC_ALPHABET), values, default=None, return_dtype=pl.Int64
        )
        * w
        for i, w in enumerate(USCC_WEIGHTS)
    ]
    total = pl.sum_horizontal(terms)
    check = (31 - total % 31) % 31
    return pl.when(ok).then(
        check.replace_strict(values, list(USCC_ALPHABET), default=None, return_dtype=pl.String)
    )


def uscc_is_valid(expr: pl.Expr) -> pl.Expr:
    """True for an 18-character USCC (after :func:`clean_uscc`) whose MOD 31 check matches.

    Codes starting with a letter (A, N, Y registration authorities) are accepted, unlike stdnum.
    Never null: a null code is False.
    """
    c = clean_uscc(expr)
    shaped = c.str.contains(rf"^[{USCC_ALPHABET}]{{18}}$")
    ok = shaped & (uscc_check_char(c.str.slice(0, 17)) == c.str.slice(17, 1)).fill_null(False)
    return ok.fill_null(False)
