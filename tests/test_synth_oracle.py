"""The truth oracle on small hand-built worlds with known answers (contract §4 semantics)."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from dupcheck.synth.oracle import expected_rules
from dupcheck.synth.world import World

CD = date(2024, 8, 1)


@pytest.fixture
def world() -> World:
    w = World(rng=np.random.default_rng(0))
    w.new_enterprises(2)
    return w


def _spell(w: World, pid: str, start: date, end: date | None, reason: str | None) -> None:
    unit = w.table("enterprises")["enterprise_id"][0]
    w.add_spells(pl.DataFrame({
        "_pid": [pid], "employer_id": [unit], "start_date": [start], "end_date": [end],
        "reason": [reason],
    }, schema_overrides={"end_date": pl.Date, "reason": pl.String}))


def _claim(w: World, pid: str, bt: str = "ui_benefit", cd: date = CD,
           pe: date | None = date(2025, 1, 31)) -> str:
    c = w.add_claims(pl.DataFrame({
        "_pid": [pid], "benefit_type": [bt], "claim_date": [cd], "period_end": [pe],
    }, schema_overrides={"period_end": pl.Date}))
    return str(c["claim_id"][0])


def _truth(w: World) -> dict[str, tuple[list[str], str]]:
    t, _ = expected_rules(w.tables, w.people, w.claim_plan(), w.policy)
    return {cid: (rules, dec) for cid, rules, dec in t.select("claim_id", "rules", "decision")
            .iter_rows()}


def test_known_answers(world: World) -> None:
    w = world
    p = w.new_people(8)["pid"].to_list()
    # clean: ended the day before, qualifying stoppage
    _spell(w, p[0], date(2015, 3, 1), date(2024, 7, 31), "contract_expired")
    c0 = _claim(w, p[0])
    # running job since before the claim, no stoppage of the old job either
    _spell(w, p[1], date(2016, 1, 1), date(2024, 6, 15), None)
    _spell(w, p[1], date(2024, 7, 1), None, None)
    c1 = _claim(w, p[1])
    # resigned: disqualifies ui_benefit, not ui_subsidy
    _spell(w, p[2], date(2019, 3, 1), date(2024, 7, 10), "resigned")
    c2 = _claim(w, p[2])
    c2b = _claim(w, p[2], bt="ui_subsidy", cd=date(2024, 8, 20), pe=date(2025, 2, 19))
    # pension starting after the period: nothing; benefit overlapping: PRIOR_BENEFIT only
    _spell(w, p[3], date(2012, 1, 1), date(2024, 6, 30), "mutual_termination")
    w.append("pensions", pl.DataFrame({"_pid": [p[3]], "scheme": ["resident"],
                                       "start_date": [date(2025, 2, 1)]}))
    w.append("benefits", pl.DataFrame({"_pid": [p[3]], "benefit_type": ["ui_benefit"],
                                       "start_date": [date(2024, 7, 1)],
                                       "end_date": [date(2024, 12, 31)]}))
    c3 = _claim(w, p[3])
    # 6 months of ui_benefit inside a 12-year spell: entitlement 24 months, not used up
    _spell(w, p[4], date(2012, 1, 1), date(2024, 6, 30), "dismissed")
    w.append("benefits", pl.DataFrame({"_pid": [p[4]], "benefit_type": ["ui_benefit"],
                                       "start_date": [date(2019, 1, 1)],
                                       "end_date": [date(2019, 6, 30)]}))
    c4 = _claim(w, p[4])
    # 3-year spell (12 months), 10 months received after it: a 6-month claim exceeds the rest
    _spell(w, p[5], date(2020, 9, 1), date(2023, 8, 31), "contract_expired")
    w.append("benefits", pl.DataFrame({"_pid": [p[5]], "benefit_type": ["ui_benefit"],
                                       "start_date": [date(2023, 9, 1)],
                                       "end_date": [date(2024, 6, 30)]}))
    c5 = _claim(w, p[5])
    # no stoppage at all for the last spell; death before the period's end
    _spell(w, p[6], date(2018, 1, 1), date(2024, 7, 1), None)
    w.append("deaths", pl.DataFrame({"_pid": [p[6]], "death_date": [date(2024, 9, 1)]}))
    c6 = _claim(w, p[6], pe=None)
    got = _truth(w)
    assert got[c0] == ([], "approve")
    assert got[c1] == (["EMPLOYED"], "reject")
    assert got[c2] == (["DUPLICATE_CLAIM", "STOP_REASON"], "reject")
    assert got[c2b] == (["DUPLICATE_CLAIM"], "reject")  # the later-filed one
    assert got[c3] == (["PRIOR_BENEFIT"], "reject")
    assert got[c4] == ([], "approve")
    assert got[c5] == (["ENTITLEMENT_USED"], "review")
    assert got[c6] == (["DECEASED", "STOP_REASON_MISSING"], "reject")


def test_duplicate_earlier_claim_is_review(world: World) -> None:
    w = world
    pid = w.new_people(1)["pid"][0]
    _spell(w, pid, date(2015, 3, 1), date(2024, 7, 31), "contract_expired")
    first = _claim(w, pid, bt="ui_subsidy", pe=date(2025, 1, 31))
    second = _claim(w, pid, bt="ui_subsidy", cd=date(2024, 8, 1), pe=date(2025, 1, 31))
    got = _truth(w)
    assert got[first] == (["DUPLICATE_CLAIM"], "review")
    assert got[second] == (["DUPLICATE_CLAIM"], "reject")  # same day: the larger claim_id


def test_default_period_end_follows_contribution_years(world: World) -> None:
    w = world
    p = w.new_people(2)["pid"].to_list()
    # 6 years of contributions -> 18 months; a pension 17 months after the start overlaps
    _spell(w, p[0], date(2018, 7, 1), date(2024, 6, 30), "dismissed")
    w.append("pensions", pl.DataFrame({"_pid": [p[0]], "scheme": ["employee"],
                                       "start_date": [date(2026, 1, 1)]}))
    a = _claim(w, p[0], pe=None)
    # 3 years -> 12 months; the same pension start is after the default end
    _spell(w, p[1], date(2021, 7, 1), date(2024, 6, 30), "dismissed")
    w.append("pensions", pl.DataFrame({"_pid": [p[1]], "scheme": ["employee"],
                                       "start_date": [date(2026, 1, 1)]}))
    b = _claim(w, p[1], pe=None)
    got = _truth(w)
    assert got[a][0] == ["PENSION"]
    assert got[b][0] == []
