"""Convert to WAV: the track's audio as a RIFF/WAVE file (``successFlag`` details, one callback).

Callback ``{code, msg, data: {audioWavUrl, task_id}}``; ``audioWavUrl`` is null on failure
(sunoapi, kie).  The receiver has 15 s.  A second conversion of the same track is refused
with 409 ("WAV record already exists" in the code tables).
"""

from __future__ import annotations

from typing import Any

from .. import _artifacts as artifacts
from .._behaviour import Call
from .._errors import Conflict
from .._kind import Artifact, JobKind, Renderer, Snapshot
from .._lifecycle import Failure, Stage
from .._providers import Profile
from .._store import Task
from .._views import file_url
from ._derived import Source, derived_task, flag_failures, flag_lifecycle, flag_record, source_of, source_track

__all__ = ["BEHAVIOURS", "KIND"]

OFFSET_S = 30.0
FILE = "audio.wav"

FAILURES = flag_failures("GENERATE_WAV_FAILED", 400, "WAV conversion failed: unsupported source format.")


def wav_url(task: Task) -> str:
    return file_url(task.base_url, task.id, FILE)


def wav_record(shot: Snapshot) -> dict[str, Any]:
    source: Source = shot.task.detail
    extra = {"musicIndex": source.index} if shot.profile.name == "kie" else {}
    return flag_record(shot, {"audioWavUrl": wav_url(shot.task)}, OFFSET_S, **extra)


def wav_payload(task: Task, stage: Stage, failure: Failure | None, profile: Profile) -> dict[str, Any]:
    if stage is Stage.ERROR:
        assert failure is not None
        return {"code": failure.code, "msg": failure.message, "data": {"audioWavUrl": None, "task_id": task.id}}
    return {"code": 200, "msg": "success", "data": {"audioWavUrl": wav_url(task), "task_id": task.id}}


def wav_file(task: Task, name: str, renderer: Renderer) -> Artifact | None:
    track = source_track(task, renderer) if name == FILE else None
    if track is None:
        return None
    return Artifact(artifacts.wav_file(renderer.pcm(track)), artifacts.WAV_CONTENT_TYPE)


KIND = JobKind(
    name="wav",
    lifecycle=flag_lifecycle("wav", OFFSET_S, FAILURES),
    failures=FAILURES,
    view=wav_record,
    payload=wav_payload,
    callback_timeout_s=15.0,
    files=wav_file,
    market_result=lambda shot: {"resultUrls": [wav_url(shot.task)]},
)


def convert(call: Call) -> dict[str, str]:
    """Convert to WAV: one task per source track."""
    music, track = source_of(call)
    done = call.tasks.store.once.get(("wav", track.id))
    if done is not None and call.profile.wav_conflict:
        raise Conflict(f"WAV record already exists for audioId {track.id} (task {done}); read it with that taskId")
    task = derived_task(call, music, Source(music.id, track.id, track.index))
    call.tasks.store.once[("wav", track.id)] = task.id
    call.start(task, "wav")
    return {"taskId": task.id}


BEHAVIOURS = {"convert-to-wav": convert}
