"""``generate``: the whole synthetic province, from population to written data and truth.

Flow: enterprises -> background population -> claimants, histories and claim plants ->
``plant_graph`` / ``plant_refund`` plug-ins when present -> truth oracle on clean data ->
identity damage -> truth files -> data files.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dupcheck.errors import InputError
from dupcheck.policy import Policy
from dupcheck.schema import TABLES
from dupcheck.synth.claims import plant_claims
from dupcheck.synth.corrupt import ID_KINDS, damage
from dupcheck.synth.oracle import expected_rules, hard_rules
from dupcheck.synth.population import background, make_enterprises
from dupcheck.synth.rates import SynthRates
from dupcheck.synth.world import PERSON_TABLES, World
from dupcheck.synth.write import ParquetAppender, TableSink, draw_style, write_table

__all__ = ["build_world", "generate", "shard_count", "truth_path"]

log = logging.getLogger(__name__)

_PLUGINS = (
    ("dupcheck.synth.graph_plants", "plant_graph"),
    ("dupcheck.synth.refund_plants", "plant_refund"),
)

TRUTH_FILES = ("claims_truth", "links", "alerts_truth", "refund_truth", "bad_input")


def truth_path(out: str | Path) -> Path:
    """The truth folder beside data folder ``out``: ``OUT-truth``."""
    return Path(str(out).rstrip("/\\") + "-truth")


def build_world(
    *, claims: int, people: int, seed: int | np.random.SeedSequence,
    rates: SynthRates | None = None, policy: Policy | None = None, plugins: bool = True,
    shard: tuple[int, int] = (0, 1), serials: dict[str, int] | None = None,
) -> World:
    """Build the clean world (population, histories, plants, plug-ins) without damage or files;
    ``shard``/``serials`` place it in a sharded province (see :func:`generate`)."""
    if claims < 1 or people < 1:
        raise InputError("synth needs at least one claim and one person")
    world = World(rng=np.random.default_rng(seed), rates=rates or SynthRates(),
                  policy=policy or Policy(), shard=shard)
    world.continue_serials(serials or {})
    clock = _Clock()
    make_enterprises(world, people)
    plant_claims(world, claims)
    clock.lap("claimants and plants")
    background(world, people - world.people.height)
    clock.lap("background population")
    if plugins:
        for module, fn in _PLUGINS:
            if importlib.util.find_spec(module) is not None:
                getattr(importlib.import_module(module), fn)(world)
                clock.lap(module)
    return world


class _Clock:
    """CPU-time laps for the debug log (where the time of a large run goes)."""

    def __init__(self) -> None:
        self.t = time.process_time()

    def lap(self, what: str) -> None:
        now = time.process_time()
        log.debug("synth: %-32s %6.1f s cpu", what, now - self.t)
        self.t = now


def _damage_all(world: World) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Damage identities in reference tables and a few claims; returns per-row damage frames."""
    r = world.rates
    real = world.people.select("pid")
    plan = world.claim_plan()
    # a name conflict needs reference records that agree on the true name: keep them intact
    named = plan.filter(pl.col("tags").list.contains("conflict:name")).select("claim_id")
    keep = world.tables["claims"].join(named, on="claim_id", how="semi")["_pid"].implode()
    records = []
    for name in PERSON_TABLES:
        t = world.tables.get(name)
        if t is None or name == "claims":
            continue
        t = damage(world.rng, t, r.ref_corruption, r.corruption_weights, real_ids=real,
                   eligible=t.select(~pl.col("_pid").is_in(keep)).to_series())
        world.tables[name] = t
        records.append(t.select(pl.lit(name).alias("source"),
                                pl.col("record_id").alias("source_key"), "_corruption"))
    claims = world.tables["claims"]
    protected = claims.select("claim_id").join(plan, on="claim_id", how="left").select(
        pl.col("tags").list.eval(
            pl.element().is_in(["plant:id_invalid", "plant:id_conflict", "plant:input_invalid"])
        ).list.any().fill_null(False)
    ).to_series()
    kinds = tuple(k for k in r.corruption_weights if k not in ("id_typo", "id_transposed"))
    claims = damage(world.rng, claims, r.claim_corruption, r.corruption_weights, kinds=kinds,
                    real_ids=real, eligible=~protected)
    claims = claims.with_columns(
        _corruption=pl.when(protected & pl.lit(True)).then(pl.lit("none"))
        .otherwise(pl.col("_corruption"))
    )
    world.tables["claims"] = claims
    rec = pl.concat(records) if records else pl.DataFrame(
        schema={"source": pl.String, "source_key": pl.String, "_corruption": pl.String})
    return rec, claims.select("claim_id", "_corruption")


