"""Block reading: a file read in blocks equals the file read whole, whatever the block size."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from dupcheck.io.read import read_table, read_table_blocks
from dupcheck.schema import TABLES

SPEC = TABLES["employment"]
HEADER = "record_id,id_number,name,employer_id,start_date,end_date\n"
ROWS = [
    'E1,110101199003074514,张三,U1,2020-01-01,',
    'E2,110101199003074514,"李,四",U2,2020/02/01,2021-01-01',
    'E3,11010119900307451X,"王""五""\n（多行）",U3,2020年03月01日,',
    'E4,,赵六,U4,20200401,2020-05-01',
    'E5,110101900307451,Smith,U5,2020-05-01,',
]


def _whole(path: Path) -> pl.DataFrame:
    raw = read_table(path, SPEC)
    assert raw.frame is not None
    return raw.frame.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))


def _blocks(path: Path, size: int, rows: int = 2) -> pl.DataFrame:
    parts = list(read_table_blocks(path, SPEC, block_bytes=size, block_rows=rows))
    assert all(p.frame is not None and not p.fatal for p in parts)
    return pl.concat([p.frame for p in parts if p.frame is not None])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("size", [16, 40, 97, 10_000])
def test_csv_blocks_equal_whole_file(tmp_path: Path, encoding: str, size: int) -> None:
    path = tmp_path / "employment.csv"
    path.write_bytes((HEADER + "\n".join(ROWS) + "\n").encode(encoding))
    assert_frame_equal(_blocks(path, size), _whole(path))


def test_gb18030_found_after_ascii_blocks(tmp_path: Path) -> None:
    """Blocks of plain ASCII say nothing about the encoding; the first Chinese block decides."""
    ascii_rows = [f"A{i},110101199003074514,Li,U,2020-01-01," for i in range(50)]
    path = tmp_path / "employment.csv"
    path.write_bytes((HEADER + "\n".join(ascii_rows + ROWS) + "\n").encode("gb18030"))
    got = _blocks(path, 64)
    assert_frame_equal(got, _whole(path))
    assert "张三" in got.get_column("name").to_list()


def test_undecodable_block_is_fatal_with_offset(tmp_path: Path) -> None:
    path = tmp_path / "employment.csv"
    good = (HEADER + "\n".join(ROWS[:1] * 20) + "\n").encode("gb18030")
    path.write_bytes(good + b"E9,1,\xff\xff\xff,U,2020-01-01,\n")
    parts = list(read_table_blocks(path, SPEC, block_bytes=64))
    assert parts[-1].fatal and parts[-1].frame is None
    assert "offset" in parts[-1].problems[0].message


def test_missing_required_column_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "employment.csv"
    path.write_text("record_id,name\n" + "E1,张三\n" * 30, encoding="utf-8")
    parts = list(read_table_blocks(path, SPEC, block_bytes=32))
    assert len(parts) == 1 and parts[0].fatal


def test_parquet_blocks_equal_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "employment.parquet"
    pl.DataFrame({
        "record_id": [f"E{i}" for i in range(7)], "id_number": ["110101199003074514"] * 7,
        "name": ["张三"] * 7, "start_date": ["2020-01-01"] * 7, "extra": list(range(7)),
    }).write_parquet(path)
    assert_frame_equal(_blocks(path, 1, rows=3), _whole(path))


@settings(max_examples=30, deadline=None)
@given(cells=st.lists(st.tuples(st.text(alphabet='ab,"\n 张王', max_size=6),
                                st.text(alphabet="0123456789X", max_size=18)),
                      min_size=1, max_size=25),
       size=st.integers(8, 200), encoding=st.sampled_from(["utf-8", "gb18030"]))
def test_any_quoting_any_block_size(tmp_path_factory: pytest.TempPathFactory,
                                    cells: list[tuple[str, str]], size: int, encoding: str) -> None:
    frame = pl.DataFrame({"record_id": [f"R{i}" for i in range(len(cells))],
                          "name": [c[0] for c in cells], "id_number": [c[1] for c in cells],
                          "start_date": ["2020-01-01"] * len(cells)})
    path = tmp_path_factory.mktemp("b") / "employment.csv"
    path.write_bytes(frame.write_csv().encode(encoding))
    assert_frame_equal(_blocks(path, size), _whole(path))


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
       junk=st.binary(max_size=4), cut=st.integers(0, 200))
def test_transcoder_agrees_with_python_codec(text: str, junk: bytes, cut: int) -> None:
    """iconv (when present) and the Python codec give the same text and the same error offset."""
    from dupcheck.io._transcode import gb18030_to_utf8

    data = text.encode("gb18030")
    data = data[:cut] + junk + data[cut:]
    try:
        want: bytes | int = data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError as exc:
        want = exc.start
    try:
        got: bytes | int = gb18030_to_utf8(data)
    except UnicodeDecodeError as exc:
        got = exc.start
    if isinstance(want, bytes) and isinstance(got, bytes) and got != want:
        # GB18030-2022 (glibc) maps a few codes that the 2005 table (Python) put in the Private
        # Use Area to their real characters; only those may differ
        w, g = want.decode(), got.decode()
        assert len(w) == len(g)
        assert all(a == b or 0xE000 <= ord(a) <= 0xF8FF for a, b in zip(w, g, strict=True))
    else:
        assert got == want


def test_transcoder_falls_back_to_python(monkeypatch: pytest.MonkeyPatch) -> None:
    from dupcheck.io import _transcode

    monkeypatch.setattr(_transcode, "_iconv", lambda: None)
    assert _transcode.gb18030_to_utf8("张三·𠀀".encode("gb18030")) == "张三·𠀀".encode()
    with pytest.raises(UnicodeDecodeError):
        _transcode.gb18030_to_utf8(b"ab\xff")


def test_ragged_rows_at_block_starts_read_as_whole(tmp_path: Path) -> None:
    """A short or long row that opens a block is padded or rejected exactly as in the whole file."""
    path = tmp_path / "employment.csv"
    rows = [f"E{i},110101199003074514,张三,U,2020-01-01,2021-01-01" for i in range(40)]
    rows[10] = "E10,110101199003074514"  # short: padded with nulls
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    for size in (50, 64, 120):
        assert_frame_equal(_blocks(path, size), _whole(path))


def test_columns_limit_what_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "employment.csv"
    path.write_bytes((HEADER + "\n".join(ROWS) + "\n").encode("gb18030"))
    for size in (40, 10_000):
        parts = list(read_table_blocks(path, SPEC, block_bytes=size, columns={"id_number", "name"}))
        got = pl.concat([p.frame for p in parts if p.frame is not None])
        assert got.columns == ["_row", "id_number", "name"]
        assert_frame_equal(got, _whole(path).select("_row", "id_number", "name"))
