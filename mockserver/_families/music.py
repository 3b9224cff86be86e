"""Music tasks: generate and extend (read through Get Music Details).

Lifecycle ``PENDING -> TEXT_SUCCESS -> FIRST_SUCCESS -> SUCCESS``, emitting the callback
stages ``text``, ``first`` and ``complete`` (text 10-30 s, first 30-40 s, complete 120-180 s
after submission in the providers' documents; the mock's defaults sit inside those ranges).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._behaviour import Call, invalid, not_found, unexpired
from .._kind import FailureText, JobKind, Snapshot
from .._lifecycle import Failure, Lifecycle, Progress, Stage, Status
from .._providers import Profile
from .._store import Task, Track
from .._views import create_time, media_urls

__all__ = ["BEHAVIOURS", "KIND", "callback_track", "details_track", "music_record", "source_track", "usable"]

#: Added to the continuation point of an extended track (seconds).
EXTENSION_LENGTH = (60.0, 120.0)

#: Documented callback code and message of each failure status, and the stage it replaces by default.
FAILURES: dict[str, FailureText] = {
    Status.GENERATE_AUDIO_FAILED: FailureText(501, "Audio generation failed.", Stage.FIRST),
    Status.SENSITIVE_WORD_ERROR: FailureText(400, "Lyrics contain copyrighted or sensitive content.", Stage.TEXT),
    Status.CREATE_TASK_FAILED: FailureText(500, "Task creation failed.", Stage.TEXT),
    Status.CALLBACK_EXCEPTION: FailureText(500, "Callback delivery failed.", Stage.COMPLETE),
}

LIFECYCLE = Lifecycle(
    kind="music",
    progress=(
        Progress(Stage.TEXT, Status.TEXT_SUCCESS, 20.0),
        Progress(Stage.FIRST, Status.FIRST_SUCCESS, 35.0),
        Progress(Stage.COMPLETE, Status.SUCCESS, 150.0),
    ),
    failures=frozenset(FAILURES),
)

_MESSAGES = {
    Stage.TEXT: "Text generation complete.",
    Stage.FIRST: "First audio generated successfully.",
    Stage.COMPLETE: "All generated successfully.",
}


# views -----------------------------------------------------------------------------------------
def details_track(track: Track, base_url: str, profile: Profile, *, complete: bool) -> dict[str, Any]:
    """One track as Get Music Details shows it (camelCase)."""
    urls = media_urls(track, base_url)
    return {
        "id": track.id,
        "audioUrl": urls["audio"] if complete else "",
        "streamAudioUrl": urls["stream"],
        "imageUrl": urls["image"],
        "prompt": track.prompt,
        "modelName": track.model_name,
        "title": track.title,
        "tags": track.tags,
        "createTime": create_time(profile, track.created_at),
        "duration": track.duration if complete else None,
    }


def visible_tracks(task: Task, status: str) -> list[tuple[Track, bool]]:
    """The tracks the details list at ``status``, each with whether it is complete."""
    if status in (Status.SUCCESS, Status.CALLBACK_EXCEPTION):
        return [(track, True) for track in task.tracks]
    if status == Status.FIRST_SUCCESS:
        return [(track, track.index == 0) for track in task.tracks]
    return []


def music_record(shot: Snapshot) -> dict[str, Any]:
    """The ``data`` of Get Music Details at the snapshot's time."""
    task, profile = shot.task, shot.profile
    return {
        "taskId": task.id,
        "parentMusicId": task.parent_music_id,
        "param": task.param,
        "response": {
            "taskId": task.id,
            "sunoData": [
                details_track(t, task.base_url, profile, complete=c) for t, c in visible_tracks(task, shot.status)
            ],
        },
        "status": shot.status,
        "type": profile.record_type,
        "operationType": task.operation_type,
        "errorCode": shot.error_code,
        "errorMessage": shot.error_message,
    }


# callbacks -------------------------------------------------------------------------------------
def callback_track(track: Track, task: Task, profile: Profile, *, complete: bool, sources: bool) -> dict[str, Any]:
    """One track as a callback carries it (snake_case, except createTime)."""
    urls = media_urls(track, task.base_url)
    item: dict[str, Any] = {
        "id": track.id,
        "audio_url": urls["audio"] if complete else "",
        "stream_audio_url": urls["stream"],
        "image_url": urls["image"],
        "prompt": track.prompt,
        "model_name": track.model_name,
        "title": track.title,
        "tags": track.tags,
        "createTime": create_time(profile, track.created_at),
        "duration": track.duration if complete else None,
    }
    if sources:
        item["source_audio_url"] = f"{urls['audio']}?source=suno" if complete else ""
        item["source_stream_audio_url"] = f"{urls['stream']}?source=suno"
        item["source_image_url"] = f"{urls['image']}?source=suno"
    return item


