"""Builders shared by the refund tests (no tests here): applications and enterprises with clean defaults."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl

from dupcheck.refund import RefundResult, audit

MONEY = pl.Decimal(18, 2)

APP_SCHEMA: dict[str, pl.DataType] = {
    "application_id": pl.String(), "enterprise_id": pl.String(), "year": pl.Int64(),
    "covered_units": pl.String(), "due_prev_year": MONEY, "paid_prev_year": MONEY,
    "insured_prev_year_end": pl.Int64(), "layoffs_prev_year": pl.Int64(),
    "bank_account": pl.String(), "requested_amount": MONEY,
}
ENT_SCHEMA: dict[str, pl.DataType] = {
    "enterprise_id": pl.String(), "name": pl.String(), "kind": pl.String(),
    "size_class": pl.String(), "legal_rep_id": pl.String(), "legal_rep_name": pl.String(),
    "phone": pl.String(), "address": pl.String(), "bank_account": pl.String(),
    "dishonest": pl.Boolean(),
}


def uscc(i: int, prefix: str = "91") -> str:
    """A distinct 18-character code per ``i`` (the check character does not matter here)."""
    return f"{prefix}3700{i:011d}A"


def ent(i: int, **kw: Any) -> dict[str, Any]:
    """Enterprise ``i``: small, clean, with its own rep, phone, address and account."""
    row: dict[str, Any] = {
        "enterprise_id": uscc(i), "name": f"测试{i}有限公司", "kind": "enterprise",
        "size_class": "small", "legal_rep_id": f"37010219800101{i:04d}",
        "legal_rep_name": "王五", "phone": f"0531{i:08d}", "address": f"济南市路{i}号",
        "bank_account": f"ACC{i:06d}", "dishonest": False,
    }
    if "enterprise_id" not in kw and kw.get("prefix"):
        row["enterprise_id"] = uscc(i, kw.pop("prefix"))
    kw.pop("prefix", None)
    row.update(kw)
    return row


def app(aid: str, i: int, **kw: Any) -> dict[str, Any]:
    """Application ``aid`` of enterprise ``i``: 2021, paid in full, no layoffs, own account."""
    row: dict[str, Any] = {
        "application_id": aid, "enterprise_id": uscc(i), "year": 2021, "covered_units": None,
        "due_prev_year": Decimal("10000.00"), "paid_prev_year": Decimal("10000.00"),
        "insured_prev_year_end": 100, "layoffs_prev_year": 0, "bank_account": f"ACC{i:06d}",
        "requested_amount": None,
    }
    row.update(kw)
    for k in ("due_prev_year", "paid_prev_year", "requested_amount"):
        if isinstance(row[k], str | int):
            row[k] = Decimal(row[k])
    return row


def frames(apps: list[dict[str, Any]], ents: list[dict[str, Any]] | None,
           extra: dict[str, pl.DataType] | None = None) -> dict[str, pl.DataFrame]:
    """The dict of tables ``audit`` accepts."""
    out = {"refund_applications": pl.DataFrame(apps, schema={**APP_SCHEMA, **(extra or {})})}
    if ents is not None:
        out["enterprises"] = pl.DataFrame(ents, schema=ENT_SCHEMA)
    return out


def run(apps: list[dict[str, Any]], ents: list[dict[str, Any]] | None = None, **kw: Any) -> RefundResult:
    """Audit the given rows (enterprises default to one clean row per applicant)."""
    if ents is None:
        seen = sorted({int(a["enterprise_id"][6:17]) for a in apps})
        ents = [ent(i) for i in seen]
    extra = kw.pop("extra", None)
    return audit(frames(apps, ents, extra), **kw)


def by_id(result: RefundResult) -> dict[str, dict[str, Any]]:
    """Decision rows keyed by application id."""
    return {r["application_id"]: r for r in result.decisions.iter_rows(named=True)}
