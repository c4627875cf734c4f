"""The typed, validated input of every stage: :class:`Dataset` and :func:`load`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dupcheck.errors import Problem, ValidationError
from dupcheck.io.coerce import coerce_table
from dupcheck.io.read import RawTable, discover, match_frame, normalize_header, read_table
from dupcheck.schema import TABLES

__all__ = ["REQUIRED_TABLES", "Dataset", "collect", "collect_frames", "load"]

#: Tables that must be present in a data folder (contract §1: only claims).
REQUIRED_TABLES: tuple[str, ...] = tuple(name for name, spec in TABLES.items() if spec.required)


@dataclass(slots=True)
class Dataset:
    """Contract tables in contract dtypes (``_row`` added; claims with ``_problems``).

    ``problems`` holds every non-fatal problem found; ``bad_rows`` the number of rows per table
    with at least one problem (rows are kept, never dropped).
    """

    folder: Path | None
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    bad_rows: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pl.DataFrame:
        """The table ``name``; KeyError naming the tables present when it is absent."""
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"table {name!r} not in dataset (present: {sorted(self.tables)})") from None

    def get(self, name: str) -> pl.DataFrame | None:
        """The table ``name``, or None when the data folder has no such table."""
        return self.tables.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    @property
    def rows(self) -> dict[str, int]:
        """Row count per table present."""
        return {name: frame.height for name, frame in self.tables.items()}

    @classmethod
    def from_frames(
        cls, *, require: Iterable[str] = (), **frames: pl.DataFrame | pl.LazyFrame
    ) -> Dataset:
        """Build a Dataset from in-memory frames (text or typed columns), coerced and checked as
        files are; raises ValidationError when a table is unusable. No table is required unless
        named in ``require``."""
        dataset, problems = collect_frames(frames, require=require)
        if any(p.fatal for p in problems):
            raise ValidationError(problems)
        return dataset


def _finish(
    dataset: Dataset, raws: Iterable[RawTable], problems: list[Problem]
) -> tuple[Dataset, list[Problem]]:
    """Coerce each readable raw table into ``dataset``; gather every problem in file order."""
    for raw in raws:
        problems += raw.problems
        if raw.frame is None or raw.fatal:
            continue
        try:
            coerced = coerce_table(raw.frame, TABLES[raw.name], raw.file)
        except pl.exceptions.PolarsError as exc:  # e.g. a Binary column that is not UTF-8
            msg = f"cannot convert to the contract types: {str(exc).splitlines()[0]}"
            problems.append(Problem(raw.file, None, None, None, msg, fatal=True))
            continue
        problems += coerced.problems
        if coerced.frame is not None:
            dataset.tables[raw.name] = coerced.frame
            dataset.bad_rows[raw.name] = coerced.bad_rows
    dataset.problems = [p for p in problems if not p.fatal]
    return dataset, problems


def _missing_tables(present: Iterable[str], require: Iterable[str], where: str) -> list[Problem]:
    have = set(present)
    return [
        Problem(where, None, None, None, f"required table {name!r} is missing", fatal=True)
        for name in require if name not in have
    ]


def collect(folder: str | Path, *, require: Iterable[str] = REQUIRED_TABLES) -> tuple[Dataset, list[Problem]]:
    """Read and check a data folder without raising: the usable part and *all* problems."""
    path = Path(folder)
    files, problems = discover(path)
    if any(p.fatal for p in problems) and not files:
        return Dataset(path), problems
    clashing = {n for n in TABLES if any(p.fatal and f"table {n!r}" in p.message for p in problems)}
    problems += _missing_tables(set(files) | clashing, require, str(path))
    dataset = Dataset(path, files=dict(sorted(files.items())))
    raws = (read_table(files[name], TABLES[name]) for name in TABLES if name in files)
    return _finish(dataset, raws, problems)


def collect_frames(
    frames: Mapping[str, pl.DataFrame | pl.LazyFrame], *, require: Iterable[str] = ()
) -> tuple[Dataset, list[Problem]]:
    """As :func:`collect`, for in-memory frames keyed by table name (case-insensitive)."""
    problems: list[Problem] = []
    named: dict[str, pl.DataFrame] = {}
    for key, given in frames.items():
        frame = given.collect() if isinstance(given, pl.LazyFrame) else given
        name = normalize_header(key)
        if name not in TABLES:
            problems.append(Problem(key, None, None, None, "not a contract table; ignored"))
        elif name in named:
            problems.append(Problem(key, None, None, None,
                                    f"table {name!r} given more than once", fatal=True))
        else:
            named[name] = frame
    problems += _missing_tables(named, require, "<frames>")
    raws = (match_frame(named[n], TABLES[n], n) for n in TABLES if n in named)
    return _finish(Dataset(None), raws, problems)


def load(folder: str | Path | Dataset, *, require: Iterable[str] = REQUIRED_TABLES) -> Dataset:
    """Read a data folder into a :class:`Dataset` (a Dataset is returned as is).

    Raises ValidationError (with every problem) when a table is unusable: ``claims`` (or another
    table in ``require``) absent, a required column missing, an empty, truncated or undecodable
    file. Other problems are attached to the Dataset.
    """
    if isinstance(folder, Dataset):
        return folder
    dataset, problems = collect(folder, require=require)
    if any(p.fatal for p in problems):
        raise ValidationError(problems)
    return dataset
