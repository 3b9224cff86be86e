"""Identifiers and every other random choice, from one seedable source."""

from __future__ import annotations

import random

__all__ = ["RandomSource"]


def uuid4_text(bits: int) -> str:
    """``str(uuid.UUID(int=bits, version=4))``, without building the UUID object (ids are made per request)."""
    bits = (bits & ~(0xC000 << 48) | 0x8000 << 48) & ~(0xF000 << 64) | 4 << 76
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
        return uuid4_text(self._rng.getrandbits(128))

    def integer(self, bits: int = 31) -> int:
        return self._rng.getrandbits(bits)

    def uniform(self, low: float, high: float) -> float:
        return self._rng.uniform(low, high)
