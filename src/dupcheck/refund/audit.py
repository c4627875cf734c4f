"""The refund audit: applications ⨝ units ⨝ policy -> findings, decisions, public notice.

Every rule is a vectorised polars step that returns findings ``_row, rule, severity, detail``;
the decision of an application is the most severe finding (``info`` approves). Amounts are exact:
``eligible_amount`` = rate × ``paid_prev_year`` in integer fen, rounded half-up (see ``_money``),
and 0 on rejected applications. Rule semantics: contract §3-§4 (Refund semantics).

Extra codes beyond the contract (allowed by contract's preamble, all documented in
``EXTRA_RULES``): ``REFUND_INPUT_INVALID`` (review: a value the audit needs is missing or
unreadable; the row never vanishes), ``REFUND_UNIT_UNKNOWN`` (review: the applicant is not in the
enterprises table, so kind, credit status and account cannot be checked), and the information-only
``RELATED_PARTY``, ``SPLIT_ENTERPRISE`` and ``REFUND_SHARED_ADDRESS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from dupcheck.errors import InputError
from dupcheck.policy import Policy
from dupcheck.schema import REFUND_DECISION_SCHEMA

from ._inputs import get_tables, prepare_applications, prepare_enterprises
from ._money import MONEY, common_scale, from_fen, mul_rate_half_up, rate_numerator, to_fen
from .control import control_ties, related_pairs, split_from_alerts, split_groups
from .layoff import layoff_check, pct
from .notice import build_notice, write_notice

__all__ = [
    "CONTRACT_RULES",
    "EXTRA_RULES",
    "REFUND_FINDING_SCHEMA",
    "RefundResult",
    "audit",
]

#: Contract §3 refund rules and their default severities (contract §4).
CONTRACT_RULES: dict[str, str] = {
    "REFUND_ARREARS": "reject",
    "REFUND_LAYOFF_RATE": "reject",
    "REFUND_DISHONEST": "reject",
    "REFUND_PUBLIC_INSTITUTION": "reject",  # review when only a covered unit is one
    "REFUND_DOUBLE_CLAIM": "review",
    "REFUND_AMOUNT": "review",
    "REFUND_ACCOUNT": "review",
}

#: Codes added by this module (contract: extra rules are the implementers' design).
EXTRA_RULES: dict[str, str] = {
    "REFUND_INPUT_INVALID": "review",
    "REFUND_UNIT_UNKNOWN": "review",
    "RELATED_PARTY": "info",
    "SPLIT_ENTERPRISE": "info",
    "REFUND_SHARED_ADDRESS": "info",
}

#: ``refund_findings.parquet``: one row per piece of evidence.
REFUND_FINDING_SCHEMA: dict[str, pl.DataType] = {
    "application_id": pl.String(),
    "rule": pl.String(),
    "severity": pl.String(),
    "detail": pl.String(),
}

_SEV_RANK = {"info": 0, "review": 1, "reject": 2}
_FIND_COLS = ["_row", "rule", "severity", "detail"]


@dataclass
class RefundResult:
    """Outcome of :func:`audit`: decisions (one per application), findings and the public notice."""

    decisions: pl.DataFrame
    findings: pl.DataFrame
    notice: pl.DataFrame
    notes: list[str] = field(default_factory=list)

    def summary_text(self) -> str:
        """A few lines for the terminal: decisions, rules, and the total to be paid."""
        n = self.decisions.height
        by_dec = dict(
            self.decisions.group_by("decision").len().sort("decision").iter_rows()
        )
        lines = [
            f"refund applications: {n}  "
            + "  ".join(f"{d}: {by_dec.get(d, 0)}" for d in ("approve", "review", "reject"))
        ]
        if not self.findings.is_empty():
            counts = (
                self.findings.group_by("rule").agg(pl.col("application_id").n_unique().alias("n"))
                .sort("rule")
            )
            lines.append(
                "rules (applications): "
                + ", ".join(f"{r} {k}" for r, k in counts.iter_rows())
            )
        approved = self.decisions.filter(pl.col("decision") == "approve")
        total = approved.get_column("eligible_amount").sum()
        lines.append(f"notice: {self.notice.height} approved, total {total or Decimal('0.00')} yuan")
        lines.extend(self.notes)
        return "\n".join(lines)

    def write(self, out: Path | str) -> None:
        """Write refund_decisions.parquet, refund_findings.parquet and notice.csv into ``out``."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        self.decisions.write_parquet(folder / "refund_decisions.parquet")
        self.findings.write_parquet(folder / "refund_findings.parquet")
        write_notice(self.notice, folder / "notice.csv")

    def explain(self, application_id: str) -> str:
        """The decision of one application with every finding behind it, one per line."""
        d = self.decisions.filter(pl.col("application_id") == application_id)
        if d.is_empty():
            raise KeyError(application_id)
        row = d.row(0, named=True)
        f = self.findings.filter(pl.col("application_id") == application_id)
        lines = [f"{application_id}: {row['decision']}, eligible {row['eligible_amount']}"]
        lines += [f"  {r} ({s}): {t}" for r, s, t in f.select("rule", "severity", "detail").iter_rows()]
        return "\n".join(lines)


