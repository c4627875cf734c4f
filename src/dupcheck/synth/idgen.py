"""Vectorised identifier generation for the synthetic province: resident ids, USCCs, phones.

Everything works on whole numpy arrays (no per-row Python), so millions of ids take a fraction of
a second. python-stdnum is the oracle in the tests, never used here.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from importlib import resources

import numpy as np
import polars as pl

__all__ = [
    "ID_WEIGHTS",
    "USCC_ALPHABET",
    "digits_to_str",
    "luhn_cards",
    "resident_check",
    "resident_ids",
    "shandong_counties",
    "uscc_codes",
]

#: ISO 7064 MOD 11-2 weights of the first 17 digits (GB 11643-1999).
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)

#: Characters of a Unified Social Credit Code (GB 32100-2015): no I, O, S, V, Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_BYTES = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
_USCC_WEIGHTS = np.array(
    [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64
)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)


def digits_to_str(codes: np.ndarray) -> pl.Series:
    """Rows of ASCII byte codes (n, k) -> a polars String series of k-character strings."""
    arr = np.ascontiguousarray(codes, dtype=np.uint8)
    k = arr.shape[1]
    return pl.Series(arr.view(f"S{k}").ravel()).cast(pl.String)


def resident_check(first17: np.ndarray) -> np.ndarray:
    """Check characters (ASCII codes) for rows of 17 digit values (n, 17)."""
    total = (first17.astype(np.int64) * ID_WEIGHTS).sum(axis=1) % 11
    out: np.ndarray = _ID_CHECK[total]
    return out


def resident_ids(
    region: np.ndarray, birth: np.ndarray, seq: np.ndarray
) -> pl.Series:
    """Valid 18-character ids from region codes (int, 6 digits), birth dates
    (numpy datetime64[D]) and 3-digit sequence numbers (odd = male)."""
    n = len(region)
    ymd = birth.astype("datetime64[D]")
    years = ymd.astype("datetime64[Y]").astype(np.int64) + 1970
    months = ymd.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (ymd - ymd.astype("datetime64[M]")).astype(np.int64) + 1
    number = (
        region.astype(np.int64) * 10**11 + years * 10**7 + months * 10**5 + days * 10**3
        + seq.astype(np.int64)
    )
    d = np.empty((n, 17), dtype=np.int64)
    for i in range(16, -1, -1):
        d[:, i] = number % 10
        number //= 10
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, :17] = d + 48
    out[:, 17] = resident_check(d)
    return digits_to_str(out)


def uscc_codes(
    rng: np.random.Generator, region: np.ndarray, prefix: str, shard: int = 0, shards: int = 1
) -> pl.Series:
    """Valid USCCs: ``prefix`` (2 chars, e.g. ``91`` enterprise, ``12`` public institution,
    ``52`` social organisation), the region code, a random GB 11714 organisation code with its
    own check character, and the GB 32100 check character. With ``shards > 1`` the 8-digit
    organisation number is moved to the nearest value congruent to ``shard`` modulo ``shards``,
    so codes of different shards never collide (``shards == 1`` leaves the draw untouched)."""
    n = len(region)
    idx = np.empty((n, 18), dtype=np.int64)
    idx[:, 0] = USCC_ALPHABET.index(prefix[0])
    idx[:, 1] = USCC_ALPHABET.index(prefix[1])
    r = region.astype(np.int64)
    for i in range(7, 1, -1):
        idx[:, i] = r % 10
        r //= 10
    org = rng.integers(0, 36, size=(n, 8))  # GB 11714: digits and Latin capitals
    org = np.where(org < 10, org, rng.integers(0, 10, size=(n, 8)))  # mostly digits
    if shards > 1:
        org = _org_in_shard(org, shard, shards)
    s = (org * _ORG_WEIGHTS).sum(axis=1) % 11
    c9 = (11 - s) % 11  # 10 -> 'X'
    # organisation code characters are all digits here, so their alphabet index is their value
    idx[:, 8:16] = org
    idx[:, 16] = np.where(c9 == 10, USCC_ALPHABET.index("X"), c9)
    total = (idx[:, :17] * _USCC_WEIGHTS).sum(axis=1) % 31
    idx[:, 17] = (31 - total) % 31
    return digits_to_str(_USCC_BYTES[idx])


def _org_in_shard(org: np.ndarray, shard: int, shards: int) -> np.ndarray:
    """Rows of 8 organisation digits moved to a number congruent to ``shard`` mod ``shards``."""
    num = org @ (10 ** np.arange(7, -1, -1, dtype=np.int64))
    base = num - num % shards
    num = np.where(base + shard < 10**8, base + shard, base - shards + shard)
    out = np.empty_like(org)
    for i in range(7, -1, -1):
        out[:, i] = num % 10
        num //= 10
    return out


def luhn_cards(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` 19-digit bank card numbers: a Chinese bank BIN, 12 random digits and the Luhn
    check digit (so card-number validators accept them)."""
    bins = np.array([621700, 622202, 622848, 621661, 622588, 623058, 621483, 622908, 621226])
    d = np.empty((n, 19), dtype=np.int64)
    b = bins[rng.integers(0, len(bins), n)]
    for i in range(5, -1, -1):
        d[:, i] = b % 10
        b //= 10
    d[:, 6:18] = rng.integers(0, 10, (n, 12))
    # Luhn: from the right, excluding the check digit, double every other digit starting next
    # to it
    body = d[:, :18][:, ::-1]
    dbl = body[:, 0::2] * 2
    total = np.where(dbl > 9, dbl - 9, dbl).sum(axis=1) + body[:, 1::2].sum(axis=1)
    d[:, 18] = (10 - total % 10) % 10
    return digits_to_str((d + 48).astype(np.uint8))


@lru_cache(maxsize=1)
def shandong_counties() -> pl.DataFrame:
    """Shandong county-level codes in force today, with their city and county names
    (from python-stdnum's copy of the GB/T 2260 history): ``region_code``, ``city``, ``county``,
    ``since`` (first year in force; 0 when in force throughout the record)."""
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    rows: list[tuple[str, str, str, int]] = []
    in_sd = False
    city = ""
    pat = re.compile(r'^\s+(\d{4}) county="(?:\[(\d*)-(\d*)\])?(.*)"')
    for line in text.splitlines():
        if not line.startswith(" "):
            in_sd = line.startswith("37 ")
            continue
        if not in_sd:
            continue
        m = pat.match(line)
        if not m:
            continue
        code, start, end, name = m.groups()
        if end:
            continue
        if code.endswith("00"):
            city = name
            continue
        if code.endswith("01") or name in {"市辖区", "市区", "郊区"}:
            continue
        rows.append(("37" + code, city, name, int(start or 0)))
    return pl.DataFrame(rows, schema=["region_code", "city", "county", "since"], orient="row")


def days_since_epoch(d: date) -> int:
    """Days from 1970-01-01 to ``d`` (numpy's datetime64[D] integer)."""
    return (d - date(1970, 1, 1)).days
