"""Callback payloads as the providers send them (snake_case tracks, camelCase ``callbackType``)."""

from __future__ import annotations

from typing import Any

from .lifecycle import Failure, Flow, Stage
from .providers import Profile
from .store import Task, Track
from .views import create_time, media_urls

__all__ = ["FAILURE_TEXTS", "callback_payload"]

_MESSAGES = {
    Stage.TEXT: "Text generation complete.",
    Stage.FIRST: "First audio generated successfully.",
    Stage.COMPLETE: "All generated successfully.",
}

#: Default callback code and message per failure status (documented callback codes).
FAILURE_TEXTS: dict[str, tuple[int, str]] = {
    "GENERATE_AUDIO_FAILED": (501, "Audio generation failed."),
    "SENSITIVE_WORD_ERROR": (400, "Lyrics contain copyrighted or sensitive content."),
    "CREATE_TASK_FAILED": (500, "Task creation failed."),
    "CALLBACK_EXCEPTION": (500, "Callback delivery failed."),
}


def _track(track: Track, task: Task, profile: Profile, *, complete: bool, sources: bool) -> dict[str, Any]:
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


def callback_payload(task: Task, flow: Flow, stage: Stage, profile: Profile, failure: Failure | None) -> dict[str, Any]:
    """The JSON body POSTed to ``callBackUrl`` for one stage of a task."""
    if stage is Stage.ERROR:
        assert failure is not None, "an error stage comes from a failure"
        style = profile.replace_error_callback if flow is Flow.REPLACE else profile.music_error_callback
        data: dict[str, Any] = {"callbackType": "error", "task_id": task.id}
        if style == "error":
            data["error"] = failure.message
        else:
            data["data"] = [] if style == "empty" else None
        return {"code": failure.code, "msg": failure.message, "data": data}
    sources = flow is Flow.MUSIC
    if stage is Stage.TEXT:
        tracks: list[dict[str, Any]] | None = [] if profile.text_callback_data == "empty" else None
    else:
        tracks = [
            _track(t, task, profile, complete=stage is Stage.COMPLETE or t.index == 0, sources=sources)
            for t in task.tracks
        ]
    return {
        "code": 200,
        "msg": _MESSAGES[stage],
        "data": {"callbackType": stage.value, "task_id": task.id, "data": tracks},
    }
