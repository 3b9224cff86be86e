"""Task lifecycle: which status a Suno task has, and which callback stage is due, when.

This module is pure: no I/O, no clock, no asyncio.  A task's whole future is
computed up front by :func:`plan` as a :class:`Schedule` (an ordered list of
timed steps); the driver then asks :func:`status_at`, :func:`due_stages` and
:func:`next_time` with the current mock time.

Tasks of one flow share their schedule's shape: a schedule planned at mock time
0.0 is a template that :func:`shift` (and ``status_at(..., offset=created_at)``)
moves to any creation time, with exactly the step times :func:`plan` would give.
The driver keeps one template per flow and failure instead of one schedule per task.

Documented flows:

* music (generate, extend): ``PENDING -> TEXT_SUCCESS -> FIRST_SUCCESS -> SUCCESS``
  emitting the callback stages ``text``, ``first``, ``complete``;
* replace-section: ``PENDING -> SUCCESS`` emitting only ``complete``.

A :class:`Failure` injected at a stage replaces that stage and every later one
with a single ``error`` stage that moves the task to the failure status.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "FAILURE_STATUSES",
    "TERMINAL_STATUSES",
    "Failure",
    "Flow",
    "Schedule",
    "Stage",
    "Status",
    "Step",
    "Timings",
    "due_stages",
    "is_terminal",
    "next_time",
    "plan",
    "shift",
    "status_after_delivery",
    "status_at",
]


class Status(StrEnum):
    """Task status values as reported by the providers' record-info endpoints."""

    PENDING = "PENDING"
    TEXT_SUCCESS = "TEXT_SUCCESS"
    FIRST_SUCCESS = "FIRST_SUCCESS"
    SUCCESS = "SUCCESS"
    GENERATE_AUDIO_FAILED = "GENERATE_AUDIO_FAILED"
    SENSITIVE_WORD_ERROR = "SENSITIVE_WORD_ERROR"
    CREATE_TASK_FAILED = "CREATE_TASK_FAILED"
    CALLBACK_EXCEPTION = "CALLBACK_EXCEPTION"


class Stage(StrEnum):
    """Callback stages (the ``callbackType`` of a callback payload), in documented order."""

    TEXT = "text"
    FIRST = "first"
    COMPLETE = "complete"
    ERROR = "error"


class Flow(StrEnum):
    """Which lifecycle a task follows."""

    MUSIC = "music"
    REPLACE = "replace"


FAILURE_STATUSES: frozenset[Status] = frozenset(
    {
        Status.GENERATE_AUDIO_FAILED,
        Status.SENSITIVE_WORD_ERROR,
        Status.CREATE_TASK_FAILED,
        Status.CALLBACK_EXCEPTION,
    }
)
TERMINAL_STATUSES: frozenset[Status] = FAILURE_STATUSES | {Status.SUCCESS}

# Documented order of the progress stages and the status each one leads to.
_PROGRESS: tuple[tuple[Stage, Status], ...] = (
    (Stage.TEXT, Status.TEXT_SUCCESS),
    (Stage.FIRST, Status.FIRST_SUCCESS),
    (Stage.COMPLETE, Status.SUCCESS),
)
_STAGE_ORDER: dict[Stage, int] = {stage: index for index, (stage, _) in enumerate(_PROGRESS)}


def is_terminal(status: Status) -> bool:
    """Return True if a task in ``status`` will never change status again."""
    return status in TERMINAL_STATUSES


@dataclass(frozen=True, slots=True)
class Timings:
    """Seconds after submission at which each stage happens.

    ``text_s``, ``first_s`` and ``complete_s`` apply to the music flow,
    ``replace_s`` (the ``complete`` stage) to the replace-section flow.
    Defaults sit inside the ranges the providers document (text 10-30 s,
    first 30-40 s, complete 120-180 s).
    """

    text_s: float = 20.0
    first_s: float = 35.0
    complete_s: float = 150.0
    replace_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("text_s", "first_s", "complete_s", "replace_s"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"Timings.{name} must be a finite number of seconds >= 0, got {value!r}")
        if not self.text_s <= self.first_s <= self.complete_s:
            raise ValueError(
                "Timings must satisfy text_s <= first_s <= complete_s, got "
                f"text_s={self.text_s}, first_s={self.first_s}, complete_s={self.complete_s}; "
                "reorder the values"
            )

    def scaled(self, factor: float) -> Timings:
        """Return these timings multiplied by ``factor`` (e.g. 0.1 for a ten times faster task)."""
        if not math.isfinite(factor) or factor <= 0:
            raise ValueError(f"Timings.scaled() needs a finite factor > 0, got {factor!r}")
        return Timings(
            text_s=self.text_s * factor,
            first_s=self.first_s * factor,
            complete_s=self.complete_s * factor,
            replace_s=self.replace_s * factor,
        )