def _mask_account(expr: pl.Expr) -> pl.Expr:
    """Accounts in details: first 3 and last 2 characters (same pattern as masking.mask_value)."""
    return pl.when(expr.str.len_chars() > 6).then(
        pl.concat_str([expr.str.slice(0, 3), pl.lit("****"), expr.str.slice(-2, 2)])
    ).otherwise(pl.lit("****"))


def _f(frame: pl.DataFrame, rule: str, severity: str | pl.Expr, detail: pl.Expr) -> pl.DataFrame:
    sev = pl.lit(severity) if isinstance(severity, str) else severity
    return frame.select(
        pl.col("_row"), pl.lit(rule).alias("rule"), sev.alias("severity"), detail.alias("detail")
    )


def _money_txt(expr: pl.Expr) -> pl.Expr:
    return expr.cast(MONEY).cast(pl.String)


def _rate_table(policy: Policy, years: list[int]) -> tuple[pl.DataFrame, int]:
    rates = policy.refund.rates
    scale = common_scale([r for pair in rates.values() for r in pair])
    known = [y for y in sorted(set(years)) if y in rates]
    return (
        pl.DataFrame(
            {
                "year": known,
                "large_num": [rate_numerator(rates[y][0], scale) for y in known],
                "sme_num": [rate_numerator(rates[y][1], scale) for y in known],
                "large_txt": [pct(rates[y][0]) for y in known],
                "sme_txt": [pct(rates[y][1]) for y in known],
            },
            schema={"year": pl.Int64, "large_num": pl.Int64, "sme_num": pl.Int64,
                    "large_txt": pl.String, "sme_txt": pl.String},
        ),
        scale,
    )


