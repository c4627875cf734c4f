"""Sharded synthetic province: ids unique across shards, one file per table, truth concatenated
and consistent with the data, same bytes per seed, screening as accurate as on one world."""

from __future__ import annotations

import hashlib
import inspect
import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc
from tests import test_synth as single

from dupcheck.errors import InputError
from dupcheck.evaluate import decision_accuracy, rule_table
from dupcheck.schema import TABLES
from dupcheck.screening import screen
from dupcheck.synth import SynthRates, World, generate, shard_count
from dupcheck.synth.build import _split
from dupcheck.synth.idgen import _org_in_shard, uscc_codes
from dupcheck.synth.write import ParquetAppender, TableSink, draw_style

SHARDS = 3
#: Rare plants are drawn per shard: the agency-phone near miss (groups of 8 claimants) needs a
#: higher rate to appear in shards of a few hundred claims.
ARGS: dict[str, Any] = {"claims": 1200, "people": 6000, "seed": 23, "csv_share": 0.5,
                        "rates": SynthRates(nm_agency_phone=0.03)}


def _digest(*folders: Path) -> dict[str, str]:
    return {f"{d.name}/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest()
            for d in folders for p in sorted(d.iterdir())}


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("shards") / "prov"
    return out, generate(out, shards=SHARDS, **ARGS)


