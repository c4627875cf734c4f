"""Claimants: clean base histories, then every claim rule and near miss planted on a share.

A base claim is clean by construction: the claimant's last spell ended 1-90 days before the
claim date with a stoppage on its end date whose reason qualifies for the benefit type, the
claimant is under retirement age, and nothing else of theirs overlaps the period. Each planting
category then changes or adds exactly what its rule needs; the oracle recomputes the truth.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from dupcheck.synth.idgen import digits_to_str
from dupcheck.synth.population import pick
from dupcheck.synth.world import World, random_dates

__all__ = ["CATEGORY_RULE", "COMBINABLE", "NON_QUALIFYING", "plant_claims", "typo_ids"]

#: Planting category -> the rule it intends (near misses intend none).
CATEGORY_RULE: dict[str, str | None] = {
    "clean": None,
    "employed": "EMPLOYED",
    "employed_dispatch": "EMPLOYED",
    "stop_reason": "STOP_REASON",
    "stop_reason_missing": "STOP_REASON_MISSING",
    "pension": "PENSION",
    "prior_benefit": "PRIOR_BENEFIT",
    "entitlement_used": "ENTITLEMENT_USED",
    "retirement_age": "RETIREMENT_AGE",
    "deceased": "DECEASED",
    "incarcerated": "INCARCERATED",
    "id_invalid": "ID_INVALID",
    "id_conflict": "ID_CONFLICT",
    "input_invalid": "INPUT_INVALID",
    "nm_employment_day_before": None,
    "nm_pension_after": None,
    "nm_namesake": None,
    "nm_benefit_before": None,
    "nm_retirement_reform": None,
    "nm_agency_phone": None,
}

#: Categories that can share a claim in the ``two_problems`` plant.
COMBINABLE = (
    "employed", "stop_reason", "stop_reason_missing", "pension", "prior_benefit", "deceased",
    "incarcerated",
)

#: Reasons that qualify for no benefit type, plus those that miss ``ui_benefit`` only.
NON_QUALIFYING: dict[str, tuple[str, ...]] = {
    "ui_benefit": ("resigned", "mutual_by_worker", "suspended", "transferred", "other", "enlisted"),
    "ui_subsidy": ("suspended", "transferred", "other", "enlisted", "emigrated"),
    "migrant_allowance": ("suspended", "transferred", "other", "imprisoned"),
}

_BT = ["ui_benefit", "ui_subsidy", "migrant_allowance"]
_AGENCY_GROUP = 8


def _days(n: np.ndarray | pl.Series) -> pl.Expr:
    return pl.duration(days=pl.lit(pl.Series(n)))


def typo_ids(rng: np.random.Generator, ids: pl.Series, positions: tuple[int, ...]) -> pl.Series:
    """Each 18-character id with one character at one of ``positions`` replaced by another digit
    (so the check character no longer matches)."""
    n = ids.len()
    if n == 0:
        return ids
    raw = np.frombuffer("".join(ids.to_list()).encode("ascii"), dtype=np.uint8).reshape(n, 18).copy()
    pos = np.asarray(positions)[rng.integers(0, len(positions), n)]
    old = raw[np.arange(n), pos]
    new = (np.where(old == ord("X"), 0, old - 48) + rng.integers(1, 10, n)) % 10 + 48
    raw[np.arange(n), pos] = new
    return digits_to_str(raw)


def _assign(world: World, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Primary and secondary planting category of each of ``n`` base claims."""
    r = world.rates
    rng = world.rng
    cat1 = np.full(n, "clean", dtype=object)
    cat2 = np.full(n, None, dtype=object)
    shares = {
        "employed": r.employed, "employed_dispatch": r.employed_dispatch,
        "stop_reason": r.stop_reason, "stop_reason_missing": r.stop_reason_missing,
        "pension": r.pension, "prior_benefit": r.prior_benefit,
        "entitlement_used": r.entitlement_used, "retirement_age": r.retirement_age,
        "deceased": r.deceased, "incarcerated": r.incarcerated, "id_invalid": r.id_invalid,
        "id_conflict": r.id_conflict, "input_invalid": r.input_invalid,
        "nm_employment_day_before": r.nm_employment_day_before,
        "nm_pension_after": r.nm_pension_after, "nm_namesake": r.nm_namesake,
        "nm_benefit_before": r.nm_benefit_before,
        "nm_retirement_reform": r.nm_retirement_reform,
    }
    order = rng.permutation(n)
    pos = 0
    for cat, share in shares.items():
        k = min(round(share * n), n - pos)
        if share > 0 and k == 0 and n >= 200:
            k = 1
        cat1[order[pos:pos + k]] = cat
        pos += k
    k = min(round(r.two_problems * n), n - pos)
    if k > 0:
        pairs = [(a, b) for i, a in enumerate(COMBINABLE) for b in COMBINABLE[i + 1:]
                 if {a, b} != {"stop_reason", "stop_reason_missing"}
                 and {a, b} != {"employed", "stop_reason_missing"}]  # SRM optional when employed
        chosen = rng.integers(0, len(pairs), k)
        cat1[order[pos:pos + k]] = [pairs[c][0] for c in chosen]
        cat2[order[pos:pos + k]] = [pairs[c][1] for c in chosen]
        pos += k
    groups = round(r.nm_agency_phone * n / _AGENCY_GROUP)
    k = min(groups * _AGENCY_GROUP, n - pos)
    cat1[order[pos:pos + k]] = "nm_agency_phone"
    return cat1, cat2


