"""Raw readers: find the table files of a data folder and read each into a frame of raw columns.

CSV bytes are decoded as UTF-8 (BOM or not), else UTF-16 (with BOM), else GB18030 (a superset of
GBK); every CSV column is read as text. Parquet is read with polars directly, keeping its types.
Column names are matched to the contract case-insensitively after trimming. Coercion to contract
types happens later, in :mod:`dupcheck.io.coerce`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import polars as pl

from dupcheck.errors import Problem
from dupcheck.io._transcode import gb18030_to_utf8
from dupcheck.masking import mask_id
from dupcheck.schema import TABLES, TableSpec

__all__ = [
    "BLOCK_BYTES",
    "RawTable",
    "discover",
    "match_frame",
    "normalize_header",
    "read_csv_raw",
    "read_parquet_raw",
    "read_table",
    "read_table_blocks",
]

_SUFFIXES = (".parquet", ".csv")


@dataclass(slots=True)
class RawTable:
    """A table as read: contract columns found (raw dtype), the file, and the problems so far."""

    name: str
    file: str
    frame: pl.DataFrame | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def fatal(self) -> bool:
        """True when the table cannot be used at all."""
        return any(p.fatal for p in self.problems)


def normalize_header(name: str) -> str:
    """Column-name key: BOM and surrounding whitespace removed, lower case."""
    return name.replace("\ufeff", "").strip().lower()


def discover(folder: Path) -> tuple[dict[str, Path], list[Problem]]:
    """Map each contract table present in ``folder`` to its file; note unknown and clashing files.

    A table given by two files (``claims.csv`` and ``claims.parquet``) is a fatal problem and is
    left out of the map.
    """
    problems: list[Problem] = []
    if not folder.exists():
        return {}, [Problem(str(folder), None, None, None, "data folder does not exist", fatal=True)]
    if not folder.is_dir():
        return {}, [Problem(str(folder), None, None, None, "not a folder", fatal=True)]
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        stem, suffix = path.stem.strip().lower(), path.suffix.lower()
        if path.is_dir():  # a partitioned Parquet dataset (Spark writes claims.parquet/part-*)
            if suffix == ".parquet" and stem in TABLES:
                found.setdefault(stem, []).append(path)
            continue
        if suffix in _SUFFIXES and stem in TABLES:
            found.setdefault(stem, []).append(path)
        else:
            problems.append(Problem(path.name, None, None, None, "not a contract table; ignored"))
    files: dict[str, Path] = {}
    for name, paths in found.items():
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            problems.append(
                Problem(paths[0].name, None, None, None,
                        f"table {name!r} is given by more than one file ({names})", fatal=True)
            )
        else:
            files[name] = paths[0]
    return files, problems


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------


def _utf8_error_at(data: bytes | memoryview, chunk: int = 1 << 24) -> int | None:
    """Offset of the first byte that is not valid UTF-8, or None; decodes in bounded chunks."""
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    view = memoryview(data)
    for start in range(0, len(view), chunk):
        pending = len(dec.getstate()[0])
        try:
            dec.decode(view[start:start + chunk], final=start + chunk >= len(view))
        except UnicodeDecodeError as exc:
            # The error's offset counts the bytes still buffered from the previous chunk.
            return start - pending + exc.start
    return None


def _decode(data: bytes, file: str, utf8_at: int | None = None) -> tuple[bytes | None, str, list[Problem]]:
    """UTF-8 bytes of ``data`` (BOM removed) and the encoding found, or a fatal problem.

    ``utf8_at`` is the offset of the first invalid UTF-8 byte when the caller already knows the
    BOM-less data is not UTF-8 (-1: not UTF-8, offset not yet known); checked here when None.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
        bad = _utf8_error_at(data)
        if bad is not None:
            msg = f"starts with a UTF-8 BOM but is not UTF-8 (invalid byte at offset {bad + 3})"
            return None, "", [Problem(file, None, None, None, msg, fatal=True)]
        return data, "utf-8-sig", []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").encode("utf-8"), "utf-16", []
        except UnicodeDecodeError as exc:
            msg = f"starts with a UTF-16 BOM but is not UTF-16 (invalid byte at offset {exc.start})"
            return None, "", [Problem(file, None, None, None, msg, fatal=True)]
    if utf8_at is None:
        utf8_at = _utf8_error_at(data)
        if utf8_at is None:
            return data, "utf-8", []
    try:
        text = gb18030_to_utf8(data)
    except UnicodeDecodeError as exc:
        if utf8_at < 0:
            utf8_at = _utf8_error_at(data) or 0
        msg = (f"cannot decode: not UTF-8 (invalid byte at offset {utf8_at}) and not GB18030 "
               f"(invalid byte at offset {exc.start})")
        return None, "", [Problem(file, None, None, None, msg, fatal=True)]
    return text.removeprefix(codecs.BOM_UTF8), "gb18030", []


