"""Deterministic documented answers: one spec-valid answer per operation, code and state.

The client router (:mod:`contract._client`) answers a forced code or state with them, and
:mod:`contract.strategies` offers them beside the strategies. The music family is built here;
the other families' details and the synchronous helpers come from :mod:`contract._family_answers`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from . import _families as families
from . import _family_answers as family_answers
from ._documents import documented_codes, known_provider, task_statuses
from ._drawing import T0, CreateTimeStyle, format_time

__all__ = [
    "CODE_MSGS",
    "DETAILS_IDS",
    "FAILURE_STATUSES",
    "MUSIC_DETAILS",
    "MUSIC_STATUS",
    "WITH_TRACKS",
    "SpecResponse",
    "build_details",
    "build_record_info",
    "build_response",
]


def _music() -> tuple[families.Status, str]:
    music = families.family("music")
    if music.status is None or music.details is None:
        raise RuntimeError("the contract's table lacks the music family's status or details operation")
    return music.status, music.details.id


MUSIC_STATUS, MUSIC_DETAILS = _music()
#: Terminal task states that mean a music task failed (suno-api.md 3.1).
FAILURE_STATUSES: tuple[str, ...] = tuple(MUSIC_STATUS.failures)
#: Music states whose details list tracks (4.2: the first track is done at FIRST_SUCCESS).
WITH_TRACKS = MUSIC_STATUS.order[MUSIC_STATUS.order.index("FIRST_SUCCESS") :]
#: The details operations of the table (Get Music Details and one per family with its own).
DETAILS_IDS: tuple[str, ...] = (MUSIC_DETAILS, *family_answers.DETAILS)
#: The message of each error code (suno-api.md 1.3).
CODE_MSGS: dict[int, str] = {
    401: "Unauthorized: credentials missing or invalid",
    402: "Insufficient credits",
    404: "Not found: resource or endpoint does not exist",
    408: "Upstream timeout: no result returned for over 10 minutes",
    409: "Conflict: record already exists",
    422: "Validation error: request parameters failed validation",
    429: "Rate limit exceeded",
    451: "Failed to fetch the upstream resource",
    455: "Service unavailable: system maintenance",
    500: "Server error",
    501: "Generation failed",
    505: "Feature disabled",
}


@dataclass(frozen=True)
class SpecResponse:
    """One documented answer: the HTTP status and the JSON envelope ``{code, msg, data}``."""

    http_status: int
    body: dict[str, Any]

    @property
    def code(self) -> int:
        """The outcome in the body (``body["code"]``)."""
        return int(self.body["code"])

    def to_httpx(self, request: httpx.Request | None = None) -> httpx.Response:
        """The answer as an ``httpx.Response`` (JSON body), e.g. to feed a response parser."""
        return httpx.Response(self.http_status, json=self.body, request=request)


def _record_track(audio_id: str, index: int, *, complete: bool, created: str | int, duration: float) -> dict[str, Any]:
    return {
        "id": audio_id,
        "audioUrl": f"https://cdn.mock.invalid/{audio_id}.mp3" if complete else "",
        "streamAudioUrl": f"https://stream.mock.invalid/{audio_id}",
        "imageUrl": f"https://cdn.mock.invalid/{audio_id}.jpeg",
        "prompt": "[Verse]\nNeon rain on the harbour",
        "modelName": "chirp-v4",
        "title": f"Harbour Lights {index + 1}",
        "tags": "synthwave",
        "createTime": created,
        "duration": duration if complete else None,
    }


def build_record_info(
    provider: str,
    task_id: str,
    status: str = "SUCCESS",
    *,
    create_time: CreateTimeStyle = "string",
    durations: tuple[float, ...] = (180.0, 176.5),
    error_code: int | None = None,
    error_message: str | None = None,
) -> dict[str, Any]:
    """The ``data`` of Get Music Details for a task in ``status`` (deterministic, spec-valid).

    Tracks are listed as the state implies: none before ``FIRST_SUCCESS`` and in failure states,
    the first complete and the rest streaming at ``FIRST_SUCCESS``, all complete at ``SUCCESS``.
    A failure state gets ``error_code`` (default 501) and an ``error_message``.
    """
    if status not in task_statuses(known_provider(provider)):
        raise ValueError(f"status {status!r} is not documented; use one of {', '.join(task_statuses(provider))}")
    created = format_time(T0, create_time)
    tracks: list[dict[str, Any]] = []
    if status in WITH_TRACKS:
        tracks = [
            _record_track(
                f"{task_id[:8]:0<8}-0000-4000-8000-{i:012d}",
                i,
                complete=status == MUSIC_STATUS.success or i == 0,
                created=created,
                duration=d,
            )
            for i, d in enumerate(durations)
        ]
    failed = status in FAILURE_STATUSES
    return {
        "taskId": task_id,
        "parentMusicId": "",
        "param": json.dumps({"prompt": "Neon rain on the harbour", "model": "V4_5", "customMode": False}),
        "response": {"taskId": task_id, "sunoData": tracks},
        "status": status,
        "type": "GENERATE",
        "operationType": "generate",
        "errorCode": (error_code if error_code is not None else 501) if failed else None,
        "errorMessage": (error_message or f"Task ended in {status}") if failed else None,
    }


#: Answers of the synchronous operations (by operationId), deterministic.
_SYNC_ANSWERS: dict[str, Any] = {
    "get-remaining-credits": 100,
    "get-timestamped-lyrics": {
        "alignedWords": [{"word": "[Verse]\nNeon", "success": True, "startS": 1.36, "endS": 1.79, "palign": 0}],
        "waveformData": [0, 0.42, 0.87, 0.5],
        "hootCer": 0.38,
        "isStreamed": False,
    },
}


def build_details(
    provider: str,
    operation_id: str,
    task_id: str,
    status: Any = None,
    *,
    create_time: CreateTimeStyle = "string",
    **record: Any,
) -> dict[str, Any]:
    """The ``data`` of any details operation for a task in ``status`` (default: its family's success).

    Get Music Details goes to :func:`build_record_info` (``record`` holds its extra options); the
    other families' details show what their state implies (files at success, none before).
    """
    if operation_id == MUSIC_DETAILS:
        options = dict(record, create_time=create_time)
        return build_record_info(provider, task_id, **({"status": status} if status is not None else {}), **options)
    shape = family_answers.DETAILS.get(operation_id)
    if shape is None:
        raise ValueError(f"{operation_id} is not a details operation; use one of {', '.join(DETAILS_IDS)}")
    return shape.build(known_provider(provider), task_id, status, create_time)


def _success_data(provider: str, operation_id: str, task_id: str, **record: Any) -> Any:
    if operation_id in DETAILS_IDS:
        return build_details(provider, operation_id, task_id, **record)
    if operation_id in _SYNC_ANSWERS:
        return json.loads(json.dumps(_SYNC_ANSWERS[operation_id]))
    if operation_id in family_answers.SYNC:
        return family_answers.build_sync(operation_id)
    if families.operation(operation_id).creates:
        return {family_answers.CREATED_KEY.get(operation_id, "taskId"): task_id}
    raise ValueError(f"{operation_id}: no deterministic answer yet")


def build_response(
    provider: str,
    operation_id: str,
    code: int = 200,
    *,
    http_status: int | None = None,
    task_id: str = "5c79b2e8a1f34d6b9c0e7a1d2f3b4e8e",
    msg: str | None = None,
    **record: Any,
) -> SpecResponse:
    """One deterministic documented answer of ``operation_id`` with body ``code``.

    ``http_status`` defaults to 200 when the HTTP-200 schema documents ``code``, else 500 (the
    documented server-error answer, e.g. 501 or 505). For Get Music Details with code 200,
    ``record`` is passed to :func:`build_record_info` (``status=``, ``create_time=``, ...).
    """
    pairs = documented_codes(known_provider(provider), operation_id)
    if http_status is None:
        http_status = 200 if (200, code) in pairs else 500
    if (http_status, code) not in pairs:
        listed = ", ".join(f"{c} (HTTP {h})" for h, c in pairs)
        raise ValueError(
            f"{provider} {operation_id}: code {code} with HTTP {http_status} is not documented; choose one of {listed}"
        )
    extra = family_answers.top_level(operation_id, code, task_id) if http_status == 200 else {}
    if code == 200 and http_status == 200:
        data = _success_data(provider, operation_id, task_id, **record)
        return SpecResponse(200, {"code": 200, "msg": msg or "success", "data": data, **extra})
    body = {"code": code, "msg": msg or CODE_MSGS.get(code, "Error"), "data": None, **extra}
    return SpecResponse(http_status, body)


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------