def _claimants(world: World, sk: pl.DataFrame) -> pl.DataFrame:
    """Create the claimant persons by category (age groups) and attach them to ``sk``."""
    rng = world.rng
    lo, hi = world.window
    parts = []
    groups: list[tuple[str, tuple[date, date], str | None]] = [
        ("old_m", (date(1955, 1, 1), date(1963, 12, 31)), "M"),
        ("old_f", (date(1966, 1, 1), date(1973, 12, 31)), "F"),
        ("reform_m", (date(1965, 1, 1), date(1965, 8, 31)), "M"),
        ("reform_f", (date(1975, 1, 1), date(1975, 10, 31)), "F"),
        ("young", (date(1976, 1, 1), date(2003, 12, 31)), None),
    ]
    coin = rng.random(sk.height) < 0.5
    sk = sk.with_columns(
        group=pl.when(pl.col("cat1") == "retirement_age")
        .then(pl.when(pl.lit(pl.Series(coin))).then(pl.lit("old_m")).otherwise(pl.lit("old_f")))
        .when(pl.col("cat1") == "nm_retirement_reform")
        .then(pl.when(pl.lit(pl.Series(coin))).then(pl.lit("reform_m"))
              .otherwise(pl.lit("reform_f")))
        .otherwise(pl.lit("young"))
    )
    for name, born, gender in groups:
        rows = sk.filter(pl.col("group") == name)
        if rows.height == 0:
            continue
        ppl = world.new_people(rows.height, born=born, gender=gender)
        parts.append(rows.with_columns(
            _pid=ppl["pid"], birth_date=ppl["birth_date"], gender=ppl["gender"],
            region_code=ppl["region_code"],
        ))
    sk = pl.concat(parts).sort("row")
    n = sk.height
    cd = random_dates(rng, lo, hi, n)
    reform_age = pl.when(pl.col("gender") == "M").then(pl.lit("60y")).otherwise(pl.lit("50y"))
    sk = sk.with_columns(claim_date=cd).with_columns(
        claim_date=pl.when(pl.col("group").str.starts_with("reform"))
        .then(pl.col("birth_date").dt.offset_by(reform_age) + _days(rng.integers(3, 26, n)))
        .otherwise(pl.col("claim_date"))
    )
    return sk


