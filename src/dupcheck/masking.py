"""Masking of personal data for anything meant for people (contract §2, domain.md §7).

Ids become the first 6 and last 4 characters around ``********`` (hides the birth date); names
become the surname followed by ``*`` (compound surnames kept whole). Both as plain functions for
messages and as polars expressions for whole columns.
"""

from __future__ import annotations

import polars as pl

__all__ = ["COMPOUND_SURNAMES", "mask_id", "mask_id_expr", "mask_name", "mask_name_expr", "mask_value"]

#: Two-character surnames (复姓) that are kept whole when a name is masked.
COMPOUND_SURNAMES: frozenset[str] = frozenset(
    ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台", "公冶", "宗政", "濮阳", "太叔", "申屠", "钟离", "闻人", "赫连", "万俟", "单于", "歐陽", "司馬", "諸葛", "東方", "尉遲", "公孫", "長孫", "夏侯", "軒轅", "令狐", "獨孤", "南宮", "呼延", "鍾離", "聞人", "赫連"]
)


def mask_id(value: str | None) -> str | None:
    """``370102199001011234`` -> ``370102********1234``; short values are fully starred."""
    if value is None:
        return None
    v = "".join(value.split())
    if len(v) <= 10:
        return "*" * len(v)
    return f"{v[:6]}********{v[-4:]}"


def mask_name(value: str | None) -> str | None:
    """``张伟`` -> ``张*``; ``欧阳娜娜`` -> ``欧阳*``; Latin names keep their first letter."""
    if value is None:
        return None
    v = "".join(value.split())
    if not v:
        return v
    surname = v[:2] if v[:2] in COMPOUND_SURNAMES and len(v) > 2 else v[:1]
    return f"{surname}*"


def mask_value(value: str | None, column: str) -> str | None:
    """Mask ``value`` if ``column`` holds personal data (ids, names, phones, accounts)."""
    if value is None:
        return None
    col = column.lower()
    if col in {"id_number", "legal_rep_id"}:
        return mask_id(value)
    if col in {"name", "legal_rep_name"}:
        return mask_name(value)
    if col in {"phone", "bank_account"}:
        v = "".join(value.split())
        return f"{v[:3]}****{v[-2:]}" if len(v) > 6 else "*" * len(v)
    if col == "birth_date":
        return "****-**-**"
    return value


def mask_id_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`mask_id` over a string column."""
    v = expr.str.replace_all(r"\s", "")
    return (
        pl.when(v.str.len_chars() <= 10)
        .then(pl.lit("*").repeat_by(v.str.len_chars()).list.join(""))
        .otherwise(pl.concat_str([v.str.slice(0, 6), pl.lit("********"), v.str.slice(-4, 4)]))
    )


def mask_name_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`mask_name` over a string column."""
    v = expr.str.replace_all(r"\s", "")
    two = v.str.slice(0, 2)
    surname = (
        pl.when(two.is_in(list(COMPOUND_SURNAMES)) & (v.str.len_chars() > 2))
        .then(two)
        .otherwise(v.str.slice(0, 1))
    )
    return pl.when(v.str.len_chars() == 0).then(v).otherwise(pl.concat_str([surname, pl.lit("*")]))
