"""Presentation helpers every family's views and callbacks share: times and media URLs."""

from __future__ import annotations

import importlib.util
import math
import time

from ._providers import Profile
from ._store import Track

__all__ = ["AUDIO_EXTENSION", "create_time", "file_url", "media_urls"]


#: Seconds whose ``createTime`` text is kept (record-info is polled: the same few tasks, over and over).
_SECONDS_KEPT = 4096
_second_texts: dict[int, str] = {}


def create_time(profile: Profile, at: float) -> str | int:
    """``createTime`` in the profile's format.

    The text depends on the whole second only (``gmtime`` drops the fraction, rounding down), so
    it is made once per second and kept: ``strftime`` and ``gmtime`` were a tenth of a record-info.
    """
    if profile.create_time == "epoch_ms":
        return int(at * 1000)
    second = math.floor(at)
    text = _second_texts.get(second)
    if text is None:
        text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))
        if len(_second_texts) >= _SECONDS_KEPT:
            _second_texts.clear()
        _second_texts[second] = text
    return text


#: MP3 when the optional encoder is installed, else WAV (see media.py).
AUDIO_EXTENSION = "mp3" if importlib.util.find_spec("lameenc") is not None else "wav"


def media_urls(track: Track, base_url: str) -> dict[str, str]:
    """Where the mock serves a track's files."""
    return {
        "audio": f"{base_url}/_mock/files/{track.id}.{AUDIO_EXTENSION}",
        "stream": f"{base_url}/_mock/stream/{track.id}",
        "image": f"{base_url}/_mock/files/{track.id}.png",
    }


def file_url(base_url: str, task_id: str, name: str) -> str:
    """Where the mock serves the file ``name`` a task produced (WAV, stems, video, images...)."""
    return f"{base_url}/_mock/files/{task_id}/{name}"
