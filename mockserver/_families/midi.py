"""Generate MIDI (``/api/v1/midi/generate``): notes transcribed from a finished separation task.

The notes follow the melody the mock synthesized for the source track (lead, bass, drums).
Details show an integer ``successFlag`` (0 pending, 1 success, 2 create failed, 3 generate
failed) and ``midiData``; the callback carries ``task_id`` at the top level, beside ``code``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from .. import _artifacts as artifacts
from .._behaviour import Call, not_found
from .._kind import FailureText, JobKind, Snapshot
from .._lifecycle import Failure, Stage, Status
from .._providers import Profile
from .._store import Task
from .._views import create_time
from ._derived import Source, complete_time, derived_task, finished, flag_lifecycle

__all__ = ["BEHAVIOURS", "KIND"]

OFFSET_S = 30.0

FAILURES: dict[str, FailureText] = {
    Status.CREATE_TASK_FAILED: FailureText(500, "Task creation failed.", Stage.TEXT),
    "GENERATE_MIDI_FAILED": FailureText(500, "MIDI generation failed.", Stage.COMPLETE),
}
FLAGS = {"PENDING": 0, "SUCCESS": 1, "CREATE_TASK_FAILED": 2, "GENERATE_MIDI_FAILED": 3}


def _instruments(task: Task, duration: float, seed: int) -> list[dict[str, object]]:
    return [instrument.as_dict() for instrument in _transcribed(duration, seed)]


@functools.lru_cache(maxsize=64)  # the callback and every details read show the same notes
def _transcribed(duration: float, seed: int) -> tuple[artifacts.Instrument, ...]:
    return artifacts.transcribe(duration, seed)


def midi_record(shot: Snapshot) -> dict[str, Any]:
    task = shot.task
    source: Midi = task.detail
    done = shot.status == Status.SUCCESS
    return {
        "taskId": task.id,
        "recordTaskId": -1,
        "audioId": source.audio_id,
        "callbackUrl": task.callback_url or "",
        "completeTime": complete_time(shot, OFFSET_S),
        "midiData": {"state": "complete", "instruments": _instruments(task, source.duration, source.seed)}
        if done
        else None,
        "successFlag": FLAGS[shot.status],
        "createTime": create_time(shot.profile, task.created_at),
        "errorCode": shot.error_code,
        "errorMessage": shot.error_message,
    }


def midi_payload(task: Task, stage: Stage, failure: Failure | None, profile: Profile) -> dict[str, Any]:
    if stage is Stage.ERROR:
        assert failure is not None
        return {"task_id": task.id, "code": failure.code, "msg": failure.message, "data": None}
    source: Midi = task.detail
    instruments = _instruments(task, source.duration, source.seed)
    return {
        "task_id": task.id,
        "code": 200,
        "msg": "success",
        "data": {"state": "complete", "instruments": instruments},
    }


KIND = JobKind(
    name="midi",
    lifecycle=flag_lifecycle("midi", OFFSET_S, FAILURES),
    failures=FAILURES,
    view=midi_record,
    payload=midi_payload,
    callback_timeout_s=15.0,
    market_result=lambda shot: {"resultObject": midi_record(shot)["midiData"]},
)


@dataclass(frozen=True, slots=True)
class Midi:
    """The separation task, the stem asked for, and the track whose melody the notes follow."""

    task_id: str
    audio_id: str
    index: int
    duration: float
    seed: int


def generate_midi(call: Call) -> dict[str, str]:
    """Generate MIDI from a finished separation task (optionally one of its stems, by ``audioId``)."""
    tasks, body = call.tasks, call.body
    separation = finished(call, "separation", "separation task")
    source: Source = separation.detail
    audio_id = body.get("audioId")
    if audio_id and audio_id != source.audio_id and not str(audio_id).startswith(f"{separation.id}-"):
        raise not_found("audioId", audio_id, "not a stem of this separation task; use an originData id or omit it")
    track = tasks.track(source.audio_id)
    if track is None:
        raise not_found("taskId", body["taskId"], "the separated track is gone")
    detail = Midi(separation.id, str(audio_id or source.audio_id), source.index, track.duration, track.seed)
    task = derived_task(call, separation, detail, free=True)  # kie: "This endpoint is free"
    call.start(task, "midi")
    return {"taskId": task.id}


BEHAVIOURS = {"generate-midi": generate_midi}
