"""What every claim rule shares: the screening context and the finding builder.

A rule is a function ``(ctx: Context) -> pl.DataFrame`` returning findings in
``schema.FINDING_SCHEMA``. It reads the one evidence frame through :meth:`Context.linked`, never
re-joins identities itself, and says in ``detail`` why it fired, without personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from dupcheck.policy import Policy
from dupcheck.schema import FINDING_SCHEMA

__all__ = [
    "CLAIM_COLS",
    "Context",
    "Rule",
    "claim_findings",
    "empty_findings",
    "make_findings",
    "record_findings",
]

#: Claim columns that rules may read after preparation (see ``screening.prepare_claims``).
CLAIM_COLS = [
    "claim_id", "pid", "id_valid", "id_legacy", "id_birth", "id_gender", "name_norm", "name_py",
    "benefit_type", "claim_date", "period_start", "period_end", "birth_date", "gender",
]


@dataclass
class Context:
    """Everything a rule may read: prepared claims, reference tables, the evidence, the policy."""

    claims: pl.DataFrame
    tables: dict[str, pl.DataFrame]
    evidence: pl.DataFrame
    policy: Policy
    _cache: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False)

    def has(self, table: str) -> bool:
        """Whether the data folder had ``table``."""
        return table in self.tables

    def linked(self, source: str, claim_cols: list[str] | None = None) -> pl.DataFrame:
        """Records of ``source`` linked to claims: evidence ⨝ table ⨝ claim columns.

        Columns: the table's columns, ``claim_id``, ``source_key``, ``match``, ``score``, and the
        requested claim columns prefixed ``c_`` (``c_claim_date``, ``c_period_start`` ...).
        """
        cols = claim_cols or ["claim_date", "period_start", "period_end", "benefit_type"]
        key = f"{source}|{','.join(cols)}"
        if key not in self._cache:
            ev = self.evidence.filter(pl.col("source") == source).select(
                "claim_id", "_row", "source_key", "match", "score"
            )
            table = self.tables[source].drop("source_key", strict=False)
            claims = self.claims.select(
                "claim_id", *[pl.col(c).alias(f"c_{c}") for c in cols]
            )
            self._cache[key] = ev.join(table, on="_row", how="inner").join(
                claims, on="claim_id", how="inner"
            )
        return self._cache[key]

    def severity(self, rule: str) -> str:
        """The configured severity of ``rule``."""
        return self.policy.screening.severities[rule]


Rule = Callable[[Context], pl.DataFrame]


def empty_findings() -> pl.DataFrame:
    """A findings frame with no rows and the contract schema."""
    return pl.DataFrame(schema=FINDING_SCHEMA)


def make_findings(
    df: pl.DataFrame,
    *,
    rule: str,
    severity: str | pl.Expr,
    source: str | pl.Expr,
    source_key: pl.Expr,
    detail: pl.Expr,
    match: pl.Expr | None = None,
    score: pl.Expr | None = None,
    overlap_start: pl.Expr | None = None,
    overlap_end: pl.Expr | None = None,
) -> pl.DataFrame:
    """Project ``df`` (one row per finding, with ``claim_id``) onto the findings schema."""
    if df.is_empty():
        return empty_findings()

    def lit(v: str | pl.Expr) -> pl.Expr:
        return pl.lit(v) if isinstance(v, str) else v

    return df.select(
        pl.col("claim_id").cast(pl.String),
        pl.lit(rule).alias("rule"),
        lit(severity).alias("severity"),
        lit(source).alias("source"),
        source_key.cast(pl.String).alias("source_key"),
        (match if match is not None else pl.lit(None)).cast(pl.String).alias("match"),
        (score if score is not None else pl.lit(None)).cast(pl.Float64).alias("score"),
        (overlap_start if overlap_start is not None else pl.lit(None)).cast(pl.Date).alias("overlap_start"),
        (overlap_end if overlap_end is not None else pl.lit(None)).cast(pl.Date).alias("overlap_end"),
        detail.cast(pl.String).alias("detail"),
    )


def claim_findings(ctx: Context, df: pl.DataFrame, rule: str, *, detail: pl.Expr) -> pl.DataFrame:
    """Claim-level findings (contract §4): source ``claims``, the claim's own id as key, no match."""
    return make_findings(
        df, rule=rule, severity=ctx.severity(rule), source="claims",
        source_key=pl.col("claim_id"), detail=detail,
    )


def record_findings(
    ctx: Context,
    df: pl.DataFrame,
    rule: str,
    *,
    source: str | pl.Expr,
    detail: pl.Expr,
    link: tuple[str, str, str] = ("source_key", "match", "score"),
    overlap_start: pl.Expr | None = None,
    overlap_end: pl.Expr | None = None,
) -> pl.DataFrame:
    """Findings citing a linked record; ``link`` names its key, match and score columns."""
    key, match, score = link
    return make_findings(
        df, rule=rule, severity=ctx.severity(rule), source=source, source_key=pl.col(key),
        match=pl.col(match), score=pl.col(score), overlap_start=overlap_start,
        overlap_end=overlap_end, detail=detail,
    )
