"""Identity matching: exact links on the normalised id, fuzzy person linkage, the evidence frame."""

from __future__ import annotations

from dupcheck.matchers.evidence import EVIDENCE_SCHEMA, build_evidence, stack_records
from dupcheck.matchers.exact import exact_links

__all__ = ["EVIDENCE_SCHEMA", "build_evidence", "exact_links", "stack_records"]
