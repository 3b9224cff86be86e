"""Task lifecycle: which status a task of some job kind has, and which callback stage is due, when.

This module is pure: no I/O, no clock, no asyncio.  A job kind's stages are one
:class:`Lifecycle` value (see :mod:`mockserver._kind`); :func:`plan` turns it into a
task's whole future, a :class:`Schedule` (an ordered tuple of timed steps), and
:func:`status_at` reads the status at any mock time.  Nothing here names a kind.

Tasks of one kind share their schedule's shape: a schedule planned at mock time 0.0 is
a template that :func:`shift` (and ``status_at(..., offset=created_at)``) moves to any
creation time, with exactly the step times :func:`plan` would give.  The driver keeps
one template per kind and failure instead of one schedule per task.

A :class:`Failure` injected at a stage replaces that stage and every later one with a
single ``error`` stage that moves the task to the failure status.  A step may have no
callback stage (``stage=None``): a silent status change, such as a cover-image task
that reports "generating" before it ends.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "PROGRESS_STAGES",
    "Failure",
    "Lifecycle",
    "Progress",
    "Schedule",
    "Stage",
    "Status",
    "Step",
    "plan",
    "shift",
    "status_after_delivery",
    "status_at",
]


class Stage(StrEnum):
    """Callback stages (the ``callbackType`` of a callback payload), in documented order."""

    TEXT = "text"
    FIRST = "first"
    COMPLETE = "complete"
    ERROR = "error"


#: The progress stages in documented order; a failure at one of them replaces it and all later ones.
PROGRESS_STAGES: tuple[Stage, ...] = (Stage.TEXT, Stage.FIRST, Stage.COMPLETE)
_STAGE_ORDER: dict[Stage, int] = {stage: index for index, stage in enumerate(PROGRESS_STAGES)}


class Status(StrEnum):
    """Status names shared by several kinds (each kind lists its own; these are plain strings too)."""

    PENDING = "PENDING"
    TEXT_SUCCESS = "TEXT_SUCCESS"
    FIRST_SUCCESS = "FIRST_SUCCESS"
    SUCCESS = "SUCCESS"
    GENERATE_AUDIO_FAILED = "GENERATE_AUDIO_FAILED"
    SENSITIVE_WORD_ERROR = "SENSITIVE_WORD_ERROR"
    CREATE_TASK_FAILED = "CREATE_TASK_FAILED"
    CALLBACK_EXCEPTION = "CALLBACK_EXCEPTION"


@dataclass(frozen=True, slots=True)
class Progress:
    """One stage of a kind: ``offset_s`` after submission the task becomes ``status``.

    ``stage`` is the callback stage sent then, or None for a status change without a callback.
    """

    stage: Stage | None
    status: str
    offset_s: float


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """The statuses of one job kind and when they happen.

    ``progress`` lists the steps of a task that succeeds, in time order; the last one is the
    success status.  ``failures`` are the failure statuses the kind documents;
    ``at_creation`` are those that happen at submission time (``CREATE_TASK_FAILED``).
    """

    kind: str
    progress: tuple[Progress, ...]
    failures: frozenset[str]
    pending: str = Status.PENDING
    at_creation: frozenset[str] = frozenset({Status.CREATE_TASK_FAILED})

    def __post_init__(self) -> None:
        if not self.progress:
            raise ValueError(f"the {self.kind} lifecycle needs at least one progress step")
        offsets = [step.offset_s for step in self.progress]
        for step in self.progress:
            if not math.isfinite(step.offset_s) or step.offset_s < 0:
                raise ValueError(
                    f"the {self.kind} lifecycle: offsets must be finite seconds >= 0, got {step.offset_s!r}"
                )
        if offsets != sorted(offsets):
            raise ValueError(f"the {self.kind} lifecycle: offsets must not go back in time, got {offsets}")
        stages = [step.stage for step in self.progress if step.stage is not None]
        if Stage.ERROR in stages or len(set(stages)) != len(stages):
            raise ValueError(f"the {self.kind} lifecycle: each progress stage at most once, never 'error'")
        if [_STAGE_ORDER[s] for s in stages] != sorted(_STAGE_ORDER[s] for s in stages):
            raise ValueError(f"the {self.kind} lifecycle: stages must keep the order text, first, complete")
        if not self.at_creation <= self.failures:
            raise ValueError(f"the {self.kind} lifecycle: at_creation statuses must be failure statuses")

    @property
    def success(self) -> str:
        """The status of a task that ended well."""
        return self.progress[-1].status

    @property
    def terminal(self) -> frozenset[str]:
        """Statuses a task never leaves (except SUCCESS -> CALLBACK_EXCEPTION, see :func:`status_after_delivery`)."""
        return self.failures | {self.success}

    @property
    def statuses(self) -> tuple[str, ...]:
        """Every status of the kind: pending, progress in order, then the failures sorted."""
        return (self.pending, *(step.status for step in self.progress), *sorted(self.failures))


@dataclass(frozen=True, slots=True)
class Failure:
    """A failure injected into a task.

    ``at_stage`` is the first progress stage (text, first or complete) that does not
    happen: at its time the task moves to ``status`` and the ``error`` stage is emitted
    instead.  In a kind without that stage, the failure happens at the next stage the kind
    has (a replace-section task that fails at ``first`` fails at its ``complete`` time).
    A status the kind lists under ``at_creation`` happens at submission time.  ``code`` and
    ``message`` are what the error callback and the details endpoint report.
    """

    status: str
    at_stage: Stage
    code: int
    message: str

    def __post_init__(self) -> None:
        if self.at_stage not in _STAGE_ORDER:
            raise ValueError(
                f"Failure.at_stage must be text, first or complete (the stage the failure replaces); "
                f"got {self.at_stage!r}"
            )


@dataclass(frozen=True, slots=True)
class Step:
    """One timed transition: at mock time ``at``, ``stage`` is emitted (if any) and the task becomes ``status``."""

    at: float
    stage: Stage | None
    status: str


@dataclass(frozen=True, slots=True)
class Schedule:
    """The complete, time-ordered future of one task, as built by :func:`plan`."""

    kind: str
    created_at: float
    steps: tuple[Step, ...]
    failure: Failure | None = None

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a Schedule needs at least one step; build it with plan()")
        times = [self.created_at, *(step.at for step in self.steps)]
        if any(later < earlier for earlier, later in itertools.pairwise(times)):
            raise ValueError(f"Schedule steps must not go back in time; got times {times}")


def plan(lifecycle: Lifecycle, created_at: float, failure: Failure | None = None) -> Schedule:
    """Compute the schedule of a task of ``lifecycle``'s kind submitted at mock time ``created_at``."""
    if not math.isfinite(created_at):
        raise ValueError(f"created_at must be a finite mock time, got {created_at!r}")
    if failure is not None and failure.status not in lifecycle.failures:
        allowed = ", ".join(sorted(lifecycle.failures))
        raise ValueError(f"a {lifecycle.kind} task cannot fail with {failure.status!r}; its failures are {allowed}")
    steps: list[Step] = []
    failed = False
    for step in lifecycle.progress:
        at = created_at + step.offset_s
        if failure is not None and (failure.status in lifecycle.at_creation or _replaced(step.stage, failure)):
            at = created_at if failure.status in lifecycle.at_creation else at
            steps.append(Step(at=at, stage=Stage.ERROR, status=failure.status))
            failed = True
            break
        steps.append(Step(at=at, stage=step.stage, status=step.status))
    if failure is not None and not failed:  # no stage at or after the failure's: it ends the task
        steps.append(Step(at=steps[-1].at, stage=Stage.ERROR, status=failure.status))
    return Schedule(kind=lifecycle.kind, created_at=created_at, steps=tuple(steps), failure=failure)


