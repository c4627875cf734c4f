"""Job-stabilization refund audit (稳岗返还): eligibility, exact amounts, common control, notice.

``audit(data, policy, graph_alerts) -> RefundResult`` checks every application against contract
§3-§4 (refund rules and semantics) and domain.md §5; ``RefundResult.write(out)`` writes
``refund_decisions.parquet``, ``refund_findings.parquet`` and ``notice.csv``.

Decisions taken where the contract leaves room (details in the submodules):

* Layoff-rate variants A-D (``RefundPolicy.layoff_formula``) read optional extra columns of
  ``refund_applications`` listed in :data:`LAYOFF_EXTRA_COLUMNS` (``insured_prev2_year_end``,
  ``insured_jan_prev_year``, ``insured_avg_prev_year``, ``ui_recipients_prev_year``,
  ``new_ui_recipients_prev_year``); a formula whose columns are absent raises ConfigError.
* ``insured_prev_year_end`` = 0: rate 0 when nobody was laid off, over any ceiling otherwise.
* Shared address alone is not common control (contract §4); it is reported as the info code
  ``REFUND_SHARED_ADDRESS``. Common control (RELATED_PARTY) and SPLIT_ENTERPRISE are ``info``
  findings; a split group's effect is the large-enterprise rate (and REFUND_AMOUNT).
* REFUND_DOUBLE_CLAIM counts a unit in any two applications of one year: directly and through an
  agency, through two agencies, or (beyond the contract's two cases) two direct applications.
* A value the audit needs that is missing or unreadable gives ``REFUND_INPUT_INVALID`` (review);
  an applicant missing from the enterprises table gives ``REFUND_UNIT_UNKNOWN`` (review).
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
