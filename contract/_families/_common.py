"""Pieces several family modules share: the source fields, a body naming a finished track, simple details checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._model import CALLBACK, UNKNOWN_AUDIO, UNKNOWN_TASK, Field, Ref, Source

__all__ = ["AUDIO_ID", "CALLBACK_URL", "TASK_ID", "TRACK_REFS", "non_empty_at", "track_body"]

TASK_ID = Field("taskId", "string", required=True, example=UNKNOWN_TASK)
AUDIO_ID = Field("audioId", "string", required=True, example=UNKNOWN_AUDIO)
CALLBACK_URL = Field("callBackUrl", "uri", required=True, example=CALLBACK)
TRACK_REFS = (Ref("taskId", "task"), Ref("audioId", "track"))


def track_body(source: Source | None, callback: str, *, audio: bool = True) -> dict[str, Any]:
    """``{taskId, audioId, callBackUrl}`` naming the source's first track (unknown ids without one)."""
    body: dict[str, Any] = {"taskId": source.task_id if source else UNKNOWN_TASK}
    if audio:
        body["audioId"] = source.tracks[0].id if source and source.tracks else UNKNOWN_AUDIO
    body["callBackUrl"] = callback
    return body


def non_empty_at(data: Mapping[str, Any], *path: str) -> bool:
    """Whether ``data`` has a non-empty value (string, list or object) at ``path``."""
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping):
            return False
        node = node.get(key)
    return bool(node) and isinstance(node, (str, list, Mapping))
