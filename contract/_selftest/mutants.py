"""The mutant catalogue: each broken server, the check that must catch it, and what the failure must say.

Each entry names its provider, how it wraps the mock (:mod:`.wrappers`: an ASGI proxy that
rewrites requests or answers, a callback relay, or the mock's own profile switches set against
the documents), the server suite's check that must fail, and words its message must contain.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .wrappers import TOKEN, Json, Mutant, Relay, json_body, mock

__all__ = ["MUTANTS", "SWITCHED", "Mutation"]


def _rewrite_replace(fix: Callable[[dict[str, Any]], None]) -> Callable[..., tuple[dict[str, str], bytes]]:
    def request(path: str, headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
        body = json_body(raw)
        if path.endswith("/replace-section") and isinstance(body, dict):
            fix(body)
            raw = json.dumps(body).encode()
            headers["content-length"] = str(len(raw))
        return headers, raw

    return request


def _times(fix: Callable[[float, float], tuple[float, float]]) -> Callable[[dict[str, Any]], None]:
    def apply(body: dict[str, Any]) -> None:
        start, end = body.get("infillStartS"), body.get("infillEndS")
        if isinstance(start, (int, float)) and isinstance(end, (int, float)) and not isinstance(start, bool):
            body["infillStartS"], body["infillEndS"] = fix(float(start), float(end))

    return apply


def _widen_short_span(start: float, end: float) -> tuple[float, float]:
    return (start, round(start + 6, 2)) if 5.9 <= end - start < 6 else (start, end)


def _round2(start: float, end: float) -> tuple[float, float]:
    return round(start, 2), round(end, 2)


def _shrink(start: float, end: float) -> tuple[float, float]:
    return (start, min(end, round(start + 10, 2))) if 0 <= start < end else (start, end)


def _fix_selector(body: dict[str, Any]) -> None:
    if not isinstance(body.get("musicIndex"), int):
        body["musicIndex"] = 0


def _add_missing_title(body: dict[str, Any]) -> None:
    body.setdefault("title", "Untitled")


class _BackToPending:
    """Once record-info has shown a task SUCCESS, it answers PENDING (and no tracks) for that task."""

    def __init__(self) -> None:
        self.finished: set[str] = set()

    def __call__(self, status: int, payload: Json) -> tuple[int, Json]:
        data = payload.get("data")
        if isinstance(data, dict) and "status" in data:
            if data.get("taskId") in self.finished:
                data["status"] = "PENDING"
                data["response"]["sunoData"] = []
            elif data["status"] == "SUCCESS":
                self.finished.add(data["taskId"])
        return status, payload


def _accept_bad_tokens(path: str, headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    if "authorization" in headers:
        headers["authorization"] = f"Bearer {TOKEN}"
    return headers, raw


def _truncate_title(path: str, headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    body = json_body(raw)
    if path == "/api/v1/generate" and isinstance(body, dict) and isinstance(body.get("title"), str):
        body["title"] = body["title"][:80]
        raw = json.dumps(body).encode()
        headers["content-length"] = str(len(raw))
    return headers, raw


def _crash_on_bad_json(path: str, headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    if raw and json_body(raw) is None and not path.startswith("/_mock"):
        headers["x-mutant-short-circuit"] = "1"
    return headers, raw


def _on(suffix: str, change: Callable[[int, Json], tuple[int, Json]]) -> Callable[..., tuple[int, Json]]:
    def response(path: str, raw: bytes, status: int, payload: Json) -> tuple[int, Json]:
        return change(status, payload) if path.endswith(suffix) else (status, payload)

    return response


def _code_as_string(status: int, payload: Json) -> tuple[int, Json]:
    return status, {**payload, "code": str(payload["code"])}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _snake_record(status: int, payload: Json) -> tuple[int, Json]:
    data = payload.get("data")
    if isinstance(data, dict) and isinstance(data.get("response"), dict):
        tracks = data["response"].get("sunoData") or []
        data["response"]["sunoData"] = [{_snake(k): v for k, v in t.items()} for t in tracks]
    return status, payload


class _StateOrder:
    """The first two polls of a task answer TEXT_SUCCESS then PENDING: a state moving backwards."""

    def __init__(self) -> None:
        self.polls: dict[str, int] = {}

    def __call__(self, status: int, payload: Json) -> tuple[int, Json]:
        data = payload.get("data")
        if isinstance(data, dict) and "status" in data:
            n = self.polls[data["taskId"]] = self.polls.get(data["taskId"], 0) + 1
            if n <= 2:
                data["status"] = "TEXT_SUCCESS" if n == 1 else "PENDING"
                for track in data["response"]["sunoData"]:
                    track["audioUrl"], track["duration"] = "", None
        return status, payload


def _no_param_echo(status: int, payload: Json) -> tuple[int, Json]:
    if isinstance(payload.get("data"), dict):
        payload["data"]["param"] = "{}"
    return status, payload


def _unknown_task_ok(status: int, payload: Json) -> tuple[int, Json]:
    return status, ({**payload, "code": 200, "msg": "success"} if payload.get("code") == 404 else payload)


def _unknown_task_id_ok(status: int, payload: Json) -> tuple[int, Json]:
    """A 404 naming ``taskId`` becomes a created task (the server never looks the task up)."""
    if payload.get("code") == 404 and "taskId" in str(payload.get("msg")):
        return 200, {"code": 200, "msg": "success", "data": {"taskId": "e" * 32}}
    return status, payload


def _old_code_400(status: int, payload: Json) -> tuple[int, Json]:
    return status, ({**payload, "code": 400} if payload.get("code") == 422 else payload)


def _credits_string(status: int, payload: Json) -> tuple[int, Json]:
    return status, ({**payload, "data": str(payload["data"])} if payload.get("code") == 200 else payload)


def _http_status_418(status: int, payload: Json) -> tuple[int, Json]:
    return (418 if payload.get("code") != 200 else status), payload


class _BrokenCallbacks:
    """Also POSTs text/first/complete callbacks itself; the complete one lacks task_id."""

    def __call__(self, path: str, raw: bytes, status: int, payload: Json) -> tuple[int, Json]:
        body = json_body(raw)
        if path == "/api/v1/generate" and payload.get("code") == 200 and isinstance(body, dict):
            url, task_id = body["callBackUrl"], payload["data"]["taskId"]
            threading.Thread(target=self._post, args=(url, task_id), daemon=True).start()
        return status, payload

    @staticmethod
    def _post(url: str, task_id: str) -> None:
        track = {
            "id": "e231a6f0-5b3c-4d7e-9f1a-2b3c4d5e6f70",
            "audio_url": "http://127.0.0.1/a.mp3",
            "stream_audio_url": "",
            "image_url": "",
            "prompt": "p",
            "model_name": "chirp-v4",
            "title": "t",
            "tags": "x",
            "createTime": "2026-01-01 00:00:00",
            "duration": 120.0,
        }
        stages = [
            {"callbackType": "text", "task_id": task_id, "data": []},
            {"callbackType": "first", "task_id": task_id, "data": [track]},
            {"callbackType": "complete", "data": [track, track]},
        ]
        for stage in stages:
            if url.startswith("http://127.0.0.1"):
                httpx.post(url, json={"code": 200, "msg": "success", "data": stage}, timeout=5)


def _wav_success_without_file(status: int, payload: Json) -> tuple[int, Json]:
    data = payload.get("data")
    if isinstance(data, dict) and data.get("successFlag") == "SUCCESS":
        data["response"] = {"audioWavUrl": ""}
    return status, payload


def _midi_success_without_notes(status: int, payload: Json) -> tuple[int, Json]:
    data = payload.get("data")
    if isinstance(data, dict) and data.get("successFlag") == 1:
        data["midiData"] = None
    return status, payload


class _StemlessCallback:
    """Also POSTs a separation callback of its own that lacks the stems object."""

    def __call__(self, path: str, raw: bytes, status: int, payload: Json) -> tuple[int, Json]:
        body = json_body(raw)
        if path == "/api/v1/vocal-removal/generate" and payload.get("code") == 200 and isinstance(body, dict):
            url = body.get("callBackUrl", "")
            stemless = {"code": 200, "msg": "success", "data": {"task_id": payload["data"]["taskId"]}}
            if url.startswith("http://127.0.0.1"):
                threading.Thread(target=httpx.post, args=(url,), kwargs={"json": stemless}, daemon=True).start()
        return status, payload


def _recovery_done_while_running(status: int, payload: Json) -> tuple[int, Json]:
    """A running recovery (top-level 201) answers 200, its one track not recovered yet: done before it is."""
    if payload.get("code") == 201:
        track = {
            "id": "e231a6f0-5b3c-4d7e-9f1a-2b3c4d5e6f70",
            "audio_url": None,
            "title": "",
            "status": "failed",
            "error": "clip_not_complete",
        }
        return 200, {**payload, "code": 200, "msg": "success", "data": [track]}
    return status, payload


class _RecoveryBackToRunning:
    """Once a recovery's details have answered 200, they answer 201 (running, data null) for that task."""

    def __init__(self) -> None:
        self.finished: set[str] = set()

    def __call__(self, status: int, payload: Json) -> tuple[int, Json]:
        task_id = payload.get("task_id")
        if task_id in self.finished:
            return status, {**payload, "code": 201, "msg": "running", "data": None}
        if payload.get("code") == 200 and isinstance(task_id, str):
            self.finished.add(task_id)
        return status, payload


