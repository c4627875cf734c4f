"""Public API of the graph stage: determinism, networkx hand-off, outputs, folders and CLI."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import polars as pl
import pytest

from _graph_world import d, frame, rid, uscc
from dupcheck.graph import analyze
from dupcheck.schema import ALERT_SCHEMA

AG, U1 = uscc(1), uscc(2)


def _tables() -> dict[str, pl.DataFrame]:
    claims = [dict(claim_id=f"c{i}", id_number=rid(i), name=f"张{i}", benefit_type="ui_subsidy",
                   claim_date=d("2021-06-01"), phone=f"139{i:08d}", bank_account="6222000011112222",
                   agency_id=AG) for i in range(9)]
    disp = [dict(agency_id=AG, employer_id=U1, id_number=rid(0), name="张0", start_date=d("2021-01-01"),
                 end_date=None),
            dict(agency_id=uscc(9), employer_id=U1, id_number=rid(0), name="张0", start_date=d("2021-02-01"),
                 end_date=d("2021-04-01"))]
    ents = [dict(enterprise_id=AG, kind="dispatch_agency", legal_rep_id=rid(50), phone="053188886666"),
            dict(enterprise_id=U1, kind="enterprise", legal_rep_id=rid(50))]
    return {"claims": frame("claims", claims), "dispatch": frame("dispatch", disp),
            "enterprises": frame("enterprises", ents)}


def test_alerts_follow_the_contract_schema_and_are_sorted() -> None:
    res = analyze(_tables())
    assert res.alerts.schema == pl.Schema(ALERT_SCHEMA)
    pats = set(res.alerts["pattern"].to_list())
    assert {"DISPATCH_WHILE_CLAIMING", "MULTI_AGENCY_WORKER", "SHARED_IDENTIFIER", "RELATED_PARTY",
            "SUSPICIOUS_COMMUNITY"} <= pats
    assert res.alerts["score"].is_between(0, 1).all()
    assert res.alerts["alert_id"].is_unique().all()
    key = res.alerts.select("pattern", (-pl.col("score")).alias("s"), "alert_id")
    assert key.rows() == sorted(key.rows())


def test_output_does_not_depend_on_row_order() -> None:
    base = analyze(_tables()).alerts
    rng = np.random.default_rng(5)
    for _ in range(3):
        shuffled = {k: v.sample(fraction=1.0, shuffle=True, seed=int(rng.integers(1 << 30)))
                    for k, v in _tables().items()}
        assert analyze(shuffled).alerts.equals(base)


def test_alert_graph_carries_evidence() -> None:
    res = analyze(_tables())
    dwc = res.alerts.filter(pl.col("pattern") == "DISPATCH_WHILE_CLAIMING")["alert_id"][0]
    g = res.alert_graph(dwc)
    assert isinstance(g, nx.Graph)
    person = f"person:{rid(0)}"
    e = g.edges[person, f"agency:{AG}"]
    assert e["etype"] == "dispatched_by" and e["start"] == "2021-01-01" and "dispatch#0" in e["evidence"]
    assert g.graph["pattern"] == "DISPATCH_WHILE_CLAIMING"
    with pytest.raises(KeyError):
        res.alert_graph("nope")


def test_to_networkx_ego_network() -> None:
    res = analyze(_tables())
    ego = res.to_networkx([f"agency:{AG}"], radius=1)
    assert "claim:c0" in ego and f"person:{rid(0)}" in ego
    assert all(ego.nodes[n]["kind"] for n in ego)
    assert set(res.graph.component_of(f"unit:{U1}")) >= {f"agency:{AG}", f"person:{rid(0)}"}


def test_write_parquet_and_graphml(tmp_path: Path) -> None:
    res = analyze(_tables())
    res.write(tmp_path)
    back = pl.read_parquet(tmp_path / "alerts.parquet")
    assert back.equals(res.alerts)
    g = nx.read_graphml(tmp_path / "alerts.graphml")
    assert all(set(a.split(";")) <= set(res.alerts["alert_id"].to_list())
               for _, a in g.nodes(data="alerts"))
    assert "SHARED_IDENTIFIER" in res.summary_text()


def test_folder_input_and_cli(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name, f in _tables().items():
        f.write_parquet(data / f"{name}.parquet")
    from_folder = analyze(data).alerts
    assert from_folder.equals(analyze(_tables()).alerts)
    from typer.testing import CliRunner

    from dupcheck.cli import app

    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["graph", str(data), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(out / "alerts.parquet").height == from_folder.height
