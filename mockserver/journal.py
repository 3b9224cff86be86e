"""The request journal: what the mock was asked and what it answered."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["RequestJournal", "RequestRecord"]


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


class RequestJournal:
    """A bounded log; the oldest records go first, and ``dropped`` counts them."""

    def __init__(self, size: int) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=size or None)
        self.dropped = 0

    def add(self, record: RequestRecord) -> None:
        if self._records.maxlen is not None and len(self._records) == self._records.maxlen:
            self.dropped += 1
        self._records.append(record)

    def clear(self) -> None:
        self._records.clear()
        self.dropped = 0

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(tuple(self._records))

    def __len__(self) -> int:
        return len(self._records)

    def rejected(self) -> list[RequestRecord]:
        """Requests answered with the validation code (malformed in the mock's eyes)."""
        return [r for r in self._records if r.code == 422]