def _parse_csv(utf8: bytes) -> pl.DataFrame:
    """All fields as text, header row included as row 0 (so odd headers survive as written)."""
    return pl.read_csv(utf8, has_header=False, infer_schema=False, separator=_separator(utf8))


def _read_csv_bytes(data: bytes, file: str) -> tuple[pl.DataFrame | None, list[Problem]]:
    """Parse CSV bytes in whichever encoding they are in.

    Fast path: plain UTF-8 goes straight to polars, which validates UTF-8 itself; only when it
    fails are the bytes checked in Python (to tell a GB18030 file from a broken one).
    """
    if not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _parse_csv(data), []
        except pl.exceptions.PolarsError as exc:
            said = str(exc).lower()
            utf8_at: int | None
            if "utf-8" in said or "utf8" in said:
                utf8_at = -1  # not UTF-8; where exactly is found only if GB18030 fails too
            else:
                utf8_at = _utf8_error_at(data)
                if utf8_at is None:  # valid UTF-8, so the CSV itself is broken
                    msg = f"cannot parse CSV: {str(exc).splitlines()[0]}"
                    return None, [Problem(file, None, None, None, msg, fatal=True)]
        utf8, _enc, problems = _decode(data, file, utf8_at)
    else:
        utf8, _enc, problems = _decode(data, file)
    if utf8 is None:
        return None, problems
    try:
        return _parse_csv(utf8), problems
    except pl.exceptions.PolarsError as exc:  # any parse failure makes the table unusable
        msg = f"cannot parse CSV: {str(exc).splitlines()[0]}"
        return None, [*problems, Problem(file, None, None, None, msg, fatal=True)]


def _separator(data: bytes) -> str:
    """Comma unless the header line has tabs (or semicolons) and no comma (Excel text exports)."""
    head = data[: data.find(b"\n")] if b"\n" in data else data
    if b"," not in head:
        if b"\t" in head:
            return "\t"
        if b";" in head:
            return ";"
    return ","


# ---------------------------------------------------------------------------------------------
# Column matching
# ---------------------------------------------------------------------------------------------


def _shown_header(name: str) -> str:
    """A header cell as safe to print: anything with a run of 6+ digits (an id or phone that a
    header-less file put in the header row) is masked like an id."""
    text = name.strip()
    return (mask_id(text) or "") if re.search(r"\d{6,}", text) else text


def _match_columns(
    names: list[str], spec: TableSpec, file: str
) -> tuple[dict[str, str], list[Problem]]:
    """Map contract column -> source column name; report missing required and unknown columns.

    When no header cell names a contract column, the header row is probably data: one fatal
    problem says so instead of echoing (personal) values as column names.
    """
    problems: list[Problem] = []
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for src in names:
        key = normalize_header(src)
        if key in spec.by_name:
            if key in mapping:
                problems.append(Problem(file, None, key, None,
                                        "column appears more than once; the first is used"))
            else:
                mapping[key] = src
        elif key and not key.startswith("column_"):
            unknown.append(src)
    if not mapping and names:
        msg = (f"no contract column in the header row ({len(names)} cells); is the header missing? "
               f"expected names such as {', '.join(c.name for c in spec.columns[:3])}")
        return {}, [Problem(file, None, None, None, msg, fatal=True)]
    problems += [
        Problem(file, None, _shown_header(src), None, "not a contract column; ignored")
        for src in unknown
    ]
    for col in spec.columns:
        if col.required and col.name not in mapping:
            problems.append(Problem(file, None, col.name, None, "required column missing", fatal=True))
    return mapping, problems


# ---------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------


