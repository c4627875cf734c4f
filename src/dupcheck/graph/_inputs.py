"""Input adapter and private normalisation for the graph stage.

Accepts a data folder, a ``dupcheck.io.Dataset`` or a plain ``dict[str, pl.DataFrame]`` of
contract tables, and prepares the typed frames the graph builder and detectors share: person keys
(``pid``), normalised contacts, claimed periods and the spell table. Shared normalisers from
``dupcheck.normalize`` are used when present; the private fallbacks here keep the stage testable on
its own (strip/upper-case ids, digit-only phones, space-free accounts and addresses).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from dupcheck.normalize import (
    add_person_keys,
    normalize_account,
    normalize_address,
    normalize_phone,
)
from dupcheck.policy import Policy
from dupcheck.schema import TABLES

__all__ = ["Prepared", "as_tables", "prepare"]

_FAR = date(9999, 12, 31)


def as_tables(data: Any) -> dict[str, pl.DataFrame]:
    """Contract tables from a folder path, a ``Dataset`` or a dict of frames, contract-typed.

    Dicts go through the readers' own coercion (``Dataset.from_frames``), so in-memory frames and
    files are typed identically.
    """
    from dupcheck.io import Dataset, load

    if isinstance(data, Dataset):
        return dict(data.tables)
    if isinstance(data, dict):
        return dict(Dataset.from_frames(**data).tables)
    if isinstance(data, (str, Path)):
        return dict(load(Path(data)).tables)
    raise TypeError(f"cannot read graph input of type {type(data).__name__}")


def person_keys(frame: pl.DataFrame, id_col: str = "id_number", name_col: str | None = "name") -> pl.DataFrame:
    """Add ``pid, id_valid, id_birth, id_gender`` (and ``name_norm`` unless ``name_col`` is None),
    computed once per distinct (id, name) value and joined back."""
    cols = [id_col] if name_col is None else [id_col, name_col]
    if name_col is not None and name_col not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name_col))
    want = ["pid", "id_valid", "id_birth", "id_gender"] + ([] if name_col is None else ["name_norm"])
    keys = add_person_keys(frame.select(cols).unique(), id_col=id_col, name_col=name_col)
    return frame.join(keys.select(*cols, *want), on=cols, how="left", nulls_equal=True,
                      maintain_order="left")


def pid_only(frame: pl.DataFrame, id_col: str = "id_number") -> pl.Series:
    """The canonical person key alone, fast: an id already in canonical form (17 digits and a
    check character) is its own key; only the other distinct values go through the normaliser."""
    ids = frame.get_column(id_col).cast(pl.String)
    clean = ids.str.contains(r"^[0-9]{17}[0-9X]$").fill_null(False)
    dirty = ids.filter(~clean).drop_nulls().unique()
    if dirty.len() == 0:
        return ids.alias("pid")
    keys = person_keys(pl.DataFrame({id_col: dirty}), id_col, None).get_column("pid")
    mapped = ids.replace_strict(dirty, keys, default=None, return_dtype=pl.String)
    return pl.select(pl.when(clean).then(ids).otherwise(mapped)).to_series().alias("pid")


#: Contact keys are the project's one normalisation, shared with screening and the refund audit.
norm_phone = normalize_phone
norm_account = normalize_account
norm_address = normalize_address


def norm_uscc(e: pl.Expr) -> pl.Expr:
    """Normalised USCC: NFKC, no whitespace, upper case; empty -> null."""
    d = e.str.normalize("NFKC").str.replace_all(r"\s", "").str.to_uppercase()
    return pl.when(d.str.len_chars() > 0).then(d)


def on_unique(frame: pl.DataFrame, exprs: dict[str, tuple[str, Callable[[pl.Expr], pl.Expr]]]) -> pl.DataFrame:
    """Select ``alias -> (column, normaliser)`` computing each normaliser once per distinct value
    (ids and contacts repeat across millions of rows)."""
    out = []
    for alias, (col, fn) in exprs.items():
        u = frame.get_column(col).unique().drop_nulls()
        mapped = pl.DataFrame({"k": u}).select(fn(pl.col("k"))).to_series()
        out.append(frame.get_column(col).replace_strict(u, mapped, default=None,
                                                        return_dtype=pl.String).alias(alias))
    return pl.DataFrame(out)


# ------------------------------------------------------------------------------------------------
# prepared frames
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """The typed, normalised frames every detector reads (built once per analysis).

    ``claims``: claim_id, pid, id_valid, id_birth, id_gender, name_norm, claim_date, p_start,
    p_end, phone, account, agency_id, last_employer_id. ``spells``: pid, employer_id, agency_id,
    start, end, source ('employment'|'dispatch'), source_key. ``dispatch``: the dispatch relations
    (dispatch table, or employment rows with an agency when there is no dispatch table).
    ``enterprises``: enterprise_id, ekind ('agency'|'unit'), size_class, legal_rep (pid),
    legal_rep_name, phone, account, address, plus refund ``applications``.
    """

    claims: pl.DataFrame
    spells: pl.DataFrame
    dispatch: pl.DataFrame
    enterprises: pl.DataFrame
    applications: pl.DataFrame
    legal_reps: pl.DataFrame


def _empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def _table(tables: dict[str, pl.DataFrame], name: str) -> pl.DataFrame:
    if name in tables:
        return tables[name]
    return _empty(TABLES[name].schema)


def _key(frame: pl.DataFrame, key: str | None) -> pl.Expr:
    """A row's source_key: its record_id, else its 0-based row number."""
    row = pl.col("_row").cast(pl.String) if "_row" in frame.columns else pl.int_range(pl.len()).cast(pl.String)
    if key and key in frame.columns:
        return pl.coalesce(pl.col(key), row)
    return row


