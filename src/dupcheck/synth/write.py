"""Writing the data folder as real systems would: Parquet or CSV per table, CSVs in UTF-8 (with or
without BOM) or GB18030, dates in mixed formats, Chinese enum labels in some CSVs.

Every choice is drawn from the world's generator, so the bytes are the same for a seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dupcheck.schema import ENUMS, TABLES

__all__ = ["DATE_FORMATS", "write_table"]

#: strftime patterns the contract's readers accept.
DATE_FORMATS = {
    "iso": "%Y-%m-%d", "compact": "%Y%m%d", "slash": "%Y/%m/%d", "chinese": "%Y年%m月%d日",
}
_CHUNK = 400_000


def _text(frame: pl.DataFrame, table: str, rng: np.random.Generator, style: dict[str, Any]) -> pl.DataFrame:
    spec = TABLES[table]
    cols = []
    n = frame.height
    fmts = list(DATE_FORMATS.values())
    row_fmt = pl.Series(rng.integers(0, len(fmts), n)) if style["dates"] == "mixed" else None
    for c in spec.columns:
        col = pl.col(c.name)
        if c.kind == "date":
            if row_fmt is None:
                e = col.dt.strftime(DATE_FORMATS[style["dates"]])
            else:
                e = pl.lit(None, dtype=pl.String)
                for k, f in enumerate(fmts):
                    e = pl.when(pl.lit(row_fmt) == k).then(col.dt.strftime(f)).otherwise(e)
        elif c.kind == "enum" and style["labels"] and c.enum in ENUMS:
            labels = {code: aliases[0] for code, aliases in ENUMS[c.enum].items()}
            e = col.replace_strict(labels, default=col, return_dtype=pl.String)
        elif c.kind == "bool":
            yes, no = style["bools"]
            e = pl.when(col).then(pl.lit(yes)).when(~col).then(pl.lit(no)).otherwise(None)
        else:
            e = col.cast(pl.String)
        cols.append(e.alias(c.name))
    return frame.select(cols)


def write_table(
    frame: pl.DataFrame, table: str, folder: Path, rng: np.random.Generator, csv_share: float
) -> dict[str, Any]:
    """Write one contract table (hidden ``_`` columns dropped, rows shuffled) and return how it
    was written: ``format``, ``encoding``, ``dates``, ``labels``."""
    spec = TABLES[table]
    order = rng.permutation(frame.height)
    frame = frame.select([c.name for c in spec.columns])[order]
    as_csv = bool(rng.random() < csv_share)
    enc = ["utf-8", "utf-8-sig", "gb18030"][int(rng.integers(0, 3))]
    dates = ["iso", "compact", "slash", "chinese", "mixed"][int(rng.integers(0, 5))]
    labels = bool(rng.random() < 0.4)
    bools = [("true", "false"), ("是", "否"), ("Y", "N"), ("1", "0")][int(rng.integers(0, 4))]
    style: dict[str, Any] = {"dates": dates, "labels": labels, "bools": bools}
    for ext in ("csv", "parquet"):
        (folder / f"{table}.{ext}").unlink(missing_ok=True)
    if not as_csv:
        frame.write_parquet(folder / f"{table}.parquet", compression="zstd", statistics=False)
        return {"format": "parquet"}
    text = _text(frame, table, rng, style)
    path = folder / f"{table}.csv"
    with path.open("wb") as fh:
        if enc == "utf-8-sig":
            fh.write(b"\xef\xbb\xbf")
        codec = "gb18030" if enc == "gb18030" else "utf-8"
        for start in range(0, max(text.height, 1), _CHUNK):
            part = text.slice(start, _CHUNK)
            fh.write(part.write_csv(include_header=start == 0).encode(codec))
    return {"format": "csv", "encoding": enc, "dates": dates, "labels": labels,
            "bools": list(bools)}
