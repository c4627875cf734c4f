"""Shared fixtures: paths to the hand-made golden example and small temporary worlds."""

from __future__ import annotations

from pathlib import Path

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
