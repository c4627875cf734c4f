"""Synthetic province with ground truth (``dupcheck synth``): see :mod:`dupcheck.synth.world`."""

from __future__ import annotations

from dupcheck.synth.rates import SynthRates
from dupcheck.synth.world import World

__all__ = ["SynthRates", "World", "generate"]


def __getattr__(name: str) -> object:
    if name == "generate":
        from dupcheck.synth.generate import generate

        return generate
    raise AttributeError(name)
