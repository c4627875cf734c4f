"""Interval logic: inclusive dates, open ends, symmetric and exact against a day-by-day oracle."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dupcheck.periods import add_months, overlap_end, overlap_start, overlaps

D0 = date(2021, 1, 1)
days = st.integers(min_value=0, max_value=60)


def _period(draw: st.DrawFn) -> tuple[date, date | None]:
    s = D0 + timedelta(days=draw(days))
    if draw(st.booleans()):
        return s, None
    return s, s + timedelta(days=draw(st.integers(min_value=0, max_value=30)))


period = st.composite(_period)


def _oracle(a: tuple[date, date | None], b: tuple[date, date | None]) -> set[date]:
    horizon = D0 + timedelta(days=200)
    def span(p: tuple[date, date | None]) -> set[date]:
        end = p[1] or horizon
        return {p[0] + timedelta(days=i) for i in range((end - p[0]).days + 1)}
    return span(a) & span(b)


def _eval(a: tuple[date, date | None], b: tuple[date, date | None]) -> tuple[bool, date, date | None]:
    df = pl.DataFrame(
        {"s1": [a[0]], "e1": [a[1]], "s2": [b[0]], "e2": [b[1]]},
        schema={"s1": pl.Date, "e1": pl.Date, "s2": pl.Date, "e2": pl.Date},
    )
    row = df.select(
        overlaps(pl.col("s1"), pl.col("e1"), pl.col("s2"), pl.col("e2")).alias("o"),
        overlap_start(pl.col("s1"), pl.col("s2")).alias("os"),
        overlap_end(pl.col("e1"), pl.col("e2")).alias("oe"),
    ).row(0)
    return row[0], row[1], row[2]


@settings(max_examples=200, deadline=None)
@given(period(), period())
def test_overlap_is_symmetric_and_matches_day_by_day_oracle(a: tuple[date, date | None], b: tuple[date, date | None]) -> None:
    o1, s1, e1 = _eval(a, b)
    o2, s2, e2 = _eval(b, a)
    assert o1 == o2 and (s1, e1) == (s2, e2)
    shared = _oracle(a, b)
    assert o1 == bool(shared)
    if shared:
        assert s1 == min(shared)
        if a[1] is None and b[1] is None:
            assert e1 is None
        else:
            assert e1 == max(shared)


def test_one_day_periods_touching_overlap_and_adjacent_do_not() -> None:
    d = date(2021, 8, 1)
    assert _eval((d, d), (d, d))[0]
    assert not _eval((d, d), (d + timedelta(days=1), None))[0]
    assert _eval((d, None), (date(2030, 1, 1), date(2030, 1, 1)))[0]


def test_add_months_clamps_to_month_end() -> None:
    df = pl.DataFrame({"d": [date(2021, 1, 31), date(2021, 8, 1)]})
    got = df.select(add_months(pl.col("d"), 1))["d"].to_list()
    assert got == [date(2021, 2, 28), date(2021, 9, 1)]
