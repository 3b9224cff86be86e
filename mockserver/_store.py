"""Tasks and tracks, and the store interface everything a mock keeps lives behind.

The records (:class:`Task`, :class:`Track`) are the same on every store.  :class:`StateStore`
is the interface; :class:`MemoryStore` (today's behaviour, the default) keeps plain dicts in
the process, and :mod:`mockserver._stores` has the SQLite and Redis stores, which also keep the
pending callback deliveries, the shared clock, the journals and the admin fault rules so that a
restarted mock, or several processes, see the same state.

The memory store may hold 100,000 tasks, so its records are slotted and keep as few objects
of their own as they can: a task shares its lifecycle template with every task of the
same kind and failure (see :mod:`lifecycle`).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ._lifecycle import Schedule

__all__ = ["Due", "MemoryStore", "SharedState", "Splice", "StateStore", "Store", "Task", "Track"]


@dataclass(frozen=True, slots=True)
class Splice:
    """How a replace-section track was made from its source."""

    source_id: str
    start_s: float
    end_s: float


@dataclass(slots=True)
class Track:
    """One generated track (an ``audioId``)."""

    id: str
    task_id: str
    index: int
    title: str
    tags: str
    prompt: str
    model_name: str
    duration: float
    created_at: float
    seed: int
    #: ``(source_id, start_s, end_s)`` of a replace-section track: a tuple of atoms, which the
    #: garbage collector stops tracking (a Splice object it would have to walk at every full
    #: collection); :attr:`splice` reads it.
    span: tuple[str, float, float] | None = None

    @property
    def splice(self) -> Splice | None:
        """How this track was made from its source, for a replace-section track."""
        return None if self.span is None else Splice(*self.span)


@dataclass(slots=True)
class Task:
    """One accepted task of some job kind (see :mod:`mockserver._kind`)."""

    id: str
    operation: str
    operation_type: str
    param: str
    created_at: float
    tracks: list[Track]
    base_url: str
    callback_url: str | None = None
    #: Source track of an extension, or the music task a WAV/video/cover/... task was made from.
    parent_music_id: str = ""
    token: str | None = None
    #: Status of a task with no schedule (a seeded one).
    status: str = "SUCCESS"
    #: The job kind's name; with ``timeline`` it decides the status at any mock time.
    kind: str = "music"
    #: The task's schedule planned at mock time 0.0, shared by the tasks of the same kind
    #: and failure; ``lifecycle.shift(timeline, created_at)`` moves it to ``created_at``.
    timeline: Schedule | None = None
    #: A status set after the schedule ended (CALLBACK_EXCEPTION).
    status_override: str | None = None
    #: What the kind keeps of its own (source ids, separation type, lyrics...): immutable values only.
    detail: Any = None
    #: The Market model (``ai-music-api/...``) of a task created through kie's ``jobs/createTask``.
    market: str | None = None


@dataclass(frozen=True, slots=True)
class Due:
    """One pending callback delivery a shared store hands out: claimed by one process under a lease."""

    id: int
    task_id: str
    stage: str
    at: float
    attempt: int


@runtime_checkable
class StateStore(Protocol):
    """Where one mock keeps what it has accepted: tasks, tracks, balances and once-only results.

    ``tasks``, ``tracks``, ``balances`` and ``once`` are mappings (the behaviours read and write
    them as dicts); a task changed after :meth:`add` is written back with :meth:`save`.
    ``shared`` is None for a store private to the process, else the :class:`SharedState` that
    also holds deliveries, clock, journals and fault rules.
    """

    @property
    def tasks(self) -> MutableMapping[str, Task]: ...

    @property
    def tracks(self) -> MutableMapping[str, Track]: ...

    @property
    def balances(self) -> MutableMapping[str, int]: ...

    @property
    def once(self) -> MutableMapping[tuple[str, str], str]: ...

    @property
    def shared(self) -> SharedState | None: ...

    def add(self, task: Task) -> None: ...

    def save(self, task: Task) -> None: ...

    def debit(self, token: str, cost: int, starting: int) -> tuple[bool, int]:
        """Draw ``cost`` from ``token``'s balance (``starting`` if never set) in one step no other process splits.

        ``(True, balance after)`` when it could pay, else ``(False, balance held)`` and nothing drawn.
        """
        ...

    def evict(self, created_before: float, keep: int | None) -> int:
        """Forget tasks created before ``created_before``, then the oldest beyond ``keep``; return how many went."""
        ...

    def clear(self) -> None: ...

    def close(self) -> None: ...


class SharedState(Protocol):
    """What a store shared by restarts or processes keeps besides the records."""

    #: The URL it was opened from (``sqlite:PATH``, ``redis://HOST:PORT/DB``), for messages.
    url: str

    # pending deliveries (the coroutines are what the delivery loop awaits) -------------------
    def schedule(self, task_id: str, stage: str, at: float, attempt: int = 1) -> None:
        """Keep a delivery of ``task_id``'s ``stage`` callback due at mock time ``at``."""
        ...

    async def claim(self, now: float, owner: str, lease_s: float, limit: int) -> list[Due]:
        """Atomically take up to ``limit`` deliveries due at ``now`` whose lease (if any) has run out."""
        ...

    async def retry(self, due: Due, at: float) -> None:
        """Put a claimed delivery back, as attempt ``due.attempt + 1``, due at ``at``."""
        ...

    async def done(self, due: Due) -> None:
        """Forget a delivered (or finally failed) delivery."""
        ...

    async def next_due(self) -> float | None:
        """Mock time of the earliest pending delivery, leased or not; None if there is none."""
        ...

    def release(self, owner: str) -> None:
        """Give back every lease ``owner`` holds (a clean stop)."""
        ...

    # small shared values (clock, fault rules, versions) ----------------------------------
    def get_value(self, name: str) -> bytes | None: ...

    def set_value(self, name: str, value: bytes) -> None: ...

    def set_value_once(self, name: str, value: bytes) -> bytes:
        """Set ``name`` unless it is set; return the value it holds afterwards."""
        ...

    # fault-rule counters (a rule's matching calls and the times it acted, for every process) -----
    def count_call(self, name: str) -> tuple[int, int]:
        """Count one matching call of the rule counted as ``name``; return its ``(calls, fired)`` afterwards."""
        ...

    def count_fire(self, name: str, times: int | None) -> bool:
        """Count one firing of ``name`` unless it has fired ``times`` times already (one atomic step)."""
        ...

    def count_read(self, name: str) -> tuple[int, int]:
        """``(calls, fired)`` of ``name``; ``(0, 0)`` for one never counted."""
        ...

    def count_forget(self, names: list[str] | None = None) -> None:
        """Drop the counters ``names`` (every counter when None)."""
        ...

    # notifications ------------------------------------------------------------------------------
    def publish(self, topic: str) -> None:
        """Tell every process on the store that ``topic`` changed (``due``, ``clock``, ``rules``)."""
        ...

    async def watch(self, changed: Callable[[str], None]) -> None:
        """Call ``changed(topic)`` for every change published by any process (this one too); runs until cancelled."""
        ...

    async def disconnect(self) -> None:
        """Close the connections opened on the running event loop (before that loop ends: they belong to it)."""
        ...

    # journals ------------------------------------------------------------------------------
    def journal_add(self, journal: str, record: bytes, keep: int) -> None:
        """Append one record to ``journal``, keeping the latest ``keep``."""
        ...

    def journal_read(self, journal: str) -> list[bytes]: ...

    def journal_dropped(self, journal: str) -> int: ...

    def journal_clear(self, journal: str) -> None: ...

    # rate-limit windows ------------------------------------------------------------------
    def admit(self, key: str, limit: int, window_s: float, now: float) -> float | None:
        """A sliding window shared by every process: None when admitted (and counted), else seconds to wait."""
        ...


