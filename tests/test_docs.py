"""The explanations shown in docs/explain.md are what the code prints today."""

from __future__ import annotations

import re
from pathlib import Path

from dupcheck.screening import screen

DOC = Path(__file__).resolve().parents[1] / "docs" / "explain.md"


def test_explain_examples_in_docs_are_current(golden_dir: Path) -> None:
    blocks = re.findall(r"```text\n(.*?)\n```", DOC.read_text(encoding="utf-8"), flags=re.S)
    r = screen(golden_dir)
    current = [r.explain("C13"), r.explain("C11"), r.explain("C01"),
               r.explain_link("C01", "employment", "E014")]
    assert blocks == current
