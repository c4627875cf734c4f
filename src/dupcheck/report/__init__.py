"""Human-facing reports. Everything here is meant for people, so personal data is masked."""

from __future__ import annotations

from dupcheck.report.html import screening_report

__all__ = ["screening_report"]