def read_csv_raw(path: Path, spec: TableSpec) -> RawTable:
    """Read a CSV file as text columns named after the contract (others dropped)."""
    file = path.name
    data = path.read_bytes()
    if not data.strip():
        what = "empty file (0 bytes)" if not data else "empty file (no header)"
        return RawTable(spec.name, file, None, [Problem(file, None, None, None, what, fatal=True)])
    frame, problems = _read_csv_bytes(data, file)
    if frame is None:
        return RawTable(spec.name, file, None, problems)
    if frame.height == 0:
        return RawTable(spec.name, file, None,
                        [Problem(file, None, None, None, "empty file (no header)", fatal=True)])
    header = [("" if v is None else str(v)) for v in frame.row(0)]
    # Unnamed header cells get a positional name that cannot clash with contract columns.
    header = [h if h.strip() else f"column_{i}" for i, h in enumerate(header)]
    mapping, col_problems = _match_columns(header, spec, file)
    problems += col_problems
    if any(p.fatal for p in problems):
        return RawTable(spec.name, file, None, problems)
    by_src = dict(zip(header, frame.columns, strict=True))
    body = frame.slice(1).select(pl.col(by_src[src]).alias(name) for name, src in mapping.items())
    return RawTable(spec.name, file, body, problems)


def read_parquet_raw(path: Path, spec: TableSpec) -> RawTable:
    """Read the contract columns of a Parquet file or folder of part files (native dtypes; names
    matched case-insensitively); only those columns are read."""
    raw = next(_parquet_blocks(path, spec, 0))  # one block: the whole file
    if raw.frame is not None:
        raw.frame = raw.frame.drop("_row")
    return raw


def read_table(path: Path, spec: TableSpec) -> RawTable:
    """Read one table file, CSV or Parquet by its suffix."""
    if path.suffix.lower() == ".parquet":
        return read_parquet_raw(path, spec)
    return read_csv_raw(path, spec)


def match_frame(frame: pl.DataFrame, spec: TableSpec, file: str) -> RawTable:
    """Select and rename the contract columns of an in-memory frame (as for files)."""
    mapping, problems = _match_columns(list(frame.columns), spec, file)
    if any(p.fatal for p in problems):
        return RawTable(spec.name, file, None, problems)
    body = frame.select(pl.col(src).alias(name) for name, src in mapping.items())
    return RawTable(spec.name, file, body, problems)


# ---------------------------------------------------------------------------------------------
# Block readers (bounded memory for files of any size)
# ---------------------------------------------------------------------------------------------

#: CSV files larger than this are read in blocks of about this many bytes; Parquet files in
#: blocks of :data:`BLOCK_ROWS` rows.
BLOCK_BYTES = 256 << 20
BLOCK_ROWS = 4_000_000


def _with_rows(raw: RawTable, offset: int) -> RawTable:
    """``raw`` with ``_row`` (0-based data row in the file) as its first column."""
    if raw.frame is not None:
        raw.frame = raw.frame.with_row_index("_row", offset=offset).with_columns(
            pl.col("_row").cast(pl.Int64))
    return raw


_NON_SPACE = re.compile(rb"\S")


class _Blocks:
    """Record-aligned blocks of a CSV file, each read straight into a buffer that starts with the
    header record (so each block parses exactly as the whole file would), with no further copy.

    Quote and newline bytes never occur inside a multi-byte UTF-8 or GB18030 character, so a
    block ends at the first newline after ``size`` bytes that follows an even number of quotes.
    """

    def __init__(self, path: Path, size: int) -> None:
        self.fh = path.open("rb")
        self.size = size
        self.at = 0  # file offset of the next block
        self.head = b""  # the header record, in UTF-8, once known

    def next(self) -> tuple[int, bytearray, int] | None:
        """``(file offset, buffer, start)``: ``buffer[start:]`` holds the file's bytes, and
        ``buffer[:start]`` the header (empty for the first block); None at the end."""
        head, size = self.head, self.size
        h = len(head)
        while True:
            self.fh.seek(self.at)
            buf = bytearray(h + size)
            buf[:h] = head
            n = self.fh.readinto(memoryview(buf)[h:])
            del buf[h + n:]
            if n < size:  # the rest of the file
                break
            cut = _record_end(buf, h)
            if cut > h:
                del buf[cut:]  # in place; the cut-off tail is read again with the next block
                break
            size *= 2  # a record longer than a block
        if _NON_SPACE.search(buf, h) is None:  # the end (or only blank lines); no copy
            self.fh.close()
            return None
        at = self.at
        self.at += len(buf) - h
        return at, buf, h


def _record_end(buf: bytearray, start: int) -> int:
    """Offset just past the last newline of ``buf`` (after ``start``) that ends a CSV record (not
    one inside a quoted field: an even number of quotes since ``start``), or -1."""
    end = len(buf)
    quoted = buf.find(b'"', start) >= 0
    while True:
        nl = buf.rfind(b"\n", start, end)
        if nl < 0 or not quoted or buf.count(b'"', start, nl + 1) % 2 == 0:
            return nl + 1 if nl >= 0 else -1
        end = nl