def audit(
    data: Any, policy: Policy | None = None, graph_alerts: pl.DataFrame | None = None
) -> RefundResult:
    """Audit every refund application of ``data`` (folder, Dataset or dict of frames).

    ``graph_alerts`` (``alerts.parquet`` of ``dupcheck graph``), when given, adds its
    SPLIT_ENTERPRISE groups to the ones computed here from the enterprises table.
    """
    pol = policy or Policy()
    rp = pol.refund
    tables = get_tables(data)
    if "refund_applications" not in tables:
        raise InputError("refund_applications: table not found; the refund audit needs it")
    apps = prepare_applications(tables["refund_applications"])
    ents = prepare_enterprises(tables.get("enterprises"))
    notes: list[str] = []
    if ents is None:
        notes.append("no enterprises table: kind, credit status, size class and accounts unchecked")
        ents = pl.DataFrame(
            schema={"enterprise_id": pl.String, "name": pl.String, "kind": pl.String,
                    "size_class": pl.String, "rep": pl.String, "phone_n": pl.String,
                    "account_n": pl.String, "address_n": pl.String, "dishonest": pl.Boolean}
        )
        have_ents = False
    else:
        have_ents = True
    apps = apps.join(
        ents.select(
            "enterprise_id", "name", "kind", "size_class", "dishonest", "account_n",
            pl.lit(True).alias("known"),
        ),
        on="enterprise_id",
        how="left",
    ).sort("_row")

    findings: list[pl.DataFrame] = []

    # -- input problems: never drop a row, say what is missing -------------------------------
    dup_id = pl.len().over("application_id") > 1
    req = ["application_id", "enterprise_id", "year", "due_prev_year", "paid_prev_year"]
    lay = layoff_check(apps, rp)
    apps = apps.join(lay, on="_row", how="left")
    problems = pl.concat_list(
        [
            pl.col("_bad").list.eval(pl.element() + ": unreadable"),
            *[pl.when(pl.col(c).is_null() & ~pl.col("_bad").list.contains(c))
              .then(pl.lit(f"{c}: missing")) for c in req],
            pl.col("layoff_missing").list.set_difference(pl.col("_bad"))
            .list.set_difference(pl.lit(req)).list.eval(pl.element() + ": missing"),
            pl.when(dup_id & pl.col("application_id").is_not_null())
            .then(pl.lit("application_id: not unique")),
        ]
    ).list.drop_nulls()
    bad = apps.with_columns(problems.alias("p")).filter(pl.col("p").list.len() > 0)
    findings.append(
        _f(bad, "REFUND_INPUT_INVALID", "review", pl.lit("cannot check: ") + pl.col("p").list.join("; "))
    )

    # -- arrears (C1) ----------------------------------------------------------------------
    arrears = apps.filter(pl.col("paid_prev_year") < pl.col("due_prev_year"))
    findings.append(
        _f(
            arrears, "REFUND_ARREARS", "reject",
            pl.format("previous year's UI contributions not paid in full: paid {} of {} due",
                      _money_txt(pl.col("paid_prev_year")), _money_txt(pl.col("due_prev_year"))),
        )
    )

    # -- layoff rate (C2/C3) -----------------------------------------------------------------
    over = apps.filter(pl.col("layoff_over").fill_null(False))
    formula = rp.layoff_formula
    findings.append(
        _f(
            over, "REFUND_LAYOFF_RATE", "reject",
            pl.format(
                "layoff rate (formula {}) over the {} ceiling{}",
                pl.lit(formula), pl.col("layoff_threshold"),
                pl.when(formula == "default")
                .then(pl.format(": {} laid off of {} insured at year end",
                                pl.col("layoffs_prev_year"), pl.col("insured_prev_year_end")))
                .otherwise(pl.lit("")),
            ),
        )
    )

    # -- credit status, kind, unknown unit ----------------------------------------------------
    findings.append(
        _f(apps.filter(pl.col("dishonest").fill_null(False)), "REFUND_DISHONEST", "reject",
           pl.lit("applicant is on the serious-dishonesty list (严重失信主体名单)"))
    )
    findings.append(
        _f(apps.filter(pl.col("kind") == "public_institution"), "REFUND_PUBLIC_INSTITUTION",
           "reject", pl.lit("applicant is a 机关事业单位 (public institution), not eligible"))
    )
    cov = apps.select("_row", pl.col("covered").alias("unit")).explode("unit").drop_nulls()
    cov = cov.join(ents.select(pl.col("enterprise_id").alias("unit"), "kind"), on="unit", how="left")
    pub = (
        cov.filter(pl.col("kind") == "public_institution")
        .group_by("_row")
        .agg(pl.col("unit").sort().str.join(", ").alias("units"))
    )
    findings.append(
        _f(pub, "REFUND_PUBLIC_INSTITUTION", "review",
           pl.format("covered unit(s) are 机关事业单位 and must be left out: {}", pl.col("units")))
    )
    if have_ents:
        unknown = apps.filter(pl.col("known").is_null() & pl.col("enterprise_id").is_not_null())
        findings.append(
            _f(unknown, "REFUND_UNIT_UNKNOWN", "review",
               pl.lit("applicant not found in the enterprises table (kind, credit status, account unchecked)"))
        )

    # -- double claims: a unit in two applications of one year ----------------------------
    units = apps.select("_row", "year", "application_id", pl.col("units").alias("unit")).explode("unit")
    units = units.drop_nulls(["unit", "year"])
    units = units.with_columns(pl.col("_row").n_unique().over("year", "unit").alias("n"))
    dbl = (
        units.filter(pl.col("n") >= 2)
        .join(
            units.filter(pl.col("n") >= 2).select(
                "year", "unit", pl.col("_row").alias("_o"), pl.col("application_id").alias("other")
            ),
            on=["year", "unit"],
        )
        .filter(pl.col("_o") != pl.col("_row"))
        .group_by("_row", "unit")
        .agg(pl.col("other").fill_null("?").unique().sort().str.join(", "))
        .group_by("_row")
        .agg(pl.format("unit {} also claimed by application(s) {}", "unit", "other").sort()
             .str.join("; ").alias("d"))
    )
    findings.append(
        _f(dbl, "REFUND_DOUBLE_CLAIM", "review",
           pl.lit("same unit claimed twice in one policy year: ") + pl.col("d"))
    )

    # -- payee account -----------------------------------------------------------------------
    payee_others = (
        apps.drop_nulls(["payee", "enterprise_id"])
        .group_by("payee")
        .agg(pl.col("enterprise_id").n_unique().alias("n_ent"))
        .filter(pl.col("n_ent") >= 2)
    )
    acc = apps.join(payee_others, on="payee", how="left").with_columns(
        pl.when(pl.col("payee").is_null()).then(pl.lit("no payee account given"))
        .when(pl.lit(have_ents) & pl.col("known").is_not_null() & pl.col("account_n").is_null())
        .then(pl.lit("applicant has no registered account to compare the payee account with"))
        .when(pl.lit(have_ents) & pl.col("known").is_not_null()
              & (pl.col("payee") != pl.col("account_n")))
        .then(pl.format("payee account {} is not the applicant's registered account",
                        _mask_account(pl.col("payee"))))
        .alias("a1"),
        pl.when(pl.col("n_ent").is_not_null())
        .then(pl.format("payee account {} is also the payee of {} other enterprise(s)' applications",
                        _mask_account(pl.col("payee")), pl.col("n_ent") - 1))
        .alias("a2"),
    )
    acc = acc.with_columns(pl.concat_list("a1", "a2").list.drop_nulls().alias("a")).filter(
        pl.col("a").list.len() > 0
    )
    findings.append(_f(acc, "REFUND_ACCOUNT", "review", pl.col("a").list.join("; ")))

    # -- common control, SPLIT_ENTERPRISE ----------------------------------------------------
    ties = control_ties(ents, pol.graph)
    rel = related_pairs(apps, ties)
    ctrl = rel.filter(pl.col("tie_kind") != "address")
    related = ctrl.group_by("_row", "relation", "other").agg(
        pl.col("tie_kind").unique().sort().str.join("/")
    ).group_by("_row").agg(
        pl.format("{} {} (same {})", "relation", "other", "tie_kind").sort().str.join("; ").alias("d")
    )
    findings.append(
        _f(related, "RELATED_PARTY", "info", pl.lit("under common control with ") + pl.col("d"))
    )
    addr = rel.filter(pl.col("tie_kind") == "address").group_by("_row").agg(
        pl.col("other").unique().sort().str.join(", ").alias("d")
    )
    findings.append(
        _f(addr, "REFUND_SHARED_ADDRESS", "info",
           pl.lit("same registered address as (not common control by itself): ") + pl.col("d"))
    )
    groups = pl.concat([split_groups(apps, ties, pol.graph), split_from_alerts(apps, graph_alerts)])
    groups = groups.group_by("year", "enterprise_id").agg(pl.col("group").min())
    apps = apps.join(groups, on=["year", "enterprise_id"], how="left")
    split = apps.filter(pl.col("group").is_not_null())
    findings.append(
        _f(split, "SPLIT_ENTERPRISE", "info",
           pl.format("small units under common control (group {}) together reach the "
                     "large-enterprise headcount: the large-enterprise rate applies", "group"))
    )

    # -- amounts -------------------------------------------------------------------------------
    years = apps.get_column("year").drop_nulls().unique().to_list()
    rates, scale = _rate_table(pol, years)
    apps = apps.join(rates, on="year", how="left")
    no_rate = apps.filter(pl.col("year").is_not_null() & pl.col("large_num").is_null())
    findings.append(
        _f(no_rate, "REFUND_INPUT_INVALID", "review",
           pl.format("no refund rate configured for policy year {}", "year"))
    )
    large = (
        pl.col("group").is_not_null()
        | (pl.col("size_class") == "large")
        | (pl.col("size_class").is_null()
           & (pl.col("insured_prev_year_end").fill_null(rp.large_headcount) >= rp.large_headcount))
    )
    apps = apps.with_columns(
        pl.when(large).then(pl.col("large_num")).otherwise(pl.col("sme_num")).alias("rate_num"),
        pl.when(large).then(pl.col("large_txt")).otherwise(pl.col("sme_txt")).alias("rate_txt"),
        large.alias("is_large"),
    ).with_columns(
        mul_rate_half_up(to_fen(pl.col("paid_prev_year")), pl.col("rate_num"), scale).alias("_fen")
    ).with_columns(from_fen(pl.col("_fen")).alias("computed"))
    amount = apps.filter(pl.col("requested_amount") > pl.col("computed"))
    findings.append(
        _f(amount, "REFUND_AMOUNT", "review",
           pl.format("requested {} exceeds the eligible {} ({} of {} paid)",
                     _money_txt(pl.col("requested_amount")), _money_txt(pl.col("computed")),
                     "rate_txt", _money_txt(pl.col("paid_prev_year"))))
    )

    # -- assemble --------------------------------------------------------------------------------
    fnd = pl.concat([f.select(_FIND_COLS) for f in findings], how="vertical_relaxed")
    fnd = fnd.join(apps.select("_row", "application_id"), on="_row", how="left")
    if rp.severities:  # an agency's overrides replace the contract's default severities
        fnd = fnd.with_columns(
            pl.col("rule").replace_strict(rp.severities, default=pl.col("severity"),
                                          return_dtype=pl.String).alias("severity")
        )
    fnd = fnd.unique().sort("_row", "rule", "severity", "detail")
    worst = fnd.group_by("_row").agg(
        pl.col("severity").replace_strict(_SEV_RANK, return_dtype=pl.Int8).max().alias("rank"),
        pl.col("rule").unique().sort().alias("rules"),
        pl.col("detail").str.join("; ").alias("fdetail"),
    )
    dec = apps.join(worst, on="_row", how="left").with_columns(
        pl.when(pl.col("rank") == 2).then(pl.lit("reject"))
        .when(pl.col("rank") == 1).then(pl.lit("review"))
        .otherwise(pl.lit("approve")).alias("decision"),
        pl.col("rules").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    )
    calc = pl.format(
        "{} × {} = {}",
        pl.concat_str([pl.col("rate_txt"),
                       pl.when(pl.col("is_large")).then(pl.lit(" (large")).otherwise(pl.lit(" (SME")),
                       pl.lit(", "), pl.col("year").cast(pl.String), pl.lit(")")]),
        _money_txt(pl.col("paid_prev_year")), _money_txt(pl.col("computed")),
    )
    dec = dec.with_columns(
        pl.when(pl.col("decision") == "reject").then(pl.lit(Decimal("0.00"), dtype=MONEY))
        .otherwise(pl.col("computed").fill_null(Decimal("0.00")))
        .cast(MONEY).alias("eligible_amount"),
        pl.concat_list([calc, pl.col("fdetail")]).list.drop_nulls().list.join("; ").alias("detail"),
    )
    decisions = dec.sort("application_id", "_row", nulls_last=True).select(
        [pl.col(c).cast(t) for c, t in REFUND_DECISION_SCHEMA.items()]
    )
    findings_out = (
        fnd.sort("application_id", "rule", "severity", "detail", nulls_last=True)
        .select([pl.col(c).cast(t) for c, t in REFUND_FINDING_SCHEMA.items()])
    )
    approved = dec.filter(pl.col("decision") == "approve").sort("application_id", "_row")
    notice = build_notice(approved)
    return RefundResult(decisions, findings_out, notice, notes)
