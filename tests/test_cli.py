"""Command line: exit codes, one clear line per problem, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dupcheck.cli import app

runner = CliRunner()


def test_missing_folder_is_exit_2_with_one_line(tmp_path: Path) -> None:
    res = runner.invoke(app, ["screen", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "Traceback" not in res.output and "nope" in res.output


def test_internal_error_is_exit_1_without_traceback_or_data(monkeypatch: pytest.MonkeyPatch, golden_dir: Path, tmp_path: Path) -> None:
    import dupcheck.screening as screening

    def boom(self: object, data: object) -> None:
        raise RuntimeError("secret 371502198503140111")

    monkeypatch.setattr(screening.Screener, "run", boom)
    res = runner.invoke(app, ["screen", str(golden_dir), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "internal error" in res.output
    assert "371502198503140111" not in res.output and "Traceback" not in res.output


def test_help_lists_every_contract_command() -> None:
    res = runner.invoke(app, ["--help"])
    for cmd in ("demo", "screen", "graph", "refund", "validate", "synth"):
        assert cmd in res.output


def test_streaming_screen_gives_the_same_decisions(golden_dir: Path, tmp_path: Path) -> None:
    import polars as pl
    from polars.testing import assert_frame_equal

    for flag, out in (([], "a"), (["--streaming"], "b")):
        res = runner.invoke(app, ["screen", str(golden_dir), "--out", str(tmp_path / out), *flag])
        assert res.exit_code == 0, res.output
    assert_frame_equal(pl.read_parquet(tmp_path / "a" / "decisions.parquet"),
                       pl.read_parquet(tmp_path / "b" / "decisions.parquet"))
    bad = runner.invoke(app, ["screen", str(tmp_path / "nope"), "--out", str(tmp_path / "c"),
                              "--streaming"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
