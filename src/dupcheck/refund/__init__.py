"""Job-stabilization refund audit (稳岗返还): eligibility, exact amounts, common control, notice.

``audit(data, policy, graph_alerts) -> RefundResult`` checks every application against contract
§3-§4 (refund rules and semantics) and domain.md §5; ``RefundResult.write(out)`` writes
``refund_decisions.parquet``, ``refund_findings.parquet`` and ``notice.csv``.

Optional extra columns of ``refund_applications`` for the layoff-rate variants A-D
(``RefundPolicy.layoff_formula``) are listed in :data:`LAYOFF_EXTRA_COLUMNS`.
"""

from __future__ import annotations

from ._inputs import LAYOFF_EXTRA_COLUMNS
from .audit import CONTRACT_RULES, EXTRA_RULES, REFUND_FINDING_SCHEMA, RefundResult, audit
from .notice import NOTICE_COLUMNS

__all__ = [
    "CONTRACT_RULES",
    "EXTRA_RULES",
    "LAYOFF_EXTRA_COLUMNS",
    "NOTICE_COLUMNS",
    "REFUND_FINDING_SCHEMA",
    "RefundResult",
    "audit",
]
