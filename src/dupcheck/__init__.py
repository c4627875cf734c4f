"""dupcheck: screen unemployment-benefit claims and job-stabilization refunds for improper payments.

Decisions are recommendations for a caseworker (PIPL Art. 24), never automated denials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dupcheck.errors import ConfigError, DupcheckError, InputError, ValidationError
from dupcheck.policy import Policy

if TYPE_CHECKING:
    from dupcheck.io import Dataset, load
    from dupcheck.screening import Screener, ScreeningResult, screen

__all__ = [
    "ConfigError",
    "Dataset",
    "DupcheckError",
    "InputError",
    "Policy",
    "Screener",
    "ScreeningResult",
    "ValidationError",
    "__version__",
    "load",
    "screen",
]

__version__ = "0.1.0"

_LAZY = {
    "Dataset": "dupcheck.io",
    "load": "dupcheck.io",
    "Screener": "dupcheck.screening",
    "ScreeningResult": "dupcheck.screening",
    "screen": "dupcheck.screening",
}


def __getattr__(name: str) -> Any:
    """Import the heavier public parts on first use, so ``import dupcheck`` stays fast."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dupcheck' has no attribute {name!r}")
