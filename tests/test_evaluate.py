"""Evaluation metrics: known answers on tiny hand-counted examples and invariants."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dupcheck.evaluate import (
    blocking_metrics,
    decision_accuracy,
    link_metrics,
    pr_curve,
    recall_by,
    rule_table,
    threshold_for_precision,
)

TRUTH = pl.DataFrame({"left_id": ["a", "b", "c", "d"], "right_id": ["1", "2", "3", "4"],
                      "corruption": ["none", "typo", "typo", "transposed"]})


def test_link_metrics_counts_tp_fp_fn() -> None:
    pred = pl.DataFrame({"left_id": ["a", "b", "x", "a"], "right_id": ["1", "2", "9", "1"]})
    m = link_metrics(pred, TRUTH)
    assert (m["tp"], m["fp"], m["fn"]) == (2, 1, 2)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(0.5)
    assert m["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


def test_link_metrics_with_custom_keys_and_empty_prediction() -> None:
    t = pl.DataFrame({"claim_id": ["c"], "source": ["employment"], "_row": [3]})
    m = link_metrics(t.clear(), t, keys=("claim_id", "source", "_row"))
    assert m["precision"] == 1.0 and m["recall"] == 0.0 and m["f1"] == 0.0


def test_blocking_metrics() -> None:
    cand = pl.DataFrame({"left_id": ["a", "b", "b", "z"], "right_id": ["1", "2", "7", "8"]})
    m = blocking_metrics(cand, TRUTH, n_left=10, n_right=10)
    assert m["pairs"] == 4
    assert m["pair_completeness"] == pytest.approx(0.5)
    assert m["reduction_ratio"] == pytest.approx(1 - 4 / 100)


def test_pr_curve_and_threshold_choice() -> None:
    pred = pl.DataFrame({
        "left_id": ["a", "b", "x", "c", "y"], "right_id": ["1", "2", "9", "3", "8"],
        "match_probability": [0.99, 0.95, 0.90, 0.80, 0.10],
    })
    curve = pr_curve(pred, TRUTH)
    assert curve["threshold"].to_list() == [0.99, 0.95, 0.90, 0.80, 0.10]
    assert curve["tp"].to_list() == [1, 2, 2, 3, 3]
    assert curve["fp"].to_list() == [0, 0, 1, 1, 2]
    assert curve["recall"].to_list() == pytest.approx([0.25, 0.5, 0.5, 0.75, 0.75])
    assert threshold_for_precision(curve, 1.0) == 0.95
    assert threshold_for_precision(curve, 0.75) == 0.80
    assert threshold_for_precision(curve.filter(pl.col("tp") == 0), 0.5) is None


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdexy"), st.sampled_from("12349"),
                          st.floats(0, 1)), min_size=1, max_size=20))
def test_pr_curve_is_monotone_and_agrees_with_link_metrics(
        rows: list[tuple[str, str, float]]) -> None:
    pred = pl.DataFrame(rows, schema=["left_id", "right_id", "match_probability"], orient="row")
    curve = pr_curve(pred, TRUTH)
    assert curve["recall"].is_sorted()
    assert curve["threshold"].is_sorted(descending=True)
    th = float(curve["threshold"][-1])
    kept = pred.filter(pl.col("match_probability") >= th)
    m = link_metrics(kept, TRUTH)
    assert curve["tp"][-1] == m["tp"] and curve["fp"][-1] == m["fp"]


def test_recall_by_group() -> None:
    pred = pl.DataFrame({"left_id": ["a", "b"], "right_id": ["1", "2"]})
    t = recall_by(pred, TRUTH, by="corruption")
    got = dict(zip(t["corruption"].to_list(), t["recall"].to_list(), strict=True))
    assert got == {"none": 1.0, "transposed": 0.0, "typo": 0.5}


def test_rule_table_from_decisions_and_findings() -> None:
    truth = pl.DataFrame({
        "claim_id": ["c1", "c2", "c3", "c4"],
        "decision": ["reject", "reject", "approve", "review"],
        "rules": [["EMPLOYED"], ["EMPLOYED", "PENSION"], [], ["ID_INVALID"]],
        "hard_rules": [[], ["EMPLOYED"], [], []],
    })
    decisions = pl.DataFrame({
        "claim_id": ["c1", "c2", "c3", "c4"],
        "decision": ["reject", "review", "reject", "review"],
        "rules": ["EMPLOYED", "PENSION", "EMPLOYED", "ID_INVALID"],
    })
    t = rule_table(decisions, truth)
    emp = t.filter(pl.col("rule") == "EMPLOYED").row(0, named=True)
    assert (emp["predicted"], emp["true"], emp["tp"]) == (2, 2, 1)
    assert emp["precision"] == 0.5 and emp["recall"] == 0.5
    assert emp["recall_easy"] == 1.0 and emp["recall_hard"] == 0.0
    findings = pl.DataFrame({"claim_id": ["c2", "c2", "c4"],
                             "rule": ["PENSION", "PENSION", "ID_INVALID"]})
    t2 = rule_table(findings, truth)
    assert t2.filter(pl.col("rule") == "PENSION")["precision"][0] == 1.0
    assert t2.filter(pl.col("rule") == "EMPLOYED")["recall"][0] == 0.0
    acc, conf = decision_accuracy(decisions, truth)
    assert acc == 0.5
    assert conf.filter((pl.col("truth") == "reject") & (pl.col("pred") == "review"))["len"][0] == 1
