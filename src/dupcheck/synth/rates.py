"""Planting rates of the synthetic province: shares of claims per rule, near miss and corruption."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CORRUPTION_KINDS", "SynthRates"]

#: Identity damage applied to reference rows (and a few claims), as named in ``links.corruption``.
CORRUPTION_KINDS = (
    "legacy_id",  # 15-digit pre-1999 form
    "lowercase_x",  # check character x (only ids ending in X; others get legacy_id)
    "id_spaces",  # spaces inside the id
    "fullwidth_id",  # full-width digits
    "id_typo",  # one mistyped digit (fails the check character)
    "id_transposed",  # two adjacent different digits swapped (fails the check character)
    "traditional",  # name in traditional characters
    "name_space",  # a space inside the name
    "homophone",  # one given-name character replaced by a homophone
)


class SynthRates(BaseModel):
    """Shares (0..1) of claims that receive each plant, and of rows that receive each damage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # claim rules (share of all claims; the rest are clean)
    employed: float = Field(
        default=0.04, ge=0, le=1, description="EMPLOYED: spell overlapping the period"
    )
    employed_dispatch: float = Field(
        default=0.01, ge=0, le=1, description="EMPLOYED via a dispatch row"
    )
    stop_reason: float = Field(
        default=0.03, ge=0, le=1, description="STOP_REASON: non-qualifying reason"
    )
    stop_reason_missing: float = Field(
        default=0.02, ge=0, le=1, description="no stoppage for last spell"
    )
    pension: float = Field(default=0.02, ge=0, le=1, description="PENSION overlapping the period")
    prior_benefit: float = Field(default=0.03, ge=0, le=1, description="PRIOR_BENEFIT overlapping")
    entitlement_used: float = Field(default=0.02, ge=0, le=1, description="ENTITLEMENT_USED")
    retirement_age: float = Field(default=0.02, ge=0, le=1, description="RETIREMENT_AGE")
    deceased: float = Field(default=0.01, ge=0, le=1, description="DECEASED before period end")
    incarcerated: float = Field(default=0.01, ge=0, le=1, description="INCARCERATED overlapping")
    duplicate_claim: float = Field(default=0.02, ge=0, le=1, description="second overlapping claim")
    id_invalid: float = Field(
        default=0.01, ge=0, le=1, description="claim id mistyped (check fails)"
    )
    id_conflict: float = Field(
        default=0.01, ge=0, le=1, description="birth date/gender/name conflict"
    )
    input_invalid: float = Field(
        default=0.005, ge=0, le=1, description="unknown type / missing date"
    )
    two_problems: float = Field(
        default=0.02, ge=0, le=1, description="two independent rules on a claim"
    )
    # near misses (must not fire)
    nm_employment_day_before: float = Field(
        default=0.02, ge=0, le=1, description="spell ends day before"
    )
    nm_pension_after: float = Field(
        default=0.01, ge=0, le=1, description="pension starts after period"
    )
    nm_namesake: float = Field(default=0.02, ge=0, le=1, description="namesake at work, other id")
    nm_benefit_before: float = Field(
        default=0.02, ge=0, le=1, description="benefit ends day before"
    )
    nm_retirement_reform: float = Field(
        default=0.005, ge=0, le=1, description="past the old age but under the 2025 raised age"
    )
    nm_agency_phone: float = Field(
        default=0.005,
        ge=0,
        le=1,
        description="claimants sharing their agency's registered office phone",
    )
    # claim shape
    null_period_end: float = Field(
        default=0.3, ge=0, le=1, description="claims left to the default end"
    )
    benefit_type_shares: tuple[float, float, float] = Field(
        default=(0.6, 0.3, 0.1), description="ui_benefit, ui_subsidy, migrant_allowance"
    )
    # dirty identities
    ref_corruption: float = Field(
        default=0.10, ge=0, le=1, description="share of reference rows damaged"
    )
    claim_corruption: float = Field(default=0.03, ge=0, le=1, description="share of claims damaged")
    corruption_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "legacy_id": 0.15,
            "lowercase_x": 0.05,
            "id_spaces": 0.1,
            "fullwidth_id": 0.1,
            "id_typo": 0.12,
            "id_transposed": 0.08,
            "traditional": 0.15,
            "name_space": 0.1,
            "homophone": 0.15,
        },
        description="relative weight of each damage kind (see CORRUPTION_KINDS)",
    )
    # population
    employed_share: float = Field(
        default=0.55, ge=0, le=1, description="non-claimants currently at work"
    )
    pensioner_share: float = Field(
        default=0.08, ge=0, le=1, description="non-claimants on a pension"
    )
    enterprises_per_1000: float = Field(default=8.0, ge=0, description="units per 1000 people")