def _block_text(buf: bytearray, start: int, enc: str | None, file: str,
                at: int) -> tuple[bytes | None, str | None, Problem | None]:
    """``(UTF-8 bytes, encoding, problem)`` of one block: GB18030 transcoded (header kept in
    front), anything else passed on as is (polars checks UTF-8 while parsing, and the caller
    retries as GB18030 when it fails). The encoding is None while every block was ASCII."""
    if enc == "gb18030":
        try:
            return gb18030_to_utf8(memoryview(buf)[start:], bytes(buf[:start])), enc, None
        except UnicodeDecodeError as exc:
            msg = f"cannot decode as GB18030 (invalid byte at offset {at + exc.start})"
            return None, enc, Problem(file, None, None, None, msg, fatal=True)
    return bytes(buf), enc, None


def _parse_block(text: bytes, *, sep: str, index: list[int] | None) -> pl.DataFrame:
    """Text columns (``index``: which, by position) of a block that starts with the header; the
    header fixes the width, as for the whole file (its names are replaced by the caller)."""
    try:
        return pl.read_csv(text, has_header=True, infer_schema=False, separator=sep,
                           columns=index)
    except pl.exceptions.NoDataError:  # a block holding only the header
        return pl.DataFrame(schema={f"column_{i + 1}": pl.String() for i in index or []})


def _first_record_end(buf: bytes | bytearray) -> int:
    """Offset just past the first CSV record of ``buf`` (the header), quotes respected."""
    nl = buf.find(b"\n")
    while nl >= 0 and buf.count(b'"', 0, nl + 1) % 2:
        nl = buf.find(b"\n", nl + 1)
    return len(buf) if nl < 0 else nl + 1


def _csv_blocks(path: Path, spec: TableSpec, size: int,
                columns: Collection[str] | None) -> Iterator[RawTable]:
    """A large CSV file in blocks; the first carries the header's problems.

    Every block is parsed with the header record in front, so each is read exactly as the whole
    file would be (ragged rows included); only the wanted contract ``columns`` are parsed. The
    next block is read and transcoded in a worker thread (file reads and iconv release the GIL)
    while the caller works on the current one.
    """
    file = path.name
    blocks = _Blocks(path, size)
    got = blocks.next()
    if got is None or bytes(got[1][:2]) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        # nothing but blanks, or UTF-16 (rare): read whole, reported as the whole file is
        yield _project(_with_rows(read_csv_raw(path, spec), 0), columns)
        return
    at, buf, start = got
    enc: str | None = None
    if buf.startswith(codecs.BOM_UTF8):
        del buf[: len(codecs.BOM_UTF8)]
        enc = "utf-8"
    sep = _separator(bytes(buf[: 1 << 16]))
    index: list[int] | None = None
    names: list[str] = []
    rows = 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        text, enc, problem = _block_text(buf, start, enc, file, at)
        while True:
            problems: list[Problem] = []
            frame: pl.DataFrame | None = None
            try:
                if at == 0 and problem is None and text is not None:
                    # the header first: its cells say which columns to parse
                    cells, text, enc, problem = _as_utf8(
                        lambda t: pl.read_csv(t[: _first_record_end(t)], has_header=False,
                                              infer_schema=False, separator=sep).row(0),
                        buf, start, text, enc, file, at)
                    if cells is not None and text is not None:
                        blocks.head = text[: _first_record_end(text)]
                        header = [("" if v is None else str(v)) for v in cells]
                        header = [h if h.strip() else f"column_{i}" for i, h in enumerate(header)]
                        mapping, problems = _match_columns(header, spec, file)
                        if any(p.fatal for p in problems):
                            yield RawTable(spec.name, file, None, problems)
                            return
                        pos = {src: i for i, src in reversed(list(enumerate(header)))}
                        chosen = sorted((pos[src], name) for name, src in mapping.items()
                                        if columns is None or name in columns)
                        index, names = [i for i, _ in chosen], [n for _, n in chosen]
                if problem is None and text is not None:
                    frame, text, enc, problem = _as_utf8(
                        partial(_parse_block, sep=sep, index=index), buf, start, text, enc, file, at)
            except pl.exceptions.PolarsError as exc:
                msg = f"cannot parse CSV (block at byte {at}): {str(exc).splitlines()[0]}"
                problem = Problem(file, None, None, None, msg, fatal=True)
            if problem is not None or frame is None:
                yield RawTable(spec.name, file, None, [problem] if problem else [])
                return
            # read and transcode the next block while this one is handed out
            job = pool.submit(_next_text, blocks, enc, file)
            body = frame.select(pl.col(c).alias(n) for c, n in zip(frame.columns, names, strict=True))
            yield _with_rows(RawTable(spec.name, file, body, problems), rows)
            rows += body.height
            nxt = job.result()
            if nxt is None:
                return
            at, buf, start, text, enc, problem = nxt


