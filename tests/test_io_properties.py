"""Properties of coercion: row order does not change the coerced table, problems or counts."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dupcheck.io import Dataset
from dupcheck.io.coerce import parse_dates, parse_money

DATES = ["2021-08-01", "20210801", "2021/8/1", "2021年08月01日", "2021-02-30", "bad", "", " ", None]
TYPES = ["ui_benefit", "失业保险金", "临时生活补助", "UI_SUBSIDY", "养老金", None]
IDS = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"]

row = st.fixed_dictionaries({
    "claim_id": st.sampled_from(IDS),
    "id_number": st.sampled_from(["110101199003074514", "", None]),
    "name": st.sampled_from(["张伟", " 李娜 ", None]),
    "benefit_type": st.sampled_from(TYPES),
    "claim_date": st.sampled_from(DATES),
    "period_end": st.sampled_from(DATES),
    "gender": st.sampled_from(["男", "F", "x", None]),
})


def _canonical(ds: Dataset) -> pl.DataFrame:
    claims = ds["claims"].drop("_row").with_columns(pl.col("_problems").list.join("|"))
    return claims.sort(claims.columns, nulls_last=True)


def _problem_keys(ds: Dataset) -> list[tuple[str, str, str]]:
    """Problems without their row numbers (which move with the rows), sorted."""
    return sorted(
        (p.column or "", re.sub(r" \(also in row\(s\) [^)]*\)", "", p.message), p.value or "")
        for p in ds.problems
    )


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(row, min_size=1, max_size=25), seed=st.integers(0, 2**16))
def test_shuffling_rows_gives_the_same_coerced_table(rows: list[dict[str, str | None]],
                                                     seed: int) -> None:
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    a = Dataset.from_frames(claims=pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}))
    b = Dataset.from_frames(claims=pl.DataFrame(shuffled, schema={k: pl.String for k in rows[0]}))
    assert _canonical(a).equals(_canonical(b))
    assert a.bad_rows == b.bad_rows
    assert _problem_keys(a) == _problem_keys(b)
    # _row is the position in the input: the i-th input row keeps its own claim_id.
    ids = b["claims"].sort("_row")["claim_id"].to_list()
    assert ids == [r["claim_id"] for r in shuffled]


LAYOUTS: list[Callable[[dt.date], str]] = [
    lambda d: d.isoformat(),
    lambda d: d.strftime("%Y%m%d"),
    lambda d: d.strftime("%Y/%m/%d"),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: d.strftime("%Y年%m月%d日"),
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.isoformat()} 00:00:00",
]


@settings(max_examples=60, deadline=None)
@given(days=st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)), min_size=1, max_size=30),
       layout=st.integers(0, len(LAYOUTS) - 1), data=st.data())
def test_every_layout_round_trips(days: list[dt.date], layout: int, data: st.DataObject) -> None:
    # mix layouts within one column: each row picks its own
    picks = [data.draw(st.integers(0, len(LAYOUTS) - 1)) for _ in days]
    picks[0] = layout
    text = pl.Series([LAYOUTS[p](d) for p, d in zip(picks, days, strict=True)])
    assert parse_dates(text).to_list() == days


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet="0123456789-/年月日 .T:+", max_size=14))
def test_parse_dates_is_total_and_only_accepts_real_dates(raw: str) -> None:
    (got,) = parse_dates(pl.Series([raw])).to_list()
    if got is not None:
        digits = "".join(ch for ch in raw if ch.isdigit())
        assert digits.startswith(str(got.year))
        assert 1000 <= got.year <= 2999


@settings(max_examples=80, deadline=None)
@given(st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False))
def test_money_text_round_trips_exactly(value: Decimal) -> None:
    assert parse_money(pl.Series([str(value)])).item() == value
    assert parse_money(pl.Series([f"{value}1"])).item() is None  # a third, non-zero decimal
    assert parse_money(pl.Series([f"{value}000"])).item() == value  # trailing zeros are exact
