"""Identifiers and every other random choice, from one seedable source."""

from __future__ import annotations

import random
import uuid

__all__ = ["RandomSource"]


class RandomSource:
    """Task ids (32 lowercase hex), track ids (UUID v4) and numbers; reproducible by seed."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._rng = random.Random(seed)

    def reset(self) -> None:
        """Start the sequence again (a fresh OS-random one when there is no seed)."""
        self._rng = random.Random(self.seed)

    def task_id(self) -> str:
        return f"{self._rng.getrandbits(128):032x}"

    def track_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def integer(self, bits: int = 31) -> int:
        return self._rng.getrandbits(bits)

    def uniform(self, low: float, high: float) -> float:
        return self._rng.uniform(low, high)
