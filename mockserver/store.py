"""Tasks, tracks and credit balances, in memory."""

from __future__ import annotations

from dataclasses import dataclass, field

from .lifecycle import Schedule

__all__ = ["Splice", "Store", "Task", "Track"]


@dataclass(frozen=True)
class Splice:
    """How a replace-section track was made from its source."""

    source_id: str
    start_s: float
    end_s: float


@dataclass
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
    splice: Splice | None = None


@dataclass
class Task:
    """One task as record-info reports it."""

    id: str
    operation: str
    operation_type: str
    param: str
    created_at: float
    tracks: list[Track]
    base_url: str
    callback_url: str | None = None
    parent_music_id: str = ""
    token: str | None = None
    #: Status of a task with no schedule (a seeded one).
    status: str = "SUCCESS"
    #: "music" or "replace"; with ``schedule`` it decides the status at any mock time.
    flow: str = "music"
    schedule: Schedule | None = None
    #: A status set after the schedule ended (CALLBACK_EXCEPTION).
    status_override: str | None = None


@dataclass
class Store:
    """Everything the mock has accepted; ``clear()`` forgets it."""

    tasks: dict[str, Task] = field(default_factory=dict)
    tracks: dict[str, Track] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)

    def add(self, task: Task) -> None:
        self.tasks[task.id] = task
        for track in task.tracks:
            self.tracks[track.id] = track

    def clear(self) -> None:
        self.tasks.clear()
        self.tracks.clear()
        self.balances.clear()
