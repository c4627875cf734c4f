"""Known-answer tests on small named graphs, one or more per graph pattern (contract §3-§4)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from _graph_world import d, frame, rid, uscc
from dupcheck.graph import analyze
from dupcheck.policy import GraphPolicy, Policy

AG = uscc(1)
U1, U2, U3 = uscc(2), uscc(3), uscc(4)


def run(policy: Policy | None = None, **tables: list[dict[str, Any]]) -> pl.DataFrame:
    """Alerts of a world given as table -> rows."""
    return analyze({k: frame(k, v) for k, v in tables.items()}, policy=policy).alerts


def of(alerts: pl.DataFrame, pattern: str) -> pl.DataFrame:
    return alerts.filter(pl.col("pattern") == pattern)


def claim(i: int, **kw: Any) -> dict[str, Any]:
    row = dict(claim_id=f"c{i:03d}", id_number=rid(i), name=f"张{i}", benefit_type="ui_subsidy",
               claim_date=d("2021-06-01"), phone=f"139{i:08d}", bank_account=f"62220000{i:08d}")
    row.update(kw)
    return row


def agency(eid: str = AG, **kw: Any) -> dict[str, Any]:
    row = dict(enterprise_id=eid, kind="dispatch_agency", legal_rep_id=rid(900), phone="0531-88886666",
               address="济南市经十路1号", bank_account="3100000000000001")
    row.update(kw)
    return row


def unit(eid: str, rep: int, **kw: Any) -> dict[str, Any]:
    row = dict(enterprise_id=eid, kind="enterprise", size_class="small", legal_rep_id=rid(rep),
               phone=f"0531-7{rep:06d}", address=f"济南市路{rep}号", bank_account=f"31000000{rep:08d}")
    row.update(kw)
    return row


# ---------------------------------------------------------------- shared identifiers and hubs


def test_ring_sharing_one_account_is_shared_identifier_and_community() -> None:
    claims = [claim(i, bank_account="6222 0000 1111 2222", agency_id=AG) for i in range(10)]
    alerts = run(claims=claims, enterprises=[agency()])
    sid = of(alerts, "SHARED_IDENTIFIER")
    assert sid.height == 1
    ents = sid["entities"][0].to_list()
    assert "account:6222000011112222" in ents
    assert sum(e.startswith("person:") for e in ents) == 10
    com = of(alerts, "SUSPICIOUS_COMMUNITY")
    assert com.height == 1 and f"agency:{AG}" in com["entities"][0].to_list()


def test_one_persons_claims_count_once_for_shared_identifier() -> None:
    claims = [claim(i, id_number=rid(1), bank_account="6222000011112222") for i in range(4)]
    claims.append(claim(9, bank_account="6222000011112222"))
    assert of(run(claims=claims), "SHARED_IDENTIFIER").height == 0  # two persons only
    claims.append(claim(8, bank_account="6222000011112222"))
    assert of(run(claims=claims), "SHARED_IDENTIFIER").height == 1  # now three


def test_benign_agency_office_phone_is_not_an_alert() -> None:
    # 25 former workers all give the agency's registered office phone on their claims
    claims = [claim(i, phone="(0531) 8888 6666", agency_id=AG) for i in range(25)]
    alerts = run(claims=claims, enterprises=[agency()])
    assert of(alerts, "SHARED_IDENTIFIER").height == 0
    assert of(alerts, "SUSPICIOUS_COMMUNITY").height == 0


def test_hub_cap_and_allow_list() -> None:
    many = [claim(i, phone="13900000000") for i in range(21)]  # 21 persons > hub cap 20
    assert of(run(claims=many), "SHARED_IDENTIFIER").height == 0
    few = [claim(i, phone="13900000000") for i in range(5)]
    assert of(run(claims=few), "SHARED_IDENTIFIER").height == 1
    allow = Policy(graph=GraphPolicy(allow_list=["phone:139-0000-0000"]))
    assert of(run(allow, claims=few), "SHARED_IDENTIFIER").height == 0


# ---------------------------------------------------------------- common control


def test_split_enterprise_and_related_party() -> None:
    ents = [unit(U1, 1), unit(U2, 2, legal_rep_id=rid(1), size_class="micro"), unit(U3, 3)]
    apps = [dict(application_id="a1", enterprise_id=U1, year=2021, insured_prev_year_end=200),
            dict(application_id="a2", enterprise_id=U2, year=2021, insured_prev_year_end=120),
            dict(application_id="a3", enterprise_id=U3, year=2021, insured_prev_year_end=250)]
    alerts = run(claims=[claim(0)], enterprises=ents, refund_applications=apps)
    spl = of(alerts, "SPLIT_ENTERPRISE")
    assert spl.height == 1
    assert set(spl["entities"][0].to_list()) == {f"unit:{U1}", f"unit:{U2}", f"person:{rid(1)}"}
    assert of(alerts, "RELATED_PARTY").height == 1


def test_split_needs_the_large_headcount_and_same_year() -> None:
    ents = [unit(U1, 1), unit(U2, 2, legal_rep_id=rid(1))]
    below = [dict(application_id="a1", enterprise_id=U1, year=2021, insured_prev_year_end=150),
             dict(application_id="a2", enterprise_id=U2, year=2021, insured_prev_year_end=149)]
    alerts = run(claims=[claim(0)], enterprises=ents, refund_applications=below)
    assert of(alerts, "SPLIT_ENTERPRISE").height == 0
    assert of(alerts, "RELATED_PARTY").height == 1
    years = [dict(application_id="a1", enterprise_id=U1, year=2021, insured_prev_year_end=200),
             dict(application_id="a2", enterprise_id=U2, year=2022, insured_prev_year_end=200)]
    alerts = run(claims=[claim(0)], enterprises=ents, refund_applications=years)
    assert of(alerts, "SPLIT_ENTERPRISE").height == 0 and of(alerts, "RELATED_PARTY").height == 0


def test_shared_business_centre_address_is_not_common_control() -> None:
    ents = [unit(uscc(10 + i), 10 + i, address="济南市经十路100号商务中心") for i in range(25)]
    apps = [dict(application_id=f"a{i}", enterprise_id=uscc(10 + i), year=2021, insured_prev_year_end=100)
            for i in range(25)]
    ents.append(agency(address="济南市经十路100号商务中心"))
    disp = [dict(agency_id=AG, employer_id=uscc(10), id_number=rid(5), name="李四",
                 start_date=d("2020-01-01"), end_date=d("2020-06-01"))]
    alerts = run(claims=[claim(0)], enterprises=ents, refund_applications=apps, dispatch=disp)
    assert of(alerts, "SPLIT_ENTERPRISE").height == 0
    assert of(alerts, "RELATED_PARTY").height == 0


def test_agency_and_served_unit_under_one_account_is_related_party() -> None:
    ents = [agency(), unit(U1, 1, bank_account="3100000000000001"), unit(U2, 2)]
    disp = [dict(agency_id=AG, employer_id=u, id_number=rid(5 + i), name="李四",
                 start_date=d("2020-01-01"), end_date=d("2020-06-01")) for i, u in enumerate([U1, U2])]
    rp = of(run(claims=[claim(0)], enterprises=ents, dispatch=disp), "RELATED_PARTY")
    assert rp.height == 1
    assert set(rp["entities"][0].to_list()) == {f"agency:{AG}", f"unit:{U1}", "account:3100000000000001"}


# ---------------------------------------------------------------- dispatch and time


def test_dispatch_while_claiming_and_one_day_handover() -> None:
    disp = [
        dict(agency_id=AG, employer_id=U1, id_number=rid(0), name="张0", start_date=d("2021-01-01"), end_date=None),
        dict(agency_id=AG, employer_id=U1, id_number=rid(1), name="张1", start_date=d("2020-01-01"),
             end_date=d("2021-05-31")),  # ended the day before the claim
        dict(agency_id=AG, employer_id=U1, id_number=rid(2), name="张2", start_date=d("2020-01-01"),
             end_date=d("2020-12-31")),
        dict(agency_id=uscc(9), employer_id=U2, id_number=rid(2), name="张2", start_date=d("2020-12-31"),
             end_date=d("2021-03-01")),  # one shared day: a handover
        dict(agency_id=AG, employer_id=U1, id_number=rid(3), name="张3", start_date=d("2020-01-01"),
             end_date=d("2020-12-31")),
        dict(agency_id=uscc(9), employer_id=U2, id_number=rid(3), name="张3", start_date=d("2020-12-25"),
             end_date=d("2021-03-01")),  # exactly 7 shared days
    ]
    alerts = run(claims=[claim(0), claim(1)], dispatch=disp)
    dwc = of(alerts, "DISPATCH_WHILE_CLAIMING")
    assert dwc["entities"].to_list() == [sorted([f"agency:{AG}", "claim:c000", f"person:{rid(0)}", f"unit:{U1}"])]
    maw = of(alerts, "MULTI_AGENCY_WORKER")
    assert [e for e in maw["entities"][0].to_list() if e.startswith("person:")] == [f"person:{rid(3)}"]
    assert maw.height == 1


def test_agency_claim_spike_is_a_test_against_peers() -> None:
    disp, claims = [], []
    n = 0
    for a in range(8):  # peers: 100 former workers, 5 claims each
        for w in range(100):
            disp.append(dict(agency_id=uscc(100 + a), employer_id=U1, id_number=rid(n, birth="19850101"),
                             name="王", start_date=d("2019-01-01"), end_date=d("2021-01-31")))
            if w < 5:
                claims.append(claim(n, id_number=rid(n, birth="19850101")))
            n += 1
    for w in range(100):  # the spiking agency: 30 of 100
        disp.append(dict(agency_id=AG, employer_id=U1, id_number=rid(n, birth="19850101"), name="王",
                         start_date=d("2019-01-01"), end_date=d("2021-01-31")))
        if w < 30:
            claims.append(claim(n, id_number=rid(n, birth="19850101")))
        n += 1
    for _ in range(4):  # small agency: 4 of 4 but under the minimum of 5 claims
        disp.append(dict(agency_id=uscc(99), employer_id=U1, id_number=rid(n, birth="19860101"), name="赵",
                         start_date=d("2019-01-01"), end_date=d("2021-01-31")))
        claims.append(claim(n, id_number=rid(n, birth="19860101")))
        n += 1
    spike = of(run(claims=claims, dispatch=disp), "AGENCY_CLAIM_SPIKE")
    assert spike.height == 1
    assert f"agency:{AG}" in spike["entities"][0].to_list()


def _spell(i: int, emp: str, start: str, end: str) -> dict[str, Any]:
    return dict(id_number=rid(i), name=f"张{i}", employer_id=emp, start_date=d(start), end_date=d(end))


def test_manufactured_eligibility_share_and_count() -> None:
    emp, claims = [], []
    for i in range(6):  # 12-13 month spells ending 30 days before the claim at U1
        emp.append(_spell(i, U1, "2020-04-15", "2021-05-02"))
        claims.append(claim(i))
    for i in range(6, 10):  # long spells at U1
        emp.append(_spell(i, U1, "2015-01-01", "2021-05-02"))
        claims.append(claim(i))
    for i in range(10, 15):  # U2: 5 hits of 20 claimants (25% < 30%)
        emp.append(_spell(i, U2, "2020-04-15", "2021-05-02"))
        claims.append(claim(i))
    for i in range(15, 30):
        emp.append(_spell(i, U2, "2016-01-01", "2021-05-02"))
        claims.append(claim(i))
    for i in range(30, 36):  # U3: 11-month spells, just short of a year
        emp.append(_spell(i, U3, "2020-06-15", "2021-05-02"))
        claims.append(claim(i))
    mfe = of(run(claims=claims, employment=emp), "MANUFACTURED_ELIGIBILITY")
    assert mfe.height == 1 and f"unit:{U1}" in mfe["entities"][0].to_list()


# ---------------------------------------------------------------- identity


def test_one_person_many_ids_and_mistyped_id() -> None:
    a = rid(1, region="370102")
    b = rid(7, region="371502")  # same birth date and sex, another region and sequence
    claims = [claim(0, id_number=a, name="王芳", phone="13811112222"),
              claim(1, id_number=b, name="王 芳", phone="138-1111-2222")]
    opm = of(run(claims=claims), "ONE_PERSON_MANY_IDS")
    assert opm.height == 1 and {f"person:{a}", f"person:{b}"} <= set(opm["entities"][0].to_list())
    other_phone = [claims[0], claim(1, id_number=b, name="王芳", phone="13899998888")]
    assert of(run(claims=other_phone), "ONE_PERSON_MANY_IDS").height == 0
    # ids differing in one body digit (check character recomputed) are a typo, not another id
    base, typo = rid(3), rid(4)
    assert sum(p != q for p, q in zip(base[:17], typo[:17], strict=True)) == 1
    typo_claims = [claim(0, id_number=base, name="王芳", phone="13811112222"),
                   claim(1, id_number=typo, name="王芳", phone="13811112222")]
    assert of(run(claims=typo_claims), "ONE_PERSON_MANY_IDS").height == 0


def test_one_person_many_ids_through_a_legal_representative() -> None:
    a, b = rid(1), rid(7, region="371502")
    claims = [claim(0, id_number=a, name="王芳", bank_account="6222000099998888")]
    ents = [unit(U1, 5, legal_rep_id=b, legal_rep_name="王芳", bank_account="6222000099998888")]
    opm = of(run(claims=claims, enterprises=ents), "ONE_PERSON_MANY_IDS")
    assert opm.height == 1


# ---------------------------------------------------------------- communities


def test_dense_block_with_camouflage_edges() -> None:
    big = uscc(50)
    claims = []
    for i in range(10):  # the block: each claimant shares an account or a phone with a neighbour
        claims.append(claim(i, bank_account=f"A{i // 2}", phone=f"1580000000{((i + 1) // 2) % 5}",
                            last_employer_id=big))
    for i in range(10, 110):  # camouflage: 100 ordinary claimants of the same big unit
        claims.append(claim(i, last_employer_id=big))
    for i in range(110, 118):  # a sparse chain of 8 with no enterprise: not a community
        claims.append(claim(i, bank_account=f"B{(i - 110) // 2}", phone=f"1590000000{((i - 109) // 2) % 4}"))
    com = of(run(claims=claims), "SUSPICIOUS_COMMUNITY")
    assert com.height == 1
    persons = {e for e in com["entities"][0].to_list() if e.startswith("person:")}
    assert persons == {f"person:{rid(i)}" for i in range(10)}
    assert f"unit:{big}" in com["entities"][0].to_list()
    assert of(run(claims=claims), "SHARED_IDENTIFIER").height == 0  # every identifier has 2 users


def test_community_score_rises_with_findings() -> None:
    claims = [claim(i, bank_account=f"A{i // 2}", phone=f"1580000000{((i + 1) // 2) % 5}",
                    agency_id=AG) for i in range(10)]
    tables = {"claims": frame("claims", claims)}
    plain = analyze(tables).alerts
    ev = pl.DataFrame({"claim_id": [f"c{i:03d}" for i in range(5)], "rule": ["EMPLOYED"] * 5})
    flagged = analyze(tables, evidence=ev).alerts
    s0 = of(plain, "SUSPICIOUS_COMMUNITY")["score"][0]
    s1 = of(flagged, "SUSPICIOUS_COMMUNITY")["score"][0]
    assert s1 == pytest.approx(s0 * 1.5)


def test_large_group_is_peeled_to_its_dense_block() -> None:

    claims = [claim(i, bank_account="BLOCK-A", phone="15800000000", agency_id=AG) for i in range(12)]
    for i in range(12, 72):  # a long sparse chain hanging off the block through one phone
        claims.append(claim(i, bank_account=f"C{(i - 12) // 2}", phone=f"P{(i - 11) // 2}"))
    claims[12]["phone"] = "15800000000"
    tables = {"claims": frame("claims", claims), "enterprises": frame("enterprises", [agency()])}
    whole = of(analyze(tables).alerts, "SUSPICIOUS_COMMUNITY")
    assert whole.height == 1 and len([e for e in whole["entities"][0] if e.startswith("person:")]) == 72
    peeled = of(analyze(tables, policy=Policy.from_dict({"graph": {"community_peel_above": 20}})).alerts, "SUSPICIOUS_COMMUNITY")
    persons = {e for e in peeled["entities"][0] if e.startswith("person:")}
    assert {f"person:{rid(i)}" for i in range(12)} <= persons and len(persons) <= 13


def test_full_width_and_lowercase_ids_are_one_person() -> None:
    pid = rid(1, birth="19900101")
    full = pid.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    disp = [dict(agency_id=AG, employer_id=U1, id_number=full, name="张1", start_date=d("2021-01-01"),
                 end_date=None)]
    dwc = of(run(claims=[claim(1, id_number=pid.lower())], dispatch=disp), "DISPATCH_WHILE_CLAIMING")
    assert dwc.height == 1 and f"person:{pid}" in dwc["entities"][0].to_list()


def test_linkage_evidence_ties_a_mistyped_dispatch_row_to_the_claimant() -> None:
    pid = rid(1)
    typo = pid[:10] + pid[11] + pid[10] + pid[12:]  # transposed digits: another (invalid) id
    disp = [dict(record_id="H1", agency_id=AG, employer_id=U1, id_number=typo, name="张1",
                 start_date=d("2021-01-01"), end_date=None)]
    tables = {"claims": frame("claims", [claim(1)]), "dispatch": frame("dispatch", disp)}
    assert of(analyze(tables).alerts, "DISPATCH_WHILE_CLAIMING").height == 0
    links = pl.DataFrame({"claim_id": ["c001"], "source": ["dispatch"], "source_key": ["H1"],
                          "match": ["fuzzy"], "score": [0.93]})
    dwc = of(analyze(tables, evidence=links).alerts, "DISPATCH_WHILE_CLAIMING")
    assert dwc.height == 1 and f"person:{pid}" in dwc["entities"][0].to_list()
