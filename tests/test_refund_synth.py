"""The refund plug-in of the synthetic province, and the audit against its truth."""

from __future__ import annotations

import numpy as np
import polars as pl

from dupcheck.refund import CONTRACT_RULES, audit
from dupcheck.synth.refund_plants import plant_refund
from dupcheck.synth.world import World


def _world(seed: int) -> World:
    w = World(rng=np.random.default_rng(seed))
    w.new_people(200)
    plant_refund(w, n_clean=60, per_plant=3)
    return w


def test_every_contract_rule_and_near_miss_is_planted() -> None:
    truth = _world(1).truth["refund"]
    planted = set(truth.explode("rules")["rules"].drop_nulls())
    assert set(CONTRACT_RULES) <= planted
    tags = set(truth.explode("tags")["tags"].drop_nulls())
    assert {"near_miss:layoff_at_threshold", "near_miss:small_unit_at_20",
            "near_miss:request_equals_eligible", "near_miss:related_below_300"} <= tags
    assert truth["eligible_amount"].str.contains(r"^\d+\.\d{2}$").all()


def test_audit_reproduces_the_planted_truth_exactly() -> None:
    w = _world(2)
    tables = {k: w.tables[k] for k in ("refund_applications", "enterprises")}
    res = audit(tables)
    truth = w.truth["refund"]
    j = res.decisions.join(truth, on="application_id", how="full", suffix="_t", coalesce=True)
    assert j.height == truth.height == res.decisions.height
    assert (j["decision"] == j["decision_t"]).all()
    assert (j["rules"] == j["rules_t"]).all()
    assert (j["eligible_amount"].cast(pl.String) == j["eligible_amount_t"]).all()
    # near misses: nothing fires on them
    nm = j.filter(pl.col("tags").list.len() > 0)
    assert nm.height > 0 and (nm["decision"] == "approve").all()


def test_plants_are_deterministic_per_seed() -> None:
    a, b = _world(3), _world(3)
    assert a.tables["refund_applications"].equals(b.tables["refund_applications"])
    assert a.truth["refund"].equals(b.truth["refund"])
