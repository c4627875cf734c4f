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

How: each public function runs a small staged kernel on the column (``map_batches``, elementwise),
so intermediate values are materialised once instead of being repeated in an expression tree.
Only rows that need work are touched: the Unicode fold runs on rows that are not already plain
``[0-9X]``, the legacy upgrade on 15-digit rows. The fixed-width checks (check character, birth
date, region, sex) read the well-shaped ids as one ``18 x n`` digit matrix in numpy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from importlib import resources

import numpy as np
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
    "person_id_keys",
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

_ID18 = r"^[0-9]{17}[0-9X]$"
_ID15 = r"^[0-9]{15}$"
_DIGITS17 = r"^[0-9]{17}$"
_CHECK_ASCII = np.frombuffer(_ID_CHECK_CHARS.encode("ascii"), dtype=np.uint8)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)

V = "v"  # name of the input column inside the kernels
_JOIN_CHUNK = 50_000_000  # rows per joined string in _digit_rows (18 x 50M bytes < 4 GiB)


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
def _region_table() -> np.ndarray:
    """Boolean lookup table indexed by the 6-digit region code."""
    table = np.zeros(1_000_000, dtype=bool)
    table[np.fromiter((int(c) for c in region_codes()), dtype=np.int64)] = True
    return table


# ------------------------------------------------------------------------------------------------
# series kernels


def _fold_series(s: pl.Series) -> pl.Series:
    """Whitespace out, full-width folded, letters upper-cased; '' -> null.

    The Aho-Corasick pass runs only on rows that are not already plain ``[0-9X]+``.
    """
    s = s.cast(pl.String)
    dirty = (s.str.contains(r"[^0-9X]") | (s.str.len_bytes() == 0)).fill_null(False)
    where = dirty.arg_true()
    if where.len() == 0:
        return s
    sub = s.gather(where).str.replace_many(_FOLD_FROM, _FOLD_TO)
    sub = pl.select(pl.when(sub.str.len_bytes() > 0).then(sub)).to_series()
    return s.clone().scatter(where, sub)


def _digit_rows(s: pl.Series, pattern: str, width: int) -> tuple[pl.Series, np.ndarray]:
    """Rows of ``s`` matching ``pattern`` (fixed ``width`` ASCII) and their ``width x k`` bytes.

    Returns the row indices and a C-contiguous uint8 matrix whose row ``i`` holds character ``i``
    of every matching value, so per-position arithmetic runs on contiguous numpy arrays.
    """
    ok = s.str.contains(pattern).fill_null(False)
    where = ok.arg_true()
    sub = s if where.len() == s.len() else s.gather(where)
    # one joined string per chunk keeps each below the 4 GiB limit of a polars string
    blobs = [
        sub.slice(i, _JOIN_CHUNK).str.join("").cast(pl.Binary).item()
        for i in range(0, sub.len(), _JOIN_CHUNK)
    ]
    matrix = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(-1, width)
    return where, np.ascontiguousarray(matrix.T)


def _check_index(cols: np.ndarray) -> np.ndarray:
    """``sum(d_i * w_i) % 11`` of the digit rows ``cols[0:17]`` (indexes ``10X98765432``)."""
    total = np.zeros(cols.shape[1], dtype=np.int32)
    for i, w in enumerate(ID_WEIGHTS):
        total += cols[i].astype(np.int32) * w
    total -= ord("0") * sum(ID_WEIGHTS)
    return total % 11


