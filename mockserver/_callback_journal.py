"""The journal of callback attempts: every attempt, delivered, failed or refused, and a wait for one.

The journal may hold tens of thousands of attempts, so an :class:`Attempt` keeps the
body it sent zlib-compressed (one bytes object shared by every attempt of a delivery,
about a quarter of the JSON) and parses :attr:`Attempt.payload` only when it is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ._errors import MockError
from ._lifecycle import Stage

__all__ = ["Attempt", "CallbackJournal", "CallbackWaitTimeout", "compress"]

#: zlib window for journaled bodies: callback payloads are a few KiB, and a small window
#: compresses them as well as the default one at a third of the cost.
_ZLIB_WBITS = 12


def compress(body: bytes) -> bytes:
    return zlib.compress(body, 6, _ZLIB_WBITS)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivery attempt of one callback.

    ``at`` is the mock time the attempt started; ``duration_ms`` is real time.
    ``delivered`` is True only for a 200 answer.  ``final`` is True when no
    further attempt follows (delivered, attempts used up, or URL refused).

    :attr:`body` is the exact JSON sent, kept as ``compressed_body``
    (``zlib.compress(body)``); :attr:`payload` is that JSON parsed, a new dict on
    each access.  :meth:`as_dict` is the JSON shape ``GET /_mock/callbacks`` lists.
    """

    task_id: str
    stage: Stage
    attempt: int
    url: str
    compressed_body: bytes = field(repr=False)
    at: float
    status_code: int | None
    error: str | None
    duration_ms: float
    delivered: bool
    final: bool

    @property
    def body(self) -> bytes:
        """The request body that was POSTed (UTF-8 JSON)."""
        return zlib.decompress(self.compressed_body)

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON payload that was POSTed, parsed (a new dict on each access)."""
        payload: dict[str, Any] = json.loads(self.body)
        return payload

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: every field, with ``stage`` as its value and ``payload`` parsed instead of the body."""
        return {
            "task_id": self.task_id,
            "stage": self.stage.value,
            "attempt": self.attempt,
            "url": self.url,
            "payload": self.payload,
            "at": self.at,
            "status_code": self.status_code,
            "error": self.error,
            "duration_ms": self.duration_ms,
            "delivered": self.delivered,
            "final": self.final,
        }


class CallbackWaitTimeout(MockError, TimeoutError):
    """Raised by :meth:`CallbackJournal.wait_for` when the awaited attempt did not show up in time."""


class CallbackJournal:
    """The most recent ``max_attempts`` delivery attempts, oldest dropped first."""

    def __init__(self, max_attempts: int = 10_000) -> None:
        if max_attempts < 1:
            raise ValueError(f"CallbackJournal max_attempts must be >= 1, got {max_attempts}")
        self._attempts: deque[Attempt] = deque(maxlen=max_attempts)
        self._changed = asyncio.Event()
        self.dropped = 0
        """How many attempts were dropped because the journal was full."""

    def record(self, attempt: Attempt) -> None:
        """Append ``attempt`` (dropping the oldest if full) and wake :meth:`wait_for` callers."""
        if len(self._attempts) == self._attempts.maxlen:
            self.dropped += 1
        self._attempts.append(attempt)
        self._changed.set()
        self._changed = asyncio.Event()

    def attempts(self, task_id: str | None = None) -> list[Attempt]:
        """Return the recorded attempts, oldest first, optionally only those of ``task_id``."""
        return [a for a in self._attempts if task_id is None or a.task_id == task_id]

    def clear(self) -> None:
        """Forget every recorded attempt and reset the dropped count."""
        self._attempts.clear()
        self.dropped = 0

    async def wait_for(
        self,
        task_id: str,
        stage: Stage,
        *,
        delivered: bool = True,
        timeout: float = 10.0,
    ) -> Attempt:
        """Wait up to ``timeout`` real seconds for an attempt of ``task_id``'s ``stage`` callback.

        With ``delivered=True`` this is the attempt that was delivered; with
        ``delivered=False`` the last attempt of a delivery that finally failed.
        Attempts already in the journal count.  With a virtual clock nothing
        happens while waiting: advance the scheduler first.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = next(
                (
                    a
                    for a in self._attempts
                    if a.task_id == task_id
                    and a.stage == stage
                    and (a.delivered if delivered else a.final and not a.delivered)
                ),
                None,
            )
            if found is not None:
                return found
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise CallbackWaitTimeout(self._describe_miss(task_id, stage, delivered, timeout))
            # asyncio.timeout rather than wait_for(), which on Python 3.11 can swallow a cancel
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._changed.wait()

    def _describe_miss(self, task_id: str, stage: Stage, delivered: bool, timeout: float) -> str:
        wanted = "delivered" if delivered else "finally failed"
        seen = [
            f"{a.stage} attempt {a.attempt}: "
            + ("delivered" if a.delivered else f"failed ({a.error or f'HTTP {a.status_code}'})")
            for a in self.attempts(task_id)
        ]
        summary = "; ".join(seen) if seen else "no attempt at all (is callBackUrl set, and has mock time advanced?)"
        return f"no {wanted} {stage!s} callback for task {task_id!r} within {timeout} s; seen: {summary}"