def error_payload(task: Task, failure: Failure | None, style: str) -> dict[str, Any]:
    """An ``error`` callback in one of the documented styles: ``data: []``, ``data: null`` or an ``error`` string."""
    assert failure is not None, "an error stage comes from a failure"
    data: dict[str, Any] = {"callbackType": "error", "task_id": task.id}
    if style == "error":
        data["error"] = failure.message
    else:
        data["data"] = [] if style == "empty" else None
    return {"code": failure.code, "msg": failure.message, "data": data}


def track_payload(task: Task, stage: Stage, profile: Profile, *, sources: bool) -> dict[str, Any]:
    """A ``text``, ``first`` or ``complete`` callback with the tracks done so far."""
    if stage is Stage.TEXT:
        tracks: list[dict[str, Any]] | None = [] if profile.text_callback_data == "empty" else None
    else:
        tracks = [
            callback_track(t, task, profile, complete=stage is Stage.COMPLETE or t.index == 0, sources=sources)
            for t in task.tracks
        ]
    return {
        "code": 200,
        "msg": _MESSAGES[stage],
        "data": {"callbackType": stage.value, "task_id": task.id, "data": tracks},
    }


def music_payload(task: Task, stage: Stage, failure: Failure | None, profile: Profile) -> dict[str, Any]:
    """The JSON body POSTed to ``callBackUrl`` for one stage of a music task."""
    if stage is Stage.ERROR:
        return error_payload(task, failure, profile.music_error_callback)
    return track_payload(task, stage, profile, sources=True)


def market_songs(shot: Snapshot) -> dict[str, Any]:
    """Market ``resultJson``: ``{"data": [song, song]}`` with the callback's snake_case track fields."""
    task = shot.task
    return {"data": [callback_track(t, task, shot.profile, complete=True, sources=False) for t in task.tracks]}


KIND = JobKind(
    name="music",
    lifecycle=LIFECYCLE,
    failures=FAILURES,
    view=music_record,
    payload=music_payload,
    callback_timeout_s=15.0,
    market_result=market_songs,
)


# behaviours ------------------------------------------------------------------------------------
def title_of(body: Mapping[str, Any]) -> str:
    """The request's title, or the first words of its prompt."""
    if body.get("title"):
        return str(body["title"])
    words = str(body.get("prompt", "")).split()
    return " ".join(words[:5]) or "Untitled"


def is_complete(status: str, track: Track) -> bool:
    return status == Status.SUCCESS or (status == Status.FIRST_SUCCESS and track.index == 0)


def usable(call: Call, field: str, value: Any, track: Track, task: Task) -> None:
    """The source track must be finished and still kept."""
    status = call.tasks.status(task)
    if not is_complete(status, track):
        raise invalid(field, value, f"the track is not complete yet (task status {status})")
    unexpired(call, field, value, task)


def source_track(call: Call, audio_id: str, field: str = "audioId") -> tuple[Track, Task]:
    """The track ``audio_id`` names and its task, or the not-found answer."""
    track = call.tasks.track(audio_id)
    if track is None:
        raise not_found(field, audio_id, "no such track; use an id from a finished task or POST /_mock/tasks")
    task = call.tasks.get(track.task_id)
    assert task is not None, "a stored track belongs to a stored task"
    return track, task


def generate(call: Call) -> dict[str, str]:
    """Generate Music: two tracks per task."""
    tasks, body = call.tasks, call.body
    call.credits.charge(call.token, "generate")
    task = tasks.new_task(call.operation.operation_id, param=body, base_url=call.base_url, token=call.token)
    task.tracks = [
        tasks.new_track(
            task.id,
            i,
            duration=tasks.generated_duration(),
            title=title_of(body),
            tags=str(body.get("style", "")),
            prompt=str(body.get("prompt", "")),
            model=str(body["model"]),
        )
        for i in range(2)
    ]
    call.start(task, "music")
    return {"taskId": task.id}


def extend(call: Call) -> dict[str, str]:
    """Extend Music: two tracks continuing the source from ``continueAt``."""
    tasks, body = call.tasks, call.body
    source, source_task = source_track(call, body["audioId"])
    usable(call, "audioId", body["audioId"], source, source_task)
    start = source.duration
    if body.get("defaultParamFlag"):
        start = float(body["continueAt"])
        if start >= source.duration:
            raise invalid(
                "continueAt", body["continueAt"], f"must be less than the source track's duration {source.duration} s"
            )
    call.credits.charge(call.token, "extend")
    task = tasks.new_task(
        call.operation.operation_id,
        param=body,
        base_url=call.base_url,
        token=call.token,
        operation_type="extend",
        parent_music_id=source.id,
    )
    custom = bool(body.get("defaultParamFlag"))
    task.tracks = [
        tasks.new_track(
            task.id,
            i,
            duration=start + tasks.random.uniform(*EXTENSION_LENGTH),
            title=title_of(body) if custom else source.title,
            tags=str(body.get("style", "")) if custom else source.tags,
            prompt=str(body.get("prompt", "")) if custom else source.prompt,
            model=str(body["model"]),
        )
        for i in range(2)
    ]
    call.start(task, "music")
    return {"taskId": task.id}


BEHAVIOURS = {
    "generate-music": generate,
    "extend-music": extend,
}
