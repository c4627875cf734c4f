"""Identity normalisation: canonical ids, name keys and contact keys over whole polars columns.

``add_person_keys`` is the entry point the pipeline uses (docs/design.md); the building blocks are
re-exported for matchers, rules and the graph stage.
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from dupcheck.errors import InputError
from dupcheck.normalize.contact import (
    luhn_valid,
    normalize_account,
    normalize_address,
    normalize_phone,
)
from dupcheck.normalize.ids import (
    canonical_id,
    clean_id,
    clean_uscc,
    id_birth_date,
    id_check_char,
    id_gender,
    id_is_valid,
    is_legacy_raw,
    legacy_form,
    person_id_keys,
    region_codes,
    uscc_check_char,
    uscc_is_valid,
)
from dupcheck.normalize.names import (
    SURNAME_READINGS,
    name_keys,
    name_keys_expr,
    name_pinyin,
    name_pinyin_readings,
    normalize_name,
    normalize_name_expr,
    normalize_names,
    pinyin_expr,
    pinyin_readings_expr,
)

__all__ = [
    "PERSON_KEY_COLUMNS",
    "SURNAME_READINGS",
    "add_person_keys",
    "canonical_id",
    "clean_id",
    "clean_uscc",
    "id_birth_date",
    "id_check_char",
    "id_gender",
    "id_is_valid",
    "is_legacy_raw",
    "legacy_form",
    "luhn_valid",
    "name_keys",
    "name_keys_expr",
    "name_pinyin",
    "name_pinyin_readings",
    "normalize_account",
    "normalize_address",
    "normalize_name",
    "normalize_name_expr",
    "normalize_names",
    "normalize_phone",
    "person_id_keys",
    "pinyin_expr",
    "pinyin_readings_expr",
    "region_codes",
    "uscc_check_char",
    "uscc_is_valid",
]

#: Columns added by :func:`add_person_keys`, in order (before the prefix).
PERSON_KEY_COLUMNS: tuple[str, ...] = (
    "pid",
    "id_legacy",
    "id_valid",
    "id_birth",
    "id_gender",
    "name_norm",
    "name_py",
)

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)


def add_person_keys(
    frame: FrameT,
    id_col: str = "id_number",
    name_col: str | None = "name",
    prefix: str = "",
) -> FrameT:
    """Add ``pid, id_legacy, id_valid, id_birth, id_gender, name_norm, name_py`` (each ``prefix``-ed).

    Works on a DataFrame or a LazyFrame and returns the same kind. ``pid`` is the canonical id
    (null for a null or blank id), ``id_legacy``/``id_valid`` are never null. Names are converted
    once per distinct value. ``name_col=None`` skips the two name columns.
    """
    names = frame.collect_schema().names()
    missing = [c for c in (id_col, name_col) if c is not None and c not in names]
    if missing:
        raise InputError(f"add_person_keys: column(s) {', '.join(missing)} not in the frame")
    col = {k: prefix + k for k in PERSON_KEY_COLUMNS}
    tmp_id, tmp_name = f"__{prefix}id_keys__", f"__{prefix}name_keys__"
    first = [person_id_keys(pl.col(id_col).cast(pl.String)).alias(tmp_id)]
    if name_col is not None:
        first.append(name_keys_expr(pl.col(name_col).cast(pl.String)).alias(tmp_name))
    out = frame.with_columns(first)
    id_fields = ("pid", "id_legacy", "id_valid", "id_birth", "id_gender")
    fields = [pl.col(tmp_id).struct.field(f).alias(col[f]) for f in id_fields]
    if name_col is not None:
        fields += [pl.col(tmp_name).struct.field(f).alias(col[f]) for f in ("name_norm", "name_py")]
    out = out.with_columns(fields).drop([tmp_id] + ([tmp_name] if name_col is not None else []))
    added: list[str] = [
        c for k, c in col.items() if name_col is not None or k not in ("name_norm", "name_py")
    ]
    keep: list[str] = [c for c in names if c not in added]
    return out.select([*keep, *added])
