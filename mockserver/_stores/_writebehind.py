"""Write-behind for the shared stores: tasks added or saved in one event-loop step go out together."""

from __future__ import annotations

import asyncio

from .._store import Task

__all__ = ["WriteBehind"]


class WriteBehind:
    """What the SQLite and Redis stores share: a pending set flushed once per loop step, a read cache per step.

    Subclasses set ``_pending``, ``_read`` and ``_flush_planned`` and define :meth:`flush`.
    """

    _pending: dict[str, Task]
    _read: dict[str, Task]
    _flush_planned: bool

    def flush(self) -> None:
        raise NotImplementedError

    def add(self, task: Task) -> None:
        self._pending[task.id] = task
        self._plan_flush()

    def save(self, task: Task) -> None:
        self._pending[task.id] = task
        self._plan_flush()

    def _remember(self, task: Task) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if not self._read:
            loop.call_soon(self._read.clear)
        self._read[task.id] = task

    def _plan_flush(self) -> None:
        if self._flush_planned:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_planned = True
        loop.call_soon(self.flush)