_T = TypeVar("_T")


def _as_utf8(fn: Callable[[bytes], _T], buf: bytearray, start: int, text: bytes, enc: str | None,
             file: str, at: int) -> tuple[_T | None, bytes | None, str | None, Problem | None]:
    """``fn(text)``; when polars finds the text is not UTF-8 and the encoding is still open,
    the block is transcoded from GB18030 (the file's encoding from then on) and ``fn`` rerun.
    Returns ``(result, text, encoding, problem)``."""
    try:
        return fn(text), text, enc, None
    except pl.exceptions.ComputeError as exc:
        said = str(exc).lower()
        if enc is not None or ("utf-8" not in said and "utf8" not in said):
            raise
    utf8, enc, problem = _block_text(buf, start, "gb18030", file, at)
    if problem is not None or utf8 is None:
        return None, utf8, enc, problem
    return fn(utf8), utf8, enc, None


def _next_text(blocks: _Blocks, enc: str | None, file: str
               ) -> tuple[int, bytearray, int, bytes | None, str | None, Problem | None] | None:
    """The next block of ``blocks`` and its UTF-8 text (None at the end)."""
    got = blocks.next()
    if got is None:
        return None
    at, buf, start = got
    return (at, buf, start, *_block_text(buf, start, enc, file, at))


def _project(raw: RawTable, columns: Collection[str] | None) -> RawTable:
    """``raw`` with only ``_row`` and the wanted contract ``columns`` (all when None)."""
    if raw.frame is not None and columns is not None:
        raw.frame = raw.frame.select(c for c in raw.frame.columns if c == "_row" or c in columns)
    return raw


def _parquet_blocks(path: Path, spec: TableSpec, rows: int) -> Iterator[RawTable]:
    """A Parquet file (or folder of parts) in blocks of ``rows`` rows (one block when 0); a
    problem that makes it unusable is yielded alone."""
    file = path.name
    if path.is_file() and path.stat().st_size == 0:
        yield RawTable(spec.name, file, None,
                       [Problem(file, None, None, None, "empty file (0 bytes)", fatal=True)])
        return
    try:
        lf = pl.scan_parquet(path)
        names = list(lf.collect_schema().names())
        mapping, problems = _match_columns(names, spec, file)
        if any(p.fatal for p in problems):
            yield RawTable(spec.name, file, None, problems)
            return
        cols = [pl.col(src).alias(name) for name, src in mapping.items()]
        if rows <= 0:  # whole
            yield _with_rows(RawTable(spec.name, file, lf.select(cols).collect(), problems), 0)
            return
        total = lf.select(pl.len()).collect().item()
        for start in range(0, max(total, 1), rows):
            frame = lf.slice(start, rows).select(cols).collect()
            yield _with_rows(RawTable(spec.name, file, frame, problems if start == 0 else []), start)
    except (pl.exceptions.PolarsError, OSError) as exc:  # truncated or corrupt file
        msg = f"cannot read Parquet (truncated or corrupt): {str(exc).splitlines()[0]}"
        yield RawTable(spec.name, file, None, [Problem(file, None, None, None, msg, fatal=True)])


def read_table_blocks(path: Path, spec: TableSpec, *, block_bytes: int = BLOCK_BYTES,
                      block_rows: int = BLOCK_ROWS,
                      columns: Collection[str] | None = None) -> Iterator[RawTable]:
    """One table file as blocks of rows, each frame with ``_row`` (the 0-based data row in the
    file); concatenated, the frames equal :func:`read_table`'s. Memory stays about one block,
    whatever the file size; ``columns`` (contract names) limits what is parsed. The first block
    carries the header's problems; a fatal problem (undecodable or unparsable block) is yielded
    alone and ends the iteration: the table is then unusable, as with :func:`read_table`."""
    if path.suffix.lower() == ".parquet":
        for raw in _parquet_blocks(path, spec, block_rows):
            yield _project(raw, columns)
    elif path.stat().st_size <= block_bytes:
        yield _project(_with_rows(read_csv_raw(path, spec), 0), columns)
    else:
        yield from _csv_blocks(path, spec, block_bytes, columns)
