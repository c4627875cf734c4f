"""Tiny contract-typed worlds for the graph tests (valid ids and USCC-like codes by construction)."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from dupcheck.schema import TABLES

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def rid(n: int, birth: str = "19900101", region: str = "370102", male: bool = True) -> str:
    """A valid 18-character resident id with sequence number derived from ``n``."""
    seq = (2 * n + (1 if male else 0)) % 1000
    body = f"{region}{birth}{seq:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _W, strict=True)) % 11]


def uscc(n: int, prefix: str = "91370100") -> str:
    """An 18-character enterprise code (the check character is not validated by the graph)."""
    return f"{prefix}{n:09d}A"


def frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A contract-typed frame of ``table`` from dict rows (missing columns null)."""
    schema = TABLES[table].schema
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema)


def d(s: str) -> date:
    """ISO date literal."""
    return date.fromisoformat(s)
