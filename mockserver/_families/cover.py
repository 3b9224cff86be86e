"""Generate Music Cover (``/api/v1/suno/cover/generate``): two cover images for a music task.

Once per music task: a repeat answers 409 "Cover record already exists" and names the
existing task.  The details show an integer ``successFlag`` (0 pending, 1 success,
2 generating, 3 failed; sunoapi, kie) or status strings (apikley's page): the profile switch
``cover_flag``.  The callback carries camelCase ``taskId`` and ``images`` (null on failure).
"""

from __future__ import annotations

from typing import Any

from .. import _artifacts as artifacts
from .._behaviour import Call
from .._errors import Conflict
from .._kind import Artifact, FailureText, JobKind, Renderer, Snapshot
from .._lifecycle import Failure, Lifecycle, Progress, Stage, Status
from .._providers import Profile
from .._store import Task
from .._views import create_time, file_url
from ._derived import complete_time, derived_task, finished, task_seed

__all__ = ["BEHAVIOURS", "KIND"]

GENERATING_S = 5.0
OFFSET_S = 20.0
FILES = ("cover-0.png", "cover-1.png")

FAILURES: dict[str, FailureText] = {
    Status.CREATE_TASK_FAILED: FailureText(500, "Task creation failed.", Stage.TEXT),
    "GENERATE_COVER_FAILED": FailureText(501, "Cover generation failed.", Stage.COMPLETE),
}
LIFECYCLE = Lifecycle(
    kind="cover",
    progress=(Progress(None, "GENERATING", GENERATING_S), Progress(Stage.COMPLETE, Status.SUCCESS, OFFSET_S)),
    failures=frozenset(FAILURES),
)
#: The integer successFlag of each status (sunoapi's cover details page).
INTEGER_FLAGS = {"PENDING": 0, "SUCCESS": 1, "GENERATING": 2, "CREATE_TASK_FAILED": 3, "GENERATE_COVER_FAILED": 3}
#: apikley lists PENDING | SUCCESS | CREATE_TASK_FAILED | GENERATE_COVER_FAILED: "generating" reads as PENDING.
STRING_FLAGS = {"GENERATING": "PENDING"}


def image_urls(task: Task) -> list[str]:
    return [file_url(task.base_url, task.id, name) for name in FILES]


def cover_record(shot: Snapshot) -> dict[str, Any]:
    task, profile = shot.task, shot.profile
    status = shot.status
    flag: int | str = INTEGER_FLAGS[status] if profile.cover_flag == "integer" else STRING_FLAGS.get(status, status)
    return {
        "taskId": task.id,
        "parentTaskId": task.parent_music_id,
        "callbackUrl": task.callback_url or "",
        "completeTime": None if status in ("PENDING", "GENERATING") else complete_time(shot, OFFSET_S),
        "response": {"images": image_urls(task)} if status == Status.SUCCESS else None,
        "successFlag": flag,
        "createTime": create_time(profile, task.created_at),
        "errorCode": shot.error_code,
        "errorMessage": shot.error_message,
    }


def cover_payload(task: Task, stage: Stage, failure: Failure | None, profile: Profile) -> dict[str, Any]:
    if stage is Stage.ERROR:
        assert failure is not None
        return {"code": failure.code, "msg": failure.message, "data": {"taskId": task.id, "images": None}}
    return {"code": 200, "msg": "success", "data": {"taskId": task.id, "images": image_urls(task)}}


def cover_file(task: Task, name: str, renderer: Renderer) -> Artifact | None:
    if name not in FILES:
        return None
    return Artifact(artifacts.music_covers(task_seed(task))[FILES.index(name)], artifacts.COVER_CONTENT_TYPE)


KIND = JobKind(
    name="cover",
    lifecycle=LIFECYCLE,
    failures=FAILURES,
    view=cover_record,
    payload=cover_payload,
    callback_timeout_s=15.0,
    files=cover_file,
    market_result=lambda shot: {"resultUrls": image_urls(shot.task)},
)


def generate_cover(call: Call) -> dict[str, str]:
    """Generate Music Cover: once per finished music task."""
    tasks = call.tasks
    music = finished(call, "music", "music task")
    done = tasks.store.once.get(("cover", music.id))
    if done is not None:
        raise Conflict(f"Cover record already exists for taskId {music.id} (cover task {done})")
    task = derived_task(call, music, None)
    tasks.store.once[("cover", music.id)] = task.id
    call.start(task, "cover")
    return {"taskId": task.id}


BEHAVIOURS = {"generate-cover-image": generate_cover}
