"""Refund plug-in of the synthetic province: applications with every refund rule planted.

``plant_refund(world)`` creates its own fresh applicants (``world.new_enterprises``), so other
plants cannot disturb its truth, and appends ``refund_applications``. Plants (easy cases):
arrears, layoff rate over the year's ceiling and over the small-unit ceiling, dishonest applicant,
public institution applying or covered by an agency, a unit claimed directly and through an agency
and by two agencies, requests over the eligible amount, a payee account that is not the
applicant's or is shared by two enterprises, and split enterprises (small units under one legal
representative whose combined headcount reaches 300). Near misses that must *not* fire: layoff
rate exactly at the ceiling (6% in 2021, 5.5% from 2022), a small unit at exactly 20%, a small unit
at 10% (over 6% but under its own 20% ceiling), a request equal to the eligible amount, one
account reused by the same enterprise in two years, a unit claimed in different years, and two
small related units below 300 together.

Related groups are also recorded as graph alert truth (RELATED_PARTY, and SPLIT_ENTERPRISE, a
near miss below 300). The truth (``world.truth["refund"]``, written as ``refund_truth.parquet``)
is computed here from the
planted values with Python ``Decimal`` (half-up to the fen), independently of ``dupcheck.refund``:
``application_id, decision, rules (list[str]), eligible_amount (str, 2 decimals)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import polars as pl

from dupcheck.synth.world import World

__all__ = ["plant_refund"]

_SEV = {
    "REFUND_ARREARS": "reject", "REFUND_LAYOFF_RATE": "reject", "REFUND_DISHONEST": "reject",
    "REFUND_DOUBLE_CLAIM": "review", "REFUND_AMOUNT": "review", "REFUND_ACCOUNT": "review",
    "RELATED_PARTY": "info", "SPLIT_ENTERPRISE": "info",
}
_YEARS = (2021, 2022, 2023, 2024, 2025)
_RANK = {"info": 0, "review": 1, "reject": 2}


@dataclass
class _App:
    enterprise_id: str
    year: int
    size_class: str | None
    insured: int
    layoffs: int
    paid: Decimal
    due: Decimal
    account: str
    requested: Decimal | None = None  # None: request exactly the eligible amount
    covered: list[str] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)  # rule -> severity
    split: bool = False
    tags: list[str] = field(default_factory=list)


class _Planter:
    def __init__(self, world: World) -> None:
        self.w = world
        self.rng: np.random.Generator = world.rng
        self.rp = world.policy.refund
        self.apps: list[_App] = []

    # ---------------------------------------------------------------- helpers
    def money(self, lo: int, hi: int) -> Decimal:
        """A random amount in yuan with random fen."""
        return Decimal(int(self.rng.integers(lo * 100, hi * 100))) / 100

    def year(self) -> int:
        return int(self.rng.choice(_YEARS))

    def threshold(self, year: int) -> Decimal:
        keys = sorted(self.rp.layoff_thresholds)
        before = [k for k in keys if k <= year]
        return self.rp.layoff_thresholds[before[-1] if before else keys[0]]

    def units(self, n: int, kind: str = "enterprise", **kw: Any) -> list[dict[str, Any]]:
        """Fresh units, each with its own fresh legal representative unless one is given (the
        World may draw representatives from the population, which would tie plants together)."""
        if "legal_rep_id" not in kw:
            reps = self.w.new_people(n, born=(date(1960, 1, 1), date(1995, 12, 31)))
            kw = {**kw, "legal_rep_id": reps["pid"], "legal_rep_name": reps["name"]}
        return self.w.new_enterprises(n, kind=kind, **kw).to_dicts()

    def clean(self, unit: dict[str, Any], year: int | None = None, *, insured: int | None = None,
              size_class: str | bool | None = True) -> _App:
        """A clean application of ``unit``: paid in full, low layoffs, own account."""
        y = year or self.year()
        sc = unit["size_class"] if size_class is True else size_class
        if insured is None:
            insured = (int(self.rng.integers(300, 3000)) if sc == "large"
                       else int(self.rng.integers(8, 300)))
        thr = self.rp.small_unit_threshold if insured <= self.rp.small_unit_headcount else \
            self.threshold(y)
        layoffs = int(insured * float(thr) * float(self.rng.uniform(0, 0.8)))
        due = self.money(2_000, 900_000)
        app = _App(unit["enterprise_id"], y, sc if isinstance(sc, str) else None, insured,
                   layoffs, due, due, unit["bank_account"])
        if self.rng.random() < 0.2:  # some ask for less than they could get
            app.requested = (self.eligible(app) * Decimal("0.5")).quantize(Decimal("0.01"))
        self.apps.append(app)
        return app

    def is_large(self, app: _App) -> bool:
        if app.split or app.size_class == "large":
            return True
        return app.size_class is None and app.insured >= self.rp.large_headcount

    def eligible(self, app: _App) -> Decimal:
        large, sme = self.rp.rates[app.year]
        rate = large if self.is_large(app) else sme
        return (rate * app.paid).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    # ---------------------------------------------------------------- plants
    def plant(self, n_clean: int, k: int) -> None:
        rng = self.rng
        sizes = np.asarray(["large", "medium", "small", "micro"], dtype=object)
        # clean direct applicants, a few without a size class
        for u in self.units(n_clean):
            sc: str | None = str(sizes[rng.choice(4, p=[0.1, 0.25, 0.4, 0.25])])
            if rng.random() < 0.1:
                sc = None
            self.clean(u, size_class=sc, insured=int(rng.integers(8, 3000)) if sc is None else None)
        # clean agencies with covered units
        for ag in self.units(k, "dispatch_agency"):
            a = self.clean(ag)
            a.covered = [u["enterprise_id"] for u in self.units(int(rng.integers(1, 4)))]

        for u in self.units(k):  # arrears
            a = self.clean(u)
            a.paid = a.due - self.money(1, 1_000)
            a.rules["REFUND_ARREARS"] = "reject"
        for u in self.units(k):  # layoff rate over the year's ceiling
            a = self.clean(u, insured=int(rng.integers(40, 2000)))
            a.layoffs = int(a.insured * self.threshold(a.year)) + 1 + int(rng.integers(0, 5))
            a.rules["REFUND_LAYOFF_RATE"] = "reject"
        for u in self.units(k):  # small unit over 20%
            a = self.clean(u, insured=int(rng.integers(5, 31)), size_class="small")
            a.layoffs = int(a.insured * self.rp.small_unit_threshold) + 1
            a.rules["REFUND_LAYOFF_RATE"] = "reject"
        for u in self.units(k):  # near miss: exactly at the year's ceiling
            y = self.year()
            thr = self.threshold(y)
            den = Fraction(thr).denominator  # smallest headcount with an exact ceiling
            a = self.clean(u, y, insured=den * (self.rp.small_unit_headcount // den + 1)
                           * int(rng.integers(1, 5)))
            a.layoffs = int(a.insured * thr)
            if Decimal(a.layoffs) / a.insured != thr:
                raise ValueError("near-miss headcount does not give the exact ceiling")
            a.tags.append("near_miss:layoff_at_threshold")
        for u in self.units(k):  # near misses: small unit at exactly 20%, and at 10%
            a = self.clean(u, insured=int(rng.choice([10, 15, 20, 25, 30])), size_class="micro")
            a.layoffs = int(a.insured * self.rp.small_unit_threshold)
            a.tags.append("near_miss:small_unit_at_20")
            b = self.clean(self.units(1)[0], insured=30, size_class="micro")
            b.layoffs = 3
            b.tags.append("near_miss:small_unit_10_percent")
        for u in self.units(k, dishonest=True):  # dishonest
            self.clean(u).rules["REFUND_DISHONEST"] = "reject"
        for u in self.units(k, "public_institution"):  # a public institution applies
            self.clean(u, size_class=None).rules["REFUND_PUBLIC_INSTITUTION"] = "reject"
        for ag in self.units(k, "dispatch_agency"):  # ... or is covered by an agency
            a = self.clean(ag)
            pub = self.units(1, "public_institution")[0]
            a.covered = [self.units(1)[0]["enterprise_id"], pub["enterprise_id"]]
            a.rules["REFUND_PUBLIC_INSTITUTION"] = "review"
        for ag in self.units(k, "dispatch_agency"):  # unit claimed directly and via an agency
            u = self.units(1)[0]
            direct = self.clean(u)
            a = self.clean(ag, direct.year)
            a.covered = [u["enterprise_id"]]
            for x in (a, direct):
                x.rules["REFUND_DOUBLE_CLAIM"] = "review"
        for ag in self.units(k, "dispatch_agency"):  # unit claimed by two agencies
            u = self.units(1)[0]
            ag2 = self.units(1, "dispatch_agency")[0]
            a = self.clean(ag)
            b = self.clean(ag2, a.year)
            a.covered = [u["enterprise_id"]]
            b.covered = [u["enterprise_id"], self.units(1)[0]["enterprise_id"]]
            for x in (a, b):
                x.rules["REFUND_DOUBLE_CLAIM"] = "review"
        for ag in self.units(k, "dispatch_agency"):  # near miss: claimed in different years
            u = self.units(1)[0]
            direct = self.clean(u, 2024)
            a = self.clean(ag, 2025)
            a.covered = [u["enterprise_id"]]
            a.tags.append("near_miss:other_year")
        for u in self.units(k):  # request over the eligible amount
            a = self.clean(u)
            a.requested = self.eligible(a) + self.money(0, 5_000) + Decimal("0.01")
            a.rules["REFUND_AMOUNT"] = "review"
        for u in self.units(k):  # near miss: request exactly the eligible amount
            a = self.clean(u)
            a.requested = self.eligible(a)
            a.tags.append("near_miss:request_equals_eligible")
        for u in self.units(k):  # payee not the applicant's registered account
            a = self.clean(u)
            a.account = "3" + str(int(rng.integers(10**17, 10**18)))
            a.rules["REFUND_ACCOUNT"] = "review"
        for u in self.units(k):  # one payee for two enterprises (any year)
            other = self.units(1)[0]
            a = self.clean(u)
            b = self.clean(other)
            b.account = a.account
            for x in (a, b):
                x.rules["REFUND_ACCOUNT"] = "review"
        for u in self.units(k):  # near miss: the same enterprise, same account, two years
            self.clean(u, 2023)
            self.clean(u, 2024).tags.append("near_miss:own_account_two_years")
        for _ in range(k):  # split enterprises: small units, one legal rep, >= 300 together
            self.related(int(rng.integers(2, 4)), total_at_least=self.w.policy.graph.large_headcount)
        for _ in range(k):  # near miss: related small units below 300 together
            self.related(2, total_at_least=None)

    def related(self, n: int, total_at_least: int | None) -> None:
        rep = self.w.new_people(1, born=(date(1960, 1, 1), date(1990, 12, 31)))
        units = self.units(n, legal_rep_id=rep["pid"][0], legal_rep_name=rep["name"][0])
        year = self.year()
        if total_at_least is not None:
            sizes = [int(self.rng.integers(total_at_least // n + 1, 299)) for _ in range(n)]
        else:
            sizes = [int(self.rng.integers(31, 120)) for _ in range(n)]
        apps = [self.clean(u, year, insured=s, size_class="small")
                for u, s in zip(units, sizes, strict=True)]
        entities = [f"unit:{u['enterprise_id']}" for u in units]
        self.w.add_alert_truth("RELATED_PARTY", entities)
        self.w.add_alert_truth("SPLIT_ENTERPRISE", entities, near_miss=total_at_least is None)
        for a in apps:
            a.rules["RELATED_PARTY"] = "info"
            if total_at_least is not None:
                a.split = True
                a.rules["SPLIT_ENTERPRISE"] = "info"
                sme = self.rp.rates[a.year][1]
                a.requested = (sme * a.paid).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                if a.requested > self.eligible(a):
                    a.rules["REFUND_AMOUNT"] = "review"
            else:
                a.tags.append("near_miss:related_below_300")

    # ---------------------------------------------------------------- output
    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        order = self.rng.permutation(len(self.apps))
        first = self.w.reserve("refund_applications", len(self.apps))
        rows: list[dict[str, Any]] = []
        truth: list[dict[str, Any]] = []
        for i, j in enumerate(order):
            a = self.apps[int(j)]
            aid = f"R{first + i + 1:07d}"
            elig = self.eligible(a)
            worst = max((_RANK[s] for s in a.rules.values()), default=0)
            decision = {0: "approve", 1: "review", 2: "reject"}[worst]
            rows.append({
                "application_id": aid, "enterprise_id": a.enterprise_id, "year": a.year,
                "covered_units": ";".join(a.covered) if a.covered else None,
                "due_prev_year": a.due, "paid_prev_year": a.paid,
                "insured_prev_year_end": a.insured, "layoffs_prev_year": a.layoffs,
                "bank_account": a.account,
                "requested_amount": elig if a.requested is None else a.requested,
            })
            truth.append({
                "application_id": aid, "decision": decision, "rules": sorted(a.rules),
                "eligible_amount": f"{Decimal(0) if decision == 'reject' else elig:.2f}",
                "tags": a.tags,
            })
        money = pl.Decimal(18, 2)
        apps = pl.DataFrame(rows, schema={
            "application_id": pl.String, "enterprise_id": pl.String, "year": pl.Int64,
            "covered_units": pl.String, "due_prev_year": money, "paid_prev_year": money,
            "insured_prev_year_end": pl.Int64, "layoffs_prev_year": pl.Int64,
            "bank_account": pl.String, "requested_amount": money,
        })
        tr = pl.DataFrame(truth, schema={
            "application_id": pl.String, "decision": pl.String, "rules": pl.List(pl.String),
            "eligible_amount": pl.String, "tags": pl.List(pl.String),
        })
        return apps, tr


def plant_refund(world: World, n_clean: int = 300, per_plant: int = 8) -> None:
    """Append ``refund_applications`` with planted problems and set the refund truth."""
    p = _Planter(world)
    p.plant(n_clean, per_plant)
    # size classes as planted (None where the plant leaves the class to the headcount)
    sizes = pl.DataFrame(
        {"enterprise_id": [a.enterprise_id for a in p.apps],
         "_sc": [a.size_class for a in p.apps]},
        schema={"enterprise_id": pl.String, "_sc": pl.String},
    ).unique("enterprise_id", keep="last", maintain_order=True)
    ents = world.tables["enterprises"].join(sizes, on="enterprise_id", how="left")
    ents = ents.with_columns(
        pl.when(pl.col("enterprise_id").is_in(sizes["enterprise_id"].implode()))
        .then(pl.col("_sc")).otherwise(pl.col("size_class")).alias("size_class")
    ).drop("_sc")
    world.tables["enterprises"] = ents
    apps, truth = p.frames()
    world.append("refund_applications", apps)
    world.truth["refund"] = truth
