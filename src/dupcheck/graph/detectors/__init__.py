"""Graph-pattern detectors, one module per contract §3 pattern.

Each module exposes ``PATTERN`` (the code) and ``detect(ctx) -> pl.DataFrame`` returning
``pattern, score, entities, detail`` rows; its docstring documents the method and the score.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from dupcheck.graph.detectors import (
    agency_claim_spike,
    dispatch_while_claiming,
    manufactured_eligibility,
    multi_agency_worker,
    one_person_many_ids,
    related_party,
    shared_identifier,
    split_enterprise,
    suspicious_community,
)
from dupcheck.graph.detectors._common import RAW_ALERT_SCHEMA, Context

__all__ = ["DETECTORS", "RAW_ALERT_SCHEMA", "Context"]

#: Pattern code -> detector, in contract §3 order.
DETECTORS: dict[str, Callable[[Context], pl.DataFrame]] = {
    m.PATTERN: m.detect
    for m in (
        dispatch_while_claiming,
        multi_agency_worker,
        shared_identifier,
        related_party,
        split_enterprise,
        agency_claim_spike,
        manufactured_eligibility,
        one_person_many_ids,
        suspicious_community,
    )
}
