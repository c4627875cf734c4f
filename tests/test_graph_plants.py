"""The synthetic graph plants are found, and their near misses are not (small world, no damage)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from dupcheck.graph import analyze
from dupcheck.graph.evaluate import score_alerts
from dupcheck.synth.graph_plants import plant_graph
from dupcheck.synth.world import World, random_dates


def _peer_agencies(w: World, agencies: int = 12, workers: int = 50, claimants: int = 2) -> None:
    """Ordinary agencies: former workers of which a few claim (the spike's peer group)."""
    rng = w.rng
    for _ in range(agencies):
        ag = w.new_enterprises(1, "dispatch_agency")["enterprise_id"][0]
        unit = w.new_enterprises(1)["enterprise_id"][0]
        people = w.new_people(workers)
        end = random_dates(rng, w.window[0] - timedelta(days=400), w.window[0] - timedelta(days=30), workers)
        start = pl.select(pl.lit(end) - pl.duration(days=pl.lit(pl.Series(rng.integers(400, 1500, workers))))).to_series()
        w.add_spells(pl.DataFrame({"_pid": people["pid"], "employer_id": unit, "agency_id": ag,
                                   "start_date": start, "end_date": end, "reason": "contract_expired"}))
        cd = pl.select(pl.lit(end.head(claimants)) + pl.duration(days=40)).to_series()
        w.add_claims(pl.DataFrame({"_pid": people["pid"].head(claimants), "benefit_type": "ui_benefit",
                                   "claim_date": cd}))


@pytest.mark.slow
def test_plants_are_found_and_near_misses_are_not() -> None:
    w = World(rng=np.random.default_rng(4), window=(date(2024, 7, 1), date(2025, 12, 31)))
    _peer_agencies(w)
    plant_graph(w)
    tables = {k: v.select([c for c in v.columns if not c.startswith("_")]) for k, v in w.tables.items()}
    res = analyze(tables)
    table = score_alerts(res.alerts, w.alerts_truth())
    planted = table.filter(pl.col("planted") > 0)
    assert set(planted["pattern"]) >= {
        "DISPATCH_WHILE_CLAIMING", "MULTI_AGENCY_WORKER", "SHARED_IDENTIFIER", "RELATED_PARTY",
        "AGENCY_CLAIM_SPIKE", "MANUFACTURED_ELIGIBILITY", "ONE_PERSON_MANY_IDS", "SUSPICIOUS_COMMUNITY",
    }
    assert planted["recall"].min() == 1.0, table
    assert planted["precision_at_k"].min() == 1.0, table
    assert table["near_miss_hits"].sum() == 0, table