def _histories(world: World, sk: pl.DataFrame) -> pl.DataFrame:
    """Benefit type, period and the last spell (plus its stoppage) of every base claimant."""
    rng = world.rng
    r = world.rates
    n = sk.height
    bt = pick(rng, _BT, n, list(r.benefit_type_shares))
    sk = sk.with_columns(benefit_type=bt).with_columns(
        benefit_type=pl.when(
            pl.col("cat1").is_in(["entitlement_used"]) & (pl.col("benefit_type") == _BT[2])
        ).then(pl.lit("ui_subsidy")).otherwise(pl.col("benefit_type"))
    )
    null_pe = pl.lit(pl.Series(rng.random(n) < r.null_period_end))
    ui = pl.col("benefit_type") == "ui_benefit"
    sk = sk.with_columns(
        null_pe=null_pe & ~pl.col("cat1").is_in(["entitlement_used", "input_invalid"]),
    ).with_columns(single=ui & (pl.col("null_pe") | (pl.col("cat1") == "entitlement_used")))
    # last-spell length in days, away from the 5- and 10-year entitlement boundaries
    years = np.where(
        rng.random(n) < 0.5, rng.uniform(1.2, 4.7, n),
        np.where(rng.random(n) < 0.6, rng.uniform(5.3, 9.7, n), rng.uniform(10.3, 18.0, n)),
    )
    years = np.where(sk["cat1"].to_numpy() == "entitlement_used", rng.uniform(1.2, 4.7, n), years)
    gap = rng.integers(1, 91, n)
    gap = np.where(np.isin(sk["cat1"].to_numpy(), ["nm_benefit_before"]), rng.integers(30, 91, n),
                   gap)
    gap = np.where(sk["cat1"].to_numpy() == "nm_employment_day_before", 1, gap)
    sk = sk.with_columns(
        gap=pl.Series(gap), L=pl.Series(np.round(years * 365.25).astype(np.int64)),
    )
    # entitlement-used claimants received k months of ui_benefit after the spell, then claim
    k_used = rng.integers(8, 12, n)
    sk = sk.with_columns(k_used=pl.Series(k_used), cd0=pl.col("claim_date"))
    eu_ui = (pl.col("cat1") == "entitlement_used") & ui
    sk = sk.with_columns(
        last_end=pl.when(eu_ui)
        .then(pl.col("claim_date").dt.offset_by(pl.format("-{}mo", pl.col("k_used")))
              .dt.offset_by("-30d"))
        .otherwise(pl.col("claim_date") - pl.duration(days=pl.col("gap")))
    )
    sk = sk.with_columns(
        eu_b_start=pl.col("last_end") + pl.duration(days=1),
    ).with_columns(
        eu_b_end=pl.col("eu_b_start").dt.offset_by(pl.format("{}mo", pl.col("k_used")))
        .dt.offset_by("-1d"),
    ).with_columns(
        claim_date=pl.when(eu_ui).then(pl.col("eu_b_end") + _days(rng.integers(1, 21, n)))
        .otherwise(pl.col("claim_date"))
    )
    adult = pl.col("birth_date").dt.offset_by("18y") + _days(rng.integers(0, 200, n))
    sk = sk.with_columns(
        last_start=pl.max_horizontal(
            pl.col("last_end") - pl.duration(days=pl.col("L") - 1), adult
        )
    ).with_columns(L=(pl.col("last_end") - pl.col("last_start")).dt.total_days() + 1)
    # keep single-spell ui_benefit lengths 60+ days away from 5 and 10 years
    for edge in (5 * 365.25, 10 * 365.25):
        sk = sk.with_columns(
            last_start=pl.when((pl.col("L") - edge).abs() < 60)
            .then(pl.col("last_start") + pl.duration(days=130)).otherwise(pl.col("last_start"))
        ).with_columns(L=(pl.col("last_end") - pl.col("last_start")).dt.total_days() + 1)
    sk = sk.with_columns(
        contrib_years=pl.col("L") / 365.25,
        ps=pl.col("claim_date"),
    )
    ent = world.policy.screening
    tiers = sorted(ent.ui_benefit_months)
    ui_months = pl.lit(tiers[0][1])
    for lo_years, months in tiers[1:]:
        ui_months = pl.when(pl.col("contrib_years") >= lo_years).then(pl.lit(months)).otherwise(
            ui_months)
    flat = ent.entitlement_months
    sk = sk.with_columns(
        ent_months=pl.when(ui).then(ui_months)
        .when(pl.col("benefit_type") == "ui_subsidy").then(pl.lit(flat.get("ui_subsidy", 6)))
        .otherwise(pl.lit(flat.get("migrant_allowance", 3))),
        req_months=pl.lit(pl.Series(rng.integers(3, 7, n))),
    ).with_columns(
        months=pl.when(pl.col("null_pe")).then(pl.col("ent_months"))
        .when(pl.col("cat1") == "entitlement_used").then(pl.lit(6))
        .otherwise(pl.min_horizontal(pl.col("req_months"), pl.col("ent_months"))),
    ).with_columns(
        pe_eff=pl.col("ps").dt.offset_by(pl.format("{}mo", pl.col("months"))).dt.offset_by("-1d"),
    )
    # last employer, dispatch for a few, and the qualifying stoppage reason
    units = world.table("enterprises").filter(pl.col("kind") != "dispatch_agency")["enterprise_id"]
    agencies = world.table("enterprises").filter(pl.col("kind") == "dispatch_agency")[
        "enterprise_id"]
    qual = world.policy.screening.qualifying_reasons
    common = sorted(set(qual["ui_benefit"]) & set(qual["ui_subsidy"])
                    & set(qual["migrant_allowance"]))
    wide = sorted(set(qual["ui_subsidy"]) & set(qual["migrant_allowance"]))
    sk = sk.with_columns(
        employer_id=units.gather(rng.integers(0, units.len(), n)),
        agency_id=pl.when(pl.lit(pl.Series(rng.random(n) < 0.05)))
        .then(pl.lit(agencies.gather(rng.integers(0, agencies.len(), n))))
        .otherwise(pl.lit(None, dtype=pl.String)),
        reason=pl.when(ui).then(pl.lit(pick(rng, common, n)))
        .otherwise(pl.lit(pick(rng, wide, n))),
        emit_stop=pl.lit(True),
        stop_date=pl.col("last_end"),
    )
    return sk


