"""Behaviour per operationId. An operation without one answers from its spec example."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import views
from .errors import ApiError
from .lifecycle import Flow
from .spec import Operation
from .state import MockState
from .store import Splice, Task, Track
from .validation import Problem

__all__ = ["BEHAVIOURS", "Behaviour", "Call", "behaviour_for"]

#: Added to the continuation point of an extended track (seconds).
EXTENSION_LENGTH = (60.0, 120.0)


@dataclass(frozen=True)
class Call:
    """One validated request on its way to a behaviour."""

    state: MockState
    operation: Operation
    token: str
    body: dict[str, Any]
    query: Mapping[str, str]
    base_url: str


Behaviour = Callable[[Call], Any]


def _reject(problems: list[Problem], code: int = 422) -> ApiError:
    prefix = "Validation error" if code == 422 else "Not found"
    return ApiError(code, f"{prefix}: " + "; ".join(map(str, problems)))


def _title(body: Mapping[str, Any]) -> str:
    if body.get("title"):
        return str(body["title"])
    words = str(body.get("prompt", "")).split()
    return " ".join(words[:5]) or "Untitled"


def _is_complete(status: str, track: Track) -> bool:
    return status == "SUCCESS" or (status == "FIRST_SUCCESS" and track.index == 0)


def _usable(call: Call, field: str, value: Any, track: Track, task: Task) -> None:
    """The source track must be finished and still kept."""
    status = call.state.status(task)
    if not _is_complete(status, track):
        raise _reject([Problem(field, value, f"the track is not complete yet (task status {status})")])
    if call.state.expired(task):
        days = call.state.profile.retention_days
        raise _reject([Problem(field, value, f"the track's files have expired (kept {days:g} days)")])


def generate(call: Call) -> dict[str, str]:
    """Generate Music: two tracks per task."""
    state, body = call.state, call.body
    state.charge(call.token, "generate")
    task = state.new_task(call.operation.operation_id, param=body, base_url=call.base_url, token=call.token)
    task.tracks = [
        state.new_track(
            task.id,
            i,
            duration=state.generated_duration(),
            title=_title(body),
            tags=str(body.get("style", "")),
            prompt=str(body.get("prompt", "")),
            model=str(body["model"]),
        )
        for i in range(2)
    ]
    state.start(task, Flow.MUSIC)
    return {"taskId": task.id}


def _source_track(call: Call, audio_id: str) -> tuple[Track, Task]:
    track = call.state.store.tracks.get(audio_id)
    if track is None:
        raise _reject(
            [Problem("audioId", audio_id, "no such track; use an id from a finished task or POST /_mock/tasks")],
            call.state.profile.not_found_code,
        )
    return track, call.state.store.tasks[track.task_id]


def extend(call: Call) -> dict[str, str]:
    """Extend Music: two tracks continuing the source from ``continueAt``."""
    state, body = call.state, call.body
    source, source_task = _source_track(call, body["audioId"])
    _usable(call, "audioId", body["audioId"], source, source_task)
    start = source.duration
    if body.get("defaultParamFlag"):
        start = float(body["continueAt"])
        if start >= source.duration:
            raise _reject(
                [
                    Problem(
                        "continueAt",
                        body["continueAt"],
                        f"must be less than the source track's duration {source.duration} s",
                    )
                ]
            )
    state.charge(call.token, "extend")
    task = state.new_task(
        call.operation.operation_id,
        param=body,
        base_url=call.base_url,
        token=call.token,
        operation_type="extend",
        parent_music_id=source.id,
    )
    custom = bool(body.get("defaultParamFlag"))
    task.tracks = [
        state.new_track(
            task.id,
            i,
            duration=start + state.random.uniform(*EXTENSION_LENGTH),
            title=_title(body) if custom else source.title,
            tags=str(body.get("style", "")) if custom else source.tags,
            prompt=str(body.get("prompt", "")) if custom else source.prompt,
            model=str(body["model"]),
        )
        for i in range(2)
    ]
    state.start(task, Flow.MUSIC)
    return {"taskId": task.id}


def _replace_source(call: Call) -> tuple[Track, Task]:
    """The task and track a replace-section request names (audioId or musicIndex)."""
    state, body = call.state, call.body
    task = state.store.tasks.get(body["taskId"])
    if task is None:
        raise _reject(
            [Problem("taskId", body["taskId"], "no such task; create one with generate or POST /_mock/tasks")],
            state.profile.not_found_code,
        )
    if "musicIndex" in (call.operation.body_schema or {}).get("properties", {}):
        index = body["musicIndex"]
        if not 0 <= index < len(task.tracks):
            raise _reject([Problem("musicIndex", index, f"must be between 0 and {len(task.tracks) - 1} for this task")])
        track = task.tracks[int(index)]
        _usable(call, "musicIndex", index, track, task)
    else:
        track, owner = _source_track(call, body["audioId"])
        if owner.id != task.id:
            raise _reject([Problem("audioId", body["audioId"], f"belongs to task {owner.id}, not to taskId {task.id}")])
        _usable(call, "audioId", body["audioId"], track, task)
    return track, task


def _span_problems(track: Track, start: float, end: float) -> list[Problem]:
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
    state, body = call.state, call.body
    track, _ = _replace_source(call)
    start, end = body["infillStartS"], body["infillEndS"]
    if end + 1e-6 < track.duration and (end - start) * 2 + 1e-6 < track.duration:
        problems: list[Problem] = []  # clearly inside and clearly short enough; exact decimals decide the close calls
    else:
        problems = _span_problems(track, start, end)
    if problems:
        raise _reject(problems)
    state.charge(call.token, "replace-section")
    task = state.new_task(
        call.operation.operation_id,
        param=body,
        base_url=call.base_url,
        token=call.token,
        operation_type=state.profile.replace_operation_type,
    )
    task.tracks = [
        state.new_track(
            task.id,
            0,
            duration=track.duration,
            title=str(body["title"]),
            tags=str(body["tags"]),
            prompt=str(body["prompt"]),
            splice=Splice(track.id, float(start), float(end)),
        )
    ]
    task.tracks[0].model_name = track.model_name
    state.start(task, Flow.REPLACE)
    return {"taskId": task.id}


def record_info(call: Call) -> dict[str, Any]:
    """Get Music Details."""
    task_id = call.query["taskId"]
    task = call.state.store.tasks.get(task_id)
    if task is None:
        raise _reject(
            [Problem("taskId", task_id, "no such task; use the taskId a creating call returned")],
            call.state.profile.not_found_code,
        )
    return views.record_info(task, call.state)


def credits(call: Call) -> int:
    """Get Remaining Credits."""
    return call.state.balance(call.token)


BEHAVIOURS: dict[str, Behaviour] = {
    "generate-music": generate,
    "extend-music": extend,
    "replace-section": replace_section,
    "get-music-details": record_info,
    "get-remaining-credits": credits,
}


def behaviour_for(operation: Operation) -> Behaviour:
    """The hand-written behaviour, or one that answers the documented example."""
    known = BEHAVIOURS.get(operation.operation_id)
    if known is not None:
        return known
    example = operation.example
    data = example.get("data") if isinstance(example, dict) and "code" in example else example

    def from_example(call: Call) -> Any:
        return data

    return from_example
