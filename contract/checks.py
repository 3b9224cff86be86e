"""The checks of the server suite: envelope, documented codes, response shapes, lifecycle, callbacks.

Each check is a plain function that returns a failure message (``str``) or None. Shapes come
from the bundled OpenAPI document (the documentation); business rules come from
:mod:`contract.rules`. Nothing here imports the mock.
"""

from __future__ import annotations

import functools
import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import openapi

from .rules import OPERATIONS

__all__ = [
    "CHECKS",
    "STATUS_ORDER",
    "TERMINAL",
    "Exchange",
    "ResponseShapes",
    "callback_order",
    "envelope",
    "expect_code",
    "record_info_stage",
]

#: Every check the suite runs, with what it asserts (the summary table and --help list these).
CHECKS: dict[str, str] = {
    "envelope": "every answer is {code:int, msg:str, data} with HTTP 200, the mirrored code, or the documented 500",
    "response_schema": "every answer's body matches the documented response schema of its operation",
    "rejects_invalid": "a request that breaks a documented rule is rejected with the documented code 422",
    "accepts_valid": "a request that keeps every documented rule is not rejected as invalid",
    "stateful_rules": "replace-section: span <= 50% of the track and end within the track (422 otherwise)",
    "auth": "a request without, or with a bad, Bearer token gets code 401",
    "not_found": "an unknown task, track or path gets code 404 (an unknown track: 404 or 422)",
    "malformed_body": "malformed JSON, a non-object body or a wrong Content-Type gets 422, never a 500",
    "lifecycle": "record-info states only move forward, match each stage's shape, and echo the request in param",
    "callbacks": "callbacks arrive in the documented order (text, first, complete) with documented payloads",
}

#: 2.3 / 3.1: the forward order of a music task's states.
STATUS_ORDER: dict[str, int] = {"PENDING": 0, "TEXT_SUCCESS": 1, "FIRST_SUCCESS": 2, "SUCCESS": 3}
#: States after which nothing changes (SUCCESS and the failures, suno-api.md 2.3).
TERMINAL: frozenset[str] = frozenset(
    {"SUCCESS", "CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION", "SENSITIVE_WORD_ERROR"}
)
#: 4.2: the callback stages of a music task, in order ("error" ends it instead).
CALLBACK_ORDER = ("text", "first", "complete")


@dataclass
class Exchange:
    """One request the suite sent and what came back (None: not sent, or no answer)."""

    operation: str
    request: httpx.Request
    response: httpx.Response | None = None
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def body(self) -> Any:
        """The decoded answer (None if not JSON)."""
        if self.response is None:
            return None
        try:
            return self.response.json()
        except ValueError:
            return None

    @property
    def code(self) -> Any:
        """The outcome: the body ``code`` (or the HTTP status when there is no envelope)."""
        body = self.body
        if isinstance(body, dict) and "code" in body:
            return body["code"]
        return self.response.status_code if self.response is not None else None

    def curl(self) -> str:
        """The request as a curl command; the API key is replaced by ``$SUNO_TOKEN``."""
        req = self.request
        parts = ["curl", "-sS", "-X", req.method, shlex.quote(str(req.url))]
        for name, value in req.headers.items():
            if name.lower() in ("host", "content-length", "accept-encoding", "connection", "user-agent", "accept"):
                continue
            if name.lower() == "authorization" and self.meta.get("auth") == "valid":
                value = "Bearer $SUNO_TOKEN"
                parts += ["-H", f'"{name}: {value}"']
                continue
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        content = req.content
        if content:
            text = content.decode("utf-8", "replace")
            if len(text) > 600:
                text = text[:600] + "...(truncated)"
            parts += ["--data-raw", shlex.quote(text)]
        return " ".join(parts)

    def answer(self) -> str:
        """A short description of the answer for messages."""
        if self.response is None:
            return f"no answer ({self.error})"
        text = self.response.text
        if len(text) > 300:
            text = text[:300] + "..."
        return f"HTTP {self.response.status_code} {text}"


def envelope(exchange: Exchange) -> str | None:
    """The documented envelope (suno-api.md 1.1, 1.2)."""
    response = exchange.response
    if response is None:
        return f"the server did not answer: {exchange.error}"
    body = exchange.body
    if not isinstance(body, dict):
        return f"the answer is not a JSON object: {exchange.answer()}; every answer must be {{code, msg, data}}"
    missing = [key for key in ("code", "msg", "data") if key not in body]
    if missing:
        return f"the envelope lacks {', '.join(missing)}: {exchange.answer()}"
    code = body["code"]
    if isinstance(code, bool) or not isinstance(code, int):
        return f"code must be an integer, got {code!r} ({type(code).__name__}): {exchange.answer()}"
    if not isinstance(body["msg"], str):
        return f"msg must be a string, got {body['msg']!r}: {exchange.answer()}"
    status = response.status_code
    if status == 500:
        return None  # the documented server-error answer; response_schema judges its body
    if status not in (200, code):
        return (
            f"HTTP {status} with code {code}: the status must be 200 (outcome in code) or mirror the code; "
            f"{exchange.answer()}"
        )
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if media != "application/json":
        return f"Content-Type must be application/json, got {media!r}"
    return None


def expect_code(exchange: Exchange, allowed: Sequence[int], why: str) -> str | None:
    """A failure message unless the outcome code is one of ``allowed``."""
    if exchange.response is None:
        return f"{why}: the server did not answer ({exchange.error})"
    code = exchange.code
    if code in allowed:
        return None
    if exchange.response.status_code == 500:
        return f"{why}: expected code {_either(allowed)}, the server failed with {exchange.answer()}"
    return f"{why}: expected code {_either(allowed)}, got code {code!r}: {exchange.answer()}"


