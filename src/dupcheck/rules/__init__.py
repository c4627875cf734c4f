"""Claim rules, one module per concern, and the registry screening runs them from.

Each entry names the rule codes it emits and the tables it needs; a rule whose tables are absent
is skipped and the screening result says so (contract: "each other table enables the checks that
need it").
"""

from __future__ import annotations

from dataclasses import dataclass

from dupcheck.rules.base import Context, Rule, empty_findings, make_findings
from dupcheck.rules.duplicates import duplicate_claim
from dupcheck.rules.entitlement import entitlement_used
from dupcheck.rules.identity import id_conflict, id_invalid, input_invalid
from dupcheck.rules.retirement import retirement_age
from dupcheck.rules.spells import deceased, employed, incarcerated, pension, prior_benefit
from dupcheck.rules.stoppage import stop_reason

__all__ = ["REGISTRY", "Context", "RuleSpec", "empty_findings", "make_findings"]


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule function, the codes it can emit, and the tables it needs (any of ``any_of``)."""

    fn: Rule
    codes: tuple[str, ...]
    needs: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()

    def missing(self, present: set[str]) -> list[str]:
        """Tables whose absence stops this rule (empty when it can run)."""
        miss = [t for t in self.needs if t not in present]
        if self.any_of and not any(t in present for t in self.any_of):
            miss.append(" or ".join(self.any_of))
        return miss


REGISTRY: tuple[RuleSpec, ...] = (
    RuleSpec(input_invalid, ("INPUT_INVALID",)),
    RuleSpec(id_invalid, ("ID_INVALID",)),
    RuleSpec(id_conflict, ("ID_CONFLICT",)),
    RuleSpec(duplicate_claim, ("DUPLICATE_CLAIM",)),
    RuleSpec(employed, ("EMPLOYED",), any_of=("employment", "dispatch")),
    RuleSpec(stop_reason, ("STOP_REASON", "STOP_REASON_MISSING"), needs=("employment", "stoppages")),
    RuleSpec(pension, ("PENSION",), needs=("pensions",)),
    RuleSpec(prior_benefit, ("PRIOR_BENEFIT",), needs=("benefits",)),
    RuleSpec(entitlement_used, ("ENTITLEMENT_USED",), needs=("benefits",)),
    RuleSpec(retirement_age, ("RETIREMENT_AGE",)),
    RuleSpec(deceased, ("DECEASED",), needs=("deaths",)),
    RuleSpec(incarcerated, ("INCARCERATED",), needs=("incarcerations",)),
)
