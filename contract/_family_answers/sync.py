"""The answers of the synchronous helpers (persona, boost style, recovery, uploads, download URL): built and drawn."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from .._drawing import audio_ids, task_ids, texts, urls
from .common import details_times

__all__ = ["CREATED_KEY", "SYNC", "build_sync", "draw_sync", "recovered", "top_level"]


# -- synchronous helpers ------------------------------------------------------------------------------


def _persona() -> st.SearchStrategy[dict[str, Any]]:
    # suno-api.md 2.15: data {personaId, name, description}.
    return st.fixed_dictionaries({"personaId": task_ids(), "name": texts(60), "description": texts(200)})


@st.composite
def _boost(draw: st.DrawFn) -> dict[str, Any]:
    # suno-api.md 2.16: creditsConsumed "<= 5 digits, <= 2 decimals"; successFlag "0" / "1" / "2".
    flag = draw(st.sampled_from(["0", "1", "2"]))
    content = draw(texts())
    return {
        "taskId": draw(task_ids()),
        "param": json.dumps({"content": content}, ensure_ascii=draw(st.booleans())),
        "result": draw(texts(300).filter(bool)) if flag == "1" else draw(st.sampled_from(["", content])),
        "creditsConsumed": draw(st.integers(0, 9_999_999).map(lambda c: c / 100)),
        "creditsRemaining": draw(st.one_of(st.integers(0, 10**7), st.integers(0, 10**9).map(lambda c: c / 100))),
        "successFlag": flag,
        "errorCode": draw(st.sampled_from([500, 501, None])) if flag == "2" else None,
        "errorMessage": draw(st.one_of(st.none(), texts().filter(bool))) if flag == "2" else None,
        "createTime": draw(details_times()),
    }


_SYNC_ANSWERS: dict[str, Any] = {
    "generate-persona": {
        "personaId": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "name": "Harbour Voice",
        "description": "A warm, breathy alto",
    },
    "boost-music-style": {
        "taskId": "3b1f0c2d4e5f60718293a4b5c6d7e8f9",
        "param": '{"content": "Pop, Mysterious"}',
        "result": "Dreamy pop with hushed vocals, shimmering synths and a mysterious minor-key hook",
        "creditsConsumed": 0.5,
        "creditsRemaining": 99.5,
        "successFlag": "1",
        "errorCode": None,
        "errorMessage": None,
        "createTime": "2026-03-14 10:22:31",
    },
}
_RECOVERED = {
    "id": "e231a6f0-5b3c-4d7e-9f1a-2b3c4d5e6f70",
    "audio_url": "https://cdn.mock.invalid/e231a6f0-5b3c-4d7e-9f1a-2b3c4d5e6f70.mp3",
    "title": "Harbour Lights",
    "status": "success",
    "error": None,
}
_UPLOADED = {
    "fileName": "hello.txt",
    "filePath": "suno/uploads/hello.txt",
    "downloadUrl": "https://cdn.mock.invalid/uploads/hello.txt",
    "fileSize": 12,
    "mimeType": "text/plain",
    "uploadedAt": "2026-01-01T00:00:00.000Z",
}
_SYNC_ANSWERS.update(
    {
        # recovery details (api-family.md 2.3 #28): the tracks in data; task_id at the top level (top_level)
        "get-recovery-details": [_RECOVERED],
        "check-voice": {"isAvailable": True},  # api-family.md 2.4 #34 (field name: secondary)
        # api-family.md 2.5 #35-38
        "upload-file-base64": _UPLOADED,
        "upload-file-stream": _UPLOADED,
        "upload-file-url": _UPLOADED,
        "get-download-url": "https://cdn.mock.invalid/e231a6f0-5b3c-4d7e-9f1a-2b3c4d5e6f70.mp3?expires=1767226800",
    }
)
_RECOVERY_ERRORS = (
    "no_audio_id_mappings",
    "account_missing",
    "get_tokens_failed",
    "feed_failed",
    "clip_error",
    "clip_not_complete",
    "mango_transfer_failed",
)


@st.composite
def _recovered_track(draw: st.DrawFn, ok: bool) -> dict[str, Any]:
    return {
        "id": draw(audio_ids()),
        "audio_url": draw(st.one_of(urls("mp3"), urls("m4a"))) if ok else None,
        "title": draw(texts(80)),
        "status": "success" if ok else "failed",
        "error": None if ok else draw(st.sampled_from(_RECOVERY_ERRORS)),
    }


def recovered(some: bool) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Tracks of a recovery: at least one recovered (``some``) or every one failed."""
    if not some:
        return st.lists(_recovered_track(False), min_size=1, max_size=2)
    return st.tuples(_recovered_track(True), st.lists(st.booleans().flatmap(_recovered_track), max_size=1)).map(
        lambda pair: [pair[0], *pair[1]]
    )


@st.composite
def _uploaded(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(["a.mp3", "voice.wav", "notes.txt"]))
    path = draw(st.sampled_from(["suno", "suno/uploads"]))
    return {
        "fileName": name,
        "filePath": f"{path}/{name}",
        "downloadUrl": draw(urls("mp3")),
        "fileSize": draw(st.integers(0, 10**8)),
        "mimeType": draw(st.sampled_from(["audio/mpeg", "audio/wav", "text/plain"])),
        "uploadedAt": "2026-01-01T00:00:00.000Z",
    }


_SYNC_DRAWN: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
    "generate-persona": _persona,
    "boost-music-style": _boost,
    "get-recovery-details": lambda: recovered(True),
    "check-voice": lambda: st.fixed_dictionaries({"isAvailable": st.booleans()}),
    "upload-file-base64": _uploaded,
    "upload-file-stream": _uploaded,
    "upload-file-url": _uploaded,
    "get-download-url": lambda: urls("mp3"),
}
#: creating operationId -> the key of its task id in the answer's data (Recovery: snake case).
CREATED_KEY: dict[str, str] = {"recover-audio": "task_id"}
_UPLOADS = frozenset({"upload-file-base64", "upload-file-stream", "upload-file-url"})


def top_level(operation_id: str, code: int, task_id: str) -> dict[str, Any]:
    """Fields an answer carries beside code, msg and data: recovery details' task_id, the uploads' success."""
    if operation_id == "get-recovery-details" and code in (200, 201):
        return {"task_id": task_id}
    if operation_id in _UPLOADS:
        return {"success": code == 200}
    return {}


SYNC: frozenset[str] = frozenset(_SYNC_ANSWERS)


def build_sync(operation_id: str) -> Any:
    """The deterministic answer ``data`` of a synchronous helper (a fresh copy)."""
    return json.loads(json.dumps(_SYNC_ANSWERS[operation_id]))


def draw_sync(operation_id: str) -> st.SearchStrategy[Any]:
    return _SYNC_DRAWN[operation_id]()
