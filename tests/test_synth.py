"""Synthetic province: determinism, validity of what is written, and truth consistent with data."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from dupcheck.errors import InputError
from dupcheck.io import load, validate
from dupcheck.policy import Policy
from dupcheck.synth import SynthRates, World, build_world, generate, truth_path
from dupcheck.synth.claims import typo_ids
from dupcheck.synth.corrupt import _transpose
from dupcheck.synth.idgen import resident_ids, shandong_counties, uscc_codes
from dupcheck.synth.oracle import retirement_date

SEVERITY = Policy().screening.severities
RANK = {"reject": 2, "review": 1, "info": 0}


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("synth") / "prov"
    truth = generate(out, claims=1500, people=12000, seed=11, csv_share=0.5)
    return out, truth


def _period(claims: pl.DataFrame) -> pl.DataFrame:
    """Claims with an explicit period: claim_id, cd, ps, pe."""
    return claims.filter(pl.col("period_end").is_not_null() & pl.col("claim_date").is_not_null()) \
        .select("claim_id", pl.col("claim_date").alias("cd"),
                pl.coalesce("period_start", "claim_date").alias("ps"),
                pl.col("period_end").alias("pe"))


def _linked(links: pl.DataFrame, data: dict[str, pl.DataFrame], source: str) -> pl.DataFrame:
    return links.filter(pl.col("source") == source).join(
        data[source], left_on="source_key", right_on="record_id")


def _tagged(truth: pl.DataFrame, tag: str) -> pl.DataFrame:
    return truth.filter(pl.col("tags").list.contains(tag))


def _valid_id(x: str) -> bool:
    """Contract validity: 18 characters, right check character, real date, a region code that
    was issued in some era (python-stdnum's own check is era-aware, which is stricter)."""
    from stdnum import numdb

    try:
        ric.get_birth_date(x)
    except Exception:
        return False
    return (len(x) == 18 and x[:17].isdigit() and ric.calc_check_digit(x) == x[17]
            and len(numdb.get("cn/loc").info(x[:6])) == 2
            and bool(numdb.get("cn/loc").info(x[:6])[1][1]))


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# ------------------------------------------------------------------ determinism, layout

@pytest.mark.slow
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", claims=150, people=1500, seed=5, csv_share=0.6)
    b = generate(tmp_path / "b", claims=150, people=1500, seed=5, csv_share=0.6)
    c = generate(tmp_path / "c", claims=150, people=1500, seed=6, csv_share=0.6)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(a) == _digest(b)
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert _digest(a) != _digest(c)


def test_truth_beside_data_never_inside(province: tuple[Path, Path]) -> None:
    out, tdir = province
    assert tdir == truth_path(out) == out.parent / (out.name + "-truth")
    names = {p.stem for p in out.iterdir()}
    assert names >= {"claims", "employment", "stoppages", "pensions", "benefits", "deaths",
                     "incarcerations", "enterprises", "dispatch"}
    assert not names & {"claims_truth", "links", "alerts_truth", "manifest"}
    assert {p.name for p in tdir.iterdir()} >= {
        "claims_truth.parquet", "links.parquet", "alerts_truth.parquet", "manifest.json"}


def test_bad_arguments_raise() -> None:
    with pytest.raises(InputError):
        build_world(claims=0, people=10, seed=1)
    with pytest.raises(InputError):
        generate("/nonexistent/x", claims=10, people=100, seed=1, csv_share=1.5)


@pytest.mark.slow
def test_csv_share_extremes_and_encodings(tmp_path: Path) -> None:
    generate(tmp_path / "p", claims=100, people=1000, seed=2, csv_share=0.0)
    assert {p.suffix for p in (tmp_path / "p").iterdir()} == {".parquet"}
    generate(tmp_path / "c", claims=100, people=1000, seed=2, csv_share=1.0)
    assert {p.suffix for p in (tmp_path / "c").iterdir()} == {".csv"}
    import json

    man = json.loads((tmp_path / "c-truth" / "manifest.json").read_text(encoding="utf-8"))
    for name, spec in man["tables"].items():
        raw = (tmp_path / "c" / f"{name}.csv").read_bytes()
        if spec["encoding"] == "gb18030":
            raw.decode("gb18030")
            if any(b >= 0x80 for b in raw):
                with pytest.raises(UnicodeDecodeError):
                    raw.decode("utf-8")
        else:
            raw.decode("utf-8")
            assert raw.startswith(b"\xef\xbb\xbf") == (spec["encoding"] == "utf-8-sig")


# ------------------------------------------------------------------ validity of what is written

def test_validate_reports_only_planted_bad_input(province: tuple[Path, Path]) -> None:
    out, tdir = province
    report = validate(out)
    assert not report.fatal
    bad = pl.read_parquet(tdir / "bad_input.parquet")
    claims = load(out).tables["claims"]
    reported = set()
    for p in report.problems:
        assert p.file.startswith("claims."), str(p)
        assert p.row is not None and p.column is not None
        cid = claims.filter(pl.col("_row") == p.row)["claim_id"].item()
        reported.add((cid, p.column))
    planted = {(k, c) for k, c in bad.select("key", "column").iter_rows()}
    assert reported == planted
    assert len(planted) >= 2


def test_ids_uscc_and_regions_are_real(data: dict[str, pl.DataFrame], links: pl.DataFrame) -> None:
    clean = _linked(links, data, "employment").filter(pl.col("corruption") == "none")
    ids = clean["id_number"].unique().to_list()
    assert ids and all(_valid_id(x) for x in ids)
    sd = set(shandong_counties()["region_code"].to_list())
    assert all(x[:6] in sd for x in ids)
    ent = data["enterprises"]
    assert all(uscc.is_valid(x) for x in ent["enterprise_id"].to_list())
    assert set(ent["kind"].unique().to_list()) == {"enterprise", "public_institution",
                                                    "dispatch_agency"}
    assert ent["legal_rep_id"].null_count() == 0
    from stdnum import luhn

    accounts = data["claims"]["bank_account"].drop_nulls().to_list()
    assert sum(luhn.is_valid(a) for a in accounts) > 0.9 * len(accounts)


def test_names_follow_surname_frequencies(data: dict[str, pl.DataFrame],
                                          links: pl.DataFrame) -> None:
    emp = _linked(links, data, "employment").filter(pl.col("corruption") == "none")
    top = emp.unique("id_number").select(pl.col("name").str.slice(0, 1)).to_series() \
        .value_counts(sort=True)["name"].head(6).to_list()
    assert len({"王", "李", "张", "刘", "陈"} & set(top)) >= 3


# ------------------------------------------------------------------ truth vs data

def test_decision_is_most_severe_rule(truth: pl.DataFrame) -> None:
    for rules, decision, tags in truth.select("rules", "decision", "tags").iter_rows():
        ranks = [RANK[SEVERITY[r]] for r in rules]
        if "duplicate:first" in tags and "DUPLICATE_CLAIM" in rules:
            ranks = [RANK[SEVERITY[r]] for r in rules if r != "DUPLICATE_CLAIM"] + [1]
        expected = {2: "reject", 1: "review", 0: "approve"}[max(ranks, default=0)]
        assert decision == expected, (rules, tags)
    assert set(truth["decision"]) == {"approve", "review", "reject"}


def test_every_claim_rule_is_planted(truth: pl.DataFrame) -> None:
    fired = set(truth.explode("rules")["rules"].drop_nulls())
    assert fired >= set(SEVERITY)
    assert _tagged(truth, "two_problems").filter(pl.col("rules").list.len() >= 2).height > 0
    hard = truth.filter(pl.col("hard_rules").list.len() > 0)
    assert hard.height > 0
    assert all(set(h) <= set(r) for h, r in hard.select("hard_rules", "rules").iter_rows())
    # the plant's intent always survives the oracle
    assert not truth.filter(
        pl.col("tags").list.eval(pl.element().str.starts_with("declared_only")).list.any()
    ).height


def test_near_misses_fire_nothing(truth: pl.DataFrame) -> None:
    for tag in ("near_miss:employment_day_before", "near_miss:pension_after",
                "near_miss:namesake", "near_miss:benefit_before", "near_miss:retirement_reform",
                "near_miss:agency_phone"):
        rows = _tagged(truth, tag)
        assert rows.height > 0, tag
        assert rows["rules"].list.len().max() == 0, tag
        assert set(rows["decision"]) == {"approve"}


def test_employed_claims_have_an_overlapping_spell(
    data: dict[str, pl.DataFrame], truth: pl.DataFrame, links: pl.DataFrame
) -> None:
    claims = _period(data["claims"])
    emp = _tagged(truth, "plant:employed").join(claims, on="claim_id")
    assert emp.height > 5
    spells = pl.concat([
        _linked(links, data, s).select("claim_id", "start_date", "end_date")
        for s in ("employment", "dispatch")
    ])
    hit = emp.join(spells, on="claim_id").filter(
        (pl.col("start_date") <= pl.max_horizontal("pe", "cd"))
        & (pl.col("end_date").is_null() | (pl.col("end_date") >= pl.min_horizontal("ps", "cd")))
    )
    assert set(hit["claim_id"]) == set(emp["claim_id"])


def test_day_before_near_miss_really_ends_the_day_before(
    data: dict[str, pl.DataFrame], truth: pl.DataFrame, links: pl.DataFrame
) -> None:
    nm = _tagged(truth, "near_miss:employment_day_before").join(
        data["claims"].select("claim_id", pl.coalesce("period_start", "claim_date").alias("ps"),
                              "claim_date"), on="claim_id")
    spells = _linked(links, data, "employment").select("claim_id", "start_date", "end_date")
    j = nm.join(spells, on="claim_id")
    last_end = j.filter(pl.col("end_date") <= pl.col("claim_date")).group_by("claim_id").agg(
        pl.col("end_date").max())
    got = nm.join(last_end, on="claim_id")
    assert got.height == nm.height
    assert (got["end_date"] == got["ps"] - timedelta(days=1)).all()
    # nothing of theirs covers the claim date
    covering = j.filter((pl.col("start_date") <= pl.col("claim_date"))
                        & (pl.col("end_date").is_null()
                           | (pl.col("end_date") >= pl.col("claim_date"))))
    assert covering.height == 0


def test_pension_near_miss_starts_after_and_plant_overlaps(
    data: dict[str, pl.DataFrame], truth: pl.DataFrame, links: pl.DataFrame
) -> None:
    claims = _period(data["claims"])
    pens = _linked(links, data, "pensions").select("claim_id", "start_date", "end_date")
    nm = _tagged(truth, "near_miss:pension_after").join(claims, on="claim_id").join(
        pens, on="claim_id")
    assert nm.height > 0 and (nm["start_date"] > nm["pe"]).all()
    pl_ = _tagged(truth, "plant:pension").join(claims, on="claim_id").join(pens, on="claim_id")
    assert pl_.height > 0
    assert ((pl_["start_date"] <= pl_["pe"]) & (pl_["end_date"].is_null()
                                                | (pl_["end_date"] >= pl_["ps"]))).all()


def test_benefit_near_miss_ends_day_before_and_prior_benefit_overlaps(
    data: dict[str, pl.DataFrame], truth: pl.DataFrame, links: pl.DataFrame
) -> None:
    claims = data["claims"].select("claim_id", pl.coalesce("period_start", "claim_date")
                                   .alias("ps"), "period_end", "benefit_type")
    ben = _linked(links, data, "benefits").select(
        "claim_id", pl.col("benefit_type").alias("btype"), "start_date", "end_date")
    nm = _tagged(truth, "near_miss:benefit_before").join(claims, on="claim_id").join(
        ben, on="claim_id")
    assert nm.height > 0
    assert (nm["end_date"] == nm["ps"] - timedelta(days=1)).all()
    assert (nm["btype"] != nm["benefit_type"]).all()  # so no ENTITLEMENT_USED either
    pb = _tagged(truth, "plant:prior_benefit").join(_period(data["claims"]), on="claim_id") \
        .join(ben, on="claim_id")
    assert pb.height > 0
    assert ((pb["start_date"] <= pb["pe"]) & (pb["end_date"] >= pb["ps"])).all()


@pytest.fixture(scope="module")
def clean_world() -> World:
    return build_world(claims=800, people=6000, seed=21, plugins=False)


def test_namesake_has_same_name_and_birth_but_other_valid_id(clean_world: World) -> None:
    w = clean_world
    plan = w.claim_plan().filter(pl.col("tags").list.contains("near_miss:namesake"))
    claims = w.tables["claims"].join(plan, on="claim_id", how="semi")
    assert claims.height > 0
    me = w.person(claims["_pid"]).with_columns(claim_id=claims["claim_id"],
                                              cd=claims["claim_date"])
    twins = me.join(w.people, on=["name", "birth_date", "gender"], suffix="_twin").filter(
        pl.col("pid") != pl.col("pid_twin"))
    at_work = twins.join(w.tables["employment"], left_on="pid_twin", right_on="_pid").filter(
        (pl.col("start_date") <= pl.col("cd")) & pl.col("end_date").is_null())
    assert set(at_work["claim_id"]) == set(claims["claim_id"])
    assert all(_valid_id(x) for x in at_work["pid_twin"].to_list())
    # and the oracle does not let the twin's job touch the claimant
    from dupcheck.synth.oracle import expected_rules

    t, _ = expected_rules(w.tables, w.people, w.claim_plan(), w.policy)
    assert t.join(plan, on="claim_id", how="semi")["rules"].list.len().max() == 0


def test_clean_world_hidden_pid_matches_clean_ids(clean_world: World) -> None:
    for name in ("employment", "stoppages", "pensions", "benefits", "dispatch"):
        t = clean_world.tables[name]
        assert (t["id_number"] == t["_pid"]).all(), name
        assert t["record_id"].n_unique() == t.height


def test_stop_reason_plants(data: dict[str, pl.DataFrame], truth: pl.DataFrame,
                            links: pl.DataFrame) -> None:
    qual = Policy().screening.qualifying_reasons
    stops = _linked(links, data, "stoppages").select("claim_id", "stop_date", "reason")
    sr = _tagged(truth, "plant:stop_reason").join(
        data["claims"].select("claim_id", "claim_date", "benefit_type"), on="claim_id")
    last = sr.join(stops, on="claim_id").filter(pl.col("stop_date") <= pl.col("claim_date")) \
        .sort("stop_date").group_by("claim_id").last()
    assert last.height == sr.height
    for bt, reason in last.select("benefit_type", "reason").iter_rows():
        assert reason not in qual[bt]


def test_links_damage_is_what_it_says(data: dict[str, pl.DataFrame], links: pl.DataFrame) -> None:
    emp = _linked(links, data, "employment").join(
        data["claims"].select("claim_id", pl.col("id_number").alias("claim_id_number"),
                              pl.col("name").alias("claim_name")), on="claim_id")
    kinds = set(emp["corruption"])
    assert {"none", "legacy_id", "id_typo", "id_transposed", "traditional", "homophone"} <= kinds
    share = (emp["corruption"] != "none").mean()
    assert 0.04 < share < 0.2  # type: ignore[operator]
    for kind, idn in emp.filter(pl.col("corruption").is_in(["id_typo", "id_transposed"])) \
            .select("corruption", "id_number").iter_rows():
        assert not _valid_id(idn), kind
    legacy = emp.filter(pl.col("corruption") == "legacy_id")["id_number"]
    assert legacy.str.len_chars().unique().to_list() == [15]
    trad = emp.filter(pl.col("corruption") == "traditional")
    import opencc

    t2s = opencc.OpenCC("t2s")
    assert all(t2s.convert(a) != a for a in trad["name"].to_list())


# ------------------------------------------------------------------ rates, helpers

def test_zero_rates_give_clean_claims() -> None:
    fields = {k: 0.0 for k, v in SynthRates.model_fields.items()
              if isinstance(v.default, float) and (k.startswith("nm_") or k in {
                  "employed", "employed_dispatch", "stop_reason", "stop_reason_missing",
                  "pension", "prior_benefit", "entitlement_used", "retirement_age", "deceased",
                  "incarcerated", "duplicate_claim", "id_invalid", "id_conflict",
                  "input_invalid", "two_problems"})}
    w = build_world(claims=300, people=3000, seed=4, rates=SynthRates.model_validate(fields), plugins=False)
    from dupcheck.synth.oracle import expected_rules

    t, _ = expected_rules(w.tables, w.people, w.claim_plan(), w.policy)
    assert t.height == 300
    assert t["rules"].list.len().max() == 0


@pytest.mark.parametrize(
    ("birth", "gender", "expected"),
    [
        (date(1964, 12, 31), "M", date(2024, 12, 31)),   # before the reform
        (date(1965, 3, 10), "M", date(2025, 4, 10)),     # +1 month
        (date(1965, 5, 10), "M", date(2025, 7, 10)),     # +2 months
        (date(1975, 6, 1), "F", date(2025, 9, 1)),       # women: +3 months
        (date(1990, 1, 1), "M", date(2053, 1, 1)),       # capped at 63
    ],
)
def test_retirement_date_known_answers(birth: date, gender: str, expected: date) -> None:
    got = pl.select(retirement_date(pl.lit(birth), pl.lit(gender), Policy())).item()
    assert got == expected


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_generated_ids_valid_and_damaged_ids_invalid(seed: int) -> None:
    rng = np.random.default_rng(seed)
    regions = shandong_counties()["region_code"].cast(pl.Int64).to_numpy()
    n = 50
    births = np.datetime64("1950-01-01") + rng.integers(0, 20000, n)
    ids = resident_ids(regions[rng.integers(0, len(regions), n)], births, rng.integers(0, 1000, n))
    assert all(_valid_id(x) for x in ids)
    assert all(ric.calc_check_digit(x) != x[17] for x in typo_ids(rng, ids, tuple(range(17))))
    swapped, ok = _transpose(rng, ids)
    assert all(ric.calc_check_digit(x) != x[17] for x, k in zip(swapped, ok, strict=True) if k)
    codes = uscc_codes(rng, regions[rng.integers(0, len(regions), n)], "91")
    assert all(uscc.is_valid(x) for x in codes)


def test_name_conflict_claimants_keep_clean_records(truth: pl.DataFrame,
                                                    links: pl.DataFrame) -> None:
    named = _tagged(truth, "conflict:name")
    assert named.height > 0
    own = links.join(named, on="claim_id", how="semi")
    assert own.height >= 2 * named.height  # at least a spell and its stoppage each
    assert set(own["corruption"]) == {"none"}
