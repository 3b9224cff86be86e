"""The server conformance suite: passes on the mock, catches broken servers, never spends by accident."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from contract import rules
from contract.cli import junit_xml, main
from contract.server import SuiteConfig, SuiteResult, run_server_suite
from mockserver import create_app, openapi

TOKEN = "test-token"
Json = Any
Scope = dict[str, Any]


def mock(provider: str, time_scale: float = 300.0, **switches: str) -> Any:
    # A fast clock keeps the lifecycle short; the suite also works at the default speed. The
    # passing runs use 60 (stages 250 ms apart) so concurrent callback deliveries keep their order.
    # ``switches`` set the mock's profile switches (a documented difference set the other way).
    return create_app(provider, seed=1, tokens=frozenset({TOKEN}), time_scale=time_scale, profile_overrides=switches)


def run(provider: str, app: Any, **options: Any) -> SuiteResult:
    settings: dict[str, Any] = {"max_examples": 10, "callback_wait": 5.0}
    settings.update(options)
    return run_server_suite(SuiteConfig(provider=provider, token=TOKEN, app=app, **settings))


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_suite_passes_against_the_mock_in_process(provider: str) -> None:
    result = run(provider, mock(provider, 60.0), max_examples=25, require_callbacks=True)
    assert result.ok, result.summary()
    assert result.is_mock
    # every check ran at least once
    ran = {o.check for o in result.outcomes.values() if o.passed}
    assert ran >= {"envelope", "response_schema", "rejects_invalid", "accepts_valid", "stateful_rules", "auth"}
    assert ran >= {"not_found", "malformed_body", "lifecycle", "callbacks", "time"}
    assert result.examples > 200
    # every rule of the table was probed and held; required fields are each dropped alone
    assert result.coverage and all(r.held and r.probes for r in result.coverage.values()), result.coverage_table()
    rules_probed = set(result.coverage)
    selector = rules.track_selector(provider)
    for field in ("taskId", selector, "prompt", "tags", "title", "infillStartS", "infillEndS"):
        assert f"replace-section: {field} is required" in rules_probed
    assert "generate-music: title is required when customMode is true" in rules_probed
    assert "get-music-details: a finished task read again stays the same (music)" in rules_probed
    assert set(result.operations) == set(rules.OPERATIONS[provider])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def http_mock() -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(mock("apikley", 60.0), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_suite_passes_through_a_real_http_server_and_the_cli(
    http_mock: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "report.xml"
    argv = ["server", "--base-url", http_mock, "--token", TOKEN, "--provider", "apikley", "--max-examples", "5"]
    code = main([*argv, "--junit", str(junit), "--require-callbacks", "--callback-wait", "5"])
    out = capsys.readouterr()
    assert code == 0, out.out
    assert "PASSED" in out.out
    assert "[apikley] lifecycle" in out.err  # progress on stderr
    assert "<testsuite" in junit.read_text() and 'failures="0"' in junit.read_text()


# -- mutants: test-only ASGI wrappers, each breaking one documented rule --------------------------


class Mutant:
    """Wraps the mock; ``request`` may rewrite (headers, body), ``response`` may rewrite the answer."""

    def __init__(
        self,
        app: Any,
        request: Callable[[str, dict[str, str], bytes], tuple[dict[str, str], bytes]] | None = None,
        response: Callable[[str, bytes, int, Json], tuple[int, Json]] | None = None,
    ) -> None:
        self.app, self.request, self.response = app, request, response

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path = scope["path"]
        if self.request:
            headers, body = self.request(path, headers, body)
        scope = {**scope, "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        captured: dict[str, Any] = {"status": 200, "headers": [], "body": b""}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                captured["status"], captured["headers"] = message["status"], message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")

        if self.request and headers.get("x-mutant-short-circuit"):
            status, payload = 500, {"code": 500, "msg": "boom", "data": None}
        else:
            await self.app(scope, replay, capture)
            status = captured["status"]
            try:
                payload = json.loads(captured["body"])
            except ValueError:
                payload = None
        if self.response and payload is not None:
            status, payload = self.response(path, body, status, payload)
        raw = json.dumps(payload).encode() if payload is not None else captured["body"]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": raw})


def _body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _rewrite_replace(fix: Callable[[dict[str, Any]], None]) -> Callable[..., tuple[dict[str, str], bytes]]:
    def request(path: str, headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
        body = _body(raw)
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
    body = _body(raw)
    if path == "/api/v1/generate" and isinstance(body, dict) and isinstance(body.get("title"), str):
        body["title"] = body["title"][:80]
        raw = json.dumps(body).encode()
        headers["content-length"] = str(len(raw))
    return headers, raw


def _crash_on_bad_json(path: str, headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
    if raw and _body(raw) is None and not path.startswith("/_mock"):
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


def _old_code_400(status: int, payload: Json) -> tuple[int, Json]:
    return status, ({**payload, "code": 400} if payload.get("code") == 422 else payload)


def _credits_string(status: int, payload: Json) -> tuple[int, Json]:
    return status, ({**payload, "data": str(payload["data"])} if payload.get("code") == 200 else payload)


def _http_status_418(status: int, payload: Json) -> tuple[int, Json]:
    return (418 if payload.get("code") != 200 else status), payload


class _BrokenCallbacks:
    """Also POSTs text/first/complete callbacks itself; the complete one lacks task_id."""

    def __call__(self, path: str, raw: bytes, status: int, payload: Json) -> tuple[int, Json]:
        body = _body(raw)
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
        body = _body(raw)
        if path == "/api/v1/vocal-removal/generate" and payload.get("code") == 200 and isinstance(body, dict):
            url = body.get("callBackUrl", "")
            stemless = {"code": 200, "msg": "success", "data": {"task_id": payload["data"]["taskId"]}}
            if url.startswith("http://127.0.0.1"):
                threading.Thread(target=httpx.post, args=(url,), kwargs={"json": stemless}, daemon=True).start()
        return status, payload


def _cover_again_accepted(path: str, raw: bytes, status: int, payload: Json) -> tuple[int, Json]:
    if path == "/api/v1/suno/cover/generate" and payload.get("code") in (400, 409):
        return 200, {"code": 200, "msg": "success", "data": {"taskId": "c" * 32}}
    return status, payload


MUTANTS: dict[str, tuple[str, Callable[[Any], Any], str, str]] = {
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
for _name, (_provider, _switches, _check, _words) in SWITCHED.items():
    MUTANTS[_name] = (_provider, lambda app, s=_switches, p=_provider: mock(p, **s), _check, _words)


def test_there_are_at_least_24_mutants() -> None:
    assert len(MUTANTS) >= 24


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_is_caught_by_name(name: str) -> None:
    provider, wrap, check, words = MUTANTS[name]
    result = run(provider, wrap(mock(provider)), max_examples=3)
    assert not result.ok, f"mutant {name!r} was not caught:\n{result.summary()}"
    assert check in result.failed_checks(), result.summary()
    messages = [o.message for o in result.failures() if o.check == check]
    assert any(words in m for m in messages), messages
    assert any(o.curl for o in result.failures() if o.check == check) or check == "callbacks"
    summary = result.summary()
    assert "FAILED: " in summary and check in summary
    assert b"<failure" in junit_xml(result)
    # the coverage table names the rule that broke
    assert any(not r.held for r in result.coverage.values()), result.coverage_table()
    assert "FAILED" in result.coverage_table()


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("accepts replace-section without title", "replace-section: title is required"),
        ("record-info back to PENDING after SUCCESS", "get-music-details: a finished task read again stays the same"),
        ("WAV details SUCCESS without audioWavUrl", "get-wav-details: the details show what the successFlag says"),
        ("cover image accepts a second call", "generate-cover-image: a second call on the same task"),
        ("persona accepts a second call", "generate-persona: a second call on the same track"),
    ],
)
def test_the_coverage_table_names_the_broken_rule(name: str, rule: str) -> None:
    provider, wrap, _, _ = MUTANTS[name]
    result = run(provider, wrap(mock(provider)), max_examples=3)
    broken = [r for r in result.coverage.values() if r.rule.startswith(rule)]
    assert broken and all(not r.held and r.probes >= 1 for r in broken), result.coverage_table()
    assert all(r.held for r in result.coverage.values() if not r.rule.startswith(rule)), result.coverage_table()


# -- spending guard -----------------------------------------------------------------------------


def test_no_request_that_could_succeed_reaches_a_non_loopback_url_without_a_budget() -> None:
    """Nothing leaves the machine: a MockTransport answers (as a server that accepts everything)."""
    sent: list[httpx.Request] = []

    def accept_everything(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"code": 200, "msg": "success", "data": {"taskId": "f" * 32}})

    config = SuiteConfig(
        provider="kie",
        token=TOKEN,
        base_url="http://192.0.2.1",
        transport=httpx.MockTransport(accept_everything),
        max_examples=10,
        lifecycle_timeout=0.5,
    )
    result = run_server_suite(config)
    assert sent, "the suite sent nothing at all"
    assert {r.url.host for r in sent} == {"192.0.2.1"}
    could_succeed = []
    for request in sent:
        op = next(
            (o for o, (m, p) in rules.OPERATIONS["kie"].items() if m == request.method and p == request.url.path), None
        )
        if op not in rules.CREATING or request.headers.get("authorization") != f"Bearer {TOKEN}":
            continue
        if request.headers.get("content-type") != "application/json":
            continue
        try:
            body = json.loads(request.content)
        except ValueError:
            continue
        if isinstance(body, dict) and not rules.request_violations("kie", op, body):
            could_succeed.append((op, body))
    assert could_succeed == []
    assert result.spend.sent == 0
    assert result.spend.withheld > 0
    assert "not sent" in result.summary()
    assert not result.ok  # a server that accepts everything is not conformant


def test_spend_budget_allows_exactly_n_creating_calls() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"code": 401, "msg": "Unauthorized", "data": None})

    config = SuiteConfig(
        provider="kie",
        token=TOKEN,
        base_url="https://api.kie.ai",
        transport=httpx.MockTransport(answer),
        spend_budget=2,
        max_examples=5,
        schemathesis=False,
    )
    result = run_server_suite(config)
    assert result.spend.sent == 2
    assert len(result.spend.log) == 2
    assert "2 sent (budget 2)" in result.summary()


def test_unreachable_url_reports_and_fails_without_spending() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    config = SuiteConfig(
        provider="apibox",
        token=TOKEN,
        base_url="http://192.0.2.1",
        transport=httpx.MockTransport(refuse),
        max_examples=3,
        schemathesis=False,
    )
    result = run_server_suite(config)
    assert not result.ok
    assert result.spend.sent == 0
    assert any("did not answer" in o.message for o in result.failures())


# -- what the suite exercises follows the served spec ---------------------------------------------


class _Declares:
    """Serves the mock's /openapi.json without ``drop`` (the other paths go to the mock unchanged)."""

    def __init__(self, app: Any, drop: str) -> None:
        self.app, self.drop = app, drop

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/openapi.json":
            spec = openapi.load_spec("kie")
            spec["paths"] = {
                path: item
                for path, item in spec["paths"].items()
                if not any(isinstance(op, dict) and op.get("operationId") == self.drop for op in item.values())
            }
            raw = json.dumps(spec).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": raw})
            return
        await self.app(scope, receive, send)


def test_the_suite_exercises_what_the_served_spec_declares() -> None:
    result = run("kie", _Declares(mock("kie"), "get-timestamped-lyrics"), max_examples=3)
    assert result.ok, result.summary()
    assert "get-timestamped-lyrics" not in result.operations
    assert set(result.operations) == set(rules.OPERATIONS["kie"]) - {"get-timestamped-lyrics"}
    assert not any(r.rule.startswith("get-timestamped-lyrics") for r in result.coverage.values())
