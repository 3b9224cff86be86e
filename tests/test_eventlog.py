"""The event hook and the terminal log: pinned plain and JSON lines, and no API key in either."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mockserver import _eventlog as eventlog
from mockserver._app import MockApp, create_app
from mockserver._eventlog import LogFormat, TerminalLog
from mockserver._events import Event, Events, key_tag
from mockserver._serving import CallbackReceiver
from tests.support import GENERATE_BODY

pytestmark = pytest.mark.timeout(60)

KEY = "sk-live-0123456789abcdef0123456789"
OTHER = "sk-other-fedcba9876543210fedcba98"
WALL = 1767225600.0 + 3723.25  # 2026-01-01 01:02:03.250 UTC
START = 1767225600.0


def _log(fmt: LogFormat = "plain", colour: bool = False) -> tuple[TerminalLog, io.StringIO]:
    out = io.StringIO()
    return TerminalLog(out, fmt=fmt, colour=colour, wall=lambda: WALL), out


REQUEST = Event(
    "request",
    START + 20,
    {
        "method": "POST",
        "path": "/api/v1/generate",
        "operation": "generate-music",
        "code": 200,
        "msg": "",
        "task_id": "t1",
        "ms": 1.234,
        "key": "#abcd1234",
    },
)
STAGE = Event("stage", START + 35, {"task_id": "t1", "kind": "music", "stage": "first", "status": "FIRST_SUCCESS"})
RETRY = Event(
    "callback",
    START + 35,
    {
        "task_id": "t1",
        "stage": "first",
        "attempt": 1,
        "url": "http://127.0.0.1:9/cb",
        "status_code": 500,
        "error": "receiver answered HTTP 500; only 200 counts as delivered",
        "ms": 3.0,
        "outcome": "retry",
        "retry_in": 2.0,
    },
)


def test_plain_lines_are_pinned() -> None:
    log, _ = _log()
    assert log.line(REQUEST) == "01:02:03.250 request  POST /api/v1/generate 200 1.2 ms task t1 key #abcd1234"
    assert log.line(STAGE) == "01:02:03.250 stage    task t1 (music) first -> FIRST_SUCCESS mock 00:00:35.000"
    assert log.line(RETRY) == (
        "01:02:03.250 callback task t1 first #1 -> http://127.0.0.1:9/cb: HTTP 500, 3.0 ms, retry in 2 s "
        "mock 00:00:35.000"
    )
    refused = Event("request", START, {**REQUEST.fields, "code": 422, "msg": "Validation error: title: too long"})
    assert log.line(refused).endswith(" 422 1.2 ms task t1 key #abcd1234 | Validation error: title: too long")


def test_colour_only_when_asked_or_a_terminal() -> None:
    coloured, _ = _log(colour=True)
    assert "\x1b[32m200\x1b[0m" in coloured.line(REQUEST)
    plain = TerminalLog(io.StringIO())  # a StringIO is not a terminal
    assert "\x1b[" not in plain.line(REQUEST)


def test_json_lines_are_pinned() -> None:
    log, _ = _log("json")
    assert json.loads(log.line(REQUEST)) == {
        "time": "2026-01-01T01:02:03.250Z",
        "event": "request",
        "mock_time": "2026-01-01T00:00:20.000Z",
        **REQUEST.fields,
    }
    assert "\n" not in log.line(RETRY)
    assert json.loads(log.line(RETRY))["outcome"] == "retry"


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log format 'xml' is not allowed; use one of plain, json"):
        TerminalLog(io.StringIO(), fmt="xml")  # type: ignore[arg-type]  # an unknown format, on purpose


def test_key_tag_is_a_hash_prefix_not_the_key() -> None:
    tag = key_tag(KEY)
    assert tag is not None and tag.startswith("#") and len(tag) == 9
    assert KEY[:4] not in tag and tag == key_tag(KEY) != key_tag(OTHER)


def test_a_listener_that_raises_is_dropped_not_the_caller() -> None:
    events = Events()
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise BrokenPipeError

    events.subscribe(broken)
    unsubscribe = events.subscribe(seen.append)
    events.emit("reset", 1.0)
    events.emit("reset", 2.0)
    assert [e.at for e in seen] == [1.0, 2.0] and events.listeners == (seen.append,)
    unsubscribe()
    assert not events.listeners


@pytest.fixture
async def logged() -> AsyncIterator[tuple[MockApp, httpx.AsyncClient, io.StringIO, io.StringIO]]:
    app = create_app("kie", virtual_clock=True, seed=1, tokens=frozenset({KEY}))
    plain, plain_out = _log()
    as_json, json_out = _log("json")
    app.events.subscribe(plain)
    app.events.subscribe(as_json)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        yield app, client, plain_out, json_out
    await app.aclose()


async def test_a_task_s_life_in_both_formats_without_a_key(
    logged: tuple[MockApp, httpx.AsyncClient, io.StringIO, io.StringIO],
) -> None:
    app, client, plain_out, json_out = logged
    auth = {"Authorization": f"Bearer {KEY}"}
    with CallbackReceiver() as receiver:
        body = {**GENERATE_BODY, "callBackUrl": f"{receiver.url}/cb"}
        task_id = (await client.post("/api/v1/generate", json=body, headers=auth)).json()["data"]["taskId"]
        await client.get("/api/v1/generate/record-info", params={"taskId": task_id}, headers=auth)
        await client.post("/api/v1/generate", json=body, headers={"Authorization": f"Bearer {OTHER}"})
        await client.post("/api/v1/generate", json={**body, "title": KEY}, headers=auth)
        await app.advance(150)
    records = [json.loads(line) for line in json_out.getvalue().splitlines()]
    seen = [(r["event"], r.get("stage") or r.get("code")) for r in records]
    assert seen[:4] == [("request", 200), ("request", 200), ("request", 401), ("request", 200)]
    # two tasks with a callback URL: each stage reached and delivered twice (the order between tasks is free)
    assert sorted(seen[4:]) == sorted(
        [(event, stage) for stage in ("text", "first", "complete") for event in ("stage", "callback")] * 2
    )
    first = records[0]
    assert first["task_id"] == task_id and first["key"] == key_tag(KEY) and first["operation"] == "generate-music"
    assert records[1]["task_id"] == task_id, "a details request names the task it read"
    assert records[2]["key"] == key_tag(OTHER) and "#" in records[2]["msg"]
    delivered = [r for r in records if r["event"] == "callback"]
    assert all(r["outcome"] == "delivered" and r["status_code"] == 200 for r in delivered)
    plain = plain_out.getvalue()
    assert "request  POST /api/v1/generate 200" in plain and f"task {task_id} (music) complete -> SUCCESS" in plain
    assert len(plain.splitlines()) == len(records)
    for text in (plain, json_out.getvalue()):
        assert KEY not in text and OTHER not in text


async def test_retries_and_giving_up_are_logged(
    logged: tuple[MockApp, httpx.AsyncClient, io.StringIO, io.StringIO],
) -> None:
    app, client, plain_out, json_out = logged
    with CallbackReceiver(status=500) as receiver:
        body = {**GENERATE_BODY, "callBackUrl": f"{receiver.url}/cb"}
        await client.post("/api/v1/generate", json=body, headers={"Authorization": f"Bearer {KEY}"})
        await app.advance(20 + 2 + 4)  # the text stage and both backoff gaps
    records = [json.loads(line) for line in json_out.getvalue().splitlines()]
    attempts = [(r["attempt"], r["outcome"], r["retry_in"]) for r in records if r["event"] == "callback"]
    assert attempts == [(1, "retry", 2.0), (2, "retry", 4.0), (3, "gave-up", None)]
    assert "HTTP 500, " in plain_out.getvalue() and "gave-up" in plain_out.getvalue()


async def test_nobody_listening_builds_no_event(monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app("kie", virtual_clock=True)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an event was built with nobody listening")

    monkeypatch.setattr(Events, "emit", refuse)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        body = {**GENERATE_BODY, "callBackUrl": "http://127.0.0.1:9/cb"}
        answer = await client.post("/api/v1/generate", json=body, headers={"Authorization": "Bearer k-123456"})
        assert answer.json()["code"] == 200
        await app.advance(150)
        assert app.callbacks.attempts(), "the stages ran"
    await app.aclose()


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    """``suno-mock serve`` from this checkout, on a free loopback port; its URL from the first line."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=root,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"at (http://127\.0\.0\.1:\d+)", line)
    assert match, f"unexpected first line: {line!r}"
    return process, match.group(1)


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=20)
    return out