def _replaced(stage: Stage | None, failure: Failure) -> bool:
    return stage is not None and _STAGE_ORDER[stage] >= _STAGE_ORDER[failure.at_stage]


def shift(template: Schedule, created_at: float) -> Schedule:
    """Return ``template`` moved to start at ``created_at``: every time gets ``created_at`` added.

    For a template planned at 0.0 this is exactly ``plan(lifecycle, created_at, failure)``
    (``created_at + offset`` is how :func:`plan` computes each step time).
    """
    if not math.isfinite(created_at):
        raise ValueError(f"created_at must be a finite mock time, got {created_at!r}")
    steps = tuple(Step(at=created_at + step.at, stage=step.stage, status=step.status) for step in template.steps)
    return Schedule(
        kind=template.kind, created_at=created_at + template.created_at, steps=steps, failure=template.failure
    )


def status_at(schedule: Schedule, now: float, pending: str = Status.PENDING, *, offset: float = 0.0) -> str:
    """Return the task's status at mock time ``now`` (``pending`` before the first step).

    ``offset`` reads ``schedule`` as if every step time had ``offset`` added: it answers for
    ``shift(schedule, offset)`` without building that schedule.
    """
    status = pending
    for step in schedule.steps:
        if offset + step.at > now:
            break
        status = step.status
    return status


def status_after_delivery(
    lifecycle: Lifecycle,
    status: str,
    stage: Stage,
    delivered: bool,
    *,
    mark_callback_exception: bool = False,
) -> str:
    """Return the status a task takes once delivery of its ``stage`` callback has finished.

    Providers document ``CALLBACK_EXCEPTION`` but not exactly when it is set.  The mock
    models it as an opt-in (``mark_callback_exception=True``): a task of a kind that lists
    it, which reached its success status, becomes ``CALLBACK_EXCEPTION`` when every attempt
    to deliver its ``complete`` callback failed.  This is the only transition out of a
    terminal status, and it happens outside the :class:`Schedule`, so the driver must store
    the returned status.  In every other case the status is returned unchanged.
    """
    if (
        mark_callback_exception
        and not delivered
        and stage is Stage.COMPLETE
        and status == lifecycle.success
        and Status.CALLBACK_EXCEPTION in lifecycle.failures
    ):
        return Status.CALLBACK_EXCEPTION
    return status
