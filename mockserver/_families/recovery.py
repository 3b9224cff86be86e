"""Recovery Audio (``/api/v1/suno/recovery``): the audio files of an earlier music task, recovered.

The request names the source by ``sunoTaskId``; the answer names the recovery task in snake
case, ``data.task_id``.  Get Recovery Audio Details (``?task_id=``) answers at the top level
``{code, task_id, msg, data}``: 201 while the task runs (``data`` null), 200 once at least one
track was recovered, 500 when every track failed.  ``data`` lists the source's tracks in order,
each ``{id, audio_url, title, status: success | failed, error}`` (sunoapi, api.box pages).

What the mock decides, since the pages do not say: the task takes 10 s; a track the source task
has not finished is ``failed`` with ``clip_not_complete`` (one of the documented errors), a
finished one is recovered as the mock's own file of that track; an injected ``RECOVERY_FAILED``
fails every track with ``clip_error``.  A source whose every track fails at submission makes the
task end in ``RECOVERY_FAILED`` (code 500).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .._behaviour import Call, invalid, not_found
from .._envelope import Answer
from .._faults.model import TaskFaults
from .._kind import FailureText, JobKind, Snapshot
from .._lifecycle import Failure, Lifecycle, Progress, Stage, Status
from .._providers import Profile
from .._store import Task
from .._views import AUDIO_EXTENSION
from .music import is_complete

__all__ = ["BEHAVIOURS", "KIND"]

OFFSET_S = 10.0
FAILED = "RECOVERY_FAILED"
#: The per-track error of a track the source task has not finished, and of an injected failure.
NOT_COMPLETE = "clip_not_complete"
INJECTED = "clip_error"

FAILURES: dict[str, FailureText] = {
    Status.CREATE_TASK_FAILED: FailureText(500, "Task creation failed.", Stage.TEXT),
    FAILED: FailureText(500, "Every track failed to recover.", Stage.COMPLETE),
}
LIFECYCLE = Lifecycle(
    kind="recovery",
    progress=(Progress(Stage.COMPLETE, Status.SUCCESS, OFFSET_S),),
    failures=frozenset(FAILURES),
)


@dataclass(frozen=True, slots=True)
class Recovered:
    """One track of the source task: recovered (``error`` None) or not."""

    id: str
    title: str
    error: str | None


@dataclass(frozen=True, slots=True)
class Recovery:
    """What a recovery task keeps (``Task.detail``): the source task and its tracks' outcomes."""

    source: str
    tracks: tuple[Recovered, ...]


def _tracks(task: Task, failed: bool) -> list[dict[str, Any]]:
    recovery: Recovery = task.detail
    out = []
    for track in recovery.tracks:
        error = (track.error or INJECTED) if failed else track.error
        # the mock's own file of the track, where Get Music Details serves it too
        url = None if error is not None else f"{task.base_url}/_mock/files/{track.id}.{AUDIO_EXTENSION}"
        out.append(
            {
                "id": track.id,
                "audio_url": url,
                "title": track.title,
                "status": "success" if error is None else "failed",
                "error": error,
            }
        )
    return out


def recovery_record(shot: Snapshot) -> dict[str, Any]:
    """The top-level details answer ``{code, task_id, msg, data}``."""
    task, status = shot.task, shot.status
    if status == LIFECYCLE.pending:
        return {"code": 201, "task_id": task.id, "msg": "running", "data": None}
    if status == Status.CREATE_TASK_FAILED:
        return {"code": 500, "task_id": task.id, "msg": shot.error_message or "failed", "data": None}
    failed = status == FAILED
    return {
        "code": 500 if failed else 200,
        "task_id": task.id,
        "msg": (shot.error_message or "failed") if failed else "success",
        "data": _tracks(task, failed),
    }


def recovery_payload(task: Task, stage: Stage, failure: Failure | None, profile: Profile) -> dict[str, Any]:
    failed = stage is Stage.ERROR
    message = failure.message if failure is not None else "failed"
    return {
        "code": 500 if failed else 200,
        "msg": message if failed else "success",
        "task_id": task.id,
        "data": _tracks(task, failed) if failure is None or failure.status == FAILED else [],
    }


KIND = JobKind(
    name="recovery",
    lifecycle=LIFECYCLE,
    failures=FAILURES,
    view=recovery_record,
    payload=recovery_payload,
    callback_timeout_s=15.0,
    # kie's Market model (ai-music-api/suno-recovery-audio): resultJson UNVERIFIED (kie-market.md 2.19);
    # the mock puts the classic per-track list in resultObject (MarketResultObject in kie-market.yaml).
    market_result=lambda shot: {"resultObject": {"data": _tracks(shot.task, False)}},
)


def recover(call: Call) -> dict[str, str]:
    """Recovery Audio: one task over every track of the source music task."""
    body, tasks = call.body, call.tasks
    source_id = body["sunoTaskId"]
    source = tasks.get(source_id)
    if source is None:
        raise not_found("sunoTaskId", source_id, "no such task; use the taskId of a music task")
    if source.kind not in ("music", "replace"):
        raise invalid("sunoTaskId", source_id, f"is a {source.kind} task; use the taskId of a music task")
    status = tasks.status(source)
    tracks = tuple(Recovered(t.id, t.title, None if is_complete(status, t) else NOT_COMPLETE) for t in source.tracks)
    call.credits.charge(call.token, call.operation.operation_id)
    task = tasks.new_task(
        call.operation.operation_id, param=body, base_url=call.base_url, token=call.token, parent_music_id=source.id
    )
    task.detail = Recovery(source.id, tracks)
    faults = call.faults
    if all(t.error is not None for t in tracks) and (faults is None or faults.failure is None):
        text = FAILURES[FAILED]
        every = "no track" if not tracks else f"none of its {len(tracks)} tracks"
        failure = Failure(FAILED, text.stage, text.code, f"{text.message} ({every} is complete; status {status})")
        faults = TaskFaults(failure=failure) if faults is None else replace(faults, failure=failure)
    tasks.start(task, "recovery", faults)
    return {"task_id": task.id}


def recovery_details(call: Call) -> Answer:
    """Get Recovery Audio Details: the top-level answer, 201 while running."""
    task_id = call.query["task_id"]
    task = call.tasks.get(task_id)
    if task is None:
        raise not_found("task_id", task_id, "no such task; use the data.task_id Recovery Audio answered")
    if task.kind != "recovery":
        raise not_found("task_id", task_id, f"is a {task.kind} task, not a recovery task; read it with its own details")
    record = KIND.view(call.tasks.snapshot(task))
    return Answer(record["code"], record["msg"], record["data"], {"task_id": record["task_id"]})


BEHAVIOURS = {"recover-audio": recover, "get-recovery-details": recovery_details}
