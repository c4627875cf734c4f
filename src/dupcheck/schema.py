"""The data contract in code: input tables, enum codes with their Chinese aliases, output schemas.

Everything here mirrors ``shared/docs/contract.md`` (binding). Readers, rules and writers take
column names and types from this module so that the contract lives in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

__all__ = [
    "ALERT_SCHEMA",
    "BENEFIT_TYPES",
    "DECISION_SCHEMA",
    "ENUMS",
    "FINDING_SCHEMA",
    "REFUND_DECISION_SCHEMA",
    "TABLES",
    "UNKNOWN_LABELS",
    "Column",
    "Kind",
    "TableSpec",
]

Kind = Literal["str", "date", "enum", "bool", "int", "money", "list"]


@dataclass(frozen=True, slots=True)
class Column:
    """One contract column: its name, logical kind, whether it is required, and its enum."""

    name: str
    kind: Kind = "str"
    required: bool = False
    enum: str | None = None
    personal: bool = False
    doc: str = ""

    @property
    def dtype(self) -> pl.DataType:
        """The polars dtype this column has after reading."""
        return _DTYPES[self.kind]


_DTYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "date": pl.Date(),
    "enum": pl.String(),
    "bool": pl.Boolean(),
    "int": pl.Int64(),
    "money": pl.Decimal(18, 2),
    "list": pl.String(),
}


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One input table of the contract: its name, columns and key column."""

    name: str
    columns: tuple[Column, ...]
    key: str | None = None
    required: bool = False
    doc: str = ""
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    @property
    def schema(self) -> dict[str, pl.DataType]:
        """Column name to polars dtype, in contract order."""
        return {c.name: c.dtype for c in self.columns}


# ---------------------------------------------------------------------------------------------
# Enums: code -> accepted Chinese labels. A label written "A/B、C" in the contract is accepted
# whole and as each part (contract §4), so both forms are listed.
# ---------------------------------------------------------------------------------------------

BENEFIT_TYPES: dict[str, tuple[str, ...]] = {
    "ui_benefit": ("失业保险金",),
    "ui_subsidy": ("失业补助金",),
    "migrant_allowance": (
        "临时/一次性生活补助",
        "临时生活补助",
        "一次性生活补助",
        "农民合同制工人一次性生活补助",
    ),
}

#: Gender: codes, Chinese labels and the GB/T 2261.1 numeric codes (1 男, 2 女).
GENDERS: dict[str, tuple[str, ...]] = {
    "M": ("男", "m", "male", "1"),
    "F": ("女", "f", "female", "2"),
}

#: Labels that say "not known" (GB/T 2261.1: 0 未知的性别, 9 未说明的性别): read as null, and not a
#: problem, since the source says plainly that it does not know.
UNKNOWN_LABELS: dict[str, tuple[str, ...]] = {
    "gender": ("未知", "未知的性别", "未说明", "未说明的性别", "不详", "unknown", "0", "9"),
}

STOP_REASONS: dict[str, tuple[str, ...]] = {
    "contract_expired": ("劳动合同期满终止", "劳动合同期满", "合同期满终止", "合同到期"),
    "dismissed": (
        "用人单位解除/辞退/除名/开除",
        "用人单位解除",
        "辞退",
        "除名",
        "开除",
        "经济性裁员",
    ),
    "mutual_termination": ("用人单位提出、协商一致解除", "用人单位提出", "协商一致解除"),
    "mutual_by_worker": ("劳动者提出、协商一致解除", "劳动者提出"),
    "quit_for_cause": (
        "因用人单位过错(欠薪、未缴社保)被迫解除",
        "因用人单位过错被迫解除",
        "被迫解除",
    ),
    "employer_closed": ("单位破产、注销、撤销", "单位破产", "破产", "注销", "撤销"),
    "resigned": ("本人辞职", "辞职"),
    "suspended": ("在职暂停缴费", "暂停缴费"),
    "retired": ("退休",),
    "deceased": ("死亡",),
    "transferred": ("转移/转出", "转移", "转出"),
    "enlisted": ("参军",),
    "emigrated": ("出国(境)定居", "出国定居", "出境定居"),
    "imprisoned": ("判刑收监",),
    "other": ("其他",),
}

SCHEMES: dict[str, tuple[str, ...]] = {
    "employee": ("职工基本养老", "职工基本养老保险", "职工养老"),
    "resident": ("城乡居民基本养老", "城乡居民基本养老保险", "城乡居民养老", "居民养老"),
}

ENTERPRISE_KINDS: dict[str, tuple[str, ...]] = {
    "enterprise": ("企业",),
    "public_institution": ("机关事业单位", "机关", "事业单位"),
    "dispatch_agency": ("派遣机构/人力资源公司", "派遣机构", "人力资源公司", "劳务派遣"),
}

SIZE_CLASSES: dict[str, tuple[str, ...]] = {
    "large": ("大型", "大型企业"),
    "medium": ("中型", "中型企业"),
    "small": ("小型", "小型企业"),
    "micro": ("微型", "微型企业"),
}

ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "benefit_type": BENEFIT_TYPES,
    "gender": GENDERS,
    "reason": STOP_REASONS,
    "scheme": SCHEMES,
    "kind": ENTERPRISE_KINDS,
    "size_class": SIZE_CLASSES,
}


def _c(name: str, kind: Kind = "str", *, required: bool = False, enum: str | None = None,
       personal: bool = False, doc: str = "") -> Column:
    return Column(name, kind, required, enum, personal, doc)


_PERSON = (
    _c("id_number", required=True, personal=True, doc="resident id as written"),
    _c("name", personal=True, doc="person's name as written"),
)

