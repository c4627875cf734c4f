"""The truth oracle: contract §4 semantics evaluated on the CLEAN tables through true identities.

Because it links by the hidden ``_pid`` it needs no identity matching; whatever the planting did
(or a plug-in added), the expected rules are what the contract says about the true person's
records. It also lists the evidence rows of each rule, from which hard/easy is decided after the
identities are damaged. Vectorised: one join per rule.
"""

from __future__ import annotations

import polars as pl

from dupcheck.policy import Policy, RetirementSchedule
from dupcheck.schema import BENEFIT_TYPES

__all__ = [
    "CLAIM_LEVEL",
    "EVIDENCE_SCHEMA",
    "MONTH_DAYS",
    "expected_rules",
    "hard_rules",
    "retirement_date",
]

#: Rules that the oracle cannot derive from reference tables; planted on the claim itself.
CLAIM_LEVEL = ("ID_INVALID", "ID_CONFLICT", "INPUT_INVALID")
#: Days per month used to measure benefit spells and claimed periods (365.2425 / 12).
MONTH_DAYS = 30.436875

EVIDENCE_SCHEMA: dict[str, pl.DataType] = {
    "claim_id": pl.String(), "rule": pl.String(), "alt": pl.String(), "source": pl.String(),
    "source_key": pl.String(),
}


