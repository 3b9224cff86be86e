"""Get Timestamped Lyrics (synchronous): word timings of a finished track's lyrics.

The words are the track's lyrics (its prompt in custom mode) aligned over its duration; an
instrumental track gives no words.  An unknown task or track gives the not-found answer.
"""

from __future__ import annotations

import json
from typing import Any

from .. import _artifacts as artifacts
from .._behaviour import Call, invalid, not_found
from .._store import Track
from .music import source_track, usable

__all__ = ["BEHAVIOURS"]

#: Points of ``waveformData``.
WAVEFORM_POINTS = 200


def _selected(call: Call) -> Track:
    body = call.body
    task = call.tasks.get(body["taskId"])
    if task is None:
        raise not_found("taskId", body["taskId"], "no such task; use the taskId of a finished music task")
    if body.get("audioId"):
        track, owner = source_track(call, body["audioId"])
        if owner.id != task.id:
            raise invalid("audioId", body["audioId"], f"belongs to task {owner.id}, not to taskId {task.id}")
        field, value = "audioId", body["audioId"]
    elif "musicIndex" in body:
        index = body["musicIndex"]
        if not 0 <= index < len(task.tracks):
            raise invalid("musicIndex", index, f"must be between 0 and {len(task.tracks) - 1} for this task")
        track, field, value = task.tracks[int(index)], "musicIndex", index
    else:
        raise invalid("audioId", None, "name the track with audioId (or musicIndex)")
    usable(call, field, value, track, task)
    return track


def timestamped_lyrics(call: Call) -> dict[str, Any]:
    track = _selected(call)
    task = call.tasks.get(track.task_id)
    assert task is not None
    param = json.loads(task.param)
    instrumental = bool(param.get("instrumental"))
    words = [] if instrumental or not track.prompt.strip() else artifacts.align(track.prompt, track.duration)
    return {
        "alignedWords": words,
        "waveformData": artifacts.waveform(track.seed, WAVEFORM_POINTS),
        "hootCer": 0.0 if instrumental else 0.38,
        "isStreamed": False,
    }


BEHAVIOURS = {"get-timestamped-lyrics": timestamped_lyrics}
