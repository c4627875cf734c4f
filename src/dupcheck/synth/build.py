"""``generate``: the whole synthetic province, from population to written data and truth.

Flow: enterprises -> background population -> claimants, histories and claim plants ->
``plant_graph`` / ``plant_refund`` plug-ins when present -> truth oracle on clean data ->
identity damage -> truth files -> data files.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import shutil
import time
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

__all__ = ["build_world", "generate", "truth_path"]

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
    *, claims: int, people: int, seed: int, rates: SynthRates | None = None,
    policy: Policy | None = None, plugins: bool = True,
) -> World:
    """Build the clean world (population, histories, plants, plug-ins) without damage or files."""
    if claims < 1 or people < 1:
        raise InputError("synth needs at least one claim and one person")
    world = World(rng=np.random.default_rng(seed), rates=rates or SynthRates(),
                  policy=policy or Policy())
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


def generate(
    out: str | Path, *, claims: int, people: int, seed: int, csv_share: float = 0.5,
    rates: SynthRates | None = None,
) -> Path:
    """Write a synthetic data folder ``out`` with every contract table, and its ground truth in
    ``OUT-truth/``; returns the truth folder. Same seed and arguments give the same bytes."""
    if not 0 <= csv_share <= 1:
        raise InputError(f"csv_share must be within 0..1, got {csv_share}")
    out = Path(out)
    truth_dir = truth_path(out)
    world = build_world(claims=claims, people=people, seed=seed, rates=rates)
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
    link_frame = pl.concat(links).sort("claim_id", "source", "source_key")

    out.mkdir(parents=True, exist_ok=True)
    if truth_dir.exists():
        shutil.rmtree(truth_dir)
    truth_dir.mkdir(parents=True)
    truth.write_parquet(truth_dir / "claims_truth.parquet", statistics=False)
    link_frame.write_parquet(truth_dir / "links.parquet", statistics=False)
    world.alerts_truth().write_parquet(truth_dir / "alerts_truth.parquet", statistics=False)
    if "refund" in world.truth:
        world.truth["refund"].write_parquet(truth_dir / "refund_truth.parquet", statistics=False)
    bad = world.truth.get("bad_input", pl.DataFrame(
        schema={"table": pl.String, "key": pl.String, "column": pl.String}))
    bad.write_parquet(truth_dir / "bad_input.parquet", statistics=False)

    clock.lap("truth files")
    from dupcheck.synth.write import write_table

    manifest: dict[str, Any] = {"seed": seed, "claims": claims, "people": people,
                                "csv_share": csv_share, "tables": {}}
    for name in TABLES:
        frame = world.tables.get(name)
        if frame is None:
            continue
        manifest["tables"][name] = write_table(frame, name, out, world.rng, csv_share) | {
            "rows": frame.height}
    clock.lap("data files")
    counts = {k: int(v) for k, v in rec_damage.group_by("_corruption").len().sort(
        "_corruption").iter_rows()}
    manifest["corruption"] = counts
    manifest["id_damage_kinds"] = list(ID_KINDS)
    (truth_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True,
                                                        ensure_ascii=False), encoding="utf-8")
    log.info("synth: %d claims, %d people, %d reference rows", claims, world.people.height,
             int(rec_damage.height))
    return truth_dir