#: Automatic sharding: one world up to this many people, else about ``SHARD_PEOPLE`` per shard.
SINGLE_WORLD_PEOPLE = 2_500_000
SHARD_PEOPLE = 2_000_000


def shard_count(people: int, shards: int | None = None) -> int:
    """Shards of a province: ``shards`` when given, else 1 up to 2.5M people and one per
    (about) 2M people above that, so each shard's world fits in a few GB."""
    if shards is not None:
        return shards
    return 1 if people <= SINGLE_WORLD_PEOPLE else -(-people // SHARD_PEOPLE)


def _split(total: int, shards: int) -> list[int]:
    """``total`` spread over ``shards``: equal parts, the remainder one each to the first ones."""
    q, r = divmod(total, shards)
    return [q + (k < r) for k in range(shards)]


@dataclass
class _ShardTruth:
    """What one world contributes to the truth folder and manifest."""

    claims: pl.DataFrame
    links: pl.DataFrame
    alerts: pl.DataFrame
    refund: pl.DataFrame | None
    bad: pl.DataFrame
    corruption: dict[str, int]


def _truth(world: World) -> _ShardTruth:
    """Oracle, identity damage and links of a clean world (damages the world's tables)."""
    clock = _Clock()
    plan = world.claim_plan()
    truth, evidence = expected_rules(world.tables, world.people, plan, world.policy)
    clock.lap("oracle")

    rec_damage, _ = _damage_all(world)
    invalid_claim = world.tables["claims"].select(
        "claim_id", (pl.col("_corruption") != "none").alias("damaged"))
    # ID_INVALID plants damage the claim's own id too
    inv = truth.filter(pl.col("rules").list.contains("ID_INVALID")).select("claim_id")
    claim_dmg = invalid_claim.with_columns(
        damaged=pl.col("damaged") | pl.col("claim_id").is_in(inv["claim_id"].implode())
    )
    rec_dmg = pl.concat([
        rec_damage.select("source", "source_key", (pl.col("_corruption") != "none")
                          .alias("damaged")),
        claim_dmg.select(pl.lit("claims").alias("source"), pl.col("claim_id").alias("source_key"),
                         "damaged"),
    ])
    truth = hard_rules(truth, evidence, rec_dmg, claim_dmg).sort("claim_id")
    clock.lap("identity damage")

    # links: every reference row of each claimant's true person
    cl = world.tables["claims"].select("claim_id", "_pid")
    links = []
    for name in PERSON_TABLES:
        t = world.tables.get(name)
        if t is None or name == "claims":
            continue
        links.append(cl.join(t.select("_pid", "record_id", "_corruption"), on="_pid").select(
            "claim_id", pl.lit(name).alias("source"), pl.col("record_id").alias("source_key"),
            pl.col("_corruption").alias("corruption"),
        ))
    bad = world.truth.get("bad_input", pl.DataFrame(
        schema={"table": pl.String, "key": pl.String, "column": pl.String}))
    counts = {k: int(v) for k, v in rec_damage.group_by("_corruption").len().sort(
        "_corruption").iter_rows()}
    return _ShardTruth(
        claims=truth, links=pl.concat(links).sort("claim_id", "source", "source_key"),
        alerts=world.alerts_truth(), refund=world.truth.get("refund"), bad=bad,
        corruption=counts,
    )


def _fresh_truth_dir(out: Path) -> Path:
    truth_dir = truth_path(out)
    out.mkdir(parents=True, exist_ok=True)
    if truth_dir.exists():
        shutil.rmtree(truth_dir)
    truth_dir.mkdir(parents=True)
    return truth_dir


def _write_manifest(truth_dir: Path, manifest: dict[str, Any]) -> None:
    manifest["id_damage_kinds"] = list(ID_KINDS)
    (truth_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True,
                                                        ensure_ascii=False), encoding="utf-8")


