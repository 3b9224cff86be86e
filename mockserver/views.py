"""What record-info shows of a task: the documented camelCase shape."""

from __future__ import annotations

import importlib.util
import time
from typing import TYPE_CHECKING, Any

from .providers import Profile
from .store import Task, Track

if TYPE_CHECKING:
    from .state import MockState

__all__ = ["create_time", "media_urls", "record_info"]


def create_time(profile: Profile, at: float) -> str | int:
    """``createTime`` in the profile's format."""
    if profile.create_time == "epoch_ms":
        return int(at * 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))


#: MP3 when the optional encoder is installed, else WAV (see media.py).
AUDIO_EXTENSION = "mp3" if importlib.util.find_spec("lameenc") is not None else "wav"


def media_urls(track: Track, base_url: str) -> dict[str, str]:
    """Where the mock serves a track's files."""
    return {
        "audio": f"{base_url}/_mock/files/{track.id}.{AUDIO_EXTENSION}",
        "stream": f"{base_url}/_mock/stream/{track.id}",
        "image": f"{base_url}/_mock/files/{track.id}.png",
    }


def _track(track: Track, base_url: str, profile: Profile, *, complete: bool) -> dict[str, Any]:
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
    """The tracks record-info lists at ``status``, each with whether it is complete."""
    if status in ("SUCCESS", "CALLBACK_EXCEPTION"):
        return [(track, True) for track in task.tracks]
    if status == "FIRST_SUCCESS":
        return [(track, track.index == 0) for track in task.tracks]
    return []


def record_info(task: Task, state: MockState) -> dict[str, Any]:
    """The ``data`` of Get Music Details at the current mock time."""
    profile = state.profile
    status = state.status(task)
    error_code, error_message = state.failure(task)
    return {
        "taskId": task.id,
        "parentMusicId": task.parent_music_id,
        "param": task.param,
        "response": {
            "taskId": task.id,
            "sunoData": [_track(t, task.base_url, profile, complete=c) for t, c in visible_tracks(task, status)],
        },
        "status": status,
        "type": profile.record_type,
        "operationType": task.operation_type,
        "errorCode": error_code,
        "errorMessage": error_message,
    }
