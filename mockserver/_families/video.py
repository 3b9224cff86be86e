"""Create Music Video (``/api/v1/mp4/generate``): an MP4 of a finished track.

Callback ``{code, msg: "MP4 generated successfully.", data: {task_id, video_url}}``;
``video_url`` is null on failure.  ``author`` and ``domainName`` (a watermark) are kept in
the task's param.  The receiver has 15 s.
"""

from __future__ import annotations

from typing import Any

from .. import _artifacts as artifacts
from .._behaviour import Call
from .._kind import Artifact, JobKind, Renderer, Snapshot
from .._lifecycle import Failure, Stage
from .._providers import Profile
from .._store import Task
from .._views import file_url
from ._derived import (
    Source,
    derived_task,
    flag_failures,
    flag_lifecycle,
    flag_record,
    source_of,
    source_track,
    task_seed,
)

__all__ = ["BEHAVIOURS", "KIND"]

OFFSET_S = 60.0
FILE = "video.mp4"

FAILURES = flag_failures("GENERATE_MP4_FAILED", 500, "MP4 generation failed.")


def video_url(task: Task) -> str:
    return file_url(task.base_url, task.id, FILE)


def video_record(shot: Snapshot) -> dict[str, Any]:
    source: Source = shot.task.detail
    return flag_record(shot, {"videoUrl": video_url(shot.task)}, OFFSET_S, musicIndex=source.index)


def video_payload(task: Task, stage: Stage, failure: Failure | None, profile: Profile) -> dict[str, Any]:
    if stage is Stage.ERROR:
        assert failure is not None
        return {"code": failure.code, "msg": failure.message, "data": {"task_id": task.id, "video_url": None}}
    return {
        "code": 200,
        "msg": "MP4 generated successfully.",
        "data": {"task_id": task.id, "video_url": video_url(task)},
    }


def video_file(task: Task, name: str, renderer: Renderer) -> Artifact | None:
    track = source_track(task, renderer) if name == FILE else None
    if track is None:
        return None
    return Artifact(artifacts.music_video(track.duration, task_seed(task)), "video/mp4")


KIND = JobKind(
    name="video",
    lifecycle=flag_lifecycle("video", OFFSET_S, FAILURES),
    failures=FAILURES,
    view=video_record,
    payload=video_payload,
    callback_timeout_s=15.0,
    files=video_file,
    market_result=lambda shot: {"resultUrls": [video_url(shot.task)]},
)


def create_video(call: Call) -> dict[str, str]:
    """Create Music Video from a finished track."""
    music, track = source_of(call)
    task = derived_task(call, music, Source(music.id, track.id, track.index))
    call.start(task, "video")
    return {"taskId": task.id}


BEHAVIOURS = {"create-music-video": create_video}