def generate(
    out: str | Path, *, claims: int, people: int, seed: int, csv_share: float = 0.5,
    rates: SynthRates | None = None, shards: int | None = None,
) -> Path:
    """Write a synthetic data folder ``out`` with every contract table, and its ground truth in
    ``OUT-truth/``; returns the truth folder. Same seed and arguments give the same bytes.

    ``shards`` (None: automatic, see :func:`shard_count`) splits the province into independent
    worlds built one after the other, so memory stays that of one shard: each gets
    ``claims/shards`` claims and ``people/shards`` people (remainders to the first shards) and a
    generator spawned from ``(seed, shard)``. Ids are unique across the province: person ids
    take their sequence number, and USCCs their organisation number, from the shard's own slice;
    claim, record and application serials continue from shard to shard. Namesakes, families of
    records, graph and refund plants stay within their shard (fixed-size plants, such as the
    refund applications, are planted once per shard). How each table is written (format,
    encoding, dates, labels, bools) is drawn once for the province, and each table is one file;
    rows are shuffled within each shard. ``shards=1`` is the single world of earlier versions.
    """
    if not 0 <= csv_share <= 1:
        raise InputError(f"csv_share must be within 0..1, got {csv_share}")
    k = shard_count(people, shards)
    if k < 1 or k > 500:
        raise InputError(f"shards must be within 1..500, got {k}")
    if claims < k or people < k:
        raise InputError(f"{k} shards need at least {k} claims and {k} people")
    out = Path(out)
    if k > 1:
        return _generate_sharded(out, claims=claims, people=people, seed=seed,
                                 csv_share=csv_share, rates=rates, shards=k)
    world = build_world(claims=claims, people=people, seed=seed, rates=rates)
    st = _truth(world)
    clock = _Clock()
    truth_dir = _fresh_truth_dir(out)
    st.claims.write_parquet(truth_dir / "claims_truth.parquet", statistics=False)
    st.links.write_parquet(truth_dir / "links.parquet", statistics=False)
    st.alerts.write_parquet(truth_dir / "alerts_truth.parquet", statistics=False)
    if st.refund is not None:
        st.refund.write_parquet(truth_dir / "refund_truth.parquet", statistics=False)
    st.bad.write_parquet(truth_dir / "bad_input.parquet", statistics=False)
    clock.lap("truth files")

    manifest: dict[str, Any] = {"seed": seed, "claims": claims, "people": people,
                                "csv_share": csv_share, "shards": 1, "tables": {}}
    for name in TABLES:
        frame = world.tables.get(name)
        if frame is None:
            continue
        manifest["tables"][name] = write_table(frame, name, out, world.rng, csv_share) | {
            "rows": frame.height}
    clock.lap("data files")
    manifest["corruption"] = st.corruption
    _write_manifest(truth_dir, manifest)
    log.info("synth: %d claims, %d people, %d reference rows", claims, world.people.height,
             sum(st.corruption.values()))
    return truth_dir


def _generate_sharded(
    out: Path, *, claims: int, people: int, seed: int, csv_share: float,
    rates: SynthRates | None, shards: int,
) -> Path:
    """:func:`generate` for ``shards > 1``: one world at a time, each table streamed to one
    file, the truth files the concatenation of the shards' truths."""
    seeds = np.random.SeedSequence(seed).spawn(shards + 1)
    style_rng = np.random.default_rng(seeds[0])
    styles = {name: draw_style(style_rng, csv_share) for name in TABLES}
    truth_dir = _fresh_truth_dir(out)
    truth_files = {name: ParquetAppender(truth_dir / f"{name}.parquet", compression="zstd")
                   for name in TRUTH_FILES}
    sinks: dict[str, TableSink] = {}
    corruption: dict[str, int] = {}
    per_shard: list[dict[str, Any]] = []
    serials: dict[str, int] = {}
    for k, (n_claims, n_people) in enumerate(zip(_split(claims, shards), _split(people, shards),
                                                 strict=True)):
        clock = _Clock()
        world = build_world(claims=n_claims, people=n_people, seed=seeds[k + 1], rates=rates,
                            shard=(k, shards), serials=serials)
        st = _truth(world)
        for name, frame in (("claims_truth", st.claims), ("links", st.links),
                            ("alerts_truth", st.alerts), ("refund_truth", st.refund),
                            ("bad_input", st.bad)):
            if frame is not None:
                truth_files[name].add(frame)
        for kind, n in st.corruption.items():
            corruption[kind] = corruption.get(kind, 0) + n
        rows: dict[str, int] = {}
        for name in TABLES:
            frame = world.tables.get(name)
            if frame is None:
                continue
            if name not in sinks:
                sinks[name] = TableSink(out, name, styles[name])
            sinks[name].add(frame, world.rng)
            rows[name] = frame.height
        per_shard.append({"claims": n_claims, "people": n_people, "tables": rows})
        serials = world.serials()
        del world, st
        gc.collect()
        clock.lap(f"shard {k + 1}/{shards} written")
    for appender in truth_files.values():
        appender.close()
    manifest: dict[str, Any] = {
        "seed": seed, "claims": claims, "people": people, "csv_share": csv_share,
        "shards": shards, "shard_rows": per_shard,
        "tables": {name: sink.close() for name, sink in sinks.items()},
        "corruption": dict(sorted(corruption.items())),
    }
    _write_manifest(truth_dir, manifest)
    log.info("synth: %d claims, %d people, %d reference rows in %d shards", claims, people,
             sum(corruption.values()), shards)
    return truth_dir
