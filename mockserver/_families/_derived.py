"""What the families made from one finished track share: the source check and the successFlag record.

WAV, vocal separation and music video each take ``taskId`` + ``audioId`` of a finished music
track; their details endpoints show ``successFlag`` (a string status), ``musicId`` (the
source audioId), ``callbackUrl``, ``completeTime`` and a ``response`` object.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from .._behaviour import Call, invalid, not_found, unexpired
from .._kind import FailureText, Renderer, Snapshot
from .._lifecycle import Lifecycle, Progress, Stage, Status
from .._store import Task, Track
from .._views import create_time
from .music import usable

__all__ = [
    "Source",
    "complete_time",
    "derived_task",
    "finished",
    "flag_failures",
    "flag_lifecycle",
    "flag_record",
    "source_of",
    "source_track",
    "task_seed",
]


@dataclass(frozen=True, slots=True)
class Source:
    """The finished track a derived task was made from (kept in ``Task.detail``)."""

    task_id: str
    audio_id: str
    index: int


def source_of(call: Call, task_field: str = "taskId", audio_field: str = "audioId") -> tuple[Task, Track]:
    """The music task and its finished, unexpired track a request names by ``taskId`` and ``audioId``."""
    body = call.body
    for field in (task_field, audio_field):
        if not isinstance(body.get(field), str):
            # a Market input may name its source as audio_url instead (kie-market.yaml): market.py
            # turns the audio URL of a track the mock made into taskId + audioId before this
            raise invalid(field, body.get(field), "is required: the taskId and audioId of a finished music track")
    task = call.tasks.get(body[task_field])
    if task is None:
        raise not_found(task_field, body[task_field], "no such task; use the taskId of a finished music task")
    if task.kind not in ("music", "replace"):
        raise invalid(task_field, body[task_field], f"is a {task.kind} task; use the taskId of a music task")
    audio_id = body[audio_field]
    track = next((t for t in task.tracks if t.id == audio_id), None)
    if track is None:
        owner = call.tasks.track(audio_id)
        if owner is None:
            raise not_found(audio_field, audio_id, "no such track; use an audioId from the task's sunoData")
        raise invalid(audio_field, audio_id, f"belongs to task {owner.task_id}, not to taskId {task.id}")
    usable(call, audio_field, audio_id, track, task)
    return task, track


def derived_task(call: Call, source: Task, detail: Any, *, free: bool = False) -> Task:
    """Charge the call (unless ``free``) and make the task that ``source`` gives rise to (not started yet)."""
    if not free:
        call.credits.charge(call.token, call.operation.operation_id)
    task = call.tasks.new_task(
        call.operation.operation_id,
        param=call.body,
        base_url=call.base_url,
        token=call.token,
        parent_music_id=source.id,
    )
    task.detail = detail
    return task


def finished(call: Call, kind: str, what: str, field: str = "taskId") -> Task:
    """The finished, unexpired task of ``kind`` the request names in ``field`` (``what`` names it in messages).

    The expiry comes before any once-per-task conflict of the caller: an expired task is refused as
    expired, never as "already exists".
    """
    task_id = call.body[field]
    task = call.tasks.get(task_id)
    if task is None:
        raise not_found(field, task_id, f"no such task; use the taskId of a finished {what}")
    if task.kind != kind:
        raise invalid(field, task_id, f"is a {task.kind} task; use the taskId of a {what}")
    if not call.tasks.succeeded(task):
        raise invalid(field, task_id, f"the {what} is not finished (status {call.tasks.status(task)})")
    unexpired(call, field, task_id, task, what)
    return task


def flag_failures(failed: str, code: int, message: str, *, callback_exception: bool = True) -> dict[str, FailureText]:
    """Creation failure, the kind's own generation failure and (usually) CALLBACK_EXCEPTION."""
    found: dict[str, FailureText] = {Status.CREATE_TASK_FAILED: FailureText(500, "Task creation failed.", Stage.TEXT)}
    found[failed] = FailureText(code, message, Stage.COMPLETE)
    if callback_exception:
        found[Status.CALLBACK_EXCEPTION] = FailureText(500, "Callback delivery failed.", Stage.COMPLETE)
    return found


def source_track(task: Task, renderer: Renderer) -> Track | None:
    """The finished track a derived task was made from, as the media layer has it."""
    source: Source = task.detail
    return renderer.track(source.audio_id)


def task_seed(task: Task) -> int:
    """A number that picks a task's generated content (the same task always gets the same files)."""
    return zlib.crc32(task.id.encode())


def flag_lifecycle(kind: str, offset_s: float, failures: dict[str, FailureText]) -> Lifecycle:
    """``PENDING -> SUCCESS`` with one ``complete`` callback ``offset_s`` after submission."""
    return Lifecycle(
        kind=kind, progress=(Progress(Stage.COMPLETE, Status.SUCCESS, offset_s),), failures=frozenset(failures)
    )


def complete_time(shot: Snapshot, offset_s: float) -> str | int | None:
    """``completeTime``: when the task ended, in the profile's time format; None while it runs."""
    timeline = shot.task.timeline
    if shot.status == Status.PENDING:
        return None
    at = shot.task.created_at + (timeline.steps[-1].at if timeline is not None else offset_s)
    return create_time(shot.profile, at)


def flag_record(shot: Snapshot, response: dict[str, Any] | None, offset_s: float, **extra: Any) -> dict[str, Any]:
    """The successFlag details shape shared by WAV, separation and video."""
    task = shot.task
    source: Source = task.detail
    return {
        "taskId": task.id,
        "musicId": source.audio_id,
        "callbackUrl": task.callback_url or "",
        **extra,
        "completeTime": complete_time(shot, offset_s),
        "response": response if shot.status == Status.SUCCESS or shot.status == Status.CALLBACK_EXCEPTION else None,
        "successFlag": shot.status,
        "createTime": create_time(shot.profile, task.created_at),
        "errorCode": shot.error_code,
        "errorMessage": shot.error_message,
    }
