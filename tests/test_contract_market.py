"""The Market section of the server suite: passes on the mock, catches named broken servers.

Each broken server is the mock behind a small ASGI wrapper that breaks one documented fact of
kie-market.md (a ``param`` object, a state going back, a missing required input accepted, ...).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from contract._market import CREATE, RECORD, REQUIRED, run_market_suite
from contract._server import SuiteConfig, SuiteResult, run_server_suite
from mockserver import create_app

TOKEN = "test-token"
Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]


def mock(**options: Any) -> Any:
    return create_app("kie", seed=3, tokens=frozenset({TOKEN}), **options)


def run(app: Any, callback_wait: float = 5.0) -> SuiteResult:
    config = SuiteConfig(provider="kie", token=TOKEN, app=app, require_callbacks=True, callback_wait=callback_wait)
    return run_market_suite(config)


def rewriting(
    app: ASGI,
    request: Callable[[str, bytes], bytes] | None = None,
    response: Callable[[str, bytes, bytes], bytes] | None = None,
) -> ASGI:
    """``app`` with request bodies rewritten by ``request(path, body)``, answers by ``response(path, query, body)``."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path, query = scope["path"], scope.get("query_string", b"")
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if request is not None:
            body = request(path, body)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            answer = b"".join(chunks)
            if response is not None:
                answer = response(path, query, answer)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(answer)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": answer, "more_body": False})

        await app(scope, replay, capture)

    return wrapped


def on_record(change: Callable[[dict[str, Any]], None]) -> Callable[[str, bytes, bytes], bytes]:
    """A response rewriter applying ``change`` to recordInfo's ``data``."""

    def rewrite(path: str, query: bytes, answer: bytes) -> bytes:
        if path != RECORD:
            return answer
        body = json.loads(answer)
        if isinstance(body.get("data"), dict):
            change(body["data"])
        return json.dumps(body).encode()

    return rewrite


def param_object(data: dict[str, Any]) -> None:
    data["param"] = json.loads(data["param"])


def state_goes_back() -> Callable[[dict[str, Any]], None]:
    finished: set[str] = set()

    def change(data: dict[str, Any]) -> None:
        if data["state"] == "success":
            if data["taskId"] in finished:
                data["state"] = "queuing"
            finished.add(data["taskId"])

    return change


def generating_then_waiting() -> Callable[[dict[str, Any]], None]:
    generating: set[str] = set()

    def change(data: dict[str, Any]) -> None:
        if data["state"] == "generating":
            if data["taskId"] in generating:
                data["state"] = "waiting"
            generating.add(data["taskId"])

    return change


def drops_callbacks(path: str, body: bytes) -> bytes:
    """Sends the callback nowhere (and records the body it really got: param then shows it too)."""
    if path != CREATE:
        return body
    sent = json.loads(body)
    if "callBackUrl" in sent:
        sent["callBackUrl"] = "http://127.0.0.1:9/nowhere"
    return json.dumps(sent).encode()


def result_object(data: dict[str, Any]) -> None:
    if data["resultJson"]:
        data["resultJson"] = json.loads(data["resultJson"])


def seconds_times(data: dict[str, Any]) -> None:
    data["createTime"] = data["createTime"] / 1000


def accepts_lyrics_without_prompt(path: str, body: bytes) -> bytes:
    if path != CREATE:
        return body
    sent = json.loads(body)
    if sent.get("model") == "ai-music-api/generate-lyrics" and "prompt" not in sent.get("input", {}):
        sent["input"]["prompt"] = "filled in by the broken server"
    return json.dumps(sent).encode()


def test_market_section_passes_against_the_mock_on_the_virtual_clock() -> None:
    result = run(mock(virtual_clock=True))
    assert result.ok, result.summary()
    assert result.is_mock
    assert result.coverage and all(r.held and r.probes for r in result.coverage.values()), result.coverage_table()
    for model, required in REQUIRED.items():
        assert f"createTask {model}: a valid input is accepted with a taskId" in result.coverage
        for name in required:
            assert f"createTask {model}: input.{name} is required" in result.coverage
    for rule in (
        "createTask: an unknown model gets 422",
        "recordInfo: state is documented and only moves forward",
        "recordInfo: param is the createTask body as a JSON string",
        "recordInfo: resultJson is a string, empty before success, JSON after",
        "recordInfo: a finished record read again twice is identical",
        "createTask: callbacks are JSON with code, msg, data",
    ):
        assert result.coverage[rule].probes >= 1, rule
    assert result.coverage["createTask: a callback arrives"].probes == len(REQUIRED)


@pytest.mark.parametrize(
    ("name", "wrap", "rule"),
    [
        (
            "param as an object",
            lambda app: rewriting(app, response=on_record(param_object)),
            "recordInfo: param is the createTask body as a JSON string",
        ),
        (
            "state back to queuing after success",
            lambda app: rewriting(app, response=on_record(state_goes_back())),
            "recordInfo: a finished record read again twice is identical",
        ),
        (
            "state back from generating to waiting",
            lambda app: rewriting(app, response=on_record(generating_then_waiting())),
            "recordInfo: state is documented and only moves forward",
        ),
        (
            "callbacks sent elsewhere",
            lambda app: rewriting(app, request=drops_callbacks),
            "createTask: a callback arrives",
        ),
        (
            "resultJson as an object",
            lambda app: rewriting(app, response=on_record(result_object)),
            "recordInfo: resultJson is a string, empty before success, JSON after",
        ),
        (
            "createTime in seconds (a float)",
            lambda app: rewriting(app, response=on_record(seconds_times)),
            "recordInfo: times are integers (ms), completeTime >= createTime when final",
        ),
        (
            "accepts generate-lyrics without prompt",
            lambda app: rewriting(app, request=accepts_lyrics_without_prompt),
            "createTask generate-lyrics: input.prompt is required",
        ),
    ],
)
def test_market_section_catches_a_broken_server(name: str, wrap: Callable[[Any], ASGI], rule: str) -> None:
    result = run(wrap(mock(virtual_clock=True)), callback_wait=0.5)  # a task left unfinished sends none
    assert not result.ok, f"{name}: not caught\n{result.summary()}"
    assert not result.coverage[rule].held, f"{name}: caught, but not by {rule!r}\n{result.coverage_table()}"


def test_the_full_server_suite_runs_the_market_section_when_served() -> None:
    # a scaled clock (no virtual clock): the section waits real poll intervals instead of advancing
    config = SuiteConfig(provider="kie", token=TOKEN, app=mock(time_scale=300.0), schemathesis=False, max_examples=3)
    result = run_server_suite(config)
    market = {rule for rule in result.coverage if rule.startswith(("createTask", "recordInfo:"))}
    assert "recordInfo: param is the createTask body as a JSON string" in market
    assert all(result.coverage[rule].held for rule in market), result.coverage_table()