def _number(cols: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Decimal value of the digit rows ``start..stop-1`` (int32)."""
    out = np.zeros(cols.shape[1], dtype=np.int32)
    for i in range(start, stop):
        out = out * 10 + (cols[i].astype(np.int32) - ord("0"))
    return out


def _scatter(n: int, where: pl.Series, values: pl.Series) -> pl.Series:
    """Full-length series: ``values`` at ``where``, null elsewhere."""
    full = pl.repeat(None, n, dtype=values.dtype, eager=True).alias(values.name)
    return full.scatter(where, values) if where.len() else full


def _check_series(s17: pl.Series) -> pl.Series:
    """MOD 11-2 check character of each 17-digit value; null for anything else."""
    where, cols = _digit_rows(s17.cast(pl.String), _DIGITS17, 17)
    values = pl.Series(s17.name, _check_index(cols)).replace_strict(
        list(range(11)), list(_ID_CHECK_CHARS), return_dtype=pl.String
    )
    return _scatter(s17.len(), where, values)


def _canonical_series(clean: pl.Series) -> tuple[pl.Series, pl.Series]:
    """``(canonical, is_legacy)`` of a cleaned column; only 15-digit rows are rebuilt."""
    legacy = clean.str.contains(_ID15)
    where = legacy.fill_null(False).arg_true()
    if where.len() == 0:
        return clean, legacy
    old = clean.gather(where)
    seq = old.str.slice(12, 3)
    century = pl.select(
        pl.when(seq.is_in(["996", "997", "998", "999"])).then(pl.lit("18")).otherwise(pl.lit("19"))
    ).to_series()
    body = old.str.slice(0, 6) + century + old.str.slice(6, 9)
    upgraded = body + _check_series(body)
    return clean.clone().scatter(where, upgraded), legacy


def _id_parts(pid: pl.Series, today: dt.date | None = None) -> pl.DataFrame:
    """``id_valid, id_birth, id_gender`` of canonical ids, from the digit matrix of well-shaped rows."""
    n = pid.len()
    limit = today or dt.date.today()
    where, cols = _digit_rows(pid.cast(pl.String), _ID18, 18)
    check_ok = _CHECK_ASCII[_check_index(cols)] == cols[17]
    year, month, day = _number(cols, 6, 10), _number(cols, 10, 12), _number(cols, 12, 14)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    dim = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    date_ok = month_ok & (day >= 1) & (day <= dim)
    y, m, d = np.where(date_ok, year, 1970), np.where(date_ok, month, 1), np.where(date_ok, day, 1)
    months = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    birth = months.astype("datetime64[D]") + (d - 1).astype("timedelta64[D]")
    in_range = (birth >= np.datetime64(MIN_BIRTH)) & (birth <= np.datetime64(limit))
    region_ok = _region_table()[_number(cols, 0, 6)]
    valid_sub = check_ok & date_ok & in_range & region_ok
    valid = np.zeros(n, dtype=bool)
    valid[where.to_numpy()] = valid_sub
    birth_days = pl.Series("id_birth", birth.astype(np.int64).astype(np.int32)).cast(pl.Date)
    birth_sub = pl.select(pl.when(pl.Series(date_ok)).then(birth_days)).to_series()
    male = pl.Series("male", (cols[16] - ord("0")) % 2 == 1)
    gender_sub = pl.select(
        pl.when(male).then(pl.lit("M")).otherwise(pl.lit("F")).alias("id_gender")
    ).to_series()
    return pl.DataFrame(
        [
            pl.Series("id_valid", valid),
            _scatter(n, where, birth_sub.alias("id_birth")),
            _scatter(n, where, gender_sub),
        ]
    )


# ------------------------------------------------------------------------------------------------
# expressions


def _apply(expr: pl.Expr, fn: Callable[[pl.Series], pl.Series], dtype: pl.DataType) -> pl.Expr:
    """Run a series kernel over the column as an elementwise ``map_batches`` expression.

    Kernels materialise their intermediate values, so a value used several times (the cleaned
    id) is computed once, and the expression tree stays small however the functions are nested.
    """

    def run(s: pl.Series) -> pl.Series:
        return fn(s).alias(s.name)

    return expr.map_batches(run, return_dtype=dtype, is_elementwise=True)


def clean_id(expr: pl.Expr) -> pl.Expr:
    """Cleaned id: no whitespace (U+3000 too), ASCII digits, upper-case letters; '' -> null."""
    return _apply(expr, _fold_series, pl.String())


def clean_uscc(expr: pl.Expr) -> pl.Expr:
    """Cleaned USCC: the same folding as :func:`clean_id`."""
    return _apply(expr, _fold_series, pl.String())


def id_check_char(expr17: pl.Expr) -> pl.Expr:
    """MOD 11-2 check character of a 17-digit string (null unless exactly 17 ASCII digits)."""
    return _apply(expr17, _check_series, pl.String())


def canonical_id(expr: pl.Expr) -> pl.Expr:
    """Canonical 18-character id: cleaned, 15-digit legacy numbers upgraded; else the cleaned value."""
    return _apply(expr, lambda s: _canonical_series(_fold_series(s))[0], pl.String())


def is_legacy_raw(expr: pl.Expr) -> pl.Expr:
    """True where the raw id, once cleaned, is a 15-digit legacy number (null for null)."""
    return _apply(expr, lambda s: _fold_series(s).str.contains(_ID15), pl.Boolean())


def id_birth_date(canon: pl.Expr) -> pl.Expr:
    """Birth date encoded in a canonical id (null if malformed or not a real calendar date)."""
    return _apply(canon, lambda s: _id_parts(s).get_column("id_birth"), pl.Date())


def id_gender(canon: pl.Expr) -> pl.Expr:
    """'M' when the 17th character (sequence) is odd, 'F' when even; null if malformed."""
    return _apply(canon, lambda s: _id_parts(s).get_column("id_gender"), pl.String())


def legacy_form(canon: pl.Expr) -> pl.Expr:
    """15-digit legacy form of a canonical id (century and check character dropped); else null."""

    def run(s: pl.Series) -> pl.Series:
        s = s.cast(pl.String)
        return pl.select(
            pl.when(s.str.contains(_ID18)).then(s.str.slice(0, 6) + s.str.slice(8, 9))
        ).to_series()

    return _apply(canon, run, pl.String())


def id_is_valid(canon: pl.Expr, today: dt.date | None = None) -> pl.Expr:
    """True for a well-formed id with right check character, real birth date and known region.

    ``today`` (default: the current date) bounds the birth date. Never null: a null id is False.
    """
    return _apply(canon, lambda s: _id_parts(s, today).get_column("id_valid"), pl.Boolean())


PERSON_ID_DTYPE = pl.Struct(
    {
        "pid": pl.String,
        "id_legacy": pl.Boolean,
        "id_valid": pl.Boolean,
        "id_birth": pl.Date,
        "id_gender": pl.String,
    }
)


def _person_series(raw: pl.Series) -> pl.Series:
    """All id keys of :func:`dupcheck.normalize.add_person_keys` in one pass, as a struct."""
    pid, legacy = _canonical_series(_fold_series(raw))
    parts = _id_parts(pid)
    frame = pl.DataFrame([pid.alias("pid"), legacy.fill_null(False).alias("id_legacy")])
    return frame.hstack(parts).select(pl.struct(list(PERSON_ID_DTYPE.to_schema()))).to_series()


def person_id_keys(expr: pl.Expr) -> pl.Expr:
    """Struct of ``pid, id_legacy, id_valid, id_birth, id_gender`` from a raw id, in one pass."""
    return _apply(expr, _person_series, PERSON_ID_DTYPE)


# ------------------------------------------------------------------------------------------------
# frame kernels (used by the contact keys)


def _add_fold(df: pl.DataFrame, src: str, out: str) -> pl.DataFrame:
    """Frame helper: :func:`_fold_series` of column ``src`` into ``out``."""
    return df.with_columns(_fold_series(df.get_column(src)).alias(out))


def _frame(s: pl.Series) -> pl.DataFrame:
    """One-column working frame (column ``v``) holding ``s`` as strings."""
    return pl.DataFrame({V: s.cast(pl.String)})


def _apply_frame(
    expr: pl.Expr, build: Callable[[pl.DataFrame], pl.DataFrame], dtype: pl.DataType
) -> pl.Expr:
    """Run a staged frame kernel (input column ``v`` -> output column ``out``) as an expression."""
    return _apply(expr, lambda s: build(_frame(s)).get_column("out"), dtype)


# ------------------------------------------------------------------------------------------------
# USCC


_USCC_ASCII = np.frombuffer(USCC_ALPHABET.encode("ascii"), dtype=np.uint8)
_USCC_VALUE = np.full(256, 255, dtype=np.uint8)
_USCC_VALUE[_USCC_ASCII] = np.arange(31, dtype=np.uint8)
_USCC17 = rf"^[{USCC_ALPHABET}]{{17}}$"
_USCC18 = rf"^[{USCC_ALPHABET}]{{18}}$"


def _uscc_check_index(cols: np.ndarray) -> np.ndarray:
    """GB 32100 check value ``(31 - sum(v_i * w_i) % 31) % 31`` of the character rows 0-16."""
    total = np.zeros(cols.shape[1], dtype=np.int32)
    for i, w in enumerate(USCC_WEIGHTS):
        total += _USCC_VALUE[cols[i]].astype(np.int32) * w
    return (31 - total % 31) % 31


def _uscc_check_series(s17: pl.Series) -> pl.Series:
    """Check character of each 17-character USCC body; null when length or alphabet is wrong."""
    where, cols = _digit_rows(s17.cast(pl.String), _USCC17, 17)
    values = pl.Series(s17.name, _uscc_check_index(cols)).replace_strict(
        list(range(31)), list(USCC_ALPHABET), return_dtype=pl.String
    )
    return _scatter(s17.len(), where, values)


def _uscc_valid_series(raw: pl.Series) -> pl.Series:
    """Validity of each (cleaned) code: alphabet, length 18 and check character; never null."""
    where, cols = _digit_rows(_fold_series(raw), _USCC18, 18)
    ok = _USCC_ASCII[_uscc_check_index(cols)] == cols[17]
    valid = np.zeros(raw.len(), dtype=bool)
    valid[where.to_numpy()] = ok
    return pl.Series(raw.name, valid)


def uscc_check_char(expr17: pl.Expr) -> pl.Expr:
    """GB 32100 MOD 31 check character of 17 USCC characters (null if length or alphabet wrong)."""
    return _apply(expr17, _uscc_check_series, pl.String())


def uscc_is_valid(expr: pl.Expr) -> pl.Expr:
    """True for an 18-character USCC (after :func:`clean_uscc`) whose MOD 31 check matches.

    Codes starting with a letter (A, N, Y registration authorities) are accepted, unlike stdnum.
    Never null: a null code is False.
    """
    return _apply(expr, _uscc_valid_series, pl.Boolean())