TABLES: dict[str, TableSpec] = {
    "claims": TableSpec(
        "claims",
        (
            _c("claim_id", required=True, doc="unique key of the claim"),
            _c("id_number", required=True, personal=True),
            _c("name", required=True, personal=True),
            _c("benefit_type", "enum", required=True, enum="benefit_type"),
            _c("claim_date", "date", required=True),
            _c("period_start", "date"),
            _c("period_end", "date"),
            _c("region_code"),
            _c("birth_date", "date", personal=True),
            _c("gender", "enum", enum="gender"),
            _c("phone", personal=True),
            _c("bank_account", personal=True),
            _c("last_employer_id"),
            _c("agency_id"),
        ),
        key="claim_id",
        required=True,
    ),
    "employment": TableSpec(
        "employment",
        (
            _c("record_id"),
            *_PERSON,
            _c("employer_id"),
            _c("start_date", "date", required=True),
            _c("end_date", "date"),
            _c("region_code"),
            _c("agency_id"),
        ),
        key="record_id",
    ),
    "stoppages": TableSpec(
        "stoppages",
        (
            _c("record_id"),
            *_PERSON,
            _c("employer_id"),
            _c("stop_date", "date", required=True),
            _c("reason", "enum", enum="reason"),
            _c("reason_text"),
        ),
        key="record_id",
    ),
    "pensions": TableSpec(
        "pensions",
        (
            _c("record_id"),
            *_PERSON,
            _c("scheme", "enum", enum="scheme"),
            _c("start_date", "date", required=True),
            _c("end_date", "date"),
            _c("region_code"),
        ),
        key="record_id",
    ),
    "benefits": TableSpec(
        "benefits",
        (
            _c("record_id"),
            *_PERSON,
            _c("benefit_type", "enum", enum="benefit_type"),
            _c("start_date", "date", required=True),
            _c("end_date", "date"),
            _c("region_code"),
        ),
        key="record_id",
    ),
    "deaths": TableSpec(
        "deaths",
        (_c("record_id"), *_PERSON, _c("death_date", "date", required=True)),
        key="record_id",
    ),
    "incarcerations": TableSpec(
        "incarcerations",
        (
            _c("record_id"),
            *_PERSON,
            _c("start_date", "date", required=True),
            _c("end_date", "date"),
        ),
        key="record_id",
    ),
    "enterprises": TableSpec(
        "enterprises",
        (
            _c("enterprise_id", required=True),
            _c("name"),
            _c("kind", "enum", enum="kind"),
            _c("size_class", "enum", enum="size_class"),
            _c("legal_rep_id", personal=True),
            _c("legal_rep_name", personal=True),
            _c("phone"),
            _c("address"),
            _c("bank_account"),
            _c("established_date", "date"),
            _c("dishonest", "bool"),
        ),
        key="enterprise_id",
    ),
    "dispatch": TableSpec(
        "dispatch",
        (
            _c("record_id"),
            _c("agency_id", required=True),
            _c("employer_id"),
            *_PERSON,
            _c("start_date", "date", required=True),
            _c("end_date", "date"),
        ),
        key="record_id",
    ),
    "refund_applications": TableSpec(
        "refund_applications",
        (
            _c("application_id", required=True),
            _c("enterprise_id", required=True),
            _c("year", "int", required=True),
            _c("covered_units", "list"),
            _c("due_prev_year", "money"),
            _c("paid_prev_year", "money"),
            _c("insured_prev_year_end", "int"),
            _c("layoffs_prev_year", "int"),
            _c("bank_account"),
            _c("requested_amount", "money"),
            # Extensions (not in the contract): inputs of the other layoff-rate formulas of
            # domain.md §5.3, read only when ``RefundPolicy.layoff_formula`` names them.
            _c("insured_prev2_year_end", "int", doc="insured at the end of year N-2 (formulas A, B)"),
            _c("insured_jan_prev_year", "int", doc="insured in January of N-1 (formula C)"),
            _c("insured_avg_prev_year", "money", doc="monthly average insured in N-1 (C, D)"),
            _c("ui_recipients_prev_year", "int", doc="UI-benefit recipients in N-1 (B)"),
            _c("new_ui_recipients_prev_year", "int", doc="new UI-benefit recipients in N-1 (D)"),
        ),
        key="application_id",
    ),
}

# ---------------------------------------------------------------------------------------------
# Outputs (contract §2)
# ---------------------------------------------------------------------------------------------

DECISION_SCHEMA: dict[str, pl.DataType] = {
    "claim_id": pl.String(),
    "decision": pl.String(),
    "rules": pl.List(pl.String()),
    "risk_score": pl.Float64(),
}

FINDING_SCHEMA: dict[str, pl.DataType] = {
    "claim_id": pl.String(),
    "rule": pl.String(),
    "severity": pl.String(),
    "source": pl.String(),
    "source_key": pl.String(),
    "match": pl.String(),
    "score": pl.Float64(),
    "overlap_start": pl.Date(),
    "overlap_end": pl.Date(),
    "detail": pl.String(),
}

ALERT_SCHEMA: dict[str, pl.DataType] = {
    "alert_id": pl.String(),
    "pattern": pl.String(),
    "score": pl.Float64(),
    "entities": pl.List(pl.String()),
    "detail": pl.String(),
}

REFUND_DECISION_SCHEMA: dict[str, pl.DataType] = {
    "application_id": pl.String(),
    "decision": pl.String(),
    "rules": pl.List(pl.String()),
    "eligible_amount": pl.Decimal(18, 2),
    "detail": pl.String(),
}