def _cover_again_accepted(path: str, raw: bytes, status: int, payload: Json) -> tuple[int, Json]:
    if path == "/api/v1/suno/cover/generate" and payload.get("code") in (400, 409):
        return 200, {"code": 200, "msg": "success", "data": {"taskId": "c" * 32}}
    return status, payload


_TABLE: dict[str, tuple[str, Callable[[Any], Any], str, str]] = {
    # name: (provider, wrapper, check that must fail, words the failure message must contain)
    "accepts a 5.99 s interval": (
        "apikley",
        lambda app: Mutant(app, request=_rewrite_replace(_times(_widen_short_span))),
        "rejects_invalid",
        "between 6 and 60 seconds",
    ),
    "accepts 3 decimal places": (
        "kie",
        lambda app: Mutant(app, request=_rewrite_replace(_times(_round2))),
        "rejects_invalid",
        "2 decimal places",
    ),
    "accepts a span over 50% of the track": (
        "kie",
        lambda app: Mutant(app, request=_rewrite_replace(_times(_shrink))),
        "stateful_rules",
        "50%",
    ),
    "api.box without musicIndex": (
        "apibox",
        lambda app: Mutant(app, request=_rewrite_replace(_fix_selector)),
        "rejects_invalid",
        "musicIndex",
    ),
    "ignores the model's title limit": (
        "sunoapi",
        lambda app: Mutant(app, request=_truncate_title),
        "rejects_invalid",
        "title",
    ),
    "code as a string": ("kie", lambda app: Mutant(app, response=_on("", _code_as_string)), "envelope", "integer"),
    "snake_case in record-info": (
        "kie",
        lambda app: Mutant(app, response=_on("/generate/record-info", _snake_record)),
        "response_schema",
        "audioUrl",
    ),
    "wrong state order": (
        "kie",
        lambda app: Mutant(app, response=_on("/generate/record-info", _StateOrder())),
        "lifecycle",
        "went back from TEXT_SUCCESS to PENDING",
    ),
    "param not echoed": (
        "kie",
        lambda app: Mutant(app, response=_on("/generate/record-info", _no_param_echo)),
        "lifecycle",
        "does not echo",
    ),
    "callback missing task_id": ("kie", lambda app: Mutant(app, response=_BrokenCallbacks()), "callbacks", "task_id"),
    "no 401 on a bad token": ("kie", lambda app: Mutant(app, request=_accept_bad_tokens), "auth", "bad API key"),
    "500 on malformed JSON": (
        "kie",
        lambda app: Mutant(app, request=_crash_on_bad_json),
        "malformed_body",
        "failed with HTTP 500",
    ),
    "code 200 for an unknown task": (
        "kie",
        lambda app: Mutant(app, response=_on("/record-info", _unknown_task_ok)),
        "not_found",
        "unknown task",
    ),
    "old code 400 for a validation error": (
        "kie",
        lambda app: Mutant(app, response=_on("", _old_code_400)),
        "rejects_invalid",
        "expected code 422, got code 400",
    ),
    "credits as a string": (
        "sunoapi",
        lambda app: Mutant(app, response=_on("/credit", _credits_string)),
        "response_schema",
        "is not of type 'integer'",
    ),
    "accepts replace-section without title": (
        "kie",
        lambda app: Mutant(app, request=_rewrite_replace(_add_missing_title)),
        "rejects_invalid",
        "title: is required",
    ),
    "record-info back to PENDING after SUCCESS": (
        "kie",
        lambda app: Mutant(app, response=_on("/generate/record-info", _BackToPending())),
        "time",
        "from status 'SUCCESS' to 'PENDING'",
    ),
    "HTTP 418 for a rejection": (
        "kie",
        lambda app: Mutant(app, response=_on("", _http_status_418)),
        "envelope",
        "HTTP 418",
    ),
    # -- one per family served since the table came: each breaks a rule of that family's entry
    "WAV details SUCCESS without audioWavUrl": (
        "kie",
        lambda app: Mutant(app, response=_on("/wav/record-info", _wav_success_without_file)),
        "lifecycle",
        "response.audioWavUrl is empty",
    ),
    "separation callback without the stems": (
        "sunoapi",
        lambda app: Mutant(app, response=_StemlessCallback()),
        "callbacks",
        "a separation callback breaks the documented payload",
    ),
    "cover image accepts a second call": (
        "apikley",
        lambda app: Mutant(app, response=_cover_again_accepted),
        "once_only",
        "called again on the same task",
    ),
    "recovery details 200 while running": (
        "apibox",
        lambda app: Mutant(app, response=_on("/suno/recovery/record-info", _recovery_done_while_running)),
        "lifecycle",
        "code 200 but no track is recovered",
    ),
    "recovery details back to 201 after 200": (
        "apibox",
        lambda app: Mutant(app, response=_on("/suno/recovery/record-info", _RecoveryBackToRunning())),
        "time",
        "from code 200 to 201",
    ),
    "MIDI details success without midiData": (
        "kie",
        lambda app: Mutant(app, response=_on("/midi/record-info", _midi_success_without_notes)),
        "response_schema",
        "midiData",
    ),
}