def plant_claims(world: World, n_claims: int) -> None:
    """Generate ``n_claims`` claims with their claimants' histories and every planted problem."""
    rng = world.rng
    r = world.rates
    n_dup = round(r.duplicate_claim * n_claims) if n_claims >= 2 else 0
    n = n_claims - n_dup
    cat1, cat2 = _assign(world, n)
    sk = pl.DataFrame({
        "row": np.arange(n),
        "cat1": pl.Series(cat1, dtype=pl.String),
        "cat2": pl.Series(cat2.tolist(), dtype=pl.String),
    })
    sk = _claimants(world, sk)
    sk = _histories(world, sk)

    def has(cat: str) -> pl.Expr:
        return (pl.col("cat1") == cat) | (pl.col("cat2") == cat).fill_null(False)

    # ---- stoppage changes
    nq = pl.lit(None, dtype=pl.String)
    for bt, reasons in NON_QUALIFYING.items():
        nq = pl.when(pl.col("benefit_type") == bt).then(
            pl.lit(pick(rng, list(reasons), sk.height))).otherwise(nq)
    early = pl.lit(pl.Series(rng.random(sk.height) < 0.4)) & (pl.col("L") > 90)
    sk = sk.with_columns(
        reason=pl.when(has("stop_reason")).then(nq).otherwise(pl.col("reason")),
        emit_stop=~(has("stop_reason_missing") & ~early),
        stop_date=pl.when(has("stop_reason_missing") & early)
        .then(pl.col("last_end") - _days(rng.integers(5, 45, sk.height)))
        .otherwise(pl.col("stop_date")),
    )
    # ---- agency-phone near miss: groups of claimants formerly dispatched by one agency
    ag_rows = sk.filter(pl.col("cat1") == "nm_agency_phone")
    if ag_rows.height:
        n_groups = ag_rows.height // _AGENCY_GROUP
        agencies = world.new_enterprises(n_groups, kind="dispatch_agency")
        gid = np.arange(ag_rows.height) // _AGENCY_GROUP
        assign = pl.DataFrame({
            "row": ag_rows["row"],
            "_agency": agencies["enterprise_id"].gather(gid),
            "_agency_phone": agencies["phone"].gather(gid),
        })
        sk = sk.join(assign, on="row", how="left", maintain_order="left").with_columns(
            agency_id=pl.coalesce("_agency", "agency_id")
        )
        for i in range(n_groups):
            world.add_alert_truth(
                "SHARED_IDENTIFIER",
                [f"agency:{agencies['enterprise_id'][i]}",
                 "phone:" + str(agencies["phone"][i]).replace("-", "")],
                near_miss=True,
            )
        # many non-claimant former workers, so the agency's claim rate is ordinary
        units = world.table("enterprises").filter(pl.col("kind") == "enterprise")["enterprise_id"]
        fw = world.new_people(ag_rows.height * 19)
        fgid = np.arange(fw.height) // (19 * _AGENCY_GROUP)
        fstart = random_dates(rng, date(2016, 1, 1), date(2022, 12, 31), fw.height)
        world.add_spells(pl.DataFrame({
            "_pid": fw["pid"],
            "employer_id": units.gather(rng.integers(0, units.len(), fw.height)),
            "start_date": fstart,
            "agency_id": agencies["enterprise_id"].gather(fgid),
            "region_code": fw["region_code"],
        }).with_columns(
            end_date=pl.col("start_date") + _days(rng.integers(200, 900, fw.height)),
            reason=pl.lit(pick(rng, ["contract_expired", "resigned"], fw.height)),
        ))
    else:
        sk = sk.with_columns(_agency_phone=pl.lit(None, dtype=pl.String))

    # ---- the claimant's spells: the last one, and up to two earlier ones (not for single)
    world.add_spells(sk.select(
        "_pid", "employer_id", pl.col("last_start").alias("start_date"),
        pl.col("last_end").alias("end_date"), "region_code", "agency_id",
        pl.lit(None, dtype=pl.String).alias("reason"),
    ))
    world.append("stoppages", sk.filter("emit_stop").select(
        "_pid", "employer_id", "stop_date", "reason"))
    prev = sk.filter(~pl.col("single")).select("_pid", "birth_date", "last_start", "region_code")
    units = world.table("enterprises").filter(pl.col("kind") != "dispatch_agency")["enterprise_id"]
    rows = []
    cursor = prev.with_columns(end=pl.col("last_start"))
    for _ in range(2):
        m = cursor.height
        keep = rng.random(m) < 0.55
        g = rng.integers(15, 200, m)
        dur = rng.integers(150, 1800, m)
        cursor = cursor.with_columns(
            end_date=pl.col("end") - _days(g), dur=pl.Series(dur), keep=pl.Series(keep)
        ).with_columns(start_date=pl.col("end_date") - pl.duration(days=pl.col("dur")))
        cursor = cursor.filter(
            pl.col("keep") & (pl.col("start_date") > pl.col("birth_date").dt.offset_by("18y"))
        )
        rows.append(cursor.select("_pid", "start_date", "end_date", "region_code"))
        cursor = cursor.with_columns(end=pl.col("start_date"))
    earlier = pl.concat(rows)
    from dupcheck.synth.population import ANY_REASONS

    world.add_spells(earlier.with_columns(
        employer_id=units.gather(rng.integers(0, units.len(), earlier.height)),
        reason=pick(rng, list(ANY_REASONS), earlier.height, list(ANY_REASONS.values())),
    ))
    _plant_rows(world, sk, has)
    _emit_claims(world, sk, n_dup)


