"""The evidence frame: every claim ↔ reference-record link, built once and read by every rule.

Columns: ``claim_id, source, _row, source_key, match ('id'|'legacy_id'|'fuzzy'), score,
contributions`` (per-field score parts of a fuzzy link as JSON, null for exact links). Exact links
first; fuzzy linkage adds links the normalised id cannot make (mistyped, transposed or invalid
ids, traditional or homophone names). One row per (claim, source, record): the strongest link wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from dupcheck.matchers.exact import exact_links
from dupcheck.policy import MatchPolicy

if TYPE_CHECKING:
    from dupcheck.matchers.fuzzy import NameTotals

__all__ = ["EVIDENCE_SCHEMA", "PERSON_KEY_COLS", "build_evidence", "stack_records"]

EVIDENCE_SCHEMA: dict[str, pl.DataType] = {
    "claim_id": pl.String(),
    "source": pl.String(),
    "_row": pl.Int64(),
    "source_key": pl.String(),
    "match": pl.String(),
    "score": pl.Float64(),
    "contributions": pl.String(),
}

#: Person-key columns that :func:`stack_records` takes from every reference table.
PERSON_KEY_COLS = ["pid", "id_legacy", "id_valid", "id_birth", "id_gender", "name_norm", "name_py"]

_EMPTY_RECORDS: dict[str, pl.DataType] = {
    "source": pl.String(), "_row": pl.Int64(), "source_key": pl.String(), "pid": pl.String(),
    "id_legacy": pl.Boolean(), "id_valid": pl.Boolean(), "id_birth": pl.Date(),
    "id_gender": pl.String(), "name_norm": pl.String(), "name_py": pl.String(),
    "region_code": pl.String(), "phone": pl.String(),
}

_RANK = {"id": 0, "legacy_id": 1, "fuzzy": 2}


def stack_records(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """All person-bearing reference rows in one frame: ``source, _row, source_key`` + person keys."""
    frames = []
    for source, t in sorted(tables.items()):
        if "pid" not in t.columns:
            continue
        extra = [c for c in ("region_code", "phone") if c in t.columns]
        frames.append(
            t.select(
                pl.lit(source).alias("source"), "_row", "source_key", *PERSON_KEY_COLS,
                *[pl.col(c) for c in extra],
            )
        )
    if not frames:
        return pl.DataFrame(schema=_EMPTY_RECORDS)
    return pl.concat(frames, how="diagonal_relaxed")


def build_evidence(
    claims: pl.DataFrame, records: pl.DataFrame, policy: MatchPolicy,
    name_totals: NameTotals | None = None,
) -> pl.DataFrame:
    """Exact and fuzzy links of ``claims`` to ``records`` (see :func:`stack_records`).

    ``records`` may be only the rows a :class:`~dupcheck.matchers.fuzzy.CandidateFilter` keeps,
    with ``name_totals`` counting the names of the whole table: the links are the same.
    """
    exact = exact_links(claims, records).with_columns(
        pl.lit(None, dtype=pl.String).alias("contributions")
    )
    parts = [exact]
    if policy.fuzzy_enabled and records.height:
        from dupcheck.matchers.fuzzy import _links

        fz = _links(claims, records, policy, source_key="source_key" in records.columns,
                    name_totals=name_totals)
        if fz.height:
            contrib = (
                pl.col("contributions")
                if "contributions" in fz.columns
                else pl.lit(None, dtype=pl.String)
            )
            if "contributions" in fz.columns and fz.schema["contributions"] != pl.String:
                contrib = pl.col("contributions").struct.json_encode()
            fz = fz.filter(pl.col("score") >= policy.review_threshold).select(
                "claim_id", "source", pl.col("_row").cast(pl.Int64),
                pl.col("source_key") if "source_key" in fz.columns
                else pl.lit(None, dtype=pl.String).alias("source_key"),
                pl.lit("fuzzy").alias("match"), pl.col("score").cast(pl.Float64),
                contrib.alias("contributions"),
            )
            parts.append(fz.select(exact.columns))
    ev = pl.concat(parts, how="vertical_relaxed")
    rank = pl.col("match").replace_strict(_RANK, return_dtype=pl.Int8)
    ev = (
        ev.sort("claim_id", "source", "_row", rank, pl.col("score"), descending=[False, False, False, False, True])
        .unique(subset=["claim_id", "source", "_row"], keep="first", maintain_order=True)
    )
    return ev.select(list(EVIDENCE_SCHEMA)).cast(EVIDENCE_SCHEMA)  # type: ignore[arg-type]
