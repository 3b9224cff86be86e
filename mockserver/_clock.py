"""Mock time: the clocks.

Two clocks exist.  :class:`ScaledClock` follows real time, ``scale`` mock
seconds per real second (60 makes a 150 s song complete in 2.5 s).
:class:`VirtualClock` stands still until told to move, which makes tests
deterministic.  Their ``Shared`` variants keep the time in a shared store, so
that every worker of one mock tells the same time.  What runs *at* a mock time
is :mod:`mockserver._scheduler`.
"""

from __future__ import annotations

import math
import time
from typing import Protocol

__all__ = ["Clock", "ScaledClock", "SharedScaledClock", "SharedVirtualClock", "Values", "VirtualClock"]


class Clock(Protocol):
    """Anything that tells mock time."""

    def now(self) -> float:
        """Return the current mock time in unix seconds."""
        ...


class ScaledClock:
    """Mock time that advances ``scale`` mock seconds per real second.

    ``start`` is the mock time at construction (default: the real unix time).
    """

    def __init__(self, scale: float = 1.0, start: float | None = None) -> None:
        if not math.isfinite(scale) or scale <= 0:
            raise ValueError(f"ScaledClock scale must be a finite number > 0 (1 = real time), got {scale!r}")
        self._scale = scale
        self._start = time.time() if start is None else start
        self._origin = time.monotonic()

    @property
    def scale(self) -> float:
        """Mock seconds per real second."""
        return self._scale

    def now(self) -> float:
        """Return the current mock time in unix seconds."""
        return self._start + (time.monotonic() - self._origin) * self._scale


class Values(Protocol):
    """Named values shared by every process on one store (see :class:`mockserver._store.SharedState`)."""

    def get_value(self, name: str) -> bytes | None: ...

    def set_value(self, name: str, value: bytes) -> None: ...

    def set_value_once(self, name: str, value: bytes) -> bytes: ...


class SharedScaledClock(ScaledClock):
    """A scaled clock whose start is kept in a shared store: every process and every restart tells the same time.

    The first process on a store records the mock start and the real (wall) time it was taken at;
    later ones, and a restarted mock, go on from there, so a task made before a restart is as far
    along afterwards as if the mock had never stopped.
    """

    def __init__(self, values: Values, scale: float = 1.0, start: float | None = None) -> None:
        super().__init__(scale, start)
        wall = time.time()
        mine = f"{self._start!r} {wall!r}".encode()
        held = values.set_value_once("clock.scaled", mine).decode().split()
        self._start, self._wall_origin = float(held[0]), float(held[1])

    def now(self) -> float:
        return self._start + (time.time() - self._wall_origin) * self._scale


class VirtualClock:
    """Mock time that only moves when :meth:`advance_to` is called.

    Move it through :meth:`Scheduler.advance`, which also runs what becomes due.
    """

    def __init__(self, start: float) -> None:
        if not math.isfinite(start):
            raise ValueError(f"VirtualClock start must be a finite unix time, got {start!r}")
        self._now = start

    def now(self) -> float:
        """Return the current mock time in unix seconds."""
        return self._now

    def advance_to(self, when: float) -> None:
        """Set the mock time to ``when``, which must not be in the past."""
        if not when >= self._now:
            raise ValueError(f"a VirtualClock only moves forward: now is {self._now}, asked to go to {when}")
        self._now = when


class SharedVirtualClock(VirtualClock):
    """A virtual clock whose time is a shared value: advanced through one process, it has moved for all."""

    def __init__(self, values: Values, start: float) -> None:
        super().__init__(start)
        self._values = values
        values.set_value_once("clock.virtual", repr(start).encode())

    def now(self) -> float:
        held = self._values.get_value("clock.virtual")
        return self._now if held is None else float(held)

    def advance_to(self, when: float) -> None:
        now = self.now()
        if not when >= now:
            raise ValueError(f"a VirtualClock only moves forward: now is {now}, asked to go to {when}")
        self._now = when
        self._values.set_value("clock.virtual", repr(when).encode())