#: Documented differences set the other way with the mock's own profile switches.
SWITCHED: dict[str, tuple[str, dict[str, str], str, str]] = {
    # sunoapi names the lyrics task data.taskId (api-family.md 2.3 #15); kie's key sent instead
    "sunoapi lyrics callbacks with kie's task_id": (
        "sunoapi",
        {"lyrics_task_key": "task_id"},
        "callbacks",
        "callback data.taskId None is not the created task",
    ),
    # one persona per audioId, 409 (suno-api.md 2.15); the third-party "same persona again" reading
    "persona accepts a second call": ("kie", {"persona_repeat": "same"}, "once_only", "called again on the same track"),
}


# -- mutants of the source, auth and callback-delivery rules -------------------------------------


def _accept_refusal(words: str) -> Callable[[str, bytes, int, Json], tuple[int, Json]]:
    """A 422 whose message says ``words`` becomes a created task (the server skips that rule)."""

    def response(path: str, raw: bytes, status: int, payload: Json) -> tuple[int, Json]:
        if payload.get("code") == 422 and words in str(payload.get("msg")):
            return 200, {"code": 200, "msg": "success", "data": {"taskId": "d" * 32}}
        return status, payload

    return response


def _reject_accepted(status: int, payload: Json) -> tuple[int, Json]:
    if payload.get("code") == 200:
        return status, {"code": 422, "msg": "Validation error: prompt: not accepted", "data": None}
    return status, payload


