"""Writing the data folder as real systems would: Parquet or CSV per table, CSVs in UTF-8 (with or
without BOM) or GB18030, dates in mixed formats, Chinese enum labels in some CSVs.

Every choice is drawn from the world's generator, so the bytes are the same for a seed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from dupcheck.schema import ENUMS, TABLES

__all__ = ["DATE_FORMATS", "ParquetAppender", "TableSink", "describe", "draw_style", "write_table"]

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


def draw_style(rng: np.random.Generator, csv_share: float) -> dict[str, Any]:
    """How one table is written: ``format`` (csv/parquet), and for CSV its ``encoding``,
    ``dates`` style, Chinese enum ``labels`` and ``bools`` spelling (always drawn, in this order,
    so the generator advances the same way whatever the format)."""
    as_csv = bool(rng.random() < csv_share)
    enc = ["utf-8", "utf-8-sig", "gb18030"][int(rng.integers(0, 3))]
    dates = ["iso", "compact", "slash", "chinese", "mixed"][int(rng.integers(0, 5))]
    labels = bool(rng.random() < 0.4)
    bools = [("true", "false"), ("是", "否"), ("Y", "N"), ("1", "0")][int(rng.integers(0, 4))]
    return {"format": "csv" if as_csv else "parquet", "encoding": enc, "dates": dates,
            "labels": labels, "bools": bools}


def describe(style: dict[str, Any]) -> dict[str, Any]:
    """The manifest entry of a style: the format, and the CSV choices when it is CSV."""
    if style["format"] != "csv":
        return {"format": "parquet"}
    return {"format": "csv", "encoding": style["encoding"], "dates": style["dates"],
            "labels": style["labels"], "bools": list(style["bools"])}


def _contract_rows(frame: pl.DataFrame, table: str, rng: np.random.Generator) -> pl.DataFrame:
    """The contract columns of ``frame`` (hidden ``_`` columns dropped), rows shuffled."""
    order = rng.permutation(frame.height)
    return frame.select([c.name for c in TABLES[table].columns])[order]


def _write_csv(fh: BinaryIO, text: pl.DataFrame, encoding: str, header: bool) -> None:
    codec = "gb18030" if encoding == "gb18030" else "utf-8"
    for start in range(0, max(text.height, 1), _CHUNK):
        part = text.slice(start, _CHUNK)
        if part.height or (header and start == 0):
            fh.write(part.write_csv(include_header=header and start == 0).encode(codec))


def _clear(folder: Path, table: str) -> None:
    for ext in ("csv", "parquet"):
        path = folder / f"{table}.{ext}"
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def write_table(
    frame: pl.DataFrame, table: str, folder: Path, rng: np.random.Generator, csv_share: float
) -> dict[str, Any]:
    """Write one contract table (hidden ``_`` columns dropped, rows shuffled) and return how it
    was written: ``format``, ``encoding``, ``dates``, ``labels``."""
    frame = _contract_rows(frame, table, rng)
    style = draw_style(rng, csv_share)
    _clear(folder, table)
    if style["format"] == "parquet":
        frame.write_parquet(folder / f"{table}.parquet", compression="zstd", statistics=False)
        return describe(style)
    text = _text(frame, table, rng, style)
    with (folder / f"{table}.csv").open("wb") as fh:
        if style["encoding"] == "utf-8-sig":
            fh.write(b"\xef\xbb\xbf")
        _write_csv(fh, text, style["encoding"], header=True)
    return describe(style)


class ParquetAppender:
    """One Parquet file written a part at a time (a row group or more per part), so a table
    larger than memory is never held whole; later parts are cast to the first part's schema."""

    def __init__(self, path: Path, compression: str = "zstd") -> None:
        self.path = path
        self.compression = compression
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def add(self, frame: pl.DataFrame) -> None:
        """Append ``frame``'s rows (the first call fixes the schema)."""
        table = frame.to_arrow()
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression=self.compression,
                                            write_statistics=False)
        else:
            table = table.cast(self._writer.schema)
        self._writer.write_table(table)
        self.rows += frame.height

    def close(self) -> None:
        """Finish the file (its footer); an appender that got nothing writes nothing."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class TableSink:
    """One contract table of a sharded province: every shard's rows go to ONE file in the
    province's style (CSV: header once, a BOM only at the start, one encoding; Parquet: one
    file, a row group or more per shard). Rows are shuffled within each shard."""

    def __init__(self, folder: Path, table: str, style: dict[str, Any]) -> None:
        self.table = table
        self.style = style
        self.rows = 0
        self._started = False
        _clear(folder, table)
        self._csv: BinaryIO | None = None
        self._parquet: ParquetAppender | None = None
        if style["format"] == "parquet":
            self._parquet = ParquetAppender(folder / f"{table}.parquet")
        else:
            self._csv = (folder / f"{table}.csv").open("wb")
            if style["encoding"] == "utf-8-sig":
                self._csv.write(b"\xef\xbb\xbf")

    def add(self, frame: pl.DataFrame, rng: np.random.Generator) -> None:
        """Append one shard's rows (shuffled, and for CSV rendered, with ``rng``)."""
        first, self._started = not self._started, True
        rows = _contract_rows(frame, self.table, rng)
        if self._parquet is not None:
            if rows.height or first:
                self._parquet.add(rows)
        elif self._csv is not None:
            _write_csv(self._csv, _text(rows, self.table, rng, self.style), self.style["encoding"],
                       header=first)
        self.rows += rows.height

    def close(self) -> dict[str, Any]:
        """Finish the file; returns the manifest entry (style and ``rows``)."""
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        return describe(self.style) | {"rows": self.rows}