@dataclass(frozen=True, slots=True)
class Failure:
    """A failure injected into a task.

    ``at_stage`` is the first progress stage (text, first or complete) that
    does not happen: at its time the task moves to ``status`` and the
    ``error`` stage is emitted instead.  In the replace flow, which only has
    ``complete``, a failure at ``text`` or ``first`` therefore fails at the
    ``complete`` time.  ``CREATE_TASK_FAILED`` must be injected at ``text``
    and happens at submission time (offset 0).  ``code`` and ``message`` are
    what the error callback and record-info report.
    """

    status: Status
    at_stage: Stage
    code: int
    message: str

    def __post_init__(self) -> None:
        if self.status not in FAILURE_STATUSES:
            allowed = ", ".join(sorted(FAILURE_STATUSES))
            raise ValueError(f"Failure.status must be one of {allowed}; got {self.status!r}")
        if self.at_stage not in _STAGE_ORDER:
            raise ValueError(
                f"Failure.at_stage must be text, first or complete (the stage the failure replaces); "
                f"got {self.at_stage!r}"
            )
        if self.status is Status.CREATE_TASK_FAILED and self.at_stage is not Stage.TEXT:
            raise ValueError(
                "CREATE_TASK_FAILED happens when the task is created, before any stage; "
                f"inject it with at_stage=Stage.TEXT, not {self.at_stage.value!r}"
            )


@dataclass(frozen=True, slots=True)
class Step:
    """One timed transition: at mock time ``at``, ``stage`` is emitted and the task becomes ``status``."""

    at: float
    stage: Stage
    status: Status


@dataclass(frozen=True, slots=True)
class Schedule:
    """The complete, time-ordered future of one task, as built by :func:`plan`."""

    flow: Flow
    created_at: float
    steps: tuple[Step, ...]
    failure: Failure | None = None

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a Schedule needs at least one step; build it with plan()")
        times = [self.created_at, *(step.at for step in self.steps)]
        if any(later < earlier for earlier, later in itertools.pairwise(times)):
            raise ValueError(f"Schedule steps must not go back in time; got times {times}")
        if not is_terminal(self.steps[-1].status):
            raise ValueError("the last step of a Schedule must reach a terminal status; build it with plan()")


def plan(
    flow: Flow,
    created_at: float,
    timings: Timings | None = None,
    failure: Failure | None = None,
) -> Schedule:
    """Compute the schedule of a task submitted at mock time ``created_at``."""
    if not math.isfinite(created_at):
        raise ValueError(f"created_at must be a finite mock time, got {created_at!r}")
    timings = timings or Timings()
    if flow is Flow.MUSIC:
        offsets = {
            Stage.TEXT: timings.text_s,
            Stage.FIRST: timings.first_s,
            Stage.COMPLETE: timings.complete_s,
        }
    else:
        offsets = {Stage.COMPLETE: timings.replace_s}
    progress = [(stage, status) for stage, status in _PROGRESS if stage in offsets]

    steps: list[Step] = []
    for stage, status in progress:
        if failure is not None and _STAGE_ORDER[stage] >= _STAGE_ORDER[failure.at_stage]:
            at = created_at if failure.status is Status.CREATE_TASK_FAILED else created_at + offsets[stage]
            steps.append(Step(at=at, stage=Stage.ERROR, status=failure.status))
            break
        steps.append(Step(at=created_at + offsets[stage], stage=stage, status=status))
    return Schedule(flow=flow, created_at=created_at, steps=tuple(steps), failure=failure)


def shift(template: Schedule, created_at: float) -> Schedule:
    """Return ``template`` moved to start at ``created_at``: every time gets ``created_at`` added.

    For a template planned at 0.0 this is exactly ``plan(flow, created_at, timings, failure)``
    (``created_at + offset`` is how :func:`plan` computes each step time).
    """
    if not math.isfinite(created_at):
        raise ValueError(f"created_at must be a finite mock time, got {created_at!r}")
    steps = tuple(Step(at=created_at + step.at, stage=step.stage, status=step.status) for step in template.steps)
    return Schedule(
        flow=template.flow, created_at=created_at + template.created_at, steps=steps, failure=template.failure
    )


def status_at(schedule: Schedule, now: float, *, offset: float = 0.0) -> Status:
    """Return the task's status at mock time ``now`` (PENDING before the first step).

    ``offset`` reads ``schedule`` as if every step time had ``offset`` added: it answers for
    ``shift(schedule, offset)`` without building that schedule.
    """
    status = Status.PENDING
    for step in schedule.steps:
        if offset + step.at > now:
            break
        status = step.status
    return status


def due_stages(schedule: Schedule, now: float, sent: frozenset[Stage]) -> tuple[Stage, ...]:
    """Return the stages whose time has come by ``now`` and are not in ``sent``, in documented order."""
    return tuple(step.stage for step in schedule.steps if step.at <= now and step.stage not in sent)


def next_time(schedule: Schedule, after: float) -> float | None:
    """Return the first step time strictly after ``after``, or None when nothing else will happen."""
    return next((step.at for step in schedule.steps if step.at > after), None)


def status_after_delivery(
    status: Status,
    stage: Stage,
    delivered: bool,
    *,
    mark_callback_exception: bool = False,
) -> Status:
    """Return the status a task takes once delivery of its ``stage`` callback has finished.

    Providers document ``CALLBACK_EXCEPTION`` but not exactly when it is set.
    The mock models it as an opt-in (``mark_callback_exception=True``): a task
    that reached ``SUCCESS`` becomes ``CALLBACK_EXCEPTION`` when every attempt
    to deliver its ``complete`` callback failed.  This is the only transition
    out of a terminal status, and it happens outside the :class:`Schedule`,
    so the driver must store the returned status.  In every other case the
    status is returned unchanged.
    """
    if mark_callback_exception and not delivered and stage is Stage.COMPLETE and status is Status.SUCCESS:
        return Status.CALLBACK_EXCEPTION
    return status
