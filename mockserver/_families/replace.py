"""Replace Music Section: one new track, the source with a span regenerated.

Lifecycle ``PENDING -> SUCCESS`` with the ``complete`` callback only (or ``error``); the
receiver has 10 s.  Its tasks are read through Get Music Details, as music tasks.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .._behaviour import Call, invalid, not_found
from .._errors import Invalid
from .._kind import JobKind
from .._lifecycle import Failure, Lifecycle, Progress, Stage, Status
from .._providers import Profile
from .._store import Task, Track
from .._validation import Problem
from .music import FAILURES, error_payload, market_songs, music_record, source_track, track_payload, usable

__all__ = ["BEHAVIOURS", "KIND"]

LIFECYCLE = Lifecycle(
    kind="replace",
    progress=(Progress(Stage.COMPLETE, Status.SUCCESS, 60.0),),
    failures=frozenset(FAILURES),
)


#: The separate detail of an ``error`` callback's ``error`` string, by failure status (seed 003's
#: example pairs msg "Audio generation failed." with error "Generation failed due to technical
#: issues"; the other details are the mock's wording).
ERROR_DETAILS: dict[str, str] = {
    Status.GENERATE_AUDIO_FAILED: "Generation failed due to technical issues",
    Status.SENSITIVE_WORD_ERROR: "The prompt, tags or lyrics were refused by the content filter",
    Status.CREATE_TASK_FAILED: "The replacement task could not be created",
    Status.CALLBACK_EXCEPTION: "The result could not be delivered to callBackUrl",
}


def replace_payload(task: Task, stage: Stage, failure: Failure | None, profile: Profile) -> dict[str, Any]:
    """The ``complete`` callback with the new track, or the ``error`` callback in the profile's style.

    ``replace_callback_ids`` decides the ids: the new task and track ("new"), or the request's
    parent ``taskId`` and source ``audioId`` ("parent", as the seed examples show).
    """
    parent = profile.replace_callback_ids == "parent"
    task_id = task.detail if parent and isinstance(task.detail, str) else task.id
    if stage is Stage.ERROR:
        payload = error_payload(task, failure, profile.replace_error_callback)
        if "error" in payload["data"] and failure is not None:
            payload["data"]["error"] = ERROR_DETAILS.get(failure.status, failure.message)
    else:
        payload = track_payload(task, stage, profile, sources=False)
        if parent:
            for item, track in zip(payload["data"]["data"], task.tracks, strict=True):
                if track.splice is not None:
                    item["id"] = track.splice.source_id
    payload["data"]["task_id"] = task_id
    return payload


KIND = JobKind(
    name="replace",
    lifecycle=LIFECYCLE,
    failures=FAILURES,
    view=music_record,
    payload=replace_payload,
    callback_timeout_s=10.0,
    details="music",
    market_result=market_songs,
)


def _replace_source(call: Call) -> tuple[Track, Task]:
    """The task and track a replace-section request names (audioId or musicIndex)."""
    body = call.body
    task = call.tasks.get(body["taskId"])
    if task is None:
        raise not_found("taskId", body["taskId"], "no such task; create one with generate or POST /_mock/tasks")
    if "musicIndex" in (call.operation.body_schema or {}).get("properties", {}):
        index = body["musicIndex"]
        if not 0 <= index < len(task.tracks):
            raise invalid("musicIndex", index, f"must be between 0 and {len(task.tracks) - 1} for this task")
        track = task.tracks[int(index)]
        usable(call, "musicIndex", index, track, task)
    else:
        track, owner = source_track(call, body["audioId"])
        if owner.id != task.id:
            raise invalid("audioId", body["audioId"], f"belongs to task {owner.id}, not to taskId {task.id}")
        usable(call, "audioId", body["audioId"], track, task)
    return track, task


def span_problems(track: Track, start: float, end: float) -> list[Problem]:
    """The replaced span must end inside the track and cover at most half of it, in exact decimals."""
    duration = Decimal(repr(track.duration))
    span = Decimal(repr(end)) - Decimal(repr(start))
    problems = []
    if Decimal(repr(end)) > duration:
        problems.append(Problem("infillEndS", end, f"must be within the track's duration {track.duration} s"))
    if span * 2 > duration:
        problems.append(
            Problem(
                "infillEndS - infillStartS",
                float(span),
                f"the replaced span must be at most 50% of the track's duration {track.duration} s, "
                f"i.e. {duration / 2} s",
            )
        )
    return problems


def replace_section(call: Call) -> dict[str, str]:
    """Replace Music Section: one track, the source with a span regenerated."""
    tasks, body = call.tasks, call.body
    track, source_task = _replace_source(call)
    start, end = body["infillStartS"], body["infillEndS"]
    if end + 1e-6 < track.duration and (end - start) * 2 + 1e-6 < track.duration:
        problems: list[Problem] = []  # clearly inside and clearly short enough; exact decimals decide the close calls
    else:
        problems = span_problems(track, start, end)
    if problems:
        raise Invalid("; ".join(map(str, problems)))
    call.credits.charge(call.token, "replace-section")
    task = tasks.new_task(
        call.operation.operation_id,
        param=body,
        base_url=call.base_url,
        token=call.token,
        operation_type=call.profile.replace_operation_type,
    )
    task.tracks = [
        tasks.new_track(
            task.id,
            0,
            duration=track.duration,
            title=str(body["title"]),
            tags=str(body["tags"]),
            prompt=str(body["prompt"]),
        )
    ]
    # the span as Track keeps it (Splice(...) read back through Track.splice); no frozen Splice is built per request
    task.tracks[0].span = (track.id, float(start), float(end))
    task.tracks[0].model_name = track.model_name
    task.detail = source_task.id  # the parent taskId, for replace_callback_ids=parent
    call.start(task, "replace")
    return {"taskId": task.id}


BEHAVIOURS = {"replace-section": replace_section}
