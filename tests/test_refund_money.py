"""Exact money: half-up to the fen, no float, and the refund amount properties of the issue."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dupcheck.policy import RefundPolicy
from dupcheck.refund._money import (
    exceeds_ratio,
    from_fen,
    mul_rate_half_up,
    rate_numerator,
    to_fen,
)
from test_refund_helpers import app, by_id, ent, run, uscc

MONEY = pl.Decimal(18, 2)
CENT = Decimal("0.01")


def _half_up(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _apply(paid: list[Decimal], rate: Decimal, scale: int) -> list[Decimal]:
    df = pl.DataFrame({"p": paid}, schema={"p": MONEY})
    out = df.select(from_fen(mul_rate_half_up(to_fen(pl.col("p")),
                                              pl.lit(rate_numerator(rate, scale)), scale)))
    return out.to_series().to_list()


def test_half_up_at_the_half_fen_where_polars_round_is_half_even() -> None:
    # 0.05 x 0.30 = 0.015, 0.15 x 0.30 = 0.045, 0.01 x 0.50 = 0.005, 0.0825 ... exact halves
    assert _apply([Decimal("0.05"), Decimal("0.15"), Decimal("0.25")], Decimal("0.30"), 2) == [
        Decimal("0.02"), Decimal("0.05"), Decimal("0.08")]
    assert _apply([Decimal("0.01"), Decimal("0.03")], Decimal("0.5"), 1) == [
        Decimal("0.01"), Decimal("0.02")]
    assert _apply([Decimal("-0.01")], Decimal("0.5"), 1) == [Decimal("-0.01")]  # away from 0
    # polars' own round would give 0.04 for 0.045: the reason for integer fen arithmetic
    s = pl.Series([Decimal("0.045")], dtype=pl.Decimal(18, 3)).round(2)
    assert s.to_list()[0] in (Decimal("0.04"), Decimal("0.05"))


@given(
    fen=st.integers(min_value=-(10**17) + 1, max_value=10**17 - 1),
    rate=st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False),
)
@settings(max_examples=200, deadline=None)
def test_fen_product_matches_python_decimal(fen: int, rate: Decimal) -> None:
    paid = Decimal(fen) / 100
    assert _apply([paid], rate, 4) == [_half_up(paid * rate)]


@given(
    num=st.integers(min_value=-(10**9), max_value=10**9),
    den=st.integers(min_value=0, max_value=10**9),
    thr=st.decimals(min_value=0, max_value=1, places=3, allow_nan=False, allow_infinity=False),
)
@settings(max_examples=200, deadline=None)
def test_exceeds_ratio_is_exact(num: int, den: int, thr: Decimal) -> None:
    df = pl.DataFrame({"n": [num], "d": [den]})
    got = df.select(exceeds_ratio(pl.col("n"), pl.col("d"), pl.lit(rate_numerator(thr, 3)), 3))
    want = num > 0 if den == 0 else Fraction(num, den) > Fraction(thr)
    assert got.item() is want


_paid = st.integers(min_value=0, max_value=10**12).map(lambda f: Decimal(f) / 100)
_rates = RefundPolicy().rates


@given(
    rows=st.lists(
        st.tuples(_paid, st.sampled_from(sorted(_rates)), st.sampled_from(["large", "small", None]),
                  st.integers(min_value=0, max_value=2000), st.booleans()),
        min_size=1, max_size=12,
    )
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_amount_never_exceeds_rate_times_paid(
    rows: list[tuple[Decimal, int, str | None, int, bool]],
) -> None:
    apps, ents = [], []
    for i, (paid, year, size, insured, arrears) in enumerate(rows):
        due = paid + (CENT if arrears else 0)
        apps.append(app(f"A{i:02d}", i, year=year, paid_prev_year=paid, due_prev_year=due,
                        insured_prev_year_end=insured))
        ents.append(ent(i, size_class=size))
    got = by_id(run(apps, ents))
    for i, (paid, year, size, insured, arrears) in enumerate(rows):
        row = got[f"A{i:02d}"]
        large = size == "large" or (size is None and insured >= 300)
        rate = _rates[year][0 if large else 1]
        top = max(_rates[year])
        amt = row["eligible_amount"]
        assert amt <= _half_up(top * paid) and amt - rate * paid <= Decimal("0.005")
        if row["decision"] == "reject":
            assert amt == 0
        else:
            assert amt == _half_up(rate * paid)
        assert arrears is (row["decision"] == "reject")


@given(
    parts=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=6),
    whole_yuan=st.booleans(),
    year=st.sampled_from(sorted(_rates)),
    size=st.sampled_from(["large", "medium", "small", "micro"]),
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_splitting_an_agency_claim_into_unit_claims_keeps_the_total(
    parts: list[int], whole_yuan: bool, year: int, size: str,
) -> None:
    paid = [Decimal(p * 100 if whole_yuan else p) / 100 for p in parts]
    n = len(paid)
    # one agency claiming for n units, paid = sum of the units' shares ...
    units = ";".join(uscc(10 + k) for k in range(n))
    total = sum(paid, Decimal(0))
    agency = run(
        [app("G", 1, year=year, covered_units=units, paid_prev_year=total, due_prev_year=total)],
        [ent(1, kind="dispatch_agency", size_class=size), *[ent(10 + k) for k in range(n)]],
    )
    # ... versus each unit claiming its own share at the same size class
    split = run(
        [app(f"U{k}", 10 + k, year=year, paid_prev_year=p, due_prev_year=p)
         for k, p in enumerate(paid)],
        [ent(10 + k, size_class=size) for k in range(n)],
    )
    one = agency.decisions["eligible_amount"].sum()
    many = split.decisions["eligible_amount"].sum()
    assert set(agency.decisions["decision"]) == set(split.decisions["decision"]) == {"approve"}
    if whole_yuan:  # every rate has at most 2 places: whole-yuan products are exact in fen
        assert one == many
    else:  # per-application rounding moves each share by at most half a fen
        assert abs(one - many) <= Decimal("0.005") * n + Decimal("0.005")
