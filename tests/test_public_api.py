"""The public surface: every name in ``dupcheck.__all__`` resolves, and nothing drifts silently."""

from __future__ import annotations

import subprocess
import sys

import dupcheck


def test_every_exported_name_resolves() -> None:
    for name in dupcheck.__all__:
        assert getattr(dupcheck, name) is not None, name


def test_exports_are_exactly_these() -> None:
    assert sorted(dupcheck.__all__) == sorted([
        "ConfigError", "Dataset", "DupcheckError", "InputError", "Policy", "Screener",
        "ScreeningResult", "ValidationError", "__version__", "load", "screen",
    ])


def test_import_stays_light() -> None:
    # heavy optional parts (Spark, Splink, plotting) and the stages are imported lazily
    code = "import sys, dupcheck; print(sorted(m for m in ('splink', 'pyspark', 'duckdb', 'networkx', 'dupcheck.screening') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
