"""Known-answer tests for each claim rule, with the near misses that must not fire."""

from __future__ import annotations

from typing import Any

import pytest
from tests.worlds import claim, clean_history, make_id, world

from dupcheck.screening import ScreeningResult, screen

P = make_id("19850314", 11)  # a man born 1985
Q = make_id("19900722", 22)  # a woman born 1990


def _run(claims: list[dict[str, Any]], **tables: list[dict[str, Any]]) -> ScreeningResult:
    return screen(world(claims=claims, **tables))


def _rules(res: ScreeningResult, cid: str = "C1") -> list[str]:
    return list(res.decisions.filter(res.decisions["claim_id"] == cid)["rules"][0])


def _decision(res: ScreeningResult, cid: str = "C1") -> str:
    return str(res.decisions.filter(res.decisions["claim_id"] == cid)["decision"][0])


def _with(pid: str, **extra: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    base = clean_history(pid)
    for k, v in extra.items():
        base[k] = base.get(k, []) + v
    return base


def test_clean_claim_is_approved() -> None:
    res = _run([claim("C1", P)], **clean_history(P))
    assert _decision(res) == "approve" and _rules(res) == []


@pytest.mark.parametrize(
    ("start", "end", "fires"),
    [
        ("2021-09-01", None, True),          # open spell starting inside the period
        ("2021-03-01", "2021-07-31", False),  # ends the day before the period: near miss
        ("2021-03-01", "2021-08-01", True),   # ends on the period's first day
        ("2022-01-31", "2022-05-01", True),   # starts on its last day
        ("2022-02-01", None, False),          # starts the day after
    ],
)
def test_employed_inclusive_overlap(start: str, end: str | None, fires: bool) -> None:
    extra = [{"record_id": "E9", "id_number": P, "name": "张三", "employer_id": "91370000MA3C00000X",
              "start_date": start, "end_date": end}]
    res = _run([claim("C1", P)], **_with(P, employment=extra))
    assert ("EMPLOYED" in _rules(res)) is fires


def test_dispatch_relation_counts_as_employment() -> None:
    d = [{"record_id": "D1", "agency_id": "91370000MA3C00001Y", "employer_id": "91370000MA3C00000X",
          "id_number": P, "name": "张三", "start_date": "2021-07-01", "end_date": None}]
    res = _run([claim("C1", P)], **_with(P), dispatch=d)
    assert _rules(res) == ["EMPLOYED"] and _decision(res) == "reject"
    f = res.findings.row(0, named=True)
    assert (f["source"], f["source_key"], str(f["overlap_start"])) == ("dispatch", "D1", "2021-08-01")


@pytest.mark.parametrize(("bt", "reason", "expected"), [
    ("ui_benefit", "resigned", ["STOP_REASON"]),
    ("ui_subsidy", "resigned", []),
    ("ui_benefit", "mutual_by_worker", ["STOP_REASON"]),
    ("migrant_allowance", "mutual_by_worker", []),
    ("ui_benefit", "transferred", ["STOP_REASON"]),
    ("ui_benefit", "dismissed", []),
])
def test_stop_reason_qualifies_per_benefit_type(bt: str, reason: str, expected: list[str]) -> None:
    res = _run([claim("C1", P, bt=bt)], **clean_history(P, reason=reason))
    assert _rules(res) == expected


def test_stop_reason_missing_without_stoppage_or_spell() -> None:
    h = clean_history(P)
    res = _run([claim("C1", P), claim("C2", Q)], employment=h["employment"], stoppages=[
        {"record_id": "S7", "id_number": Q, "name": "李四", "stop_date": "2020-01-01", "reason": "dismissed"}])
    assert _rules(res, "C1") == ["STOP_REASON_MISSING"]  # spell, but no stoppage
    assert _rules(res, "C2") == ["STOP_REASON_MISSING"]  # no spell at all
    assert _decision(res, "C1") == "review"


def test_stoppage_before_last_spell_end_does_not_explain_it() -> None:
    h = clean_history(P)
    h["stoppages"][0]["stop_date"] = "2021-06-29"
    assert _rules(_run([claim("C1", P)], **h)) == ["STOP_REASON_MISSING"]


def test_pension_near_miss_and_hit() -> None:
    pens = [
        {"record_id": "R1", "id_number": P, "name": "张三", "scheme": "resident", "start_date": "2022-02-01"},
    ]
    assert _rules(_run([claim("C1", P)], **_with(P), pensions=pens)) == []
    pens[0]["start_date"] = "2022-01-31"
    res = _run([claim("C1", P)], **_with(P), pensions=pens)
    assert _rules(res) == ["PENSION"] and _decision(res) == "reject"


def test_prior_benefit_overlap_and_entitlement_used() -> None:
    ben = [{"record_id": "B1", "id_number": Q, "name": "李四", "benefit_type": "ui_subsidy",
            "start_date": "2021-02-01", "end_date": "2021-07-31"}]
    h = clean_history(Q, name="李四")
    res = _run([claim("C1", Q, name="李四", bt="ui_subsidy")], **h, benefits=ben)
    assert _rules(res) == ["ENTITLEMENT_USED"]  # ended the day before: not PRIOR_BENEFIT
    ben[0]["end_date"] = "2021-08-01"
    res = _run([claim("C1", Q, name="李四", bt="ui_subsidy")], **h, benefits=ben)
    assert _rules(res) == ["PRIOR_BENEFIT"]


def test_ui_benefit_entitlement_counts_months_since_last_spell() -> None:
    h = clean_history(P, start="2019-01-01")  # 2.5 contribution years: 12-month entitlement
    ben = [{"record_id": "B1", "id_number": P, "name": "张三", "benefit_type": "ui_benefit",
            "start_date": "2019-02-01", "end_date": "2019-09-30"}]  # 8 months inside the spell
    res = _run([claim("C1", P, end=None)], **h, benefits=ben)  # default 12-month period
    assert _rules(res) == ["ENTITLEMENT_USED"]
    res = _run([claim("C1", P, end="2021-10-31")], **h, benefits=ben)  # 3 months fit in 4 left
    assert _rules(res) == []


def test_default_period_end_by_contribution_years() -> None:
    h = clean_history(P, start="2010-01-01")  # 11.5 years -> 24 months
    res = _run([claim("C1", P, end=None), claim("C2", Q, bt="ui_subsidy", end=None)], **h)
    c = res.claims.sort("claim_id")
    assert [str(d) for d in c["period_end"]] == ["2023-07-31", "2022-01-31"]


@pytest.mark.parametrize(("pid", "date", "fires"), [
    (make_id("19650315", 11), "2025-04-14", False),  # man born 1965-03: 60 years 1 month
    (make_id("19650315", 11), "2025-04-15", True),
    (make_id("19600101", 11), "2020-01-01", True),   # before the reform: exactly 60
    (make_id("19750510", 22), "2025-08-09", False),  # woman born 1975-05: 50 years 3 months
    (make_id("19750510", 22), "2025-08-10", True),
    (make_id("19900101", 22), "2021-08-01", False),
])
def test_retirement_age_with_gradual_increase(pid: str, date: str, fires: bool) -> None:
    res = _run([claim("C1", pid, date=date, start=date, end=None)], **clean_history(pid, end="2020-12-31"))
    assert ("RETIREMENT_AGE" in _rules(res)) is fires


def test_deceased_and_incarcerated() -> None:
    deaths = [{"record_id": "X1", "id_number": P, "name": "张三", "death_date": "2021-10-01"}]
    inc = [{"record_id": "I1", "id_number": Q, "name": "李四", "start_date": "2021-01-01", "end_date": "2021-07-31"}]
    res = _run([claim("C1", P), claim("C2", Q, name="李四")], **_with(P), deaths=deaths, incarcerations=inc)
    assert _rules(res, "C1") == ["DECEASED"]
    assert "INCARCERATED" not in _rules(res, "C2")  # released the day before the period
    inc[0]["end_date"] = None
    res = _run([claim("C2", Q, name="李四")], **clean_history(Q, name="李四"), incarcerations=inc)
    assert _rules(res, "C2") == ["INCARCERATED"]


def test_duplicate_claim_later_rejected_earlier_reviewed() -> None:
    claims = [
        claim("C2", P, date="2021-08-01"),
        claim("C1", P, date="2021-08-01"),  # same day: the larger claim_id is the later one
        claim("C3", P, date="2022-03-01", start="2022-03-01", end="2022-08-31"),  # no overlap
    ]
    res = _run(claims, **clean_history(P))
    assert (_decision(res, "C1"), _decision(res, "C2"), _decision(res, "C3")) == ("review", "reject", "approve")


def test_identity_rules() -> None:
    bad = P[:-1] + ("0" if P[-1] != "0" else "1")
    claims = [
        claim("C1", bad),
        claim("C2", Q, name="李四", birth_date="1990-07-23"),
        claim("C3", Q.lower() if Q.endswith("X") else " " + Q, name="李四", gender="M", date="2021-08-02", start="2022-06-01", end="2022-06-30"),
    ]
    res = _run(claims, **clean_history(P), **{})
    assert "ID_INVALID" in _rules(res, "C1")
    assert "ID_CONFLICT" in _rules(res, "C2")
    assert "ID_CONFLICT" in _rules(res, "C3")


def test_name_conflict_needs_agreeing_records_and_ignores_homophones() -> None:
    h = clean_history(P, name="王小明")
    pens = [{"record_id": "R1", "id_number": P, "name": "王小明", "scheme": "resident", "start_date": "2030-01-01"}]
    assert "ID_CONFLICT" in _rules(_run([claim("C1", P, name="李大刚")], **h, pensions=pens))
    assert "ID_CONFLICT" not in _rules(_run([claim("C1", P, name="王晓明")], **h, pensions=pens))  # homophone
    h["stoppages"][0]["name"] = "王大明"  # a single record per name: no agreed name
    assert "ID_CONFLICT" not in _rules(_run([claim("C1", P, name="李大刚")], **h))


def test_fuzzy_link_with_typo_supports_reject_and_explains_itself() -> None:
    typo = P[:10] + ("9" if P[10] != "9" else "8") + P[11:]  # one mistyped digit in the record
    extra = [{"record_id": "E9", "id_number": typo, "name": "张三", "employer_id": "91370000MA3C00000X",
              "start_date": "2021-09-01", "end_date": None}]
    res = _run([claim("C1", P)], **_with(P, employment=extra))
    f = res.findings.filter(res.findings["rule"] == "EMPLOYED").row(0, named=True)
    assert (f["match"], f["severity"]) == ("fuzzy", "reject") and f["score"] >= 0.9
    assert "bits per field" in f["detail"] and "id one digit" in f["detail"]


def test_rules_without_their_tables_are_skipped_and_reported() -> None:
    res = _run([claim("C1", P)], employment=clean_history(P)["employment"])
    assert set(res.skipped) == {
        "STOP_REASON", "STOP_REASON_MISSING", "PENSION", "PRIOR_BENEFIT", "ENTITLEMENT_USED",
        "DECEASED", "INCARCERATED",
    }
    assert "skipped PENSION: table pensions absent" in res.summary_text()
    assert _decision(res) == "approve"
