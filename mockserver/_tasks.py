"""The tasks service: makes tasks and tracks, starts their lifecycle, and answers their status.

Behaviours (see :mod:`mockserver._families`) use it; it knows job kinds only through
the registry it is given, and raises domain errors (:mod:`mockserver._errors`), never
HTTP answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._envelope import compact_json
from ._errors import ConfigError, Invalid
from ._faults import TaskFaults
from ._ids import RandomSource
from ._kind import JobKind, Snapshot
from ._lifecycle import Failure, status_at
from ._providers import Profile
from ._store import Splice, StateStore, Task, Track

__all__ = ["GENERATED_DURATION", "MODEL_NAMES", "Tasks"]

#: Model -> Suno internal name shown as ``modelName`` (third-party mapping, unverified).
MODEL_NAMES = {
    "V3_5": "chirp-v3-5",
    "V4": "chirp-v4",
    "V4_5": "chirp-auk",
    "V4_5PLUS": "chirp-bluejay",
    "V4_5ALL": "chirp-auk",
    "V5": "chirp-crow",
    "V5_5": "chirp-fenix",
}

#: Durations of generated tracks are drawn from this range (seconds).
GENERATED_DURATION = (120.0, 240.0)
#: Mock seconds a task's record stays after its files expired (the profile's retention): then it goes too.
RETENTION_GRACE_S = 86400.0
#: Tasks added between two looks for expired ones (and, on a shared store, at the ``max_tasks`` bound).
_SWEEP_EVERY = 1024
_SHARED_SWEEP_EVERY = 64
#: Strings that tasks repeat (base URL, API key, callback URL, prompt, title...) are kept once:
#: up to this many distinct ones, each at most _SHARED_LENGTH characters.
_SHARED_MAX = 4096
_SHARED_LENGTH = 1024


class Tasks:
    """Task and track factory, lifecycle start and status queries over one store."""

    def __init__(
        self,
        store: StateStore,
        random: RandomSource,
        now: Callable[[], float],
        profile: Profile,
        kinds: Mapping[str, JobKind],
        start: Callable[[Task, JobKind, Failure | None, Any], None],
        *,
        max_tasks: int | None = None,
        grace_s: float = RETENTION_GRACE_S,
    ) -> None:
        self.store = store
        self.random = random
        self.now = now
        self.profile = profile
        self.kinds = kinds
        self._start = start
        self._strings: dict[str, str] = {}
        #: Past this many tasks held, the oldest made go first (None: no bound).
        self.max_tasks = max_tasks
        self.grace_s = grace_s
        self._added = 0
        shared = store.shared is not None
        self._sweep_every = _SHARED_SWEEP_EVERY if shared else _SWEEP_EVERY
        # the memory store counts its tasks for free: its bound is exact; a shared one is looked at every 64 tasks
        self._exact_bound = max_tasks is not None and not shared
        self.evicted = 0
        self._sweep_planned = False

    def shared(self, text: str) -> str:
        """``text``, or an equal string already held by another task (one copy for 100,000 tasks)."""
        if len(text) > _SHARED_LENGTH:
            return text
        found = self._strings.get(text)
        if found is not None:
            return found
        if len(self._strings) < _SHARED_MAX:
            self._strings[text] = text
        return text

    def clear(self) -> None:
        self._strings.clear()

    # lookups -------------------------------------------------------------------------------
    def get(self, task_id: str) -> Task | None:
        return self.store.tasks.get(task_id)

    def track(self, track_id: str) -> Track | None:
        return self.store.tracks.get(track_id)

    # status --------------------------------------------------------------------------------
    def status(self, task: Task) -> str:
        """The task's status now: its schedule at the mock time, or its fixed status."""
        if task.status_override is not None:
            return task.status_override
        timeline = task.timeline
        if timeline is None:
            return task.status
        return status_at(timeline, self.now(), self.kinds[task.kind].lifecycle.pending, offset=task.created_at)

    def failure(self, task: Task, status: str | None = None) -> tuple[int | None, str | None]:
        """``errorCode`` and ``errorMessage`` as the details endpoint shows them now."""
        status = self.status(task) if status is None else status
        kind = self.kinds[task.kind]
        if status not in kind.lifecycle.failures:
            return None, None
        failure = None if task.timeline is None else task.timeline.failure
        if failure is not None and failure.status == status:
            return failure.code, failure.message
        text = kind.failures[status]
        return text.code, text.message

    def snapshot(self, task: Task) -> Snapshot:
        """What a details view shows of the task at the current mock time."""
        status = self.status(task)
        code, message = self.failure(task, status)
        return Snapshot(task, status, code, message, self.profile, self.now())

    def succeeded(self, task: Task) -> bool:
        """Whether the task reached its kind's success status (CALLBACK_EXCEPTION counts: the work was done)."""
        status = self.status(task)
        return status == self.kinds[task.kind].lifecycle.success or (
            status == "CALLBACK_EXCEPTION" and task.status_override is not None
        )

    def expired(self, task: Task) -> bool:
        """Whether the task's files are past the profile's retention for its kind."""
        return self.now() - task.created_at > self.profile.retention(task.kind) * 86400

    # making tasks --------------------------------------------------------------------------
    def new_track(
        self,
        task_id: str,
        index: int,
        *,
        duration: float,
        title: str = "",
        tags: str = "",
        prompt: str = "",
        model: str = "V4_5",
        splice: Splice | None = None,
    ) -> Track:
        return Track(
            id=self.random.track_id(),
            task_id=task_id,
            index=index,
            title=self.shared(title),
            tags=self.shared(tags),
            prompt=self.shared(prompt),
            model_name=MODEL_NAMES.get(model, "chirp-v3-5"),
            duration=round(duration, 2),
            created_at=self.now(),
            seed=self.random.integer(),
            span=None if splice is None else (splice.source_id, splice.start_s, splice.end_s),
        )

    def generated_duration(self) -> float:
        return round(self.random.uniform(*GENERATED_DURATION), 2)

    def new_task(
        self,
        operation: str,
        *,
        param: dict[str, Any],
        base_url: str,
        token: str | None,
        operation_type: str = "generate",
        parent_music_id: str = "",
        callback_field: str = "callBackUrl",
    ) -> Task:
        """A task with no tracks yet; the caller adds what its kind needs and then :meth:`start` or :meth:`add`."""
        callback_url = param.get(callback_field)
        return Task(
            id=self.random.task_id(),
            operation=operation,
            operation_type=operation_type,
            param=self.shared(compact_json(param)),  # the details' param: compact JSON
            created_at=self.now(),
            tracks=[],
            base_url=self.shared(base_url),
            callback_url=self.shared(callback_url) if isinstance(callback_url, str) else None,
            parent_music_id=parent_music_id,
            token=None if token is None else self.shared(token),
        )

    def add(self, task: Task) -> Task:
        self.store.add(task)
        self._added += 1
        if self._added % self._sweep_every == 0 or (
            self._exact_bound and len(self.store.tasks) > self.max_tasks  # type: ignore[operator]
        ):
            self._sweep()
        return task

    def _sweep(self) -> None:
        """Evict once the behaviour that added the task is done with it (it may still change it)."""
        if self.store.shared is None:
            self.evict()  # the memory store's records are the objects themselves: at once
            return
        if self._sweep_planned:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.evict()
            return
        self._sweep_planned = True
        loop.call_soon(self._planned_sweep)

    def _planned_sweep(self) -> None:
        self._sweep_planned = False
        self.evict()

    def evict(self) -> int:
        """Forget the tasks past retention and grace, then the oldest beyond ``max_tasks``; how many went."""
        cutoff = self.now() - self.profile.retention_days * 86400 - self.grace_s
        gone = self.store.evict(cutoff, self.max_tasks)
        self.evicted += gone
        return gone

    def start(self, task: Task, kind: str, faults: TaskFaults | None = None) -> Task:
        """Store the task and put its kind's lifecycle on the clock, with any injected failure and callback faults.

        An injected failure whose status the kind does not know is refused by the fault rules before
        this point (they match only operations whose kind lists the status).
        """
        job = self.kinds[kind]
        failure = None if faults is None else faults.failure
        if failure is not None and failure.status not in job.lifecycle.failures:
            allowed = ", ".join(sorted(job.lifecycle.failures))
            raise Invalid(f"outcome: {failure.status} is not how a {kind} task can end; use one of {allowed}")
        self.add(task)
        if faults is None:
            self._start(task, job, None, None)
        else:
            self._start(task, job, faults.failure, faults.callbacks)
        return task

    def seed_music(
        self,
        durations: Sequence[float] = (180.0, 180.0),
        *,
        base_url: str = "http://testserver",
        title: str = "Seeded track",
        tags: str = "seeded",
        prompt: str = "",
        model: str = "V4_5",
    ) -> Task:
        """A finished music task with one track per duration, as if generated long ago."""
        if not durations:
            raise ConfigError("durations: must have at least 1 items (got [])")
        for i, duration in enumerate(durations):
            if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not 0 < duration <= 3600:
                raise ConfigError(f"durations[{i}]: must be a number of seconds in (0, 3600] (got {duration!r})")
        param = {
            "customMode": True,
            "instrumental": False,
            "model": model,
            "title": title,
            "style": tags,
            "prompt": prompt,
        }
        task = self.new_task("generate-music", param=param, base_url=base_url, token=None)
        task.tracks = [
            self.new_track(task.id, i, duration=d, title=title, tags=tags, prompt=prompt, model=model)
            for i, d in enumerate(durations)
        ]
        return self.add(task)
