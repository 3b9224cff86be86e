"""Generate Lyrics (``/api/v1/lyrics``): two sectioned lyrics variants, read through Get Lyrics Details.

One callback stage, ``complete`` (or ``error``).  The callback names the task ``taskId``
(sunoapi) or ``task_id`` (kie), and kie's items spell ``error_message``: the profile switch
``lyrics_task_key``.  Details ``type`` is ``"LYRICS"`` and the items carry ``status``
``complete`` or ``failed``.
"""

from __future__ import annotations

from typing import Any

from .. import _artifacts as artifacts
from .._behaviour import Call
from .._kind import FailureText, JobKind, Snapshot
from .._lifecycle import Failure, Lifecycle, Progress, Stage, Status
from .._providers import Profile
from .._store import Task
from ._derived import task_seed

__all__ = ["BEHAVIOURS", "KIND"]

OFFSET_S = 15.0

FAILURES: dict[str, FailureText] = {
    Status.CREATE_TASK_FAILED: FailureText(500, "Task creation failed.", Stage.TEXT),
    "GENERATE_LYRICS_FAILED": FailureText(500, "Lyrics generation failed.", Stage.COMPLETE),
    Status.SENSITIVE_WORD_ERROR: FailureText(400, "The prompt contains sensitive content.", Stage.COMPLETE),
    Status.CALLBACK_EXCEPTION: FailureText(500, "Callback delivery failed.", Stage.COMPLETE),
}
LIFECYCLE = Lifecycle(
    kind="lyrics", progress=(Progress(Stage.COMPLETE, Status.SUCCESS, OFFSET_S),), failures=frozenset(FAILURES)
)


def _variants(task: Task) -> tuple[artifacts.Lyrics, ...]:
    prompt: str = task.detail
    return artifacts.generate_lyrics(prompt, task_seed(task))


def lyrics_record(shot: Snapshot) -> dict[str, Any]:
    task = shot.task
    done = shot.status in (Status.SUCCESS, Status.CALLBACK_EXCEPTION)
    items = [{"text": v.text, "title": v.title, "status": "complete", "errorMessage": ""} for v in _variants(task)]
    return {
        "taskId": task.id,
        "param": task.param,
        "response": {"taskId": task.id, "data": items if done else []},
        "status": shot.status,
        "type": "LYRICS",
        "errorCode": shot.error_code,
        "errorMessage": shot.error_message,
    }


def lyrics_payload(task: Task, stage: Stage, failure: Failure | None, profile: Profile) -> dict[str, Any]:
    key = profile.lyrics_task_key
    if stage is Stage.ERROR:
        assert failure is not None
        return {
            "code": failure.code,
            "msg": failure.message,
            "data": {"callbackType": "error", key: task.id, "data": None},
        }
    message = "errorMessage" if key == "taskId" else "error_message"
    items = [{"text": v.text, "title": v.title, "status": "complete", message: ""} for v in _variants(task)]
    return {
        "code": 200,
        "msg": "All generated successfully.",
        "data": {"callbackType": "complete", key: task.id, "data": items},
    }


KIND = JobKind(
    name="lyrics",
    lifecycle=LIFECYCLE,
    failures=FAILURES,
    view=lyrics_record,
    payload=lyrics_payload,
    callback_timeout_s=15.0,
    market_result=lambda shot: {"resultObject": {"lyricsData": lyrics_record(shot)["response"]["data"]}},
)


def generate_lyrics(call: Call) -> dict[str, str]:
    """Generate Lyrics from a prompt."""
    call.credits.charge(call.token, "generate-lyrics")
    task = call.tasks.new_task(call.operation.operation_id, param=call.body, base_url=call.base_url, token=call.token)
    task.detail = call.tasks.shared(str(call.body["prompt"]))
    call.start(task, "lyrics")
    return {"taskId": task.id}


BEHAVIOURS = {"generate-lyrics": generate_lyrics}
