"""``dupcheck validate``: check a data folder against the contract and report, changing nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dupcheck.errors import Problem
from dupcheck.io.dataset import REQUIRED_TABLES, collect

__all__ = ["ValidationReport", "validate"]


@dataclass(slots=True)
class ValidationReport:
    """Every problem found in a data folder, with row and bad-row counts per usable table."""

    folder: Path
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    bad_rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def fatal(self) -> bool:
        """True when at least one table is unusable (the folder cannot be screened)."""
        return any(p.fatal for p in self.problems)

    @property
    def unusable(self) -> list[str]:
        """Files (or the folder) named by a fatal problem, in order of first mention."""
        return list(dict.fromkeys(p.file for p in self.problems if p.fatal))

    def summary(self) -> str:
        """A few human lines: per table its file, rows and bad rows; then the verdict."""
        lines = [f"data folder: {self.folder}"]
        for name, path in self.files.items():
            if name in self.rows:
                lines.append(f"  {name:<20} {path.name:<28} {self.rows[name]:>12,} rows"
                             f"  {self.bad_rows.get(name, 0):>10,} with problems")
            else:
                lines.append(f"  {name:<20} {path.name:<28} unusable")
        n_fatal = sum(p.fatal for p in self.problems)
        if self.fatal:
            lines.append(f"UNUSABLE: {n_fatal} fatal problem(s) in {', '.join(self.unusable)}; "
                         f"{len(self.problems)} problem line(s) in all")
        elif self.problems:
            lines.append(f"OK with {len(self.problems)} problem line(s) "
                         f"({sum(self.bad_rows.values()):,} row(s) with problems)")
        else:
            lines.append("OK: no problems")
        return "\n".join(lines)


def validate(folder: str | Path, *, require: Iterable[str] = REQUIRED_TABLES) -> ValidationReport:
    """Check ``folder`` and collect every problem; never raises for problems in the input."""
    dataset, problems = collect(folder, require=require)
    return ValidationReport(
        folder=Path(folder),
        problems=problems,
        rows=dataset.rows,
        bad_rows=dict(dataset.bad_rows),
        files=dict(dataset.files),
    )
