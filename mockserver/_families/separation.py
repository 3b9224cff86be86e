"""Vocal separation (``/api/v1/vocal-removal/generate``): stems of a finished track.

``type`` ``separate_vocal`` (default) gives vocals and instrumental; ``split_stem`` gives up
to 12 stems; ``split_stem_advanced`` extracts the one instrument ``stemName`` names.  The
stems are real audio files that sum back to the source track.  The callback carries the stem
URLs under ``vocal_removal_info`` (sunoapi) or ``vocal_separation_info`` (kie): the profile
switch ``stems_key``.  Calling again on the same track is charged again (documented).
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass
from typing import Any

from .. import _artifacts as artifacts
from .._audio import Pcm
from .._behaviour import Call
from .._kind import Artifact, JobKind, Renderer, Snapshot
from .._lifecycle import Failure, Stage, Status
from .._providers import Profile
from .._store import Task
from .._views import AUDIO_EXTENSION, file_url
from ._derived import Source, derived_task, flag_failures, flag_lifecycle, flag_record, source_of

__all__ = ["BEHAVIOURS", "KIND", "SPLIT_STEMS", "stem_names"]

OFFSET_S = 60.0

#: The 12 stems of ``split_stem``, as file names (the callback names them ``<name>_url``; the
#: vocals stem is documented as ``vocal_url``).
SPLIT_STEMS: tuple[str, ...] = artifacts.STEMS
_CALLBACK_NAMES = {"vocals": "vocal"}

FAILURES = flag_failures(Status.GENERATE_AUDIO_FAILED, 400, "Vocal separation failed.")


@dataclass(frozen=True, slots=True)
class Separation(Source):
    """The source track, the separation type and the instrument of an advanced split."""

    type: str = "separate_vocal"
    stem_name: str = ""


def stem_names(detail: Separation) -> tuple[str, ...]:
    """The stems a separation produces, in callback order (``origin`` is the source itself)."""
    if detail.type == "split_stem":
        return SPLIT_STEMS
    if detail.type == "split_stem_advanced":
        return (detail.stem_name, "remainder")
    return ("vocals", "instrumental")


def _url(task: Task, stem: str) -> str:
    return file_url(task.base_url, task.id, f"{stem}.{AUDIO_EXTENSION}")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _urls(task: Task) -> dict[str, str]:
    detail: Separation = task.detail
    return {stem: _url(task, stem) for stem in stem_names(detail)}


def separation_record(shot: Snapshot) -> dict[str, Any]:
    task = shot.task
    detail: Separation = task.detail
    urls = _urls(task)
    response: dict[str, Any] = {"originUrl": _url(task, "origin")}
    for stem in ("instrumental", *SPLIT_STEMS):
        response[f"{_camel(_CALLBACK_NAMES.get(stem, stem))}Url"] = urls.get(stem)
    if detail.type == "split_stem_advanced":
        response["originData"] = [
            {"id": f"{task.id}-{i}", "stem_type_group_name": stem, "audio_url": url, "duration": None}
            for i, (stem, url) in enumerate(urls.items())
        ]
    return flag_record(shot, response, OFFSET_S, musicIndex=detail.index)


def separation_payload(task: Task, stage: Stage, failure: Failure | None, profile: Profile) -> dict[str, Any]:
    key = profile.stems_key
    if stage is Stage.ERROR:
        assert failure is not None
        return {"code": failure.code, "msg": failure.message, "data": {"task_id": task.id, key: None}}
    info: dict[str, Any] = {"origin_url": _url(task, "origin")}
    detail: Separation = task.detail
    if detail.type == "split_stem_advanced":
        urls = _urls(task)
        info["origin_data"] = [
            {"extract": {"name": detail.stem_name, "audio_url": urls[detail.stem_name]}},
            {"remove": {"name": "remainder", "audio_url": urls["remainder"]}},
        ]
    else:
        info.update({f"{_CALLBACK_NAMES.get(stem, stem)}_url": url for stem, url in _urls(task).items()})
    msg = (
        "vocal Removal generated successfully."
        if key == "vocal_removal_info"
        else "vocal separation generated successfully."
    )
    return {"code": 200, "msg": msg, "data": {"task_id": task.id, key: info}}


def separation_file(task: Task, name: str, renderer: Renderer) -> Artifact | None:
    stem, _, extension = name.rpartition(".")
    detail: Separation = task.detail
    names = stem_names(detail)
    if extension != AUDIO_EXTENSION or (stem not in names and stem != "origin"):
        return None
    track = renderer.track(detail.audio_id)
    if track is None:
        return None
    if stem == "origin":
        return renderer.encode(renderer.pcm(track))
    # everything the samples depend on, so that equal keys mean equal stems in any mock instance
    key = (track.id, track.seed, track.duration, track.span, detail.type, detail.stem_name)
    with _split_lock:
        stems = _split.get(key)
    if stems is None:  # one split serves every stem file of the task (clients fetch them one by one)
        stems = stems_of(renderer.pcm(track), track.seed, detail)
        with _split_lock:
            _split[key] = stems
            while len(_split) > _SPLITS_KEPT:
                del _split[next(iter(_split))]
    return renderer.encode(stems[stem])


#: The stems of the last few splits (files are built in worker threads, hence the lock).
_SPLITS_KEPT = 4
_split: dict[tuple[object, ...], dict[str, Pcm]] = {}
_split_lock = threading.Lock()


def stems_of(source: Pcm, seed: int, detail: Separation) -> dict[str, Pcm]:
    """The stems of ``source`` by file name; they sum back to it sample for sample."""
    if detail.type == "split_stem":
        return artifacts.split_stem(source, seed)
    if detail.type == "split_stem_advanced":
        # stemName has about 100 documented values; each is drawn from one of the 12 stem lanes
        known = detail.stem_name if detail.stem_name in artifacts.STEMS else None
        lane = known or artifacts.STEMS[zlib.crc32(detail.stem_name.encode()) % len(artifacts.STEMS)]
        parts = artifacts.split_stem_advanced(source, seed, lane)
        return {detail.stem_name: parts[lane], "remainder": parts[artifacts.REMAINDER]}
    return artifacts.separate_vocal(source, seed)


KIND = JobKind(
    name="separation",
    lifecycle=flag_lifecycle("separation", OFFSET_S, FAILURES),
    failures=FAILURES,
    view=separation_record,
    payload=separation_payload,
    callback_timeout_s=15.0,
    files=separation_file,
    market_result=lambda shot: {"resultObject": separation_record(shot)["response"]},
)


def separate_vocals(call: Call) -> dict[str, str]:
    """Separate Vocals: stems of a finished track; each call is a new, charged task."""
    music, track = source_of(call)
    kind = str(call.body.get("type") or "separate_vocal")
    detail = Separation(music.id, track.id, track.index, kind, str(call.body.get("stemName") or ""))
    task = derived_task(call, music, detail)
    call.start(task, "separation")
    return {"taskId": task.id}


BEHAVIOURS = {"separate-vocals": separate_vocals}