def _either(codes: Sequence[int]) -> str:
    return " or ".join(map(str, codes))


class ResponseShapes:
    """Validators for the documented response bodies of one provider document."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.spec = openapi.load_spec(provider)
        self.registry: Registry[Any] = Registry().with_resource(
            "urn:suno-spec", Resource.from_contents(self.spec, DRAFT202012)
        )
        self._cache: dict[str, Draft202012Validator] = {}

    def validator(self, pointer: str) -> Draft202012Validator:
        """A validator for the schema at ``pointer`` (a JSON pointer into the document)."""
        if pointer not in self._cache:
            self._cache[pointer] = Draft202012Validator({"$ref": f"urn:suno-spec#{pointer}"}, registry=self.registry)
        return self._cache[pointer]

    def response_pointer(self, operation: str, status: str) -> str | None:
        """Pointer to the schema of ``operation``'s documented ``status`` answer."""
        method, path = OPERATIONS[self.provider][operation]
        responses = self.spec["paths"][path][method.lower()]["responses"]
        if status not in responses:
            return None
        ref = responses[status].get("$ref")
        if isinstance(ref, str):
            return f"{ref[1:]}/content/application~1json/schema"
        escaped = path.replace("~", "~0").replace("/", "~1")
        return f"/paths/{escaped}/{method.lower()}/responses/{status}/content/application~1json/schema"

    def errors(self, pointer: str, instance: Any) -> list[str]:
        """Messages for every way ``instance`` breaks the schema at ``pointer``."""
        found = sorted(self.validator(pointer).iter_errors(instance), key=lambda e: list(e.absolute_path))
        out = []
        for error in found[:3]:
            where = "/".join(map(str, error.absolute_path)) or "(root)"
            out.append(f"at {where}: {error.message[:200]}")
        return out

    def check_response(self, exchange: Exchange) -> str | None:
        """The body against the documented schema (a mirrored code is judged by the 200 schema)."""
        response = exchange.response
        if response is None or not isinstance(exchange.body, dict):
            return None  # envelope reports these
        status = response.status_code
        key = "500" if status == 500 else "200"
        pointer = self.response_pointer(exchange.operation, key)
        if pointer is None:
            return f"HTTP {status} is not a documented answer of {exchange.operation}"
        problems = self.errors(pointer, exchange.body)
        if problems:
            return f"the answer breaks the documented {exchange.operation} schema: {'; '.join(problems)}"
        return None

    def check_callback(self, kind: str, payload: Any) -> list[str]:
        """A callback payload against components/schemas/MusicCallback or ReplaceCallback."""
        return self.errors(f"/components/schemas/{kind}Callback", payload)


def record_info_stage(data: Mapping[str, Any], expected_tracks: int | None) -> str | None:
    """What a record-info ``data`` must show at its status (suno-api.md 2.3, 3.1, 4.2)."""
    status = data.get("status")
    response = data.get("response")
    tracks = response.get("sunoData") if isinstance(response, Mapping) else None
    if not isinstance(tracks, list):
        return None  # response_schema reports it
    done = [t for t in tracks if isinstance(t, Mapping) and t.get("audioUrl") and _seconds(t.get("duration"))]
    if status == "SUCCESS":
        if expected_tracks is not None and len(tracks) != expected_tracks:
            return f"status SUCCESS with {len(tracks)} tracks in sunoData; the task makes {expected_tracks}"
        if len(done) != len(tracks):
            return "status SUCCESS but not every track has an audioUrl and a duration"
    if status == "FIRST_SUCCESS" and not done:
        return "status FIRST_SUCCESS but no track is complete (audioUrl and duration)"
    if status in ("PENDING", "TEXT_SUCCESS") and done and len(done) == len(tracks) and tracks:
        return f"status {status} but every track is already complete"
    return None


def _seconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def callback_order(stages: Sequence[str], kind: str) -> str | None:
    """The documented order of callback stages (4.2: text -> first -> complete; 4.3: complete)."""
    if not stages:
        return None
    if "error" in stages:
        return None if stages[-1] == "error" and stages.count("error") == 1 else f"stages {list(stages)}: error ends"
    allowed = CALLBACK_ORDER if kind == "Music" else ("complete",)
    positions = []
    for stage in stages:
        if stage not in allowed:
            return f"stage {stage!r} is not a documented {kind} callback stage ({', '.join(allowed)})"
        positions.append(allowed.index(stage))
    if positions != sorted(positions) or len(set(positions)) != len(positions):
        return f"callback stages arrived as {list(stages)}; the documented order is {' -> '.join(allowed)}"
    if stages[-1] != "complete":
        return f"callback stages {list(stages)} never reached complete"
    return None


def param_echo(param: Any, sent: Mapping[str, Any]) -> str | None:
    """``param`` is the original request as a JSON string (suno-api.md 2.3)."""
    if not isinstance(param, str):
        return f"param must be the request as a JSON string, got {param!r}"
    try:
        echoed = json.loads(param)
    except ValueError:
        return f"param is not JSON: {param[:120]!r}"
    if not isinstance(echoed, dict):
        return f"param must encode the request object, got {echoed!r}"
    differ = [k for k, v in sent.items() if echoed.get(k) != v]
    if differ:
        return f"param does not echo the request: {', '.join(differ)} differ ({param[:160]})"
    return None
