"""Graph parameters beyond ``dupcheck.policy.GraphPolicy`` (kept here until the policy adopts them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["GraphExtras"]


class GraphExtras(BaseModel):
    """Extra knobs of the graph detectors, documented where declared."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    peer_min_workers: int = Field(
        default=10, ge=1, description="AGENCY_CLAIM_SPIKE: agencies with fewer former workers are not peers "
        "(their rates are too noisy to set the peer median)",
    )
    community_peel_above: int = Field(
        default=100, ge=2, description="SUSPICIOUS_COMMUNITY: a connected group with more claimants than "
        "this is peeled FRAUDAR-style to its densest block before it is reported",
    )
