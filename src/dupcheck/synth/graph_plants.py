"""Graph plug-in of the synthetic province: every graph pattern planted, with near misses.

``plant_graph(world)`` creates fresh persons and enterprises for each plant (so plants do not
disturb each other or the base population) and records each expected alert with
``world.add_alert_truth``. Instances per pattern: 30 per 100k claims already in the world (at least
3). Plants: a claimant still dispatched during the claim (EMPLOYED, declared so the claim truth
agrees), a worker dispatched by two agencies for 30-120 concurrent days, 3-6 claimants paid into one
account, an agency and a unit it serves under one legal representative or one account, an agency
whose former workers claim at 40% (20-48-month spells, so not manufactured), a unit whose claimants
mostly had 12-14-month spells ending shortly before the claim, one person under two valid ids
(a namesake id) sharing a phone, and a ring of 8-12 claimants each sharing an account or phone
with one neighbour (every identifier used by 2 persons, so no single identifier is a
SHARED_IDENTIFIER), all at one unit.

Claims planted elsewhere as EMPLOYED through a dispatch relation (tag
``plant:employed_dispatch``) are recorded as DISPATCH_WHILE_CLAIMING truth as well.

Near misses (``near_miss=True``, no alert expected): an agency's registered office phone used on
the claims of 25 of its former workers (and it has 1000 former workers, so its claim rate is
ordinary); a business-centre address registered by 25 unrelated units and an agency serving three
of them; two dispatch relations of one worker that overlap on a single day; true namesakes
(same name, birth date and gender, different ids) with their own contacts.

SPLIT_ENTERPRISE (and the applicant-group form of RELATED_PARTY) needs refund applications,
which the refund plug-in plants and records as alert truth (split groups, and related pairs below
300 as SPLIT near misses). Only when no refund plug-in exists does this module plant split
groups itself, so that every pattern is always planted.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from dupcheck.normalize import normalize_account, normalize_address, normalize_phone
from dupcheck.synth.world import World, add_months, random_dates

__all__ = ["instances", "plant_graph"]


def instances(world: World, per_100k: int = 30) -> int:
    """Plants per pattern, scaled to the claims already in the world (at least 3)."""
    n_claims = world.table("claims").height
    return max(3, round(per_100k * n_claims / 100_000))


def _norm(kind: str, value: str) -> str:
    fn = {"phone": normalize_phone, "account": normalize_account, "address": normalize_address}[kind]
    return f"{kind}:{pl.select(fn(pl.lit(value))).item()}"


def _days(rng: np.random.Generator, lo: int, hi: int, n: int) -> pl.Series:
    return pl.Series(rng.integers(lo, hi + 1, n)).cast(pl.Int64)


def _shift(dates: pl.Series, days: pl.Series) -> pl.Series:
    return pl.select(pl.lit(dates).cast(pl.Date) + pl.duration(days=pl.lit(days))).to_series()


class _Plants:
    def __init__(self, world: World) -> None:
        self.w = world
        self.rng = world.rng
        self.n = instances(world)
        lo, hi = world.window
        self.lo, self.hi = lo, hi

    def claim_dates(self, n: int) -> pl.Series:
        return random_dates(self.rng, self.lo + timedelta(days=90), self.hi, n)

    def ent(self, row: dict[str, object]) -> str:
        kind = "agency" if row["kind"] == "dispatch_agency" else "unit"
        return f"{kind}:{row['enterprise_id']}"

    # -------------------------------------------------------------- patterns
    def dispatch_while_claiming(self) -> None:
        n, w, rng = self.n, self.w, self.rng
        people = w.new_people(n, born=(date(1970, 1, 1), date(2000, 12, 31)))
        ag = w.new_enterprises(n, "dispatch_agency")
        un = w.new_enterprises(n)
        cd = self.claim_dates(n)
        start = _shift(cd, -_days(rng, 100, 500, n))
        open_end = rng.random(n) < 0.5
        end = _shift(cd, _days(rng, 40, 300, n))
        end = pl.Series([None if o else e for o, e in zip(open_end, end.to_list(), strict=True)], dtype=pl.Date)
        w.add_spells(pl.DataFrame({
            "_pid": people["pid"], "employer_id": un["enterprise_id"], "agency_id": ag["enterprise_id"],
            "start_date": start, "end_date": end,
        }))
        claims = w.add_claims(pl.DataFrame({"_pid": people["pid"], "benefit_type": "ui_subsidy",
                                            "claim_date": cd}), rules=["EMPLOYED"],
                              tags=["graph:dispatch_while_claiming"])
        for i in range(n):
            w.add_alert_truth("DISPATCH_WHILE_CLAIMING", [
                f"claim:{claims['claim_id'][i]}", f"person:{people['pid'][i]}",
                self.ent(ag.row(i, named=True)), self.ent(un.row(i, named=True))])

    def multi_agency(self, near_miss: bool) -> None:
        n, w, rng = self.n, self.w, self.rng
        people = w.new_people(n)
        a1, a2 = w.new_enterprises(n, "dispatch_agency"), w.new_enterprises(n, "dispatch_agency")
        u1, u2 = w.new_enterprises(n), w.new_enterprises(n)
        s1 = random_dates(rng, self.lo - timedelta(days=1500), self.lo - timedelta(days=900), n)
        e1 = _shift(s1, _days(rng, 200, 400, n))
        ov = pl.Series([1] * n) if near_miss else _days(rng, 30, 120, n)
        s2 = _shift(e1, -(ov - 1))
        e2 = _shift(s2, _days(rng, 200, 400, n))
        for ag, un, s, e in ((a1, u1, s1, e1), (a2, u2, s2, e2)):
            w.add_spells(pl.DataFrame({"_pid": people["pid"], "employer_id": un["enterprise_id"],
                                       "agency_id": ag["enterprise_id"], "start_date": s, "end_date": e}))
        for i in range(n):
            w.add_alert_truth("MULTI_AGENCY_WORKER", [
                f"person:{people['pid'][i]}", self.ent(a1.row(i, named=True)),
                self.ent(a2.row(i, named=True))], near_miss=near_miss)

    def _history(self, pids: pl.Series, cd: pl.Series, employer: pl.Series | str,
                 months: tuple[int, int], gap: tuple[int, int], agency: pl.Series | str | None = None,
                 reason: str = "contract_expired") -> None:
        """One ended spell per claimant: ``months`` long, ending ``gap`` days before the claim."""
        n = len(pids)
        rng = self.rng
        end = _shift(cd, -_days(rng, gap[0], gap[1], n))
        m = rng.integers(months[0], months[1] + 1, n)
        start = pl.Series([add_months(e, -int(k)) - timedelta(days=int(rng.integers(0, 20)))
                           for e, k in zip(end.to_list(), m, strict=True)], dtype=pl.Date)
        frame = pl.DataFrame({"_pid": pids, "start_date": start, "end_date": end}).with_columns(
            employer_id=employer if isinstance(employer, pl.Series) else pl.lit(employer),
            reason=pl.lit(reason),
        )
        if agency is not None:
            frame = frame.with_columns(agency_id=agency if isinstance(agency, pl.Series) else pl.lit(agency))
        self.w.add_spells(frame)

    def shared_identifier(self) -> None:
        w, rng = self.w, self.rng
        for _ in range(self.n):
            k = int(rng.integers(3, 7))
            people = w.new_people(k)
            unit = w.new_enterprises(1)["enterprise_id"][0]
            acct = "6228" + str(int(rng.integers(10**14, 10**15)))
            cd = self.claim_dates(k)
            self._history(people["pid"], cd, unit, (30, 70), (15, 50))
            w.add_claims(pl.DataFrame({"_pid": people["pid"], "benefit_type": "ui_benefit", "claim_date": cd,
                                       "bank_account": acct}), tags=["graph:shared_identifier"])
            w.add_alert_truth("SHARED_IDENTIFIER",
                              [_norm("account", acct)] + [f"person:{p}" for p in people["pid"]])

    def hub_near_miss(self) -> None:
        w, rng = self.w, self.rng
        for _ in range(max(1, self.n // 10)):
            hub = w.new_enterprises(1, "dispatch_agency").row(0, named=True)
            units = w.new_enterprises(5)["enterprise_id"]
            formers = w.new_people(1000)
            emp = pl.Series(units.gather(rng.integers(0, 5, 1000)))
            end = random_dates(rng, self.lo - timedelta(days=700), self.lo - timedelta(days=30), 1000)
            start = _shift(end, -_days(rng, 400, 1500, 1000))
            w.add_spells(pl.DataFrame({"_pid": formers["pid"], "employer_id": emp, "agency_id": hub["enterprise_id"],
                                       "start_date": start, "end_date": end, "reason": "contract_expired"}))
            claimants = formers.head(25)
            last_end = end.head(25)
            cd = _shift(last_end, _days(rng, 20, 80, 25))
            w.add_claims(pl.DataFrame({"_pid": claimants["pid"], "benefit_type": "ui_benefit", "claim_date": cd,
                                       "phone": hub["phone"], "agency_id": hub["enterprise_id"]}),
                         tags=["near_miss:agency_office_phone"])
            ph = _norm("phone", str(hub["phone"]))
            w.add_alert_truth("SHARED_IDENTIFIER", [ph], near_miss=True)
            w.add_alert_truth("SUSPICIOUS_COMMUNITY", [ph], near_miss=True)
            w.add_alert_truth("AGENCY_CLAIM_SPIKE", [self.ent(hub)], near_miss=True)

    def related_party(self) -> None:
        w, rng = self.w, self.rng
        for i in range(self.n):
            ag = w.new_enterprises(1, "dispatch_agency").row(0, named=True)
            if i % 2 == 0:
                un = w.new_enterprises(1, legal_rep_id=ag["legal_rep_id"], legal_rep_name=ag["legal_rep_name"])
            else:
                un = w.new_enterprises(1, bank_account=ag["bank_account"])
            uid = un["enterprise_id"][0]
            people = w.new_people(3)
            end = random_dates(rng, self.lo - timedelta(days=600), self.lo - timedelta(days=200), 3)
            w.add_spells(pl.DataFrame({"_pid": people["pid"], "employer_id": uid, "agency_id": ag["enterprise_id"],
                                       "start_date": _shift(end, -_days(rng, 300, 900, 3)), "end_date": end}))
            w.add_alert_truth("RELATED_PARTY", [self.ent(ag), f"unit:{uid}"])

    def business_centre(self) -> None:
        w, rng = self.w, self.rng
        for _ in range(max(1, self.n // 10)):
            addr = f"山东省济南市历下区经十路{int(rng.integers(1000, 9999))}号商务中心{int(rng.integers(1, 30))}层"
            units = w.new_enterprises(25, size_class="small", address=addr)
            ag = w.new_enterprises(1, "dispatch_agency", address=addr).row(0, named=True)
            people = w.new_people(3)
            end = random_dates(rng, self.lo - timedelta(days=600), self.lo - timedelta(days=200), 3)
            w.add_spells(pl.DataFrame({"_pid": people["pid"], "employer_id": units["enterprise_id"].head(3),
                                       "agency_id": ag["enterprise_id"],
                                       "start_date": _shift(end, -_days(rng, 300, 900, 3)), "end_date": end}))
            ents = [_norm("address", addr), self.ent(ag)] + [f"unit:{u}" for u in units["enterprise_id"]]
            w.add_alert_truth("RELATED_PARTY", ents, near_miss=True)
            w.add_alert_truth("SPLIT_ENTERPRISE", ents, near_miss=True)

    def agency_spike(self) -> None:
        w, rng = self.w, self.rng
        for _ in range(self.n):
            ag = w.new_enterprises(1, "dispatch_agency").row(0, named=True)
            units = w.new_enterprises(3)["enterprise_id"]
            k = 60
            formers = w.new_people(k)
            claim_n = 24
            cd_all = self.claim_dates(k)
            emp = pl.Series(units.gather(rng.integers(0, 3, k)))
            self._history(formers["pid"], cd_all, emp, (20, 48), (10, 200), agency=ag["enterprise_id"])
            w.add_claims(pl.DataFrame({"_pid": formers["pid"].head(claim_n), "benefit_type": "ui_benefit",
                                       "claim_date": cd_all.head(claim_n)}), tags=["graph:agency_claim_spike"])
            w.add_alert_truth("AGENCY_CLAIM_SPIKE", [self.ent(ag)])

    def manufactured(self) -> None:
        w, rng = self.w, self.rng
        for _ in range(self.n):
            unit = w.new_enterprises(1, size_class="micro")["enterprise_id"][0]
            hits, others = int(rng.integers(7, 12)), int(rng.integers(2, 5))
            people = w.new_people(hits + others)
            cd = self.claim_dates(hits + others)
            self._history(people["pid"].head(hits), cd.head(hits), unit, (12, 13), (5, 55), reason="dismissed")
            self._history(people["pid"].tail(others), cd.tail(others), unit, (30, 60), (5, 55), reason="dismissed")
            w.add_claims(pl.DataFrame({"_pid": people["pid"], "benefit_type": "ui_benefit", "claim_date": cd}),
                         tags=["graph:manufactured_eligibility"])
            w.add_alert_truth("MANUFACTURED_ELIGIBILITY", [f"unit:{unit}"])

    def one_person_many_ids(self, near_miss: bool) -> None:
        w = self.w
        n = self.n
        people = w.new_people(n)
        twins = w.namesakes(people["pid"])
        keep = people.join(twins.select("name", "birth_date", "gender"), on=["name", "birth_date", "gender"],
                           how="semi", maintain_order="left")
        twins = keep.select("name", "birth_date", "gender").join(
            twins, on=["name", "birth_date", "gender"], how="left", maintain_order="left"
        ).unique(["name", "birth_date", "gender"], keep="first", maintain_order=True)
        keep = keep.unique(["name", "birth_date", "gender"], keep="first", maintain_order=True)
        m = keep.height
        cd = self.claim_dates(2 * m)
        unit = w.new_enterprises(1)["enterprise_id"][0]
        both = pl.concat([keep["pid"], twins["pid"]])
        self._history(both, cd, unit, (30, 70), (15, 50))
        frame = pl.DataFrame({"_pid": both, "benefit_type": "ui_subsidy", "claim_date": cd})
        if not near_miss:  # the second id uses the first id's phone
            frame = frame.with_columns(phone=pl.concat([keep["phone"], keep["phone"]]))
        w.add_claims(frame, tags=["near_miss:namesake" if near_miss else "graph:one_person_many_ids"])
        for a, b in zip(keep["pid"], twins["pid"], strict=True):
            w.add_alert_truth("ONE_PERSON_MANY_IDS", [f"person:{a}", f"person:{b}"], near_miss=near_miss)

    def community(self) -> None:
        w, rng = self.w, self.rng
        for _ in range(self.n):
            k = int(rng.integers(8, 13))
            people = w.new_people(k)
            unit = w.new_enterprises(1)["enterprise_id"][0]
            accts = ["6217" + str(int(rng.integers(10**14, 10**15))) for _ in range((k + 1) // 2)]
            phones = ["15" + str(int(rng.integers(10**8, 10**9))) for _ in range((k + 1) // 2)]
            acc = [accts[i // 2] for i in range(k)]
            ph = [phones[((i + 1) // 2) % len(phones)] for i in range(k)]
            cd = self.claim_dates(k)
            self._history(people["pid"], cd, unit, (24, 40), (15, 50))
            w.add_claims(pl.DataFrame({"_pid": people["pid"], "benefit_type": "ui_subsidy", "claim_date": cd,
                                       "bank_account": acc, "phone": ph, "last_employer_id": unit}),
                         tags=["graph:suspicious_community"])
            ents = [f"person:{p}" for p in people["pid"]] + [_norm("account", a) for a in accts]
            ents += [_norm("phone", p) for p in phones] + [f"unit:{unit}"]
            w.add_alert_truth("SUSPICIOUS_COMMUNITY", ents)

    def split_enterprise(self) -> None:
        """Only when no refund plug-in plants split groups (see module docstring)."""
        w, rng = self.w, self.rng
        rows = []
        first = w.reserve("split_groups", self.n)
        for g in range(first, first + self.n):
            rep = w.new_people(1)
            k = int(rng.integers(2, 4))
            units = w.new_enterprises(k, size_class="small", legal_rep_id=rep["pid"][0],
                                      legal_rep_name=rep["name"][0])
            year = int(rng.integers(2021, 2026))
            for j, u in enumerate(units["enterprise_id"]):
                rows.append({"application_id": f"G{g:05d}{j}", "enterprise_id": u, "year": year,
                             "insured_prev_year_end": int(rng.integers(300 // k + 1, 299))})
            ents = [f"unit:{u}" for u in units["enterprise_id"]]
            w.add_alert_truth("SPLIT_ENTERPRISE", ents)
            w.add_alert_truth("RELATED_PARTY", ents)
        w.append("refund_applications", pl.DataFrame(rows))


def _claim_plant_truth(world: World) -> None:
    """Claims that the claim plants made EMPLOYED through a dispatch relation
    (``plant:employed_dispatch``) are DISPATCH_WHILE_CLAIMING by intent: record them too."""
    plan = world.claim_plan()
    tagged = plan.filter(pl.col("tags").list.contains("plant:employed_dispatch")).select("claim_id")
    if tagged.height == 0:
        return
    claims = world.table("claims").join(tagged, on="claim_id", how="semi").sort("claim_id")
    for cid, pid in claims.select("claim_id", "_pid").iter_rows():
        world.add_alert_truth("DISPATCH_WHILE_CLAIMING", [f"claim:{cid}", f"person:{pid}"])


def plant_graph(world: World) -> None:
    """Plant every graph pattern and the legitimate-hub near misses, recording alert truth."""
    _claim_plant_truth(world)
    p = _Plants(world)
    p.dispatch_while_claiming()
    p.multi_agency(near_miss=False)
    p.multi_agency(near_miss=True)
    p.shared_identifier()
    p.hub_near_miss()
    p.related_party()
    p.business_centre()
    p.agency_spike()
    p.manufactured()
    p.one_person_many_ids(near_miss=False)
    p.one_person_many_ids(near_miss=True)
    p.community()
    try:
        import dupcheck.synth.refund_plants  # noqa: F401  (it plants split groups with truth)
    except ImportError:
        p.split_enterprise()
