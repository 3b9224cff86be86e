"""Write-behind for the shared stores: tasks added or saved in one event-loop step go out together."""

from __future__ import annotations

import asyncio
import pickle
import weakref
from abc import abstractmethod
from collections.abc import Iterator, MutableMapping
from typing import Any, Generic, TypeVar

from .._store import Task

__all__ = ["StoredTasks", "WriteBehind", "dump"]

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


def dump(value: Any) -> bytes:
    """A record as the stores keep it."""
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


Store = TypeVar("Store", bound=WriteBehind)


class StoredTasks(MutableMapping[str, Task], Generic[Store]):
    """A store's tasks as a mapping: pending first, then this step's read cache, then the store itself.

    Subclasses give the four calls that reach the store: :meth:`_load`, :meth:`_stored`,
    :meth:`_delete`, :meth:`_ids` (and :meth:`__len__`).
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    @abstractmethod
    def _load(self, task_id: str) -> bytes | None:
        """The stored record of ``task_id``; None if there is none."""

    @abstractmethod
    def _stored(self, task_id: str) -> bool:
        """Whether the store holds ``task_id`` (pending tasks aside)."""

    @abstractmethod
    def _delete(self, task: Task) -> None:
        """Remove ``task`` and its tracks from the store (flushed and known to exist)."""

    @abstractmethod
    def _ids(self) -> list[str]:
        """Every stored task id, oldest first (flushed)."""

    def __getitem__(self, task_id: str) -> Task:
        store = self._store
        held = store._pending.get(task_id)
        if held is not None:
            return held
        read = store._read
        if task_id in read:
            return read[task_id]
        blob = self._load(task_id)
        if blob is None:
            raise KeyError(task_id)
        task: Task = pickle.loads(blob)
        store._remember(task)
        return task

    def get(self, task_id: str, default: Any = None) -> Any:  # the hot path: no exception per miss
        if not isinstance(task_id, str):
            return default
        try:
            return self[task_id]
        except KeyError:
            return default

    def __contains__(self, task_id: object) -> bool:
        if not isinstance(task_id, str):
            return False
        return task_id in self._store._pending or self._stored(task_id)

    def __setitem__(self, task_id: str, task: Task) -> None:
        self._store.add(task)

    def __delitem__(self, task_id: str) -> None:
        self._store.flush()
        task = self.get(task_id)
        if task is None:
            raise KeyError(task_id)
        self._delete(task)
        self._store._read.pop(task_id, None)

    def __iter__(self) -> Iterator[str]:
        self._store.flush()
        return iter(self._ids())
