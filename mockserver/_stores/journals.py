"""The request and callback journals of a shared store: every process appends to, and reads, one journal."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Iterator
from dataclasses import replace

from .._callback_journal import Attempt, CallbackJournal, CallbackWaitTimeout
from .._journal import MSG_KEPT, PATH_KEPT, RequestJournal, RequestRecord, clipped
from .._lifecycle import Stage
from .._store import SharedState

__all__ = ["SharedCallbackJournal", "SharedRequestJournal"]

#: Real seconds between two looks at the shared journal while waiting for an attempt.
_WAIT_POLL_S = 0.02


class SharedCallbackJournal(CallbackJournal):
    """The latest ``max_attempts`` delivery attempts of every process on the store."""

    NAME = "callbacks"

    def __init__(self, shared: SharedState, max_attempts: int = 10_000) -> None:
        super().__init__(max_attempts)
        self._shared = shared
        self._keep = max_attempts

    @property
    def dropped(self) -> int:
        return self._shared.journal_dropped(self.NAME)

    @dropped.setter
    def dropped(self, value: int) -> None:
        """Counted by the store (the base class's assignments are ignored)."""

    def record(self, attempt: Attempt) -> None:
        self._shared.journal_add(self.NAME, pickle.dumps(attempt, pickle.HIGHEST_PROTOCOL), self._keep)

    def attempts(self, task_id: str | None = None) -> list[Attempt]:
        found: list[Attempt] = [pickle.loads(blob) for blob in self._shared.journal_read(self.NAME)]
        return [a for a in found if task_id is None or a.task_id == task_id]

    def clear(self) -> None:
        self._shared.journal_clear(self.NAME)

    async def wait_for(
        self,
        task_id: str,
        stage: Stage,
        *,
        delivered: bool = True,
        timeout: float = 10.0,
    ) -> Attempt:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for a in self.attempts(task_id):
                if a.stage == stage and (a.delivered if delivered else a.final and not a.delivered):
                    return a
            if loop.time() >= deadline:
                raise CallbackWaitTimeout(self._describe_miss(task_id, stage, delivered, timeout))
            await asyncio.sleep(_WAIT_POLL_S)


class SharedRequestJournal(RequestJournal):
    """The latest ``size`` API requests of every process on the store (bounded by count)."""

    NAME = "requests"

    def __init__(self, shared: SharedState, size: int) -> None:
        super().__init__(size)
        self._shared = shared
        self._keep = size

    def add(self, record: RequestRecord) -> None:
        if len(record.path) > PATH_KEPT or len(record.msg) > MSG_KEPT:
            record = replace(record, path=clipped(record.path, PATH_KEPT), msg=clipped(record.msg, MSG_KEPT))
        self._shared.journal_add(self.NAME, pickle.dumps(record, pickle.HIGHEST_PROTOCOL), self._keep)

    def note(self, at: float, method: str, path: str, operation_id: str | None, code: int, msg: str) -> None:
        self.add(RequestRecord(at, method, path, operation_id, code, msg))  # the store keeps whole records

    def _records_now(self) -> list[RequestRecord]:
        return [pickle.loads(blob) for blob in self._shared.journal_read(self.NAME)]

    @property
    def dropped(self) -> int:
        return self._shared.journal_dropped(self.NAME)

    @dropped.setter
    def dropped(self, value: int) -> None:
        """Counted by the store."""

    def clear(self) -> None:
        self._shared.journal_clear(self.NAME)

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self._records_now())

    def __len__(self) -> int:
        return len(self._shared.journal_read(self.NAME))

    def rejected(self) -> list[RequestRecord]:
        return [r for r in self._records_now() if r.code == 422]
