"""Shared fixtures: paths to the hand-made golden example and small temporary worlds."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    """The shared/ folder beside the checkout (CI lays a copy there too)."""
    for cand in (ROOT.parent / "shared", ROOT / "shared"):
        if cand.is_dir():
            return cand
    raise FileNotFoundError("shared/ folder not found beside the repository")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _shared()


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    return _shared() / "examples" / "golden-mini"


@pytest.fixture(scope="session")
def golden_expected() -> Path:
    return _shared() / "examples" / "golden-mini-expected" / "decisions.csv"


# A module that defines a ``province`` fixture (data folder, truth folder) gets these views of it.
@pytest.fixture(scope="module")
def data(province: tuple[Path, Path]) -> dict[str, pl.DataFrame]:
    """The province's tables, read as screening reads them."""
    from dupcheck.io import load

    return load(province[0]).tables


@pytest.fixture(scope="module")
def truth(province: tuple[Path, Path]) -> pl.DataFrame:
    """Expected rules per claim."""
    return pl.read_parquet(province[1] / "claims_truth.parquet")


@pytest.fixture(scope="module")
def links(province: tuple[Path, Path]) -> pl.DataFrame:
    """Every true claim-to-record link."""
    return pl.read_parquet(province[1] / "links.parquet")
