"""A self-contained HTML report of a screening run (escaped, masked, no external assets)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from dupcheck.masking import mask_id_expr

if TYPE_CHECKING:
    from dupcheck.screening import ScreeningResult

__all__ = ["screening_report"]

_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}.reject{color:#a00}.review{color:#a60}.approve{color:#060}
.note{color:#555;font-size:.9em}
"""


def _table(df: pl.DataFrame) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in df.columns)
    rows = []
    for r in df.iter_rows():
        cells = []
        for c, v in zip(df.columns, r, strict=True):
            text = ", ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else str(v))
            cls = f' class="{escape(text)}"' if c == "decision" else ""
            cells.append(f"<td{cls}>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def screening_report(result: ScreeningResult, path: str | Path, *, title: str = "dupcheck screening", sample: int = 25, extra_html: str = "") -> Path:
    """Write an HTML report: decision and rule counts, the riskiest claims (ids masked), skipped rules."""
    p = Path(path)
    s = result.summary()
    top = (
        result.decisions.filter(pl.col("decision") != "approve")
        .join(result.claims.select("claim_id", mask_id_expr(pl.col("pid")).alias("identity")), on="claim_id", how="left")
        .sort(["risk_score", "claim_id"], descending=[True, False])
        .head(sample)
        .select("claim_id", "identity", "decision", "rules", "risk_score")
    )
    skipped = pl.DataFrame(
        {"rule": list(result.skipped), "why": list(result.skipped.values())},
        schema={"rule": pl.String, "why": pl.String},
    )
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p class='note'>Generated {escape(datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC'))}. "
        "Decisions are recommendations for a caseworker, not automated denials (PIPL Art. 24); "
        "identity numbers are masked.</p>",
        f"<h2>Decisions ({result.decisions.height} claims)</h2>",
        _table(s.filter(pl.col("kind") == "decision").select("key", "claims").rename({"key": "decision"})),
        "<h2>Rules</h2>",
        _table(s.filter(pl.col("kind") == "rule").select("key", "claims").rename({"key": "rule"})),
        f"<h2>Highest-risk claims (top {top.height})</h2>",
        _table(top),
    ]
    if skipped.height:
        body += ["<h2>Skipped rules</h2>", _table(skipped)]
    if result.timings:
        t = pl.DataFrame({"stage": list(result.timings), "seconds": list(result.timings.values())})
        body += ["<h2>Stage timings</h2>", _table(t)]
    body.append(extra_html)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>",
        encoding="utf-8",
    )
    return p
