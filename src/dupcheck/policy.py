"""Policy parameters: every number and class the rules use, with its source, overridable from TOML.

Defaults follow the national rules and 2021 Shandong practice where known (see
``shared/docs/domain.md``); a local agency overrides them with ``Policy.from_toml(path)`` or
``dupcheck screen --policy FILE``. Unknown keys are errors, so a typo never silently keeps a default.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dupcheck.errors import ConfigError

__all__ = [
    "GraphPolicy",
    "MatchPolicy",
    "Policy",
    "RefundPolicy",
    "RetirementSchedule",
    "ScreeningPolicy",
]

Severity = Literal["reject", "review", "info"]


#: Default severity per claim rule (contract §3).
_DEFAULT_SEVERITIES: dict[str, Severity] = {
    "INPUT_INVALID": "review",
    "ID_INVALID": "review",
    "ID_CONFLICT": "review",
    "DUPLICATE_CLAIM": "reject",
    "EMPLOYED": "reject",
    "STOP_REASON": "reject",
    "STOP_REASON_MISSING": "review",
    "PENSION": "reject",
    "PRIOR_BENEFIT": "reject",
    "ENTITLEMENT_USED": "review",
    "RETIREMENT_AGE": "review",
    "DECEASED": "reject",
    "INCARCERATED": "reject",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class RetirementSchedule(_Model):
    """Statutory retirement age for one group and its gradual increase.

    Source: 国务院关于工人退休、退职的暂行办法 (men 60, women workers 50); 全国人大常委会关于实施渐进式
    延迟法定退休年龄的决定 (2024-09-13): from 2025-01-01 the age rises by one month every
    ``step_every_months`` months of birth, starting with people born in ``first_birth_month``,
    up to ``max_delay_months``.
    """

    base_age_years: int = Field(description="statutory age before the reform")
    first_birth_month: date = Field(description="first birth month whose age is raised")
    step_every_months: int = Field(ge=1, description="birth months per one-month increase")
    max_delay_months: int = Field(ge=0, description="total increase when fully phased in")


class MatchPolicy(_Model):
    """Identity linkage thresholds (calibrated scores in 0..1)."""

    reject_threshold: float = Field(
        0.90, ge=0, le=1,
        description="a fuzzy link at or above this supports a `reject` finding; below it, the "
        "finding is downgraded to `review` (contract §4, Decision)",
    )
    review_threshold: float = Field(
        0.60, ge=0, le=1, description="fuzzy links below this are discarded as non-matches",
    )
    fuzzy_enabled: bool = Field(True, description="run fuzzy linkage for doubtful identities")


class ScreeningPolicy(_Model):
    """Parameters of the claim rules (contract §3-§4, domain.md §2-§4)."""

    qualifying_reasons: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "ui_benefit": [
                "contract_expired", "dismissed", "mutual_termination", "quit_for_cause",
                "employer_closed",
            ],
            "ui_subsidy": [
                "contract_expired", "dismissed", "mutual_termination", "quit_for_cause",
                "employer_closed", "resigned", "mutual_by_worker",
            ],
            "migrant_allowance": [
                "contract_expired", "dismissed", "mutual_termination", "quit_for_cause",
                "employer_closed", "resigned", "mutual_by_worker",
            ],
        },
        description="stoppage reasons that qualify per benefit type; Social Insurance Law Art. 45, "
        "人社部令13号 Art. 13 (ui_benefit), 人社部发〔2020〕40号 (subsidy, allowance)",
    )
    entitlement_months: dict[str, int] = Field(
        default_factory=lambda: {"ui_subsidy": 6, "migrant_allowance": 3},
        description="default claimed period for benefit types with a flat entitlement "
        "(人社部发〔2020〕40号: subsidy up to 6 months; allowance 3 months [U])",
    )
    ui_benefit_months: list[tuple[float, int]] = Field(
        default_factory=lambda: [(0.0, 12), (5.0, 18), (10.0, 24)],
        description="(minimum contribution years, months) for ui_benefit; Law Art. 46, "
        "Regulation Art. 17; 12 months when contribution years are unknown",
    )
    subsidy_total_months: int = Field(
        6, description="ui_subsidy is paid once and at most this many months in total (domain D2)",
    )
    retirement_men: RetirementSchedule = Field(
        default_factory=lambda: RetirementSchedule(
            base_age_years=60, first_birth_month=date(1965, 1, 1), step_every_months=4,
            max_delay_months=36,
        ),
        description="men: 60, rising to 63 from 2025 (2024 NPCSC decision)",
    )
    retirement_women: RetirementSchedule = Field(
        default_factory=lambda: RetirementSchedule(
            base_age_years=50, first_birth_month=date(1975, 1, 1), step_every_months=2,
            max_delay_months=60,
        ),
        description="women workers: 50, rising to 55 from 2025 (2024 NPCSC decision); set "
        "55/1970-01/4/36 for women cadres",
    )
    severities: dict[str, Severity] = Field(
        default_factory=lambda: _DEFAULT_SEVERITIES.copy(),
        description="default severity per claim rule (contract §3)",
    )
    risk_weights: dict[str, float] = Field(
        default_factory=lambda: {"reject": 0.9, "review": 0.5, "info": 0.1},
        description="risk contribution of one finding by severity; risk = 1 - prod(1 - w*score)",
    )

    @field_validator("severities", "qualifying_reasons", "entitlement_months", mode="before")
    @classmethod
    def _merge_defaults(cls, v: Any, info: Any) -> Any:
        """A TOML table overrides the keys it names; the other keys keep their defaults."""
        if not isinstance(v, dict):
            return v
        default = cls.model_fields[info.field_name].get_default(call_default_factory=True)
        if info.field_name == "severities":
            unknown = sorted(set(v) - set(default))
            if unknown:
                raise ValueError(f"unknown rule code(s) {unknown}")
        return {**default, **v}

    @field_validator("qualifying_reasons")
    @classmethod
    def _known_reasons(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        from dupcheck.schema import BENEFIT_TYPES, STOP_REASONS

        for bt, reasons in v.items():
            if bt not in BENEFIT_TYPES:
                raise ValueError(f"unknown benefit type {bt!r}")
            bad = [r for r in reasons if r not in STOP_REASONS]
            if bad:
                raise ValueError(f"unknown stoppage reason(s) {bad} for {bt}")
        return v


class GraphPolicy(_Model):
    """Graph-pattern parameters (contract §4, Graph semantics)."""

    hub_cap: int = Field(20, ge=2, description="identifiers shared by more persons/units are hubs")
    allow_list: list[str] = Field(
        default_factory=list,
        description="identifiers (`phone:...`, `account:...`, `address:...`) exempt from patterns",
    )
    shared_min_persons: int = Field(3, description="SHARED_IDENTIFIER needs this many persons")
    multi_agency_min_days: int = Field(7, description="MULTI_AGENCY_WORKER minimum overlap days")
    large_headcount: int = Field(300, description="SPLIT_ENTERPRISE combined headcount")
    spike_ratio: float = Field(3.0, description="AGENCY_CLAIM_SPIKE: rate vs peer median")
    spike_alpha: float = Field(0.001, description="AGENCY_CLAIM_SPIKE: one-sided binomial alpha")
    spike_min_claims: int = Field(5, description="AGENCY_CLAIM_SPIKE: minimum claims")
    manufactured_min_claimants: int = Field(5, description="MANUFACTURED_ELIGIBILITY minimum")
    manufactured_min_share: float = Field(0.30, description="MANUFACTURED_ELIGIBILITY share")
    manufactured_spell_months: tuple[int, int] = Field(
        (12, 14), description="spell length window in months (just past the 1-year threshold)",
    )
    manufactured_max_gap_days: int = Field(60, description="spell end to claim, at most")
    community_min_claimants: int = Field(8, description="SUSPICIOUS_COMMUNITY minimum claimants")
    peer_min_workers: int = Field(
        10, ge=1, description="AGENCY_CLAIM_SPIKE: agencies with fewer former workers are not "
        "peers (their rates are too noisy to set the peer median)",
    )
    community_peel_above: int = Field(
        100, ge=2, description="SUSPICIOUS_COMMUNITY: a connected group with more claimants than "
        "this is peeled FRAUDAR-style to its densest block before it is reported",
    )


class RefundPolicy(_Model):
    """Job-stabilization refund parameters (contract §4 Refund semantics, domain.md §5)."""

    rates: dict[int, tuple[Decimal, Decimal]] = Field(
        default_factory=lambda: {
            2021: (Decimal("0.30"), Decimal("0.60")),
            2022: (Decimal("0.50"), Decimal("0.90")),
            2023: (Decimal("0.30"), Decimal("0.60")),
            2024: (Decimal("0.30"), Decimal("0.60")),
            2025: (Decimal("0.30"), Decimal("0.60")),
        },
        description="(large, SME) refund rate by policy year: 人社部发〔2021〕29号 (2021), 2022 "
        "notice (50%/90%), 2023-25 continuation (30%/60%)",
    )
    layoff_thresholds: dict[int, Decimal] = Field(
        default_factory=lambda: {2021: Decimal("0.06"), 2022: Decimal("0.055")},
        description="layoff-rate ceiling by policy year (national surveyed unemployment target); "
        "years after the last key use the last key's value",
    )
    small_unit_headcount: int = Field(30, description="units with at most this many insured...")
    small_unit_threshold: Decimal = Field(Decimal("0.20"), description="...use this ceiling")
    layoff_formula: Literal["A", "B", "C", "D", "default"] = Field(
        "default", description="layoff-rate formula (domain.md §5.3); default = layoffs / insured",
    )
    large_headcount: int = Field(300, description="size class when null: large from this many")
    severities: dict[str, Severity] = Field(
        default_factory=dict,
        description="overrides of the contract's refund severities by rule code (empty: contract "
        "§4 defaults, including REFUND_PUBLIC_INSTITUTION reject for an applicant and review for "
        "a covered unit); an override applies to every finding of that rule",
    )

    @field_validator("severities")
    @classmethod
    def _known_refund_rules(cls, v: dict[str, Severity]) -> dict[str, Severity]:
        known = {
            "REFUND_ARREARS", "REFUND_LAYOFF_RATE", "REFUND_DISHONEST", "REFUND_PUBLIC_INSTITUTION",
            "REFUND_DOUBLE_CLAIM", "REFUND_AMOUNT", "REFUND_ACCOUNT", "REFUND_INPUT_INVALID",
            "REFUND_UNIT_UNKNOWN", "RELATED_PARTY", "SPLIT_ENTERPRISE", "REFUND_SHARED_ADDRESS",
        }
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(f"unknown refund rule code(s) {unknown}")
        return v


class Policy(_Model):
    """All policy parameters. ``Policy()`` gives the documented defaults."""

    match: MatchPolicy = Field(default_factory=lambda: MatchPolicy())
    screening: ScreeningPolicy = Field(default_factory=lambda: ScreeningPolicy())
    graph: GraphPolicy = Field(default_factory=lambda: GraphPolicy())
    refund: RefundPolicy = Field(default_factory=lambda: RefundPolicy())

    @classmethod
    def from_toml(cls, path: str | Path) -> Policy:
        """Defaults overridden by a TOML file whose tables mirror this model."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{p}: policy file not found") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from exc
        return cls.from_dict(data, source=str(p))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "policy") -> Policy:
        """Defaults overridden by a nested mapping (unknown keys are errors)."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            msgs = "; ".join(
                f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"{source}: {msgs}") from exc
