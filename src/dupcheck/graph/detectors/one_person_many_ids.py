"""ONE_PERSON_MANY_IDS: records that are one person by name, birth date and contact details under
different id numbers (一人多号).

Method (contract §4): records are claims (their phone and account) and legal representatives
(the phone and account of the enterprise they represent). Only valid ids take part. Within a
block of the same normalised name, birth date and gender, ids are linked through the contacts
they use (allow-listed and hub contacts excluded) and grouped by connected components (engine).
A group with two or more ids alerts, unless every pair of its ids is within one mistyped
body character or one adjacent transposition (check character aside) (a mistyped id is not another id). Score: 0.6 for a
shared phone only, 0.8 for a shared account, 1.0 for both.
"""

from __future__ import annotations

import polars as pl

from dupcheck.graph.detectors._common import Context, component_groups, empty_alerts, ent

PATTERN = "ONE_PERSON_MANY_IDS"


def _typo_pair(a: str, b: str) -> bool:
    """True when ``b`` is ``a`` with one body character changed or two neighbours swapped
    (the check character, recomputed, may differ too)."""
    if len(a) != len(b):
        return False
    a, b = a[:17], b[:17]
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) <= 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def detect(ctx: Context) -> pl.DataFrame:
    """Alerts for groups of distinct valid ids of one name/birth/gender sharing contacts."""
    p = ctx.prep
    cl = p.claims.filter(pl.col("id_valid") & pl.col("name_norm").is_not_null())
    recs = [
        cl.select("pid", "name_norm", pl.col("id_birth").alias("birth"), pl.col("id_gender").alias("gender"),
                  ent("phone", pl.col("phone")).alias("contact")),
        cl.select("pid", "name_norm", pl.col("id_birth").alias("birth"), pl.col("id_gender").alias("gender"),
                  ent("account", pl.col("account")).alias("contact")),
    ]
    lr = p.legal_reps.filter(pl.col("id_valid") & pl.col("name_norm").is_not_null()).join(
        p.enterprises.select("enterprise_id", "phone", "account"), on="enterprise_id")
    for col in ("phone", "account"):
        recs.append(lr.select("pid", "name_norm", pl.col("id_birth").alias("birth"),
                              pl.col("id_gender").alias("gender"), ent(col, pl.col(col)).alias("contact")))
    r = pl.concat(recs).drop_nulls().unique()
    bad = ctx.idents.filter(pl.col("hub")).select(pl.col("ident").alias("contact"))
    r = r.join(bad, on="contact", how="anti")
    r = r.with_columns(block=pl.format("{}|{}|{}", pl.col("name_norm"), pl.col("birth"), pl.col("gender")))
    multi = r.group_by("block").agg(n=pl.col("pid").n_unique()).filter(pl.col("n") >= 2).select("block")
    r = r.join(multi, on="block", how="semi")
    if r.height == 0:
        return empty_alerts()
    m = r.with_columns(item=pl.format("{}|{}", pl.col("block"), pl.col("pid")),
                       link=pl.format("{}|{}", pl.col("block"), pl.col("contact")))
    # contacts used by one id only link nothing; drop them before the components
    m = m.join(m.group_by("link").agg(k=pl.col("pid").n_unique()).filter(pl.col("k") >= 2).select("link"),
               on="link", how="semi")
    if m.height == 0:
        return empty_alerts()
    grp = component_groups(ctx.engine, m, "item", "link")
    m = m.join(grp, on="item")
    g = m.group_by("group").agg(
        pids=pl.col("pid").unique().sort(),
        contacts=pl.col("contact").unique().sort(),
    ).filter(pl.col("pids").list.len() >= 2)
    if g.height == 0:
        return empty_alerts()
    keep = [
        not all(_typo_pair(a, b) for i, a in enumerate(ids) for b in ids[i + 1:])
        for ids in g.get_column("pids").to_list()
    ]
    g = g.filter(pl.Series(keep, dtype=pl.Boolean))
    if g.height == 0:
        return empty_alerts()
    has_acc = pl.col("contacts").list.eval(pl.element().str.starts_with("account:")).list.any()
    has_ph = pl.col("contacts").list.eval(pl.element().str.starts_with("phone:")).list.any()
    return g.select(
        pl.lit(PATTERN).alias("pattern"),
        pl.when(has_acc & has_ph).then(1.0).when(has_acc).then(0.8).otherwise(0.6).alias("score"),
        pl.concat_list(pl.col("pids").list.eval(ent("person", pl.element())), "contacts")
        .list.unique().list.sort().alias("entities"),
        pl.format("{} valid ids with the same name, birth date and gender share {}",
                  pl.col("pids").list.len(), pl.col("contacts").list.join(", ")).alias("detail"),
    )