def _claim_period_end(claims: pl.DataFrame, spells: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Claimed period end per contract §4 (entitlement default; ui_benefit by contribution years)."""
    sp = policy.screening
    contrib = (
        claims.select("claim_id", "pid", "claim_date")
        .join(spells.filter(pl.col("source") == "employment").select("pid", "start", "end"), on="pid")
        .filter(pl.col("start") <= pl.col("claim_date"))
        .with_columns(
            days=(pl.min_horizontal(pl.col("end").fill_null(_FAR), pl.col("claim_date")) - pl.col("start"))
            .dt.total_days()
            .clip(0)
            + 1
        )
        .group_by("claim_id")
        .agg(years=pl.col("days").sum() / 365.25)
    )
    tiers = sorted(sp.ui_benefit_months)
    months_ui = pl.lit(12, dtype=pl.Int64)
    for min_years, n_months in tiers:
        months_ui = pl.when(pl.col("years") >= min_years).then(pl.lit(n_months, dtype=pl.Int64)).otherwise(months_ui)
    months_ui = pl.when(pl.col("years").is_null()).then(pl.lit(12, dtype=pl.Int64)).otherwise(months_ui)
    months = (
        pl.when(pl.col("benefit_type") == "ui_benefit")
        .then(months_ui)
        .otherwise(pl.col("benefit_type").replace_strict(sp.entitlement_months, default=6, return_dtype=pl.Int64))
    )
    out = claims.join(contrib, on="claim_id", how="left").with_columns(_m=months)
    return out.with_columns(
        p_end=pl.coalesce(
            pl.col("period_end"),
            pl.col("p_start").dt.offset_by(pl.format("{}mo", pl.col("_m"))) - pl.duration(days=1),
        )
    ).drop("years", "_m")


def _relink(spells: pl.DataFrame, links: pl.DataFrame | None, claims: pl.DataFrame) -> pl.DataFrame:
    """Re-key spells that the linkage evidence ties to a claim (fuzzy links through a mistyped
    or transposed id) to that claimant's person key; unambiguous links only."""
    if links is None or not {"claim_id", "source", "source_key"} <= set(links.columns) or spells.height == 0:
        return spells
    lk = (
        links.filter(pl.col("source").is_in(["employment", "dispatch"]))
        .select(pl.col("source").cast(pl.String), pl.col("source_key").cast(pl.String),
                pl.col("claim_id").cast(pl.String))
        .join(claims.select("claim_id", pl.col("pid").alias("_lpid")), on="claim_id")
        .group_by("source", "source_key")
        .agg(pl.col("_lpid").drop_nulls().unique())
        .filter(pl.col("_lpid").list.len() == 1)
        .with_columns(pl.col("_lpid").list.first())
    )
    return spells.join(lk, on=["source", "source_key"], how="left", maintain_order="left").with_columns(
        pid=pl.coalesce("_lpid", "pid")).drop("_lpid")


def prepare(tables: dict[str, pl.DataFrame], policy: Policy, links: pl.DataFrame | None = None) -> Prepared:
    """Normalise the contract tables into the frames of :class:`Prepared`; ``links`` (linkage
    evidence or findings: ``claim_id, source, source_key``) re-keys fuzzily linked spells."""
    c = person_keys(_table(tables, "claims"))
    claims = c.select(
        pl.col("claim_id").cast(pl.String),
        "pid", "id_valid", "id_birth", "id_gender", "name_norm", "benefit_type", "claim_date",
        pl.coalesce("period_start", "claim_date").alias("p_start"),
        "period_end",
        norm_phone(pl.col("phone")).alias("phone"),
        norm_account(pl.col("bank_account")).alias("account"),
        norm_uscc(pl.col("agency_id")).alias("agency_id"),
        norm_uscc(pl.col("last_employer_id")).alias("last_employer_id"),
        pl.coalesce(pl.col("birth_date"), pl.col("id_birth")).alias("birth"),
        pl.coalesce(pl.col("gender"), pl.col("id_gender")).alias("gender"),
    ).filter(pl.col("claim_id").is_not_null())

    emp = _table(tables, "employment")
    emp = emp.with_columns(pid_only(emp))
    emp_sp = emp.select(
        "pid",
        *on_unique(emp, {"employer_id": ("employer_id", norm_uscc),
                         "agency_id": ("agency_id", norm_uscc)}),
        pl.col("start_date").alias("start"),
        pl.col("end_date").alias("end"),
        pl.lit("employment").alias("source"),
        _key(emp, "record_id").alias("source_key"),
    )
    dsp_raw = _table(tables, "dispatch")
    dsp = dsp_raw.with_columns(pid_only(dsp_raw))
    dsp_sp = dsp.select(
        "pid",
        *on_unique(dsp, {"employer_id": ("employer_id", norm_uscc),
                         "agency_id": ("agency_id", norm_uscc)}),
        pl.col("start_date").alias("start"),
        pl.col("end_date").alias("end"),
        pl.lit("dispatch").alias("source"),
        _key(dsp, "record_id").alias("source_key"),
    )
    emp_sp = _relink(emp_sp, links, claims)
    dsp_sp = _relink(dsp_sp, links, claims)
    spells = pl.concat([emp_sp, dsp_sp]).filter(pl.col("pid").is_not_null() & pl.col("start").is_not_null())
    dispatch = (
        dsp_sp if dsp_sp.height > 0 else emp_sp.filter(pl.col("agency_id").is_not_null()).with_columns(source=pl.lit("employment"))
    ).filter(pl.col("pid").is_not_null() & pl.col("agency_id").is_not_null() & pl.col("start").is_not_null())

    claims = _claim_period_end(claims, spells, policy)

    ent = _table(tables, "enterprises")
    rep = person_keys(ent.select("enterprise_id", "legal_rep_id", "legal_rep_name"), "legal_rep_id", "legal_rep_name")
    agencies_seen = pl.concat(
        [
            claims.select(pl.col("agency_id").alias("e")),
            spells.select(pl.col("agency_id").alias("e")),
        ]
    ).drop_nulls().unique()
    enterprises = (
        ent.select(
            norm_uscc(pl.col("enterprise_id")).alias("enterprise_id"),
            "name", "kind", "size_class",
            norm_phone(pl.col("phone")).alias("phone"),
            norm_account(pl.col("bank_account")).alias("account"),
            norm_address(pl.col("address")).alias("address"),
        )
        .with_columns(legal_rep=rep.get_column("pid"), legal_rep_name=rep.get_column("name_norm"))
        .filter(pl.col("enterprise_id").is_not_null())
        .unique("enterprise_id", keep="first", maintain_order=True)
        .with_columns(
            ekind=pl.when(
                (pl.col("kind") == "dispatch_agency") | pl.col("enterprise_id").is_in(agencies_seen.get_column("e").implode())
            )
            .then(pl.lit("agency"))
            .otherwise(pl.lit("unit"))
        )
    )
    legal_reps = rep.with_columns(enterprise_id=norm_uscc(pl.col("enterprise_id"))).filter(
        pl.col("pid").is_not_null()
    )

    apps_raw = _table(tables, "refund_applications")
    applications = apps_raw.select(
        pl.col("application_id").cast(pl.String),
        norm_uscc(pl.col("enterprise_id")).alias("enterprise_id"),
        "year",
        "covered_units",
        "insured_prev_year_end",
    )
    return Prepared(
        claims=claims,
        spells=spells,
        dispatch=dispatch,
        enterprises=enterprises,
        applications=applications,
        legal_reps=legal_reps,
    )
