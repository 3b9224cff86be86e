"""The checks of the server suite: envelope, documented codes, response shapes, lifecycle, callbacks.

Each check is a plain function that returns a failure message (``str``) or None. Shapes come
from the bundled OpenAPI document (the documentation); business rules, status orders and
callback stages come from the contract's table (:mod:`contract._families`, through
:mod:`contract._rules`). Nothing here imports the mock.
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

from mockserver import openapi

from . import _families as families
from ._documents import pointer_target
from ._families import Callbacks, Status
from ._families.music import STATUS as _MUSIC_STATUS
from ._families.music import record_stage

__all__ = [
    "CALLBACK_ORDER",
    "CHECKS",
    "STATUS_ORDER",
    "TERMINAL",
    "Exchange",
    "ResponseShapes",
    "callback_order",
    "envelope",
    "expect_code",
    "finished_unchanged",
    "param_echo",
    "record_info_stage",
    "status_move",
]

#: Every check the suite runs, with what it asserts (the summary table and --help list these).
CHECKS: dict[str, str] = {
    "envelope": "every answer is {code:int, msg:str, data} with HTTP 200, the mirrored code, or the documented 500",
    "response_schema": "every answer's body matches the documented response schema of its operation",
    "rejects_invalid": "a request that breaks a documented rule is rejected with the documented code 422",
    "accepts_valid": "a request that keeps every documented rule is not rejected as invalid",
    "stateful_rules": "replace-section: span <= 50% of the track and end within the track (422 otherwise)",
    "auth": "a request without a key, with a bad key, without the Bearer scheme or with Basic gets the 401 "
    "envelope on every operation, and the answer never shows the key",
    "not_found": "an unknown task, track or path gets code 404 (an unknown track: 404 or 422)",
    "malformed_body": "malformed JSON, a non-object body or a wrong Content-Type gets 422, never a 500",
    "once_only": "a once-only operation (cover image, persona, WAV) called again on the same task or track gets "
    "the documented repeat answer (409; cover 400 or 409; WAV may also convert again)",
    "lifecycle": "details states only move forward, match each stage's shape, and echo the request in param",
    "time": "a finished task read again several times stays exactly the same (states never leave a final one)",
    "callbacks": "callbacks arrive in each family's documented order and count with documented payloads",
}

#: 2.3 / 3.1: the forward order of a music task's states (the music family's, see contract._families).
STATUS_ORDER: dict[str, int] = {state: i for i, state in enumerate(_MUSIC_STATUS.order)}
#: Music states after which nothing changes (SUCCESS and the failures, suno-api.md 2.3).
TERMINAL: frozenset[str] = frozenset(_MUSIC_STATUS.terminal)
#: 4.2: the callback stages of a music task, in order ("error" ends it instead).
CALLBACK_ORDER: tuple[str, ...] = families.family("music").callbacks.stages  # type: ignore[union-attr]


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


def _escape(token: str) -> str:
    """A JSON-pointer token."""
    return token.replace("~", "~0").replace("/", "~1")


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

    def _operation(self, operation: str) -> tuple[str, str, dict[str, Any]] | None:
        entry = families.operation(operation)
        method, path = entry.method.lower(), entry.path_for(self.provider)
        item = self.spec["paths"].get(path, {}).get(method)
        return (method, path, item) if isinstance(item, dict) else None

    def response_pointer(self, operation: str, status: str) -> str | None:
        """Pointer to the schema of ``operation``'s documented ``status`` answer."""
        found = self._operation(operation)
        if found is None:
            return None
        method, path, item = found
        responses = item["responses"]
        if status not in responses:
            return None
        ref = responses[status].get("$ref")
        if isinstance(ref, str):
            return f"{ref[1:]}/content/application~1json/schema"
        escaped = path.replace("~", "~0").replace("/", "~1")
        return f"/paths/{escaped}/{method}/responses/{status}/content/application~1json/schema"

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

    def callback_pointer(self, operation: str) -> str | None:
        """Pointer to the body schema of the callback ``operation`` documents (its first ``callbacks`` entry)."""
        found = self._operation(operation)
        if found is None or not isinstance(found[2].get("callbacks"), dict) or not found[2]["callbacks"]:
            return None
        method, path, item = found
        name, node = next(iter(item["callbacks"].items()))
        base = f"/paths/{_escape(path)}/{method}/callbacks/{_escape(name)}"
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str) and ref.startswith("#/"):
            base, node = ref[1:], pointer_target(self.spec, ref)
        expression = next(iter(node))
        return f"{base}/{_escape(expression)}/post/requestBody/content/application~1json/schema"

    def check_callback(self, operation: str, payload: Any) -> list[str]:
        """A callback payload against the schema the creating ``operation`` documents for it."""
        pointer = self.callback_pointer(operation)
        if pointer is None:
            return [f"{operation} documents no callback"]
        return self.errors(pointer, payload)


def record_info_stage(data: Mapping[str, Any], expected_tracks: int | None) -> str | None:
    """What a Get Music Details ``data`` must show at its status (suno-api.md 2.3, 3.1, 4.2)."""
    return record_stage(data, data.get("status"), expected_tracks)


def status_move(status: Status, last: Any, now: Any) -> str | None:
    """A state may only move forward in the family's documented order (failures end it)."""
    if last is None:
        return None
    if status.is_terminal(last) and now != last:
        return f"{status.field} went from {last!r} to {now!r}; nothing changes after a final state"
    if status.rank(now) < status.rank(last):
        return f"{status.field} went back from {last} to {now}; states only move forward"
    return None


def finished_unchanged(first: Mapping[str, Any], later: Mapping[str, Any], field: str) -> str | None:
    """A finished task's details, read again, are exactly what they were (suno-api.md 3.1: final states)."""
    if first == later:
        return None
    if first.get(field) != later.get(field):
        return (
            f"a finished task changed from {field} {first.get(field)!r} to {later.get(field)!r} when read again; "
            "a final state never changes"
        )
    keys = sorted(k for k in {*first, *later} if first.get(k) != later.get(k))
    return f"a finished task's details changed when read again ({', '.join(keys)} differ); they must stay the same"


def callback_order(stages: Sequence[str], callbacks: Callbacks, name: str = "") -> str | None:
    """The documented order and count of callback stages (4.2: text -> first -> complete; 4.3: complete).

    Each stage comes at most once, in order; stages the documents say may be skipped may be
    missing; the last one is ``complete``, or ``error``, which ends the task.
    """
    if not stages:
        return None
    if "error" in stages:
        return None if stages[-1] == "error" and stages.count("error") == 1 else f"stages {list(stages)}: error ends"
    allowed = callbacks.stages
    what = f"{name} " if name else ""
    positions = []
    for stage in stages:
        if stage not in allowed:
            return f"stage {stage!r} is not a documented {what}callback stage ({', '.join(allowed)})"
        positions.append(allowed.index(stage))
    if positions != sorted(positions) or len(set(positions)) != len(positions):
        return (
            f"callback stages arrived as {list(stages)}; the documented order is {' -> '.join(allowed)} "
            f"(at most {callbacks.count} callbacks)"
        )
    if stages[-1] != "complete":
        return f"callback stages {list(stages)} never reached complete"
    missing = [s for s in allowed if s not in stages and s not in callbacks.skippable]
    if missing:
        return f"callback stages {list(stages)} lack {', '.join(missing)}, which the documents never skip"
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