@dataclass
class MemoryStore:
    """Everything the mock has accepted, in this process's memory; ``clear()`` forgets it."""

    tasks: dict[str, Task] = field(default_factory=dict)
    tracks: dict[str, Track] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)
    #: Once-only results: (kind, key) -> the id of the task or record made for that key
    #: (a WAV per track, a cover image per music task, a persona per track).
    once: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def shared(self) -> None:
        return None

    def add(self, task: Task) -> None:
        self.tasks[task.id] = task
        for track in task.tracks:
            self.tracks[track.id] = track

    def save(self, task: Task) -> None:
        """Nothing to do: the records are the stored objects."""

    def debit(self, token: str, cost: int, starting: int) -> tuple[bool, int]:
        """One process, one thread: the read and the write cannot be split."""
        balance = self.balances.get(token, starting)
        if balance < cost:
            return False, balance
        self.balances[token] = balance - cost
        return True, balance - cost

    def evict(self, created_before: float, keep: int | None) -> int:
        """Tasks are held in the order they were made, so the oldest are at the front of the dict."""
        tasks, tracks = self.tasks, self.tracks
        gone = 0
        while tasks:
            task_id = next(iter(tasks))
            task = tasks[task_id]
            if task.created_at >= created_before and (keep is None or len(tasks) <= keep):
                break
            del tasks[task_id]
            for track in task.tracks:
                tracks.pop(track.id, None)
            gone += 1
        return gone

    def clear(self) -> None:
        self.tasks.clear()
        self.tracks.clear()
        self.balances.clear()
        self.once.clear()

    def close(self) -> None:
        """Nothing to close."""


#: The memory store under its former name.
Store = MemoryStore
