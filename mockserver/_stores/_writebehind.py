"""Write-behind for the shared stores: tasks added or saved in one event-loop step go out together."""

from __future__ import annotations

import asyncio
import weakref

from .._store import Task

__all__ = ["WriteBehind"]

#: The shared stores open in this process, by URL.
_SIBLINGS: dict[str, weakref.WeakSet[WriteBehind]] = {}


class WriteBehind:
    """What the SQLite and Redis stores share: a pending set flushed once per loop step, a read cache per step.

    Subclasses set ``_pending``, ``_read`` and ``_flush_planned`` and define :meth:`flush`.
    """

    _pending: dict[str, Task]
    _read: dict[str, Task]
    _values: dict[str, bytes | None]
    _flush_planned: bool
    url: str

    def _join(self) -> None:
        """Count this store among the ones of this process on the same URL (several mocks in one process)."""
        _SIBLINGS.setdefault(self.url, weakref.WeakSet()).add(self)

    def _tell_siblings(self) -> None:
        """This store wrote: another mock of this process on the same store must not answer from this step's reads.

        The reads are kept for one step of the event loop; two mocks in one process (a test's
        pair, in-process ASGI clients that never yield) can share a step.
        """
        siblings = _SIBLINGS.get(self.url)
        if siblings is None or len(siblings) < 2:
            return
        for other in siblings:
            if other is not self:
                other._read.clear()
                other._values.clear()

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
