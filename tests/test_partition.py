"""Partitioned screening equals in-memory screening, row for row."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from dupcheck.errors import InputError, ValidationError
from dupcheck.partition import default_partitions, partition_of, screen_partitioned
from dupcheck.policy import MatchPolicy, Policy
from dupcheck.screening import Screener, ScreeningResult


def _assert_same(a: ScreeningResult, b: ScreeningResult, records: bool = True) -> None:
    for name in ("decisions", "findings", "evidence", "claims"):
        assert_frame_equal(getattr(a, name), getattr(b, name))
    if records:
        assert a.records is not None and b.records is not None
        # streaming keeps only the rows some link could use: those, identical, and every
        # linked row among them
        keys = ["source", "_row"]
        kept = a.records.join(b.records.select(keys), on=keys, how="semi")
        assert_frame_equal(kept.sort(keys), b.records.sort(keys))
        assert b.evidence.join(b.records, on=keys, how="anti").is_empty()
    assert a.skipped == b.skipped
    assert a.input_problems == b.input_problems


@pytest.mark.parametrize("k", [1, 3])
def test_golden_example_equal_in_memory(golden_dir: Path, k: int) -> None:
    _assert_same(Screener().run(golden_dir), screen_partitioned(golden_dir, partitions=k))


def test_without_prefilter_every_record_is_kept(golden_dir: Path) -> None:
    a, b = Screener().run(golden_dir), screen_partitioned(golden_dir, prefilter=False)
    _assert_same(a, b)
    assert a.records is not None and b.records is not None
    assert_frame_equal(a.records, b.records)


def test_exact_only_policy_is_passed_through(golden_dir: Path) -> None:
    policy = Policy(match=MatchPolicy(fuzzy_enabled=False))
    b = screen_partitioned(golden_dir, policy, partitions=2)
    _assert_same(Screener(policy).run(golden_dir), b, records=False)
    assert "fuzzy" not in b.evidence.get_column("match").to_list()
    assert b.records is None  # unlinked rows' names were never converted


def test_missing_table_rules_skipped_like_in_memory(golden_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "no-benefits"
    shutil.copytree(golden_dir, data)
    for p in data.glob("benefits.*"):
        p.unlink()
    a, b = Screener().run(data), screen_partitioned(data, partitions=2)
    _assert_same(a, b)
    assert "PRIOR_BENEFIT" in b.skipped


def test_missing_claims_raises(golden_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "no-claims"
    shutil.copytree(golden_dir, data)
    for p in data.glob("claims.*"):
        p.unlink()
    with pytest.raises(ValidationError):
        screen_partitioned(data)


def test_partitions_must_be_positive(golden_dir: Path) -> None:
    with pytest.raises(InputError):
        screen_partitioned(golden_dir, partitions=0)


@pytest.mark.slow
def test_synthetic_province_equal_in_memory(tmp_path: Path) -> None:
    from dupcheck.synth import generate

    data = tmp_path / "province"
    generate(data, claims=300, people=4000, seed=7, csv_share=0.5)
    a = Screener().run(data)
    b = screen_partitioned(data, partitions=4)
    _assert_same(a, b)
    # large files read in many small blocks give the same result
    _assert_same(a, screen_partitioned(data, partitions=2, block_bytes=4096))
    # a non-trivial world: fuzzy links and several rules fire
    assert (a.evidence.get_column("match") == "fuzzy").any()
    assert a.findings.get_column("rule").n_unique() >= 4
    exact = Policy(match=MatchPolicy(fuzzy_enabled=False))
    _assert_same(Screener(exact).run(data), screen_partitioned(data, exact, partitions=2),
                 records=False)
    _assert_same(Screener(exact).run(data),
                 screen_partitioned(data, exact, partitions=2, block_bytes=4096), records=False)


def test_default_partitions() -> None:
    assert default_partitions(0) == 1
    assert default_partitions(250_000) == 1
    assert default_partitions(250_001) == 2
    assert default_partitions(1_000_000) == 4


@settings(max_examples=25, deadline=None)
@given(ids=st.lists(st.one_of(st.none(), st.text("0123456789X", min_size=1, max_size=18)),
                    min_size=1, max_size=40),
       k=st.integers(1, 9), seed=st.integers(0, 2**16))
def test_partition_of_is_a_function_of_the_id(ids: list[str | None], k: int, seed: int) -> None:
    df = pl.DataFrame({"pid": ids}, schema={"pid": pl.String})
    p1 = df.with_columns(partition_of(pl.col("pid"), k).alias("p"))
    p2 = df.sample(fraction=1.0, shuffle=True, seed=seed).with_columns(
        partition_of(pl.col("pid"), k).alias("p"))
    assert p1.get_column("p").is_between(0, k - 1).all()
    assert p1.filter(pl.col("pid").is_null()).get_column("p").eq(0).all()
    # same id, same partition, whatever the row order
    per_id = pl.concat([p1, p2]).drop_nulls("pid").group_by("pid").agg(pl.col("p").n_unique())
    assert per_id.get_column("p").eq(1).all()
