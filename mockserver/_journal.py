"""The request journal: what the mock was asked and what it answered."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from sys import getsizeof
from typing import Any

__all__ = ["JOURNAL_BYTES", "MSG_KEPT", "PATH_KEPT", "RequestJournal", "RequestRecord", "clipped"]

#: What a record keeps of a path and of a message (characters); the rest is counted, not kept.
PATH_KEPT = 1024
MSG_KEPT = 4096
#: The journal's budget: the oldest records go once the records kept weigh more than this (bytes).
JOURNAL_BYTES = 8 * 1024 * 1024
#: What one record weighs besides its texts (the record, its float and int, the deque's slot).
_RECORD_BYTES = 150


def clipped(text: str, kept: int) -> str:
    """``text``, or its first characters and how long it was when it is longer than ``kept``."""
    if len(text) <= kept:
        return text
    tail = f"... ({len(text):,} characters)"
    return text[: kept - len(tail)] + tail


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One API request (admin routes are not journaled)."""

    at: float
    method: str
    path: str
    operation_id: str | None
    code: int
    msg: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def weight(self) -> int:
        """Bytes this record holds, about: its texts (as if none were shared) and the rest."""
        return _RECORD_BYTES + getsizeof(self.path) + getsizeof(self.msg)


#: What the journal holds per request: a RequestRecord's fields in order (a tuple of strings and
#: numbers, which the garbage collector stops tracking, and cheaper to make than the frozen record).
_Entry = tuple[float, str, str, str | None, int, str]


class RequestJournal:
    """A log bounded by count and by bytes; the oldest records go first, and ``dropped`` counts them.

    A record keeps at most :data:`PATH_KEPT` characters of its path and :data:`MSG_KEPT` of its
    message, so 10,000 requests to 15 KB paths cost what 10,000 to 1 KB paths do.

    Each request is kept as the tuple of its record's fields (:meth:`note`, once per API request);
    the :class:`RequestRecord` views are built when the journal is read.
    """

    def __init__(self, size: int, max_bytes: int = JOURNAL_BYTES) -> None:
        self._records: deque[_Entry] = deque()
        self._size = size or None
        self._max_bytes = max_bytes
        self.bytes = 0
        self.dropped = 0

    def add(self, record: RequestRecord) -> None:
        self.note(record.at, record.method, record.path, record.operation_id, record.code, record.msg)

    def note(self, at: float, method: str, path: str, operation_id: str | None, code: int, msg: str) -> None:
        """``add(RequestRecord(at, method, path, operation_id, code, msg))`` without making the record."""
        if len(path) > PATH_KEPT or len(msg) > MSG_KEPT:
            path, msg = clipped(path, PATH_KEPT), clipped(msg, MSG_KEPT)
        records = self._records
        if len(records) == self._size:
            self._drop()
        records.append((at, method, path, operation_id, code, msg))
        self.bytes += _RECORD_BYTES + getsizeof(path) + getsizeof(msg)
        if self.bytes > self._max_bytes:
            while self.bytes > self._max_bytes and len(records) > 1:
                self._drop()

    def _drop(self) -> None:
        entry = self._records.popleft()
        self.bytes -= _RECORD_BYTES + getsizeof(entry[2]) + getsizeof(entry[5])
        self.dropped += 1

    def clear(self) -> None:
        self._records.clear()
        self.bytes = 0
        self.dropped = 0

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter([RequestRecord(*entry) for entry in tuple(self._records)])

    def __len__(self) -> int:
        return len(self._records)

    def rejected(self) -> list[RequestRecord]:
        """Requests answered with the validation code (malformed in the mock's eyes)."""
        return [RequestRecord(*entry) for entry in self._records if entry[4] == 422]