def retirement_date(birth: pl.Expr, gender: pl.Expr, policy: Policy) -> pl.Expr:
    """Date on which a person reaches statutory retirement age (with the 2025 gradual rise)."""

    def one(s: RetirementSchedule) -> pl.Expr:
        base = birth.dt.offset_by(f"{s.base_age_years}y")
        since = (birth.dt.year() * 12 + birth.dt.month()) - (
            s.first_birth_month.year * 12 + s.first_birth_month.month)
        delay = pl.when(since >= 0).then(
            pl.min_horizontal(since // s.step_every_months + 1, pl.lit(s.max_delay_months))
        ).otherwise(0)
        return base.dt.offset_by(pl.format("{}mo", delay))

    sp = policy.screening
    return pl.when(gender == "M").then(one(sp.retirement_men)).otherwise(one(sp.retirement_women))


def _overlap(s: str, e: str, ps: str = "ps", pe: str = "pe") -> pl.Expr:
    return (pl.col(s) <= pl.col(pe)) & (pl.col(e).is_null() | (pl.col(e) >= pl.col(ps)))


def _ev(frame: pl.DataFrame, rule: str, source: str, alt: pl.Expr | None = None) -> pl.DataFrame:
    return frame.select(
        "claim_id", pl.lit(rule).alias("rule"),
        (alt if alt is not None else pl.col("record_id")).alias("alt"),
        pl.lit(source).alias("source"), pl.col("record_id").alias("source_key"),
    )


def expected_rules(
    tables: dict[str, pl.DataFrame], people: pl.DataFrame, plan: pl.DataFrame, policy: Policy
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per claim ``claim_id, rules, decision, tags`` and the evidence rows
    (``claim_id, rule, alt, source, source_key``; a rule is supported when every row of one of
    its ``alt`` groups is linked)."""
    sp = policy.screening
    claims = tables["claims"]
    empty = pl.DataFrame(schema={"record_id": pl.String, "_pid": pl.String})

    def tab(name: str) -> pl.DataFrame:
        return tables.get(name, empty)

    bad = ~pl.col("benefit_type").is_in(list(BENEFIT_TYPES)) | pl.col("claim_date").is_null()
    invalid = claims.filter(bad).select("claim_id")
    c = claims.filter(~bad).select(
        "claim_id", "_pid", "benefit_type", pl.col("claim_date").alias("cd"),
        pl.coalesce("period_start", "claim_date").alias("ps"), "period_end",
    )
    emp = tab("employment").select("record_id", "_pid", "start_date", "end_date")
    # contribution years: employment days up to the claim date
    contrib = c.select("claim_id", "_pid", "cd").join(emp, on="_pid").filter(
        pl.col("start_date") <= pl.col("cd")
    ).group_by("claim_id").agg(
        ((pl.min_horizontal(pl.coalesce("end_date", "cd"), pl.col("cd")) - pl.col("start_date"))
         .dt.total_days() + 1).sum().alias("days")
    )
    tiers = sorted(sp.ui_benefit_months)
    ui_m: pl.Expr = pl.lit(tiers[0][1])
    for lo, months in tiers[1:]:
        ui_m = pl.when(pl.col("years") >= lo).then(pl.lit(months)).otherwise(ui_m)
    flat = sp.entitlement_months
    c = c.join(contrib, on="claim_id", how="left").with_columns(
        years=pl.col("days") / 365.25
    ).with_columns(
        ent=pl.when(pl.col("benefit_type") == "ui_benefit")
        .then(pl.when(pl.col("years").is_null()).then(pl.lit(tiers[0][1])).otherwise(ui_m))
        .otherwise(pl.col("benefit_type").replace_strict(flat, default=None, return_dtype=pl.Int64))
    ).with_columns(
        pe=pl.coalesce(
            "period_end",
            pl.col("ps").dt.offset_by(pl.format("{}mo", pl.col("ent"))).dt.offset_by("-1d"),
        )
    )
    base = c.select("claim_id", "_pid", "benefit_type", "cd", "ps", "pe", "ent")
    ev: list[pl.DataFrame] = []

    # EMPLOYED: employment or dispatch covering the claim date or overlapping the period
    for name in ("employment", "dispatch"):
        t = tab(name)
        if t.height == 0 or "start_date" not in t.columns:
            continue
        j = base.join(t.select("record_id", "_pid", "start_date", "end_date"), on="_pid")
        covers = (pl.col("start_date") <= pl.col("cd")) & (
            pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("cd")))
        ev.append(_ev(j.filter(covers | _overlap("start_date", "end_date")), "EMPLOYED", name))

    # STOP_REASON / STOP_REASON_MISSING from the last spell
    ended = base.join(emp, on="_pid").filter(
        pl.col("end_date").is_not_null() & (pl.col("end_date") <= pl.col("cd"))
    )
    last = ended.filter(pl.col("end_date") == pl.col("end_date").max().over("claim_id"))
    last = last.sort("claim_id", "record_id").unique("claim_id", keep="first",
                                                     maintain_order=True)
    stops = tab("stoppages").select(
        pl.col("record_id").alias("stop_id"), "_pid", "stop_date", "reason")
    sj = last.join(stops, on="_pid", how="left").filter(
        pl.col("stop_date").is_between(pl.col("end_date"), pl.col("cd"))
    ).sort("claim_id", "stop_date", "stop_id", descending=[False, True, False]).unique(
        "claim_id", keep="first", maintain_order=True)
    qual = pl.DataFrame(
        [(bt, r) for bt, rs in sp.qualifying_reasons.items() for r in rs],
        schema=["benefit_type", "reason"], orient="row",
    ).with_columns(ok=pl.lit(True))
    sj = sj.join(qual, on=["benefit_type", "reason"], how="left")
    wrong = sj.filter(pl.col("ok").is_null())
    ev.append(_ev(wrong, "STOP_REASON", "employment", alt=pl.col("record_id")))
    ev.append(wrong.select("claim_id", pl.lit("STOP_REASON").alias("rule"),
                           pl.col("record_id").alias("alt"), pl.lit("stoppages").alias("source"),
                           pl.col("stop_id").alias("source_key")))
    # a spell running at the claim date: EMPLOYED carries the case, SRM is optional (§4), so
    # the truth leaves it out
    running = base.join(emp, on="_pid").filter(
        (pl.col("start_date") <= pl.col("cd"))
        & (pl.col("end_date").is_null() | (pl.col("end_date") > pl.col("cd")))
    ).select("claim_id").unique()
    missing = last.join(sj.select("claim_id"), on="claim_id", how="anti").join(
        running, on="claim_id", how="anti")
    ev.append(_ev(missing, "STOP_REASON_MISSING", "employment"))
    no_spell = base.join(last.select("claim_id"), on="claim_id", how="anti").join(
        running, on="claim_id", how="anti")
    ev.append(no_spell.select(
        "claim_id", pl.lit("STOP_REASON_MISSING").alias("rule"), pl.lit("-").alias("alt"),
        pl.lit(None, dtype=pl.String).alias("source"),
        pl.lit(None, dtype=pl.String).alias("source_key")))

    # PENSION, PRIOR_BENEFIT, INCARCERATED: overlap with the claimed period
    for name, rule in (("pensions", "PENSION"), ("benefits", "PRIOR_BENEFIT"),
                       ("incarcerations", "INCARCERATED")):
        t = tab(name)
        if t.height:
            j = base.join(t.select("record_id", "_pid", "start_date", "end_date"), on="_pid")
            ev.append(_ev(j.filter(_overlap("start_date", "end_date")), rule, name))
    # DECEASED: death on or before the period's end
    d = tab("deaths")
    if d.height:
        j = base.join(d.select("record_id", "_pid", "death_date"), on="_pid")
        ev.append(_ev(j.filter(pl.col("death_date") <= pl.col("pe")), "DECEASED", "deaths"))

    # ENTITLEMENT_USED: earlier, non-overlapping receipt of the same benefit
    b = tab("benefits")
    if b.height:
        j = base.join(
            b.select("record_id", "_pid", pl.col("benefit_type").alias("btype"), "start_date",
                     "end_date"), on="_pid",
        ).filter(
            (pl.col("btype") == pl.col("benefit_type")) & ~_overlap("start_date", "end_date")
            & (pl.col("start_date") < pl.col("ps"))
        )
        sub = j.filter(pl.col("benefit_type") == "ui_subsidy")
        ev.append(_ev(sub, "ENTITLEMENT_USED", "benefits"))
        ui = j.filter(pl.col("benefit_type") == "ui_benefit").join(
            last.select("claim_id", pl.col("start_date").alias("last_start")), on="claim_id",
            how="left",
        ).filter(pl.col("last_start").is_null() | (pl.col("start_date") >= pl.col("last_start")))
        used = ui.with_columns(
            m=((pl.col("end_date") - pl.col("start_date")).dt.total_days() + 1) / MONTH_DAYS
        ).with_columns(
            used=pl.col("m").sum().over("claim_id"),
            claimed=((pl.col("pe") - pl.col("ps")).dt.total_days() + 1) / MONTH_DAYS,
        ).filter(pl.col("claimed") > pl.col("ent") - pl.col("used") + 1e-9)
        ev.append(_ev(used, "ENTITLEMENT_USED", "benefits", alt=pl.lit("all")))

    # DUPLICATE_CLAIM: another claim of the person with an overlapping period
    other = base.select(
        "_pid", pl.col("claim_id").alias("other"), pl.col("cd").alias("cd_o"),
        pl.col("ps").alias("ps_o"), pl.col("pe").alias("pe_o"),
    )
    dup = base.join(other, on="_pid").filter(
        (pl.col("claim_id") != pl.col("other")) & (pl.col("ps") <= pl.col("pe_o"))
        & (pl.col("ps_o") <= pl.col("pe"))
    ).with_columns(
        later=(pl.col("cd") > pl.col("cd_o"))
        | ((pl.col("cd") == pl.col("cd_o")) & (pl.col("claim_id") > pl.col("other")))
    )
    ev.append(dup.select(
        "claim_id", pl.lit("DUPLICATE_CLAIM").alias("rule"), pl.col("other").alias("alt"),
        pl.lit("claims").alias("source"), pl.col("other").alias("source_key")))
    dup_later = dup.group_by("claim_id").agg(pl.col("later").any().alias("dup_later"))

    # RETIREMENT_AGE from the true birth date and gender
    ages = base.join(people.select(pl.col("pid").alias("_pid"), "birth_date", "gender"),
                     on="_pid", how="left")
    ra = ages.filter(pl.col("cd") >= retirement_date(pl.col("birth_date"), pl.col("gender"),
                                                     policy))
    ev.append(ra.select(
        "claim_id", pl.lit("RETIREMENT_AGE").alias("rule"), pl.lit("-").alias("alt"),
        pl.lit(None, dtype=pl.String).alias("source"),
        pl.lit(None, dtype=pl.String).alias("source_key")))

    evidence = pl.concat([e.cast(pl.Schema(EVIDENCE_SCHEMA)) for e in ev]).unique(maintain_order=True)
    derived = evidence.group_by("claim_id").agg(pl.col("rule").unique().alias("derived"))
    truth = (
        claims.select("claim_id")
        .join(plan, on="claim_id", how="left")
        .join(derived, on="claim_id", how="left")
        .join(dup_later, on="claim_id", how="left")
        .join(invalid.with_columns(inv=pl.lit(True)), on="claim_id", how="left")
        .with_columns(
            declared=pl.col("declared").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            derived=pl.col("derived").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            tags=pl.col("tags").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            inv=pl.col("inv").fill_null(False),
        )
    )
    level = pl.col("declared").list.eval(pl.element().filter(pl.element().is_in(CLAIM_LEVEL)))
    truth = truth.with_columns(
        rules=pl.when(pl.col("inv")).then(pl.lit(["INPUT_INVALID"], dtype=pl.List(pl.String)))
        .otherwise(pl.concat_list("derived", level).list.unique().list.sort()),
    ).with_columns(
        missing=pl.col("declared").list.set_difference("rules").list.sort(),
    ).with_columns(
        tags=pl.concat_list(
            "tags", pl.col("missing").list.eval(pl.lit("declared_only:") + pl.element())
        ).list.sort(),
    )
    sev = sp.severities
    rank = {"reject": 2, "review": 1, "info": 0}
    per_rule = truth.select("claim_id", "rules", "dup_later").explode("rules").with_columns(
        s=pl.when((pl.col("rules") == "DUPLICATE_CLAIM") & ~pl.col("dup_later").fill_null(False))
        .then(pl.lit(1))
        .otherwise(pl.col("rules").replace_strict(
            {k: rank[v] for k, v in sev.items()}, default=0, return_dtype=pl.Int64))
    ).group_by("claim_id").agg(pl.col("s").max())
    truth = truth.join(per_rule, on="claim_id", how="left").with_columns(
        decision=pl.col("s").fill_null(0).replace_strict(
            {2: "reject", 1: "review", 0: "approve"}, return_dtype=pl.String)
    ).select("claim_id", "decision", "rules", "tags")
    evidence = evidence.join(
        truth.select("claim_id", "rules").explode("rules").rename({"rules": "rule"}),
        on=["claim_id", "rule"], how="semi",
    )
    return truth, evidence


def hard_rules(
    truth: pl.DataFrame, evidence: pl.DataFrame, record_damage: pl.DataFrame,
    claim_damage: pl.DataFrame,
) -> pl.DataFrame:
    """Add ``hard_rules``: a rule is hard when the claim's own id or name is damaged, or every
    alternative of its evidence has a damaged row (``record_damage``: ``source, source_key,
    damaged``; ``claim_damage``: ``claim_id, damaged``)."""
    ev = evidence.join(record_damage, on=["source", "source_key"], how="left").with_columns(
        damaged=pl.col("damaged").fill_null(False)
    )
    per_alt = ev.group_by("claim_id", "rule", "alt").agg(pl.col("damaged").any())
    per_rule = per_alt.group_by("claim_id", "rule").agg(pl.col("damaged").all())
    rows = truth.select("claim_id", "rules").explode("rules").rename({"rules": "rule"}).filter(
        pl.col("rule").is_not_null() & ~pl.col("rule").is_in(CLAIM_LEVEL)
    ).join(per_rule, on=["claim_id", "rule"], how="left").join(
        claim_damage.rename({"damaged": "cdam"}), on="claim_id", how="left"
    ).filter(pl.col("damaged").fill_null(False) | pl.col("cdam").fill_null(False))
    hard = rows.group_by("claim_id").agg(pl.col("rule").sort().alias("hard_rules"))
    return truth.join(hard, on="claim_id", how="left", maintain_order="left").with_columns(
        hard_rules=pl.col("hard_rules").fill_null(pl.lit([], dtype=pl.List(pl.String)))
    ).select("claim_id", "decision", "rules", "hard_rules", "tags")
