"""Synthetic province with ground truth (``dupcheck synth``); the World API is documented in
:mod:`dupcheck.synth.world`."""

from __future__ import annotations

from dupcheck.synth.build import build_world, generate, shard_count, truth_path
from dupcheck.synth.rates import SynthRates
from dupcheck.synth.world import World

__all__ = ["SynthRates", "World", "build_world", "generate", "shard_count", "truth_path"]