def _bearer_optional(path: str, headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    value = headers.get("authorization")
    if value and " " not in value:
        headers["authorization"] = f"Bearer {value}"
    return headers, raw


class _KeyEcho:
    """Every 401 answer shows the key it was sent."""

    def __init__(self) -> None:
        self.key = ""

    def request(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
        self.key = headers.get("authorization", "").rpartition(" ")[2]
        return headers, raw

    def response(self, path: str, raw: bytes, status: int, payload: Json) -> tuple[int, Json]:
        if payload.get("code") == 401 and self.key:
            payload = {**payload, "msg": f"{payload.get('msg')} (key {self.key})"}
        return status, payload


def _key_echo(app: Any) -> Mutant:
    echo = _KeyEcho()
    return Mutant(app, request=echo.request, response=echo.response)


def _relay(mode: str, path: str) -> Callable[[Any], Mutant]:
    def wrap(app: Any) -> Mutant:
        relay = Relay(mode)

        def request(at: str, headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
            return relay.request(at, headers, raw) if at == path else (headers, raw)

        return Mutant(app, request=request, response=relay.response)

    return wrap


_TABLE.update(
    {
        "accepts a track of another task": (
            "kie",
            lambda app: Mutant(app, response=_accept_refusal("belongs to task")),
            "stateful_rules",
            "of another task than",
        ),
        "rejects a valid lyrics request": (
            "kie",
            lambda app: Mutant(app, response=_on("/api/v1/lyrics", _reject_accepted)),
            "accepts_valid",
            "prompt: not accepted",
        ),
        "accepts the key without the Bearer scheme": (
            "sunoapi",
            lambda app: Mutant(app, request=_bearer_optional),
            "auth",
            "no Bearer scheme",
        ),
        "401 shows the API key": ("apibox", _key_echo, "auth", "shows the API key"),
        "music callbacks never retried": (
            "kie",
            _relay("once", "/api/v1/generate"),
            "callbacks",
            "was not delivered again",
        ),
        "replace-section callbacks never retried": (
            "sunoapi",
            _relay("once", "/api/v1/generate/replace-section"),
            "callbacks",
            "was not delivered again",
        ),
        "WAV callbacks retried past 3 attempts": (
            "kie",
            _relay("flood", "/api/v1/wav/generate"),
            "callbacks",
            "at most 3 attempts",
        ),
        "accepts an unknown taskId on WAV": (
            "kie",
            lambda app: Mutant(app, response=_on("/api/v1/wav/generate", _unknown_task_id_ok)),
            "not_found",
            "naming an unknown taskId",
        ),
    }
)


@dataclass(frozen=True)
class Mutation:
    """A broken server: its provider, how it wraps the mock, the check that must fail and what it must say."""

    provider: str
    wrap: Callable[[Any], Any]
    check: str
    words: str
    #: Run only the section that ages tasks (the retention probes), not the whole suite.
    virtual: bool = False
    #: Run the receiver-timeout probe (the suite's receiver holds answers ``CALLBACK_HOLD`` s): only
    #: for a mutant whose check needs it, since the mock waits out each receiver timeout in real time.
    hold: bool = False


MUTANTS: dict[str, Mutation] = {name: Mutation(*entry) for name, entry in _TABLE.items()}
# caught only by the receiver-timeout probe, which runs for it alone (see Mutation.hold)
MUTANTS["music callbacks not retried after a receiver timeout"] = Mutation(
    "kie", _relay("ack-timeouts", "/api/v1/generate"), "callbacks", "timed-out", hold=True
)


def _switched(provider: str, switches: dict[str, str]) -> Callable[[Any], Any]:
    """The mock itself with profile switches set against the documents (the wrapped app is not used)."""

    def wrap(app: Any) -> Any:
        return mock(provider, virtual_clock=True, switches=switches)

    return wrap


for _name, (_provider, _switches, _check, _words) in SWITCHED.items():
    MUTANTS[_name] = Mutation(_provider, _switched(_provider, _switches), _check, _words)
MUTANTS["accepts a derived task on music past its retention"] = Mutation(
    "apikley",
    lambda app: Mutant(app, response=_accept_refusal("expired")),
    "stateful_rules",
    "replace-section on a music task older than its documented retention",
    virtual=True,
)