@pytest.fixture(scope="module")
def manifest(province: tuple[Path, Path]) -> dict[str, Any]:
    return json.loads((province[1] / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# ------------------------------------------------------------------ fast: the pieces

def test_shard_count_is_automatic_above_two_and_a_half_million() -> None:
    assert shard_count(12_000) == 1
    assert shard_count(2_000_000) == 1  # the M tier stays one world
    assert shard_count(2_500_000) == 1
    assert shard_count(2_500_001) == 2
    assert shard_count(20_000_000) == 10
    assert shard_count(20_000_001) == 11
    assert shard_count(20_000_000, shards=1) == 1
    assert shard_count(100, shards=4) == 4


@given(st.integers(0, 10**7), st.integers(1, 60))
def test_split_spreads_remainders_to_the_first_shards(total: int, shards: int) -> None:
    parts = _split(total, shards)
    assert sum(parts) == total and len(parts) == shards
    assert max(parts) - min(parts) <= 1
    assert parts == sorted(parts, reverse=True)


def test_bad_shard_arguments_raise(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        generate(tmp_path / "x", claims=2, people=100, seed=1, shards=3)  # fewer claims than shards
    with pytest.raises(InputError):
        generate(tmp_path / "x", claims=10, people=100, seed=1, shards=0)
    assert not (tmp_path / "x").exists()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 500), st.data())
def test_organisation_numbers_fall_in_their_shard(seed: int, shards: int, d: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    shard = d.draw(st.integers(0, shards - 1))
    org = rng.integers(0, 10, (64, 8))
    org[0] = 9  # the top of the range: 99999999 must move down, not past 8 digits
    org[1] = 0
    out = _org_in_shard(org, shard, shards)
    num = out @ (10 ** np.arange(7, -1, -1))
    before = org @ (10 ** np.arange(7, -1, -1))
    assert ((num % shards) == shard).all()
    assert ((num >= 0) & (num < 10**8)).all()
    assert (np.abs(num - before) < 2 * shards).all()  # nearby: the draw stays uniform


def test_usccs_of_different_shards_never_collide_and_stay_valid() -> None:
    region = np.full(4000, 370102)
    codes = [set(uscc_codes(np.random.default_rng(7), region, "91", shard=k, shards=4).to_list())
             for k in range(4)]
    for k in range(4):
        assert all(uscc.is_valid(c) for c in list(codes[k])[:200])
        for j in range(k):
            assert not codes[k] & codes[j]
    # one shard is the unsharded draw itself
    assert uscc_codes(np.random.default_rng(7), region, "91").to_list() == \
        uscc_codes(np.random.default_rng(7), region, "91", shard=0, shards=1).to_list()


def test_person_ids_take_their_sequence_from_the_shard_slice() -> None:
    pids = []
    for k in range(SHARDS):
        w = World(rng=np.random.default_rng(1), shard=(k, SHARDS))  # same generator on purpose
        p = w.new_people(3000)["pid"]
        p = pl.concat([p, w.namesakes(p.head(300))["pid"]])
        half = p.str.slice(14, 3).cast(pl.Int64) // 2
        assert half.min() >= 500 * k // SHARDS  # type: ignore[operator]
        assert half.max() < 500 * (k + 1) // SHARDS  # type: ignore[operator]
        assert all(single._valid_id(x) for x in p.head(100).to_list())
        pids.append(set(p.to_list()))
    assert not (pids[0] & pids[1]) and not (pids[1] & pids[2]) and not (pids[0] & pids[2])


def test_enterprise_id_clash_is_redrawn() -> None:
    w = World(rng=np.random.default_rng(3))
    first = w.new_enterprises(30)
    # replay the same generator state: the new draw would repeat the first ids exactly
    w.rng = np.random.default_rng(3)
    w.people = w.people.head(0)
    w._taken = np.zeros(0, dtype=np.int64)
    second = w.new_enterprises(30)
    ids = w.table("enterprises")["enterprise_id"]
    assert ids.n_unique() == ids.len() == 60
    assert not set(first["enterprise_id"]) & set(second["enterprise_id"])
    assert all(uscc.is_valid(x) for x in second["enterprise_id"].to_list())


def test_table_sink_writes_one_csv_header_once_bom_at_start(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    style = draw_style(rng, 1.0) | {"encoding": "utf-8-sig", "dates": "chinese", "labels": True}
    w = World(rng=np.random.default_rng(2))
    p = w.new_people(40)
    deaths = pl.DataFrame({"_pid": p["pid"], "name": p["name"],
                           "death_date": [date(2020, 1, 1 + i % 28) for i in range(40)]})
    frame = w.append("deaths", deaths)
    sink = TableSink(tmp_path, "deaths", style)
    sink.add(frame.head(15), rng)
    sink.add(frame.head(0), rng)
    sink.add(frame.slice(15), rng)
    entry = sink.close()
    raw = (tmp_path / "deaths.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    lines = raw[3:].decode("utf-8").splitlines()
    header = ",".join(c.name for c in TABLES["deaths"].columns)
    assert lines[0] == header and lines.count(header) == 1
    assert len(lines) == 41 and entry["rows"] == 40
    assert entry | {"rows": 0} == {"format": "csv", "encoding": "utf-8-sig", "dates": "chinese",
                                   "labels": True, "bools": list(style["bools"]), "rows": 0}
    got = pl.read_csv(tmp_path / "deaths.csv", infer_schema=False)
    assert sorted(got["record_id"].to_list()) == sorted(frame["record_id"].to_list())
    assert got["death_date"].str.contains("年").all()


def test_gb18030_sink_and_parquet_appender(tmp_path: Path) -> None:
    style = {"format": "csv", "encoding": "gb18030", "dates": "iso", "labels": False,
             "bools": ("Y", "N")}
    w = World(rng=np.random.default_rng(4))
    p = w.new_people(20)
    frame = w.append("deaths", pl.DataFrame({"_pid": p["pid"], "death_date": [date(2021, 5, 5)] * 20}))
    sink = TableSink(tmp_path, "deaths", style)
    rng = np.random.default_rng(1)
    sink.add(frame.head(7), rng)
    sink.add(frame.slice(7), rng)
    sink.close()
    raw = (tmp_path / "deaths.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gb18030").splitlines()
    assert len(text) == 21 and text[0].startswith("record_id,")
    assert set(frame["name"].to_list()) == {ln.split(",")[2] for ln in text[1:]}

    app = ParquetAppender(tmp_path / "x.parquet")
    a = pl.DataFrame({"k": ["a", "b"], "v": [[1], []]}, schema={"k": pl.String,
                                                                 "v": pl.List(pl.Int64)})
    app.add(a)
    app.add(a.head(0))
    app.add(pl.DataFrame({"k": [None], "v": [[3]]}, schema=a.schema))
    app.close()
    assert pl.read_parquet(tmp_path / "x.parquet").to_dicts() == [
        {"k": "a", "v": [1]}, {"k": "b", "v": []}, {"k": None, "v": [3]}]


# ------------------------------------------------------------------ a 3-shard province

@pytest.mark.slow
def test_every_table_is_one_file_with_the_manifest_rows(
    province: tuple[Path, Path], manifest: dict[str, Any], data: dict[str, pl.DataFrame],
) -> None:
    out, tdir = province
    assert manifest["shards"] == SHARDS
    assert [s["claims"] for s in manifest["shard_rows"]] == _split(ARGS["claims"], SHARDS)
    assert [s["people"] for s in manifest["shard_rows"]] == _split(ARGS["people"], SHARDS)
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == len(manifest["tables"]) == len({Path(f).stem for f in files})
    assert all((out / f).is_file() for f in files)
    for name, spec in manifest["tables"].items():
        assert (out / f"{name}.{spec['format']}").is_file()
        assert spec["rows"] == sum(s["tables"].get(name, 0) for s in manifest["shard_rows"])
        assert data[name].height == spec["rows"], name
        if spec["format"] == "csv":
            raw = (out / f"{name}.csv").read_bytes()
            assert raw.count(b"\xef\xbb\xbf") == (spec["encoding"] == "utf-8-sig")
            codec = "gb18030" if spec["encoding"] == "gb18030" else "utf-8-sig"
            header = raw.decode(codec).splitlines()[0]
            assert raw.decode(codec).splitlines().count(header) == 1
    assert {p.name for p in tdir.iterdir()} == {
        "claims_truth.parquet", "links.parquet", "alerts_truth.parquet", "refund_truth.parquet",
        "bad_input.parquet", "manifest.json"}
    assert sum(manifest["corruption"].values()) == sum(
        manifest["tables"][t]["rows"] for t in manifest["tables"]
        if t not in ("claims", "enterprises", "refund_applications"))


@pytest.mark.slow
def test_keys_are_unique_across_the_province(
    data: dict[str, pl.DataFrame], manifest: dict[str, Any],
) -> None:
    for name, frame in data.items():
        col = TABLES[name].key or TABLES[name].columns[0].name
        assert frame[col].null_count() == 0 and frame[col].n_unique() == frame.height, name
    # serials continue from shard to shard: claims C00000001.. without gaps
    claims = data["claims"]["claim_id"].sort()
    assert claims.to_list() == [f"C{i:08d}" for i in range(1, claims.len() + 1)]
    # each shard's claimants carry ids from the shard's own sequence slice
    lo = 0
    for k, shard in enumerate(manifest["shard_rows"]):
        n = shard["tables"]["claims"]
        ids = data["claims"].filter(
            pl.col("claim_id").str.slice(1).cast(pl.Int64).is_between(lo + 1, lo + n)
        )["id_number"].drop_nulls()
        valid = [x for x in ids.to_list() if len(x) == 18 and x[:17].isascii()
                 and x[:17].isdigit() and single._valid_id(x)]
        assert len(valid) > 0.8 * n
        halves = {int(x[14:17]) // 2 for x in valid}
        assert min(halves) >= 500 * k // SHARDS and max(halves) < 500 * (k + 1) // SHARDS
        lo += n


@pytest.mark.slow
def test_truth_is_the_concatenation_of_the_shards(
    province: tuple[Path, Path], data: dict[str, pl.DataFrame], truth: pl.DataFrame,
    links: pl.DataFrame,
) -> None:
    tdir = province[1]
    assert truth["claim_id"].to_list() == sorted(data["claims"]["claim_id"].to_list())
    assert links.equals(links.sort("claim_id", "source", "source_key"))
    for source, keys in links.group_by("source").agg("source_key").iter_rows():
        assert set(keys) <= set(data[source]["record_id"].to_list()), source
    refund = pl.read_parquet(tdir / "refund_truth.parquet")
    apps = data["refund_applications"]["application_id"]
    assert set(refund["application_id"]) <= set(apps) and refund["application_id"].is_unique().all()
    alerts = pl.read_parquet(tdir / "alerts_truth.parquet")
    ents = alerts.explode("entities")["entities"]
    units = set(data["enterprises"]["enterprise_id"].to_list())
    unit_refs = ents.filter(ents.str.starts_with("unit:")).str.slice(5).to_list()
    assert unit_refs and set(unit_refs) <= units
    claim_refs = ents.filter(ents.str.starts_with("claim:")).str.slice(6).to_list()
    assert claim_refs and set(claim_refs) <= set(truth["claim_id"].to_list())
    bad = pl.read_parquet(tdir / "bad_input.parquet")
    assert bad.height >= SHARDS and set(bad["key"]) <= set(truth["claim_id"])


#: The single-world checks of tests/test_synth.py that compare truth with the written data.
_SINGLE_WORLD_CHECKS = [
    "test_truth_beside_data_never_inside",
    "test_validate_reports_only_planted_bad_input",
    "test_ids_uscc_and_regions_are_real",
    "test_decision_is_most_severe_rule",
    "test_every_claim_rule_is_planted",
    "test_near_misses_fire_nothing",
    "test_employed_claims_have_an_overlapping_spell",
    "test_day_before_near_miss_really_ends_the_day_before",
    "test_pension_near_miss_starts_after_and_plant_overlaps",
    "test_benefit_near_miss_ends_day_before_and_prior_benefit_overlaps",
    "test_stop_reason_plants",
    "test_links_damage_is_what_it_says",
    "test_name_conflict_claimants_keep_clean_records",
]


@pytest.mark.slow
@pytest.mark.parametrize("check", _SINGLE_WORLD_CHECKS)
def test_single_world_truth_checks_hold_on_shards(check: str, request: pytest.FixtureRequest) -> None:
    fn = getattr(single, check)
    fn(**{name: request.getfixturevalue(name) for name in inspect.signature(fn).parameters})


@pytest.mark.slow
def test_same_seed_same_bytes(tmp_path: Path, province: tuple[Path, Path]) -> None:
    again = generate(tmp_path / "prov", shards=SHARDS, **ARGS)
    assert _digest(tmp_path / "prov", again) == _digest(*province)


@pytest.mark.slow
def test_screening_as_accurate_as_on_one_world(
    tmp_path: Path, province: tuple[Path, Path], truth: pl.DataFrame,
) -> None:
    one_truth = generate(tmp_path / "one", shards=1, **ARGS)
    one = pl.read_parquet(one_truth / "claims_truth.parquet")
    acc_one, _ = decision_accuracy(screen(tmp_path / "one").decisions, one)
    decisions = screen(province[0]).decisions
    acc, confusion = decision_accuracy(decisions, truth)
    assert decisions.height == truth.height
    assert acc >= min(acc_one, 0.995) - 0.005, confusion
    table = rule_table(decisions, truth)
    assert table.height >= 12
    weak = table.filter((pl.col("precision") < 0.95) | (pl.col("recall") < 0.95))
    assert weak.is_empty(), weak
