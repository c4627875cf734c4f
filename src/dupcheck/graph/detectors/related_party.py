"""RELATED_PARTY: an agency and the units it serves, or several refund applicants of one policy
year, under common control.

Method. Common-control keys (see ``Context.control_keys``): the same legal representative, or the
same phone or account within the hub cap and not allow-listed; a shared address alone never
counts. (a) Served pairs (agency → unit from dispatch relations, dispatch spells and refund
``covered_units``) are joined to both ends' keys on (unit, key): no pair explosion. One alert per
agency. (b) Applicants of one year are linked through shared keys and grouped by connected
components (engine); groups of two or more alert. Score: 1 − Π(1 − 0.6·s) over the distinct keys
shared, with s = 1.0 legal rep, 0.9 account, 0.75 phone.
"""

from __future__ import annotations

import polars as pl

from dupcheck.graph.detectors._common import (
    CONTROL_STRENGTH,
    Context,
    component_groups,
    empty_alerts,
)

PATTERN = "RELATED_PARTY"


def _key_entity(e: pl.Expr) -> pl.Expr:
    """Control key as a contract entity (a legal representative is a ``person``)."""
    return e.str.replace(r"^legal_rep:", "person:")


def _score(keys: pl.Expr) -> pl.Expr:
    """1 − Π(1 − 0.6·strength) over a list of key strings."""
    s = keys.list.eval(
        pl.element().str.split_exact(":", 1).struct.field("field_0")
        .replace_strict(CONTROL_STRENGTH, default=0.5, return_dtype=pl.Float64)
    )
    return 1.0 - s.list.eval((1.0 - 0.6 * pl.element()).log()).list.sum().exp()


def applicant_groups(ctx: Context, apps: pl.DataFrame) -> pl.DataFrame:
    """Groups of same-year applicants under common control: ``year, group, enterprise_id, keys``.

    ``apps`` needs ``enterprise_id, year``; ``keys`` lists the keys each member shares with
    another member of its year."""
    keys = ctx.control_keys()
    a = apps.select("enterprise_id", "year").unique().join(keys, on="enterprise_id")
    shared = a.group_by("year", "key").agg(n=pl.col("enterprise_id").n_unique()).filter(pl.col("n") >= 2)
    a = a.join(shared.select("year", "key"), on=["year", "key"], how="semi")
    if a.height == 0:
        return pl.DataFrame(schema={"year": pl.Int64, "group": pl.String, "enterprise_id": pl.String,
                                    "keys": pl.List(pl.String)})
    m = a.with_columns(
        item=pl.format("{}|{}", pl.col("year"), pl.col("enterprise_id")),
        link=pl.format("{}|{}", pl.col("year"), pl.col("key")),
    )
    grp = component_groups(ctx.engine, m, "item", "link")
    m = m.join(grp, on="item")
    return m.group_by("year", "group", "enterprise_id").agg(keys=pl.col("key").unique().sort())


def detect(ctx: Context) -> pl.DataFrame:
    """Alerts for agency–unit pairs and same-year applicant groups under common control."""
    p = ctx.prep
    keys = ctx.control_keys()
    out: list[pl.DataFrame] = []
    served = pl.concat([
        p.spells.select("agency_id", pl.col("employer_id").alias("unit")),
        p.applications.filter(pl.col("covered_units").is_not_null()).select(
            pl.col("enterprise_id").alias("agency_id"),
            pl.col("covered_units").str.split(";").alias("unit"),
        ).explode("unit").with_columns(pl.col("unit").str.strip_chars().str.to_uppercase()),
    ]).drop_nulls().unique().filter(pl.col("agency_id") != pl.col("unit"))
    if served.height and keys.height:
        ka = keys.rename({"enterprise_id": "agency_id"})
        ku = keys.rename({"enterprise_id": "unit"}).select("unit", "key")
        j = served.join(ka, on="agency_id").join(ku, on=["unit", "key"])
        if j.height:
            j = ctx.enterprise_entity("agency_id", j)
            j = ctx.enterprise_entity("unit", j)
            g = j.group_by("agency_id_ent").agg(
                units=pl.col("unit_ent").unique().sort(), keys=pl.col("key").unique().sort()
            )
            out.append(g.select(
                pl.lit(PATTERN).alias("pattern"),
                _score(pl.col("keys")).alias("score"),
                pl.concat_list(pl.col("agency_id_ent"), "units",
                               pl.col("keys").list.eval(_key_entity(pl.element())))
                .list.unique().list.sort().alias("entities"),
                pl.format("agency {} and {} unit(s) it serves share control keys: {}",
                          pl.col("agency_id_ent"), pl.col("units").list.len(),
                          pl.col("keys").list.join(", ")).alias("detail"),
            ))
    if p.applications.height:
        groups = applicant_groups(ctx, p.applications.filter(pl.col("enterprise_id").is_not_null()))
        if groups.height:
            groups = ctx.enterprise_entity("enterprise_id", groups)
            g = groups.group_by("year", "group").agg(
                members=pl.col("enterprise_id_ent").unique().sort(),
                keys=pl.col("keys").list.explode(keep_nulls=False, empty_as_null=False).unique().sort(),
            ).filter(pl.col("members").list.len() >= 2)
            out.append(g.select(
                pl.lit(PATTERN).alias("pattern"),
                _score(pl.col("keys")).alias("score"),
                pl.concat_list("members", pl.col("keys").list.eval(_key_entity(pl.element())))
                .list.unique().list.sort().alias("entities"),
                pl.format("{} refund applicants of {} under common control: {}",
                          pl.col("members").list.len(), pl.col("year"),
                          pl.col("keys").list.join(", ")).alias("detail"),
            ))
    return pl.concat(out) if out else empty_alerts()
