"""Known answers per refund rule (contract §3-§4 Refund semantics), with near misses."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from dupcheck.errors import ConfigError, InputError
from dupcheck.policy import Policy, RefundPolicy
from dupcheck.refund import audit
from test_refund_helpers import app, by_id, ent, frames, run, uscc


def rules_of(result, aid: str) -> list[str]:  # type: ignore[no-untyped-def]
    return by_id(result)[aid]["rules"]


def test_clean_application_is_approved_at_the_sme_rate() -> None:
    r = run([app("A", 1, paid_prev_year="12345.67", due_prev_year="12345.67")])
    row = by_id(r)["A"]
    assert row["decision"] == "approve" and row["rules"] == []
    assert row["eligible_amount"] == Decimal("7407.40")  # 0.60 x 12345.67 = 7407.402
    assert r.findings.is_empty()


@pytest.mark.parametrize(
    ("paid", "due", "fires"),
    [("9999.99", "10000.00", True), ("10000.00", "10000.00", False), ("10000.01", "10000.00", False)],
)
def test_arrears_rejects_when_not_paid_in_full(paid: str, due: str, fires: bool) -> None:
    row = by_id(run([app("A", 1, paid_prev_year=paid, due_prev_year=due)]))["A"]
    assert ("REFUND_ARREARS" in row["rules"]) is fires
    assert row["decision"] == ("reject" if fires else "approve")
    if fires:
        assert row["eligible_amount"] == Decimal("0.00")


@pytest.mark.parametrize(
    ("year", "insured", "layoffs", "fires"),
    [
        (2021, 100, 6, False),   # exactly 6%: not over
        (2021, 100, 7, True),
        (2021, 1000, 59, False),  # 5.9% passes in 2021 ...
        (2022, 1000, 59, True),   # ... but not from 2022 (5.5%)
        (2022, 200, 11, False),   # exactly 5.5%
        (2022, 200, 12, True),
        (2026, 200, 12, True),    # after the last configured year: the last value (5.5%)
        (2020, 100, 6, False),    # before the first: the first value (6%)
        (2021, 30, 6, False),     # small unit: exactly 20%
        (2021, 30, 7, True),      # small unit: 23%
        (2021, 30, 3, False),     # small unit: 10% is over 6% but under its 20% ceiling
        (2021, 31, 2, True),      # 31 insured is not small: 6.45% > 6%
        (2021, 0, 0, False),      # nobody insured, nobody laid off: no layoffs
        (2021, 0, 1, True),       # nobody left insured after a layoff: over any ceiling
    ],
)
def test_layoff_rate_default_formula(year: int, insured: int, layoffs: int, fires: bool) -> None:
    rows = [app("A", 1, year=year, insured_prev_year_end=insured, layoffs_prev_year=layoffs)]
    row = by_id(run(rows, policy=Policy(refund=RefundPolicy(rates={
        y: (Decimal("0.30"), Decimal("0.60")) for y in range(2020, 2027)}))))["A"]
    assert ("REFUND_LAYOFF_RATE" in row["rules"]) is fires
    assert row["decision"] == ("reject" if fires else "approve")


def test_missing_layoff_inputs_give_review_not_silence() -> None:
    row = by_id(run([app("A", 1, layoffs_prev_year=None)]))["A"]
    assert row["rules"] == ["REFUND_INPUT_INVALID"]
    assert row["decision"] == "review"
    assert "layoffs_prev_year" in row["detail"]


EXTRA = {
    "insured_prev2_year_end": pl.Int64(), "insured_jan_prev_year": pl.Int64(),
    "insured_avg_prev_year": pl.Decimal(18, 2), "ui_recipients_prev_year": pl.Int64(),
    "new_ui_recipients_prev_year": pl.Int64(),
}


def _variant(formula: str, **cols: object) -> list[str]:
    row = app("A", 1, insured_prev_year_end=100, layoffs_prev_year=0)
    base = dict.fromkeys(EXTRA, None)
    base.update({"insured_avg_prev_year": Decimal("100")})
    base.update(cols)
    row.update(base)
    pol = Policy(refund=RefundPolicy(layoff_formula=formula))  # type: ignore[arg-type]
    return rules_of(run([row], policy=pol, extra=EXTRA), "A")


@pytest.mark.parametrize(
    ("formula", "cols", "fires"),
    [
        ("A", {"insured_prev2_year_end": 106}, False),  # (106-100)/106 = 5.66% <= 6%
        ("A", {"insured_prev2_year_end": 107}, True),   # 6.54%
        ("A", {"insured_prev2_year_end": 90}, False),   # the unit grew
        ("B", {"insured_prev2_year_end": 100, "ui_recipients_prev_year": 6}, False),
        ("B", {"insured_prev2_year_end": 100, "ui_recipients_prev_year": 7}, True),
        ("C", {"insured_jan_prev_year": 106, "insured_avg_prev_year": Decimal("100")}, False),
        ("C", {"insured_jan_prev_year": 106, "insured_avg_prev_year": Decimal("99.99")}, True),
        ("D", {"new_ui_recipients_prev_year": 6, "insured_avg_prev_year": Decimal("100.00")}, False),
        ("D", {"new_ui_recipients_prev_year": 6, "insured_avg_prev_year": Decimal("99.50")}, True),
    ],
)
def test_layoff_rate_variants(formula: str, cols: dict[str, object], fires: bool) -> None:
    assert ("REFUND_LAYOFF_RATE" in _variant(formula, **cols)) is fires


@pytest.mark.parametrize("formula", ["A", "B", "C", "D"])
def test_variant_without_its_columns_is_a_config_error(formula: str) -> None:
    pol = Policy(refund=RefundPolicy(layoff_formula=formula))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="needs column"):
        run([app("A", 1)], policy=pol)


def test_dishonest_applicant_rejected_but_dishonest_covered_unit_is_not_its_concern() -> None:
    ents = [ent(1, dishonest=True), ent(2, kind="dispatch_agency"), ent(3, dishonest=True)]
    r = run([app("A", 1), app("B", 2, covered_units=uscc(3))], ents)
    assert by_id(r)["A"]["rules"] == ["REFUND_DISHONEST"]
    assert by_id(r)["A"]["decision"] == "reject"
    assert by_id(r)["B"]["decision"] == "approve"


def test_public_institution_applicant_rejected_covered_one_reviewed() -> None:
    ents = [ent(1, kind="机关事业单位"), ent(2, kind="dispatch_agency"), ent(3),
            ent(4, kind="public_institution")]
    r = run([app("A", 1), app("B", 2, covered_units=f"{uscc(3)}; {uscc(4)}")], ents)
    assert by_id(r)["A"]["decision"] == "reject"
    assert by_id(r)["A"]["rules"] == ["REFUND_PUBLIC_INSTITUTION"]
    assert by_id(r)["B"]["decision"] == "review"
    assert uscc(4) in by_id(r)["B"]["detail"]


def test_double_claim_direct_and_agency_and_two_agencies_flags_every_application() -> None:
    ents = [ent(1), ent(2, kind="dispatch_agency"), ent(3, kind="dispatch_agency"), ent(4), ent(5)]
    rows = [
        app("D", 1),                                     # unit 1 directly
        app("G1", 2, covered_units=f"{uscc(1)};{uscc(4)}"),  # and through agency 2
        app("G2", 3, covered_units=f"{uscc(4)};{uscc(5)};{uscc(5)}"),  # unit 4 by 2 agencies
    ]
    r = run(rows, ents)
    for aid in ("D", "G1", "G2"):
        assert rules_of(r, aid) == ["REFUND_DOUBLE_CLAIM"], aid
        assert by_id(r)[aid]["decision"] == "review"


def test_double_claim_needs_the_same_policy_year_and_ignores_repeats_in_one_application() -> None:
    ents = [ent(1), ent(2, kind="dispatch_agency"), ent(5)]
    rows = [app("D", 1, year=2022), app("G", 2, covered_units=f"{uscc(1)};{uscc(5)};{uscc(5)};{uscc(2)}")]
    r = run(rows, ents)
    assert rules_of(r, "D") == [] and rules_of(r, "G") == []


@pytest.mark.parametrize(("requested", "fires"), [("6000.01", True), ("6000.00", False), ("1", False)])
def test_amount_over_eligible(requested: str, fires: bool) -> None:
    row = by_id(run([app("A", 1, requested_amount=requested)]))["A"]
    assert ("REFUND_AMOUNT" in row["rules"]) is fires
    assert row["eligible_amount"] == Decimal("6000.00")


def test_account_not_registered_or_shared_between_enterprises() -> None:
    rows = [
        app("A", 1, bank_account="ACC 999-999"),        # not its registered account
        app("B", 2), app("C", 3, bank_account="ACC000002", year=2023),  # C uses B's account
        app("D", 4), app("E", 4, year=2022),            # same enterprise, two years: fine
        app("F", 5, bank_account=" acc-000005 "),       # its own, written differently: fine
    ]
    r = run(rows)
    assert rules_of(r, "A") == ["REFUND_ACCOUNT"]
    assert rules_of(r, "B") == ["REFUND_ACCOUNT"] and rules_of(r, "C") == ["REFUND_ACCOUNT"]
    assert "also the payee" in by_id(r)["B"]["detail"]
    assert rules_of(r, "D") == [] and rules_of(r, "E") == [] and rules_of(r, "F") == []
    assert "999" not in by_id(r)["A"]["detail"].split("account ")[1][3:7]  # masked


@pytest.mark.parametrize(
    ("size", "insured", "rate"),
    [(None, 299, "0.60"), (None, 300, "0.30"), ("large", 10, "0.30"), ("medium", 5000, "0.60"),
     ("micro", 1, "0.60")],
)
def test_rate_by_size_class_and_headcount(size: str | None, insured: int, rate: str) -> None:
    r = run([app("A", 1, insured_prev_year_end=insured)], [ent(1, size_class=size)])
    assert by_id(r)["A"]["eligible_amount"] == Decimal(rate) * 10000


@pytest.mark.parametrize(
    ("year", "size", "amount"),
    [(2021, "large", "3000.00"), (2021, "small", "6000.00"), (2022, "large", "5000.00"),
     (2022, "small", "9000.00"), (2023, "small", "6000.00"), (2025, "large", "3000.00")],
)
def test_rate_by_year(year: int, size: str, amount: str) -> None:
    r = run([app("A", 1, year=year, insured_prev_year_end=400)], [ent(1, size_class=size)])
    assert by_id(r)["A"]["eligible_amount"] == Decimal(amount)


def test_year_without_a_configured_rate_is_reviewed_with_zero() -> None:
    row = by_id(run([app("A", 1, year=2019)]))["A"]
    assert row["decision"] == "review" and row["rules"] == ["REFUND_INPUT_INVALID"]
    assert row["eligible_amount"] == Decimal("0.00")


def test_split_enterprise_gets_the_large_rate_and_amount_review() -> None:
    ents = [ent(1, legal_rep_id="370102198001019999"), ent(2, legal_rep_id="370102198001019999"),
            ent(3, phone="053199990000"), ent(4, phone="0531-9999 0000")]
    rows = [
        app("A", 1, insured_prev_year_end=160, requested_amount="6000.00"),
        app("B", 2, insured_prev_year_end=140),
        # shared phone, 150 + 149 < 300: related but not split
        app("C", 3, insured_prev_year_end=150), app("D", 4, insured_prev_year_end=149),
    ]
    r = run(rows, ents)
    a, b = by_id(r)["A"], by_id(r)["B"]
    assert a["rules"] == ["REFUND_AMOUNT", "RELATED_PARTY", "SPLIT_ENTERPRISE"]
    assert a["decision"] == "review" and a["eligible_amount"] == Decimal("3000.00")
    assert b["rules"] == ["RELATED_PARTY", "SPLIT_ENTERPRISE"] and b["decision"] == "approve"
    assert b["eligible_amount"] == Decimal("3000.00")
    assert rules_of(r, "C") == ["RELATED_PARTY"] and by_id(r)["C"]["eligible_amount"] == Decimal("6000.00")


def test_split_needs_same_year_small_units_and_not_address_or_hubs() -> None:
    same_addr = [ent(i, address="济南市经十路1号 商务中心") for i in (1, 2)]
    hub_phone = [ent(i, phone="053100000000") for i in range(3, 25)]  # 22 units > hub cap 20
    other_year = [ent(30, bank_account="SHARED"), ent(31, bank_account="SHARED")]
    medium = [ent(40, size_class="medium", legal_rep_id="R"), ent(41, legal_rep_id="R")]
    ents = same_addr + hub_phone + other_year + medium
    rows = [app("A1", 1, insured_prev_year_end=200), app("A2", 2, insured_prev_year_end=200),
            app("H3", 3, insured_prev_year_end=200), app("H4", 4, insured_prev_year_end=200),
            app("Y1", 30, insured_prev_year_end=200, bank_account="SHARED"),
            app("Y2", 31, insured_prev_year_end=200, bank_account="SHARED", year=2022),
            app("M1", 40, insured_prev_year_end=200), app("M2", 41, insured_prev_year_end=200)]
    r = run(rows, ents)
    assert rules_of(r, "A1") == ["REFUND_SHARED_ADDRESS"]
    assert rules_of(r, "H3") == [] and rules_of(r, "H4") == []
    assert "SPLIT_ENTERPRISE" not in rules_of(r, "Y1")
    assert rules_of(r, "M1") == ["RELATED_PARTY"] and rules_of(r, "M2") == ["RELATED_PARTY"]
    assert all(d == "approve" or aid.startswith("Y") for aid, d in
               r.decisions.select("application_id", "decision").iter_rows())


def test_split_groups_from_graph_alerts_feed_the_rate() -> None:
    alerts = pl.DataFrame(
        {"alert_id": ["G1"], "pattern": ["SPLIT_ENTERPRISE"], "score": [0.9],
         "entities": [[f"unit:{uscc(1)}", f"unit:{uscc(2)}", "phone:1"]], "detail": ["x"]}
    )
    rows = [app("A", 1, insured_prev_year_end=100), app("B", 2, insured_prev_year_end=100)]
    plain = run(rows)
    assert by_id(plain)["A"]["eligible_amount"] == Decimal("6000.00")
    fed = run(rows, graph_alerts=alerts)
    assert by_id(fed)["A"]["eligible_amount"] == Decimal("3000.00")
    assert "SPLIT_ENTERPRISE" in by_id(fed)["B"]["rules"]


def test_agency_and_covered_unit_under_common_control_is_related_party() -> None:
    ents = [ent(1, kind="dispatch_agency", legal_rep_id="R1"), ent(2, legal_rep_id="R1"), ent(3)]
    r = run([app("G", 1, covered_units=f"{uscc(2)};{uscc(3)}")], ents)
    assert rules_of(r, "G") == ["RELATED_PARTY"]
    assert "covered " + uscc(2) in by_id(r)["G"]["detail"]


def test_unknown_applicant_and_unreadable_values_are_reviewed_never_dropped() -> None:
    rows = [app("A", 1), app("B", 2)]
    raw = frames(rows, [ent(1)])
    apps = raw["refund_applications"].with_columns(pl.col("paid_prev_year").cast(pl.String))
    apps = apps.with_columns(
        pl.when(pl.col("application_id") == "A").then(pl.lit("10000.005"))
        .otherwise(pl.col("paid_prev_year")).alias("paid_prev_year")
    )
    r = audit({"refund_applications": apps, "enterprises": raw["enterprises"]})
    assert r.decisions.height == 2
    assert rules_of(r, "A") == ["REFUND_INPUT_INVALID"]
    assert "paid_prev_year: unreadable" in by_id(r)["A"]["detail"]
    assert rules_of(r, "B") == ["REFUND_UNIT_UNKNOWN"]


def test_float_money_is_refused() -> None:
    raw = frames([app("A", 1)], [ent(1)])
    apps = raw["refund_applications"].with_columns(pl.col("paid_prev_year").cast(pl.Float64))
    with pytest.raises(InputError, match="never float"):
        audit({"refund_applications": apps})


def test_without_enterprises_table_rules_that_need_it_stay_silent() -> None:
    r = audit(frames([app("A", 1, bank_account="OTHER")], None))
    assert rules_of(r, "A") == []
    assert "no enterprises table" in r.summary_text()


def test_outputs_follow_the_contract_schemas() -> None:
    r = run([app("A", 1), app("B", 2, paid_prev_year="1")])
    assert r.decisions.schema == pl.Schema({
        "application_id": pl.String, "decision": pl.String, "rules": pl.List(pl.String),
        "eligible_amount": pl.Decimal(18, 2), "detail": pl.String})
    assert r.findings.columns == ["application_id", "rule", "severity", "detail"]
    assert "REFUND_ARREARS (reject)" in r.explain("B")


def test_same_unit_applying_twice_in_a_year_and_missing_payee() -> None:
    r = run([app("A", 1), app("B", 1), app("C", 2, bank_account=None)])
    assert rules_of(r, "A") == ["REFUND_DOUBLE_CLAIM"] and rules_of(r, "B") == ["REFUND_DOUBLE_CLAIM"]
    assert rules_of(r, "C") == ["REFUND_ACCOUNT"] and "no payee" in by_id(r)["C"]["detail"]