def _plant_rows(world: World, sk: pl.DataFrame, has: object) -> None:
    """Reference rows that make (or narrowly fail to make) each rule fire."""
    rng = world.rng
    h = has  # callable: category -> expression
    ents = world.table("enterprises")
    units = ents.filter(pl.col("kind") == "enterprise")["enterprise_id"]
    agencies = ents.filter(pl.col("kind") == "dispatch_agency")["enterprise_id"]
    counties = world.people["region_code"].unique().sort()

    def sub(cat: str) -> pl.DataFrame:
        return sk.filter(h(cat))  # type: ignore[operator]

    def units_for(m: int) -> pl.Series:
        return units.gather(rng.integers(0, units.len(), m))

    # EMPLOYED: running job since the gap, or a job starting inside the period
    s = sub("employed")
    m = s.height
    variant = rng.random(m) < 0.5
    start = pl.when(pl.lit(pl.Series(variant))).then(
        pl.col("last_end") + pl.duration(days=1)
        + pl.duration(days=(pl.lit(pl.Series(rng.random(m))) * pl.col("gap")).floor().cast(
            pl.Int64))
    ).otherwise(pl.col("ps") + _days(rng.integers(0, 31, m)))
    s = s.with_columns(start_date=pl.min_horizontal(start, pl.col("pe_eff")))
    end_len = rng.integers(60, 400, m)
    open_end = rng.random(m) < 0.6
    world.add_spells(s.select(
        "_pid", employer_id=units_for(m), start_date="start_date",
        end_date=pl.when(pl.lit(pl.Series(open_end))).then(pl.lit(None, dtype=pl.Date))
        .otherwise(pl.col("start_date") + _days(end_len)),
        region_code="region_code",
    ))
    # EMPLOYED through a dispatch relation only
    s = sub("employed_dispatch")
    m = s.height
    world.append("dispatch", s.select(
        "_pid", agency_id=agencies.gather(rng.integers(0, agencies.len(), m)),
        employer_id=units_for(m),
        start_date=pl.min_horizontal(pl.col("ps") + _days(rng.integers(0, 31, m)),
                                     pl.col("pe_eff")),
        end_date=pl.lit(None, dtype=pl.Date),
    ))
    # PENSION overlapping the period
    s = sub("pension")
    m = s.height
    before = rng.random(m) < 0.5
    world.append("pensions", s.select(
        "_pid", scheme=pick(rng, ["employee", "resident"], m),
        start_date=pl.when(pl.lit(pl.Series(before)))
        .then(pl.col("ps") - _days(rng.integers(0, 400, m)))
        .otherwise(pl.min_horizontal(pl.col("ps") + _days(rng.integers(0, 61, m)),
                                     pl.col("pe_eff"))),
        end_date=pl.lit(None, dtype=pl.Date), region_code="region_code",
    ))
    # PRIOR_BENEFIT overlapping the period, in any region
    s = sub("prior_benefit")
    m = s.height
    st = pl.col("ps") + _days(rng.integers(-90, 31, m))
    world.append("benefits", s.select(
        "_pid", benefit_type=pick(rng, _BT, m, [0.5, 0.35, 0.15]),
        start_date=pl.min_horizontal(st, pl.col("pe_eff")),
        end_date=pl.max_horizontal(st + _days(rng.integers(60, 181, m)),
                                   pl.col("ps") + pl.duration(days=10)),
        region_code=counties.gather(rng.integers(0, counties.len(), m)),
    ))
    # ENTITLEMENT_USED: ui_benefit received after the last spell; or an earlier ui_subsidy
    s = sub("entitlement_used")
    sui = s.filter(pl.col("benefit_type") == "ui_benefit")
    world.append("benefits", sui.select(
        "_pid", benefit_type=pl.lit("ui_benefit"), start_date="eu_b_start", end_date="eu_b_end",
        region_code="region_code",
    ))
    ssub = s.filter(pl.col("benefit_type") == "ui_subsidy")
    m = ssub.height
    world.append("benefits", ssub.select(
        "_pid", benefit_type=pl.lit("ui_subsidy"),
        start_date=pl.col("last_start") - _days(rng.integers(300, 700, m)),
        region_code="region_code",
    ).with_columns(end_date=pl.col("start_date").dt.offset_by("6mo").dt.offset_by("-1d")))
    # DECEASED: a death record between the spell's end and shortly after the period starts
    s = sub("deceased")
    m = s.height
    world.append("deaths", s.select(
        "_pid",
        death_date=pl.min_horizontal(
            pl.col("last_end") + pl.duration(days=1) + _days(rng.integers(0, 120, m)),
            pl.col("pe_eff") - pl.duration(days=1),
        ),
    ))
    # INCARCERATED overlapping the period
    s = sub("incarcerated")
    m = s.height
    st = pl.min_horizontal(pl.col("ps") + _days(rng.integers(-300, 31, m)), pl.col("pe_eff"))
    world.append("incarcerations", s.select(
        "_pid", start_date=st,
        end_date=pl.when(pl.lit(pl.Series(rng.random(m) < 0.4))).then(pl.lit(None, dtype=pl.Date))
        .otherwise(st + _days(rng.integers(400, 2000, m))),
    ))
    # near miss: pension starting after the period (sometimes the very next day)
    s = sub("nm_pension_after")
    m = s.height
    world.append("pensions", s.select(
        "_pid", scheme=pick(rng, ["employee", "resident"], m),
        start_date=pl.col("pe_eff") + pl.duration(days=1)
        + _days(np.where(rng.random(m) < 0.5, 0, rng.integers(1, 60, m))),
        end_date=pl.lit(None, dtype=pl.Date), region_code="region_code",
    ))
    # near miss: the spell ended the day before (done in the history); half also get a new job
    # starting the day after the period ends
    s = sub("nm_employment_day_before").filter(pl.lit(pl.Series(rng.random(
        sub("nm_employment_day_before").height) < 0.5)))
    world.add_spells(s.select(
        "_pid", employer_id=units_for(s.height),
        start_date=pl.col("pe_eff") + pl.duration(days=1), end_date=pl.lit(None, dtype=pl.Date),
        region_code="region_code",
    ))
    # near miss: a benefit spell of another kind ending the day before the period
    s = sub("nm_benefit_before")
    world.append("benefits", s.select(
        "_pid",
        benefit_type=pl.when(pl.col("benefit_type") == "ui_benefit").then(pl.lit("ui_subsidy"))
        .otherwise(pl.lit("ui_benefit")),
        start_date=pl.col("last_end") + pl.duration(days=1),
        end_date=pl.col("ps") - pl.duration(days=1),
        region_code="region_code",
    ))
    # near miss: a namesake (same name, birth date, gender; another id) at work all along
    s = sub("nm_namesake")
    if s.height:
        twins = world.namesakes(s["_pid"])
        world.add_spells(pl.DataFrame({
            "_pid": twins["pid"], "employer_id": units_for(twins.height),
            "start_date": random_dates(rng, date(2015, 1, 1), date(2023, 12, 31), twins.height),
            "end_date": pl.Series([None] * twins.height, dtype=pl.Date),
            "region_code": twins["region_code"],
        }))


