"""Tasks, tracks and credit balances, in memory.

The store may hold 100,000 tasks, so its records are slotted and keep as few objects
of their own as they can: a task shares its lifecycle template with every task of the
same kind and failure (see :mod:`lifecycle`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .lifecycle import Schedule

__all__ = ["Splice", "Store", "Task", "Track"]


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
    """One accepted task of some job kind (see :mod:`mockserver.kind`)."""

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


@dataclass
class Store:
    """Everything the mock has accepted; ``clear()`` forgets it."""

    tasks: dict[str, Task] = field(default_factory=dict)
    tracks: dict[str, Track] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)
    #: Once-only results: (kind, key) -> the id of the task or record made for that key
    #: (a WAV per track, a cover image per music task, a persona per track).
    once: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, task: Task) -> None:
        self.tasks[task.id] = task
        for track in task.tracks:
            self.tracks[track.id] = track

    def clear(self) -> None:
        self.tasks.clear()
        self.tracks.clear()
        self.balances.clear()
        self.once.clear()
