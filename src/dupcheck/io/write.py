"""Writers: Parquet outputs with optional CSV copies (UTF-8 with BOM, for Excel) and a CSV writer
that neutralises spreadsheet formulas (contract §4, notice.csv)."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

__all__ = ["csv_ready", "write_csv_excel_safe", "write_frames"]

#: Characters that make a spreadsheet treat a cell as a formula (contract §4).
FORMULA_START = ("=", "+", "-", "@")


def csv_ready(df: pl.DataFrame) -> pl.DataFrame:
    """Flatten for CSV: list columns joined with ``;`` (an empty list as an empty cell), other
    nested types as JSON text."""
    exprs: list[pl.Expr] = []
    for name, dtype in df.schema.items():
        if isinstance(dtype, (pl.List, pl.Array)):
            joined = pl.col(name).cast(pl.List(pl.String())).list.join(";")
            exprs.append(pl.when(joined != "").then(joined).alias(name))
        elif isinstance(dtype, pl.Struct):
            exprs.append(pl.col(name).struct.json_encode())
    return df.with_columns(exprs) if exprs else df


def _replace(tmp: Path, target: Path) -> None:
    os.replace(tmp, target)


def write_frames(out: str | Path, frames: dict[str, pl.DataFrame], csv: bool = False) -> list[Path]:
    """Write each frame as ``OUT/<name>.parquet`` (and ``<name>.csv`` with ``csv``); creates OUT.

    Files are written under a temporary name and renamed, so a reader never sees half a file.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, df in frames.items():
        target = folder / f"{name}.parquet"
        tmp = target.with_name(f".{target.name}.tmp")
        df.write_parquet(tmp)
        _replace(tmp, target)
        written.append(target)
        if csv:
            target_csv = folder / f"{name}.csv"
            tmp = target_csv.with_name(f".{target_csv.name}.tmp")
            csv_ready(df).write_csv(tmp, include_bom=True)
            _replace(tmp, target_csv)
            written.append(target_csv)
    return written


def write_csv_excel_safe(df: pl.DataFrame, path: str | Path) -> Path:
    """Write CSV (UTF-8 with BOM) with every cell starting ``=``, ``+``, ``-`` or ``@`` prefixed by
    ``'``, so that a spreadsheet shows it as text instead of running it as a formula."""
    flat = csv_ready(df)
    text = flat.select(pl.col(c).cast(pl.String()) for c in flat.columns)
    pattern = "^[" + "".join("\\" + c for c in FORMULA_START) + "]"
    safe = text.with_columns(
        pl.when(pl.col(c).str.contains(pattern))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text.columns
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    safe.write_csv(tmp, include_bom=True)
    _replace(tmp, target)
    return target
