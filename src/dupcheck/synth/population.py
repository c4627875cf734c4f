"""Background of the province: enterprises and the histories of people who do not claim.

These rows are noise for the screening (only the claimant's own records matter) but give the
tables their realistic size and shape: several employment spells per person with their
stoppages, dispatch relations, pensions for the older cohort, some benefit history, deaths and
incarcerations. All vectorised: one row per spell built by exploding persons.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from dupcheck.synth.world import World, random_dates

__all__ = ["ANY_REASONS", "background", "make_enterprises", "pick"]

#: Reasons seen on ordinary stoppages, with rough frequencies.
ANY_REASONS: dict[str, float] = {
    "contract_expired": 0.3, "dismissed": 0.08, "mutual_termination": 0.08,
    "mutual_by_worker": 0.08, "quit_for_cause": 0.03, "employer_closed": 0.05, "resigned": 0.25,
    "suspended": 0.03, "transferred": 0.07, "other": 0.03,
}


def pick(rng: np.random.Generator, values: list[str] | tuple[str, ...], n: int,
         p: list[float] | np.ndarray | None = None) -> pl.Series:
    """``n`` values drawn from ``values`` (with probabilities ``p``) as a String series."""
    if p is not None:
        q = np.asarray(p, dtype=float)
        p = q / q.sum()
    idx = rng.choice(len(values), size=n, p=p)
    return pl.Series(np.asarray(values, dtype=object)[idx], dtype=pl.String)


def make_enterprises(world: World, n_people: int) -> None:
    """Units of the province: enterprises, some public institutions and dispatch agencies."""
    n = max(20, int(n_people * world.rates.enterprises_per_1000 / 1000))
    world.new_enterprises(int(n * 0.9), kind="enterprise")
    world.new_enterprises(max(3, int(n * 0.06)), kind="public_institution")
    world.new_enterprises(max(6, int(n * 0.04)), kind="dispatch_agency")


def _units(world: World) -> tuple[pl.Series, pl.Series]:
    ent = world.table("enterprises")
    units = ent.filter(pl.col("kind") != "dispatch_agency")["enterprise_id"]
    agencies = ent.filter(pl.col("kind") == "dispatch_agency")["enterprise_id"]
    return units, agencies


def background(world: World, n: int) -> None:
    """``n`` non-claimants with employment, stoppage, dispatch, pension, benefit, death and
    incarceration history, none of which concerns any claim."""
    rng = world.rng
    if n <= 0:
        return
    n_old = int(n * 0.15)
    young = world.new_people(n - n_old, born=(date(1962, 1, 1), date(2004, 12, 31)))
    old = world.new_people(n_old, born=(date(1940, 1, 1), date(1961, 12, 31)))
    units, agencies = _units(world)
    last_day = world.window[1]

    # ---- employment spells: k per person, laid end to end from age 18 / 2000 on
    pop = pl.concat([young, old]).select("pid", "name", "birth_date", "region_code")
    k = rng.choice([0, 1, 2, 3, 4, 5], size=pop.height, p=[0.05, 0.1, 0.2, 0.28, 0.22, 0.15])
    per = pop.with_columns(k=pl.Series(k)).filter(pl.col("k") > 0)
    spells = per.select(
        pl.col("pid").repeat_by("k").explode(),
        pl.col("name").repeat_by("k").explode(),
        pl.col("birth_date").repeat_by("k").explode(),
        pl.col("region_code").repeat_by("k").explode(),
        pl.int_ranges(0, pl.col("k")).explode().alias("i"),
        pl.col("k").repeat_by("k").explode(),
    )
    m = spells.height
    dur = rng.integers(90, 2900, m)
    gap = rng.integers(1, 300, m)
    first = np.maximum(
        spells["birth_date"].dt.offset_by("18y").cast(pl.Int32).to_numpy().astype(np.int64),
        (date(1998, 1, 1) - date(1970, 1, 1)).days,
    ) + rng.integers(0, 2000, m)
    spells = spells.with_columns(
        dur=pl.Series(dur), gap=pl.Series(gap), first=pl.Series(first),
    ).with_columns(
        offs=(pl.col("dur") + pl.col("gap")).cum_sum().over("pid") - pl.col("dur") - pl.col("gap"),
        # one career start per person, so the spells lie end to end and never overlap
        first=pl.col("first").first().over("pid"),
    ).with_columns(
        start_date=(pl.col("first") + pl.col("offs")).cast(pl.Int32).cast(pl.Date),
    ).with_columns(
        end_date=pl.col("start_date") + pl.duration(days=pl.col("dur") - 1),
    ).filter(pl.col("start_date") <= pl.lit(last_day))
    # the last spell of most working-age people is still running
    running = (pl.col("i") == pl.col("k") - 1) & pl.lit(
        pl.Series(rng.random(spells.height) < world.rates.employed_share))
    old_cut = pl.col("birth_date") < pl.lit(date(1962, 1, 1))
    spells = spells.with_columns(
        end_date=pl.when((running & ~old_cut) | (pl.col("end_date") > pl.lit(last_day)))
        .then(None).otherwise(pl.col("end_date")),
        employer_id=pl.lit(units.gather(rng.integers(0, units.len(), spells.height))),
        agency_id=pl.when(pl.lit(pl.Series(rng.random(spells.height) < 0.04)))
        .then(pl.lit(agencies.gather(rng.integers(0, agencies.len(), spells.height))))
        .otherwise(None),
        reason=pick(rng, list(ANY_REASONS), spells.height, list(ANY_REASONS.values())),
    ).with_columns(
        # people past 58 whose spell ended late in life mostly retired
        reason=pl.when(old_cut & (pl.col("end_date") > pl.col("birth_date").dt.offset_by("55y")))
        .then(pl.lit("retired")).otherwise(pl.col("reason"))
    )
    world.add_spells(
        spells.select(pl.col("pid").alias("_pid"), "name", "employer_id", "start_date", "end_date",
                      "region_code", "agency_id", "reason")
    )

    # ---- pensions: most of the old cohort; the scheme by a coin weighted to employee
    pens = old.filter(pl.lit(pl.Series(rng.random(old.height) < 0.85)))
    start = pens["birth_date"].dt.offset_by("60y")
    world.append(
        "pensions",
        pl.DataFrame({
            "_pid": pens["pid"], "name": pens["name"],
            "scheme": pick(rng, ["employee", "resident"], pens.height, [0.6, 0.4]),
            "start_date": start,
            "end_date": pl.Series([None] * pens.height, dtype=pl.Date),
            "region_code": pens["region_code"],
        }).filter(pl.col("start_date") <= pl.lit(last_day)),
    )
    # ---- benefit history of some young people, well in the past
    ben = young.filter(pl.lit(pl.Series(rng.random(young.height) < 0.06)))
    bstart = random_dates(rng, date(2015, 1, 1), date(2023, 6, 30), ben.height)
    months = rng.integers(2, 13, ben.height)
    world.append(
        "benefits",
        pl.DataFrame({
            "_pid": ben["pid"], "name": ben["name"],
            "benefit_type": pick(rng, ["ui_benefit", "ui_subsidy", "migrant_allowance"],
                                 ben.height, [0.7, 0.2, 0.1]),
            "start_date": bstart,
            "region_code": ben["region_code"],
        }).with_columns(
            end_date=pl.col("start_date").dt.offset_by(pl.format("{}mo", pl.Series(months)))
            .dt.offset_by("-1d")
        ),
    )
    # ---- deaths (old cohort), incarcerations (young)
    dead = old.filter(pl.lit(pl.Series(rng.random(old.height) < 0.05)))
    world.append(
        "deaths",
        pl.DataFrame({"_pid": dead["pid"], "name": dead["name"],
                      "death_date": random_dates(rng, date(2018, 1, 1), last_day, dead.height)}),
    )
    jail = young.filter(pl.lit(pl.Series(rng.random(young.height) < 0.003)))
    jstart = random_dates(rng, date(2016, 1, 1), last_day, jail.height)
    jlen = rng.integers(180, 3000, jail.height)
    world.append(
        "incarcerations",
        pl.DataFrame({"_pid": jail["pid"], "name": jail["name"], "start_date": jstart}).with_columns(
            end_date=pl.col("start_date") + pl.duration(days=pl.lit(pl.Series(jlen)))
        ),
    )