def _emit_claims(world: World, sk: pl.DataFrame, n_dup: int) -> None:
    """Claims rows (with identity plants on the claim itself) and the duplicate second claims."""
    rng = world.rng
    n = sk.height
    people = world.person(sk["_pid"])
    claims = sk.select(
        "_pid", "benefit_type", "claim_date", "cat1", "cat2", "region_code",
        pl.when(pl.lit(pl.Series(rng.random(n) < 0.2)) & (pl.col("cat1") != "input_invalid"))
        .then(pl.lit(None, dtype=pl.Date)).otherwise(pl.col("ps")).alias("period_start"),
        pl.when(pl.col("null_pe")).then(pl.lit(None, dtype=pl.Date)).otherwise(pl.col("pe_eff"))
        .alias("period_end"),
        pl.when(pl.lit(pl.Series(rng.random(n) < 0.7))).then(pl.col("birth_date"))
        .otherwise(pl.lit(None, dtype=pl.Date)).alias("birth_date"),
        pl.when(pl.lit(pl.Series(rng.random(n) < 0.7))).then(pl.col("gender"))
        .otherwise(pl.lit(None, dtype=pl.String)).alias("gender"),
        pl.lit(people["name"]).alias("name"),
        pl.lit(people["pid"]).alias("id_number"),
        pl.coalesce("_agency_phone", pl.lit(people["phone"])).alias("phone"),
        pl.lit(people["bank_account"]).alias("bank_account"),
        pl.when(pl.lit(pl.Series(rng.random(n) < 0.8))).then(pl.col("employer_id"))
        .otherwise(pl.lit(None, dtype=pl.String)).alias("last_employer_id"),
        "agency_id",
        "months", "null_pe", "ps", "pe_eff",
    )
    # ---- ID_INVALID: one mistyped digit in the sequence or the check character
    inv = claims["cat1"] == "id_invalid"
    if inv.any():
        idx = np.flatnonzero(inv.to_numpy())
        bad = typo_ids(rng, claims["id_number"].gather(idx), (14, 15, 17))
        claims = claims.with_columns(claims["id_number"].scatter(idx, bad))
    # ---- ID_CONFLICT: birth date or gender entered wrongly, or a different name
    conf = (claims["cat1"] == "id_conflict").to_numpy()
    kind = np.where(conf, rng.integers(0, 3, n), -1)
    if conf.any():
        from dupcheck.synth.names import homophone_map, sample_names

        others = sample_names(rng, people["gender"].to_numpy())  # strangers' names
        hmap = homophone_map()
        idx = np.flatnonzero(kind == 2)
        s_true = people["name"].gather(idx).str.slice(0, 1).to_list()
        s_other = others.gather(idx).str.slice(0, 1).to_list()
        clash = [o == t or o in hmap.get(t, []) for o, t in zip(s_other, s_true, strict=True)]
        kind[idx[np.asarray(clash, dtype=bool)]] = 0
        claims = claims.with_columns(
            _k=pl.Series(kind), _other=others, _bd=people["birth_date"],
            _g=people["gender"].replace_strict({"M": "F", "F": "M"}),
        ).with_columns(
            birth_date=pl.when(pl.col("_k") == 0).then(pl.col("_bd").dt.offset_by("1y"))
            .otherwise(pl.col("birth_date")),
            gender=pl.when(pl.col("_k") == 1).then(pl.col("_g")).otherwise(pl.col("gender")),
            name=pl.when(pl.col("_k") == 2).then(pl.col("_other")).otherwise(pl.col("name")),
        ).drop("_k", "_other", "_bd", "_g")
    # ---- INPUT_INVALID: an unknown benefit type, or no claim date
    badm = (claims["cat1"] == "input_invalid").to_numpy()
    bkind = np.where(badm, rng.integers(0, 2, n), -1)
    if badm.any():
        claims = claims.with_columns(_k=pl.Series(bkind)).with_columns(
            benefit_type=pl.when(pl.col("_k") == 0).then(pl.lit("unemployment_relief"))
            .otherwise(pl.col("benefit_type")),
            claim_date=pl.when(pl.col("_k") == 1).then(pl.lit(None, dtype=pl.Date))
            .otherwise(pl.col("claim_date")),
            period_start=pl.when(pl.col("_k") >= 0).then(pl.col("ps"))
            .otherwise(pl.col("period_start")),
            period_end=pl.when(pl.col("_k") >= 0).then(pl.col("pe_eff"))
            .otherwise(pl.col("period_end")),
        ).drop("_k")
    # ---- second claims for DUPLICATE_CLAIM, from clean first claims
    clean_idx = np.flatnonzero((claims["cat1"] == "clean").to_numpy())
    dup_idx = np.sort(rng.choice(clean_idx, size=min(n_dup, clean_idx.size), replace=False))
    is_dup = np.zeros(n, dtype=bool)
    is_dup[dup_idx] = True
    # ---- intended rules and tags, one list per claim
    c1, c2 = pl.col("cat1"), pl.col("cat2")
    k = pl.col("_k")
    b = pl.col("_b")
    none = pl.lit(None, dtype=pl.String)
    plan = claims.select("cat1", "cat2").with_columns(
        _k=pl.Series(kind), _b=pl.Series(bkind), _d=pl.Series(is_dup),
    ).select(
        tags=pl.concat_list(
            pl.when(c1 == "clean").then(none).when(c1.str.starts_with("nm_"))
            .then(pl.lit("near_miss:") + c1.str.slice(3)).otherwise(pl.lit("plant:") + c1),
            pl.lit("plant:") + c2,
            pl.when(c2.is_not_null()).then(pl.lit("two_problems")).otherwise(none),
            pl.when(k == 0).then(pl.lit("conflict:birth_date")).when(k == 1)
            .then(pl.lit("conflict:gender")).when(k == 2).then(pl.lit("conflict:name"))
            .otherwise(none),
            pl.when(b == 0).then(pl.lit("bad_input:benefit_type")).when(b == 1)
            .then(pl.lit("bad_input:claim_date")).otherwise(none),
            pl.when(pl.col("_d")).then(pl.lit("duplicate:first")).otherwise(none),
        ).list.drop_nulls(),
        rules=pl.concat_list(
            c1.replace_strict(CATEGORY_RULE, default=None, return_dtype=pl.String),
            c2.replace_strict(CATEGORY_RULE, default=None, return_dtype=pl.String),
            pl.when(pl.col("_d")).then(pl.lit("DUPLICATE_CLAIM")).otherwise(none),
        ).list.drop_nulls().list.unique().list.sort(),
        bad=pl.when(b == 0).then(pl.lit("benefit_type")).when(b == 1)
        .then(pl.lit("claim_date")).otherwise(none),
    )
    out = world.add_claims(claims.drop("cat1", "cat2", "months", "null_pe", "ps", "pe_eff"),
                           rules=plan["rules"], tags=plan["tags"])
    if badm.any():
        world.truth["bad_input"] = out.select("claim_id").with_columns(column=plan["bad"]).filter(
            pl.col("column").is_not_null()
        ).select(pl.lit("claims").alias("table"), pl.col("claim_id").alias("key"), "column")
    if dup_idx.size:
        first = claims[dup_idx]
        m = first.height
        lag = rng.integers(0, 46, m)
        second = first.with_columns(
            claim_date=pl.col("claim_date") + _days(lag),
        ).with_columns(
            period_start=pl.when(pl.col("period_start").is_null()).then(pl.lit(None, dtype=pl.Date))
            .otherwise(pl.col("claim_date")),
            period_end=pl.when(pl.col("null_pe")).then(pl.lit(None, dtype=pl.Date))
            .otherwise(pl.col("claim_date").dt.offset_by(pl.format("{}mo", pl.col("months")))
                       .dt.offset_by("-1d")),
            phone=pl.col("phone"),
        )
        world.add_claims(second.drop("cat1", "cat2", "months", "null_pe", "ps", "pe_eff"),
                         rules=[["DUPLICATE_CLAIM"]] * m, tags=[["duplicate:second"]] * m)
