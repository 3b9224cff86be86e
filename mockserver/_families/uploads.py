"""Music tasks made from uploaded audio: upload-cover, upload-extend, add-instrumental, add-vocals,
mashup, and sounds (from a prompt).  All are music tasks (two tracks, the text/first/complete
callbacks, read through Get Music Details).

An ``uploadUrl`` is never fetched from the internet.  When it points at a file the mock itself
serves (a track's audio), its length is known and the documented limit applies (8 minutes on
kie, apikley and the newest sunoapi pages; a third-party note's 1 minute for V4_5ALL has no primary
source and is not enforced); any other URL is taken as given, with the length
unknown, and the new tracks are synthesized as usual.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .._behaviour import Call, invalid, unexpired
from .._store import Track
from .music import EXTENSION_LENGTH, title_of

__all__ = ["BEHAVIOURS", "upload_length"]

#: Longest upload (seconds) per model; other models: the default.
UPLOAD_LIMIT_S = 480.0
#: Sounds are short: their duration is drawn from this range (seconds).
SOUND_DURATION = (5.0, 30.0)
_TRACK_FILE = re.compile(r"/_mock/(?:files|stream)/([0-9a-f-]{36})(?:\.[a-z0-9]+)?$")


def upload_length(call: Call, url: str) -> Track | None:
    """The mock's own track behind ``url`` (so its length is known), or None for any other URL."""
    path = urlsplit(url).path
    match = _TRACK_FILE.search(path)
    return None if match is None else call.tasks.track(match.group(1))


def _check_upload(call: Call, field: str, url: str) -> float | None:
    """The upload's length when the mock knows it, after the documented length limit."""
    track = upload_length(call, url)
    if track is None:
        return None
    owner = call.tasks.get(track.task_id)
    if owner is not None:
        unexpired(call, field, url, owner)  # the mock's own track past its retention: gone, as its file is
    model = str(call.body.get("model", ""))
    limit = UPLOAD_LIMIT_S
    if track.duration > limit:
        raise invalid(
            field, url, f"the audio is {track.duration} s long; {model or 'this model'} takes at most {limit:g} s"
        )
    return track.duration


def _music(
    call: Call,
    operation_type: str,
    duration: Callable[[int], float],
    *,
    title: str | None = None,
    tags: str | None = None,
) -> dict[str, str]:
    tasks, body = call.tasks, call.body
    call.credits.charge(call.token, call.operation.operation_id)
    task = tasks.new_task(
        call.operation.operation_id, param=body, base_url=call.base_url, token=call.token, operation_type=operation_type
    )
    task.tracks = [
        tasks.new_track(
            task.id,
            i,
            duration=duration(i),
            title=title if title is not None else title_of(body),
            tags=tags if tags is not None else str(body.get("style", body.get("tags", ""))),
            prompt=str(body.get("prompt", "")),
            model=str(body.get("model", "V4_5PLUS")),
        )
        for i in range(2)
    ]
    call.start(task, "music")
    return {"taskId": task.id}


def _generated(call: Call) -> Callable[[int], float]:
    return lambda i: call.tasks.generated_duration()


def upload_cover(call: Call) -> dict[str, str]:
    """Upload and Cover: the uploaded song in a new style."""
    length = _check_upload(call, "uploadUrl", call.body["uploadUrl"])
    return _music(call, "upload_cover", (lambda i: length) if length else _generated(call))


def upload_extend(call: Call) -> dict[str, str]:
    """Upload and Extend: the uploaded song continued from ``continueAt``."""
    body = call.body
    length = _check_upload(call, "uploadUrl", body["uploadUrl"])
    start = length or call.tasks.generated_duration()
    if body.get("defaultParamFlag"):
        start = float(body["continueAt"])
        if length is not None and start >= length:
            raise invalid("continueAt", body["continueAt"], f"must be less than the uploaded audio's length {length} s")
    return _music(call, "upload_extend", lambda i: start + call.tasks.random.uniform(*EXTENSION_LENGTH))


def add_instrumental(call: Call) -> dict[str, str]:
    """Add Instrumental: an accompaniment under the uploaded vocals (same length)."""
    length = _check_upload(call, "uploadUrl", call.body["uploadUrl"])
    tags = str(call.body.get("tags", ""))
    return _music(call, "add_instrumental", (lambda i: length) if length else _generated(call), tags=tags)


def add_vocals(call: Call) -> dict[str, str]:
    """Add Vocals: vocals over the uploaded instrumental (same length)."""
    length = _check_upload(call, "uploadUrl", call.body["uploadUrl"])
    return _music(call, "add_vocals", (lambda i: length) if length else _generated(call))


def mashup(call: Call) -> dict[str, str]:
    """Mashup: two uploads blended into new tracks."""
    urls: list[Any] = call.body["uploadUrlList"]
    lengths = [_check_upload(call, f"uploadUrlList[{i}]", str(url)) for i, url in enumerate(urls)]
    known = [length for length in lengths if length]
    return _music(call, "mashup", (lambda i: max(known)) if known else _generated(call))


def sounds(call: Call) -> dict[str, str]:
    """Generate Sounds: short sound effects or loops from a prompt."""
    return _music(
        call, "sounds", lambda i: call.tasks.random.uniform(*SOUND_DURATION), title=title_of(call.body), tags=""
    )


BEHAVIOURS = {
    "upload-cover": upload_cover,
    "upload-extend": upload_extend,
    "add-instrumental": add_instrumental,
    "add-vocals": add_vocals,
    "generate-mashup": mashup,
    "generate-sounds": sounds,
}