@pytest.mark.parametrize("quiet", [False, True])
def test_serve_logs_json_lines_or_nothing_with_quiet(quiet: bool) -> None:
    process, url = _serve("--log-format", "json", "--token", KEY, *(["--quiet"] if quiet else []))
    try:
        body = {**GENERATE_BODY, "callBackUrl": "http://127.0.0.1:9/cb"}
        answer = httpx.post(f"{url}/api/v1/generate", json=body, headers={"Authorization": f"Bearer {KEY}"})
        task_id = answer.json()["data"]["taskId"]
        httpx.post(f"{url}/api/v1/generate", json=body, headers={"Authorization": f"Bearer {OTHER}"})
    finally:
        out = _stop(process)
    lines = [line for line in out.splitlines() if not line.startswith("suno-mock: ")]  # start and stop
    assert KEY not in out and OTHER not in out
    if quiet:
        assert lines == []
        return
    requests = [json.loads(line) for line in lines if '"event":"request"' in line]
    assert [(r["code"], r["key"]) for r in requests] == [(200, key_tag(KEY)), (401, key_tag(OTHER))]
    assert requests[0]["task_id"] == task_id


class _Stuck(io.StringIO):
    """An output whose writes wait until released (a pipe nobody reads)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def write(self, text: str) -> int:
        self.release.wait(30)
        return super().write(text)


def test_a_background_log_never_blocks_the_server_and_counts_what_it_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eventlog, "BACKLOG", 3)
    out = _Stuck()
    log = TerminalLog(out, wall=lambda: WALL, background=True)
    for _ in range(20):  # three wait, the writer may hold a batch stuck in write(): the rest are dropped at once
        log(REQUEST)
    dropped = log.dropped
    assert dropped >= 14
    out.release.set()
    log.close()
    lines = out.getvalue().splitlines()
    assert f"suno-mock: {dropped} log lines dropped (the output was not read)" in lines
    assert lines.count(_log()[0].line(REQUEST)) == 20 - dropped
