"""The one exception tree of dupcheck.

::

    DupcheckError                 base of everything dupcheck raises on purpose
    ├── InputError                a data folder or file cannot be used (names file, row, column)
    │   └── ValidationError       a table failed validation; carries every problem found
    ├── ConfigError               a policy or option is wrong (bad TOML, unknown field, bad value)
    └── DependencyError           an optional part (Spark, bench extras) is not installed

The command line maps every ``DupcheckError`` to exit status 2 with one line per problem and no
traceback. Messages never contain a full identity number or name: values are masked first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "DependencyError",
    "DupcheckError",
    "InputError",
    "Problem",
    "ValidationError",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input: where it is and what is wrong.

    ``row`` is the 0-based data row (header excluded) or ``None`` for a file-level problem;
    ``value`` is already masked where it is personal.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    fatal: bool = False

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        shown = f" (value {self.value!r})" if self.value not in (None, "") else ""
        return f"{where}: {self.message}{shown}"


class DupcheckError(Exception):
    """Base class of every error dupcheck raises on purpose."""


class InputError(DupcheckError):
    """A data folder or file cannot be used as given."""


class ValidationError(InputError):
    """Validation found problems that make a table unusable; ``problems`` lists all of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        fatal = [p for p in self.problems if p.fatal] or list(self.problems)
        head = "; ".join(str(p) for p in fatal[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(f"{len(self.problems)} input problem(s): {head}{more}")


class ConfigError(DupcheckError):
    """A policy file, option or parameter is invalid."""


class DependencyError(DupcheckError):
    """An optional dependency is missing; the message names the extra to install."""
