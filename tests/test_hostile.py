"""Hostile input: never a server error, never a task accepted and then lost, never a key shown.

Every request goes through the served app (``httpx.ASGITransport``, app exceptions answered
rather than raised, so a server error is seen as the client would see it) on every profile and
every operation the profile's document serves.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from uvicorn.server import ServerState

from contract._requests import TaskFixture, Track, valid_body
from mockserver import MockApp, create_app
from mockserver._http11 import HEAD_TIMEOUT_S, MockHttpProtocol
from mockserver._journal import JOURNAL_BYTES, MSG_KEPT, PATH_KEPT, RequestJournal, RequestRecord
from mockserver._serving import ThreadedServer
from mockserver._spec import Operation

PROVIDERS = ("kie", "sunoapi", "apibox", "apikley")
KEY = "sk-live-Qz7mXv2LwP9rTb4NcY8h"
AUTH = {"Authorization": f"Bearer {KEY}"}
JSON = {**AUTH, "Content-Type": "application/json"}
#: A loopback port nothing listens on: deliveries are attempted (and journaled) and fail fast.
CALLBACK = "http://127.0.0.1:9/cb"


@asynccontextmanager
async def served(provider: str, **options: Any) -> AsyncIterator[tuple[MockApp, httpx.AsyncClient]]:
    app = create_app(provider, **{"seed": 1, "virtual_clock": True, **options})
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield app, client
    await app.aclose()


async def asgi(
    app: MockApp,
    method: str,
    path: str,
    query: bytes = b"",
    headers: tuple[tuple[bytes, bytes], ...] = (),
    messages: tuple[dict[str, Any], ...] = ({"type": "http.request", "body": b"", "more_body": False},),
) -> list[Any]:
    """One request straight into the ASGI app (no client: 10,000 of them take seconds); what it sent.

    ``messages`` are what ``receive()`` returns in turn (then ``http.disconnect``). An exception out
    of the app is what a server would log as "Exception in ASGI application": it fails the test.
    """
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [*headers]
        if any(name == b"host" for name, _ in headers)
        else [(b"host", b"127.0.0.1:8765"), *headers],
        "server": ("127.0.0.1", 8765),
        "client": ("127.0.0.1", 50000),
    }
    sent: list[Any] = []
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def asgi_get(app: MockApp, path: str, query: bytes = b"", headers: tuple[tuple[bytes, bytes], ...] = ()) -> int:
    """The HTTP status of a GET straight into the ASGI app."""
    status: int = (await asgi(app, "GET", path, query, headers))[0]["status"]
    return status


def refused(response: httpx.Response, code: int = 422) -> str:
    """The message of an answer that must be the envelope with ``code`` (never a server error)."""
    assert response.status_code < 500, response.text
    body = response.json()
    assert set(body) == {"code", "msg", "data"} and body["data"] is None, body
    assert body["code"] == code, body
    message: str = body["msg"]
    return message


def posts(app: MockApp) -> list[Operation]:
    """The POST operations that read a JSON body (not the multipart stream upload)."""
    return [op for op in app.operations if op.method == "POST" and op.form_schema is None]


def fields(schema: Any) -> Iterator[str]:
    """Every property name a body schema mentions (under allOf and if/then/else too)."""
    if not isinstance(schema, dict):
        return
    yield from schema.get("properties", {})
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            yield from fields(sub)
    for key in ("if", "then", "else"):
        yield from fields(schema.get(key))


def body_for(app: MockApp, operation: Operation) -> dict[str, Any]:
    """A valid body for the operation on a finished seeded task; the spec's field names for one unknown here."""
    task = app.seed_task([120.0, 100.0])
    if operation.operation_id == "generate-midi":  # MIDI is made from a finished separation task
        separation = app.seed_operation("separate-vocals", {"taskId": task.id, "audioId": task.tracks[0].id})
        return {"taskId": separation["taskId"], "callBackUrl": CALLBACK}
    voice_ops = ("regenerate-voice-phrase", "create-voice", "check-voice")
    if operation.operation_id in voice_ops:  # Suno Voice: from a finished verification-phrase task
        sample = {"voiceUrl": "https://example.com/me.mp3", "vocalStartS": 0, "vocalEndS": 20}
        phrase = app.seed_operation("validate-voice", sample)["taskId"]
        if operation.operation_id == "regenerate-voice-phrase":
            return {"taskId": phrase, "calBackUrl": CALLBACK}
        voice = {"taskId": phrase, "verifyUrl": "https://example.com/reading.mp3", "callBackUrl": CALLBACK}
        if operation.operation_id == "create-voice":
            return voice
        return {"task_id": app.seed_operation("create-voice", voice)["taskId"]}
    own = f"http://127.0.0.1/_mock/files/{task.tracks[0].id}.mp3"  # a file the mock made (read from the mock)
    if operation.operation_id == "upload-file-url":
        return {"fileUrl": own, "uploadPath": "suno"}
    if operation.operation_id == "get-download-url":
        return {"url": own}
    if operation.market == "create":  # kie's Market jobs: the document's example for generate
        examples = app.spec["paths"][operation.path]["post"]["requestBody"]["content"]["application/json"]["examples"]
        return {**examples["generate"]["value"], "callBackUrl": CALLBACK}
    fixture = TaskFixture(task.id, tuple(Track(t.id, t.index, t.duration) for t in task.tracks))
    try:
        return valid_body(app.provider, operation.operation_id, fixture, callback=CALLBACK)
    except ValueError:  # an operation the contract kit does not know yet: any body with its fields
        return dict.fromkeys(fields(operation.body_schema), "x")


def raw(body: dict[str, Any], field: str, literal: str) -> bytes:
    """``body`` as JSON with ``field`` set to the JSON text ``literal`` (which json.dumps could not write)."""
    marker = "\x00marker\x00"
    return json.dumps({**body, field: marker}).replace(json.dumps(marker), literal).encode("utf-8", "surrogatepass")


# 1. numbers ------------------------------------------------------------------------------
HUGE_NUMBERS = {
    "5000 digits": "9" * 5000,
    "401 digits": "9" * 401,
    "-401 digits": "-" + "9" * 401,
    "310 digits": "1" + "0" * 309,
    "1e999": "1e999",
    "-1e400": "-1e400",
}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_number_no_double_holds_is_refused_naming_the_field_in_every_field(provider: str) -> None:
    async with served(provider) as (app, client):
        tried = 0
        for operation in posts(app):
            body = body_for(app, operation)
            for field in sorted({*fields(operation.body_schema), *body}):
                for label, literal in HUGE_NUMBERS.items():
                    response = await client.post(operation.path, content=raw(body, field, literal), headers=JSON)
                    message = refused(response)
                    assert message.startswith(f"Validation error: {field}: must be a number a double can hold"), (
                        operation.operation_id,
                        label,
                        message,
                    )
                    assert len(message) < 300, message  # the value abbreviated
                    tried += 1
        assert tried > 100
        assert (await client.get("/_mock/health")).json()["code"] == 200


async def test_a_huge_number_nested_or_as_the_whole_body_is_named_with_its_path() -> None:
    async with served("kie") as (_app, client):
        nested = b'{"a": [1, {"b": ' + b"9" * 5000 + b'}], "c": 1e999}'
        message = refused(await client.post("/api/v1/generate", content=nested, headers=JSON))
        assert "a[1].b: must be a number" in message and "99999999999999999999...9999999999, 5000 digits" in message
        assert "c: must be a number a double can hold, between -1.8e308 and 1.8e308 (got 1e999)" in message
        whole = refused(await client.post("/api/v1/generate", content=b"9" * 5000, headers=JSON))
        assert whole.startswith("Validation error: body: must be a number")
        # numbers a double holds are read as before: the schema judges them
        fine = refused(
            await client.post("/api/v1/generate", content=b'{"customMode": 1' + b"0" * 300 + b"}", headers=JSON)
        )
        assert "customMode: must be a boolean (got 10000000000000000000...0000000000, 301 digits)" in fine


async def test_the_admin_routes_follow_the_same_number_policy() -> None:
    async with served("kie") as (_app, client):
        for path, body in (
            ("/_mock/tasks", b'{"durations": [' + b"9" * 5000 + b"]}"),
            ("/_mock/credits", b'{"token": "k", "balance": ' + b"9" * 401 + b"}"),
            ("/_mock/clock/advance", b'{"seconds": ' + b"9" * 401 + b"}"),
            ("/_mock/faults", b'{"rules": [{"name": "n", "code": ' + b"9" * 5000 + b"}]}"),
        ):
            message = refused(await client.post(path, content=body, headers=JSON))
            assert "must be a number a double can hold" in message, (path, message)


async def test_the_virtual_clock_cannot_be_advanced_past_the_last_time_a_task_can_show() -> None:
    async with served("kie") as (app, client):
        before = app.state.now()
        message = refused(await client.post("/_mock/clock/advance", json={"seconds": 1e308}))
        assert "seconds: must be at most" in message and "9999-12-31 23:59:59 UTC (got 1e+308)" in message
        assert app.state.now() == before
        created = await client.post("/api/v1/generate", json=valid_body("kie", "generate-music", None), headers=AUTH)
        task_id = created.json()["data"]["taskId"]
        room = float(message.split("at most ")[1].split(",")[0])
        assert (await client.post("/_mock/clock/advance", json={"seconds": room})).json()["code"] == 200
        info = await client.get("/api/v1/generate/record-info", params={"taskId": task_id}, headers=AUTH)
        assert info.json()["code"] == 200
        assert "must be at most 0" in refused(await client.post("/_mock/clock/advance", json={"seconds": 1}))


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("bytes=" + "9" * 5000 + "-", 416),
        ("bytes=" + "0" * 5000 + "1-", 206),
        ("bytes=0-" + "9" * 5000, 206),
        ("bytes=-" + "9" * 5000, 206),
        ("bytes=" + "9" * 5000 + "-" + "9" * 4999, 200),  # last < first: an invalid range, ignored
        ("bytes=" + "9" * 5000 + "-" + "9" * 5001, 416),
        ("bytes=1-" + "9" * 5000 + ",3-4", 200),
    ],
    ids=["huge-first", "zero-padded-first", "huge-last", "huge-suffix", "last-below-first", "both-past", "several"],
)
async def test_range_headers_with_thousands_of_digits_are_answered_as_the_rfc_says(header: str, status: int) -> None:
    async with served("kie") as (app, client):
        track = app.seed_task([5.0]).tracks[0]
        for url in (f"/_mock/stream/{track.id}", f"/_mock/files/{track.id}.png"):
            whole = (await client.get(url)).content
            response = await client.get(url, headers={"Range": header})
            assert response.status_code == status, (url, header[:20], response.status_code)
            if status == 416:
                assert response.headers["content-range"] == f"bytes */{len(whole)}"
            elif status == 206:
                first = 1 if header.startswith("bytes=00") else 0
                assert response.content == whole[first:]
                assert response.headers["content-range"] == f"bytes {first}-{len(whole) - 1}/{len(whole)}"
            else:
                assert response.content == whole


# 2. text ---------------------------------------------------------------------------------
SURROGATES = {
    "escaped": '"a\\ud800b"',
    "escaped low": '"\\udfff"',
    "raw bytes": '"a\udc00b"',  # written as ED B0 80 by raw()
    "reversed pair": '"\\udc00\\ud800"',
}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_lone_surrogate_in_any_string_is_refused_at_the_door_naming_the_field(provider: str) -> None:
    async with served(provider) as (app, client):
        tasks = len(app.state.store.tasks)
        for operation in posts(app):
            body = body_for(app, operation)
            tasks = len(app.state.store.tasks)  # with the tasks body_for seeded
            for field in sorted({*fields(operation.body_schema), *body}):
                for label, literal in SURROGATES.items():
                    response = await client.post(operation.path, content=raw(body, field, literal), headers=JSON)
                    message = refused(response)
                    assert message.startswith(f"Validation error: {field}: must be text without lone surrogates"), (
                        operation.operation_id,
                        label,
                        message,
                    )
                    assert "U+D" in message
            assert len(app.state.store.tasks) == tasks, "a task was accepted"
        assert (await client.get("/_mock/health")).json()["code"] == 200


async def test_a_lone_surrogate_in_a_key_a_nested_string_or_an_admin_body_is_refused() -> None:
    async with served("kie") as (app, client):
        body = valid_body("kie", "generate-music", None, callback=CALLBACK)
        key = json.dumps(body)[:-1] + ', "\\ud800": 1}'
        message = refused(await client.post("/api/v1/generate", content=key.encode(), headers=JSON))
        assert "body: must have keys without lone surrogates" in message and "'\\ud800'" in message
        nested = raw(body, "extra", '{"list": ["ok", "\\ud800"]}')
        assert "extra.list[1]: must be text without lone surrogates" in refused(
            await client.post("/api/v1/generate", content=nested, headers=JSON)
        )
        seeded = b'{"durations": [10], "title": "\\ud800"}'
        assert "title: must be text" in refused(await client.post("/_mock/tasks", content=seeded, headers=JSON))
        rule = b'{"rules": [{"name": "\\ud800", "code": 455}]}'
        assert "rules[0].name: must be text" in refused(await client.post("/_mock/faults", content=rule, headers=JSON))
        assert app.state.store.tasks == {}


async def test_text_beyond_the_basic_plane_escaped_as_a_pair_is_stored_shown_and_called_back() -> None:
    async with served("kie") as (app, client):
        body = raw(valid_body("kie", "generate-music", None, callback=CALLBACK), "title", '"Note \\ud83c\\udfb5"')
        created = (await client.post("/api/v1/generate", content=body, headers=JSON)).json()
        assert created["code"] == 200, created
        task_id = created["data"]["taskId"]
        await app.advance(200)
        info = (await client.get("/api/v1/generate/record-info", params={"taskId": task_id}, headers=AUTH)).json()
        assert info["code"] == 200 and info["data"]["response"]["sunoData"][0]["title"] == "Note \U0001f3b5"
        attempts = app.callbacks.attempts(task_id)
        assert {a.stage.value for a in attempts} >= {"text", "first", "complete"}
        assert all(a.payload["data"]["task_id"] == task_id for a in attempts)
        assert app.state.scheduler.errors == []


# 3. keys ---------------------------------------------------------------------------------
#: Authorization headers (raw bytes: the key after a tab, a non-breaking space...) that must get a 401.
BAD_AUTHORIZATIONS = [
    KEY.encode(),
    b"Bearer\t" + KEY.encode(),
    b"Bearer\xc2\xa0" + KEY.encode(),
    b"Bearer\xa0" + KEY.encode(),
    b"Bearer " + KEY.encode() + b"\xc2\xa0x",
    b"Bearer " + KEY.encode() + b" extra",
    b"Basic " + KEY.encode(),
    b"Token " + KEY.encode(),
    b"X" + KEY.encode() + b" " + KEY.encode(),
    KEY.encode() + b" Bearer",
    b"Bearer" + KEY.encode(),
    b"\x01" + KEY.encode(),
    b"Bearer  " + KEY.encode() + b"\t" + KEY.encode(),
]


def leaks(text: str, key: str = KEY) -> bool:
    """Whether ``text`` shows the key, or any 8 characters of it in a row."""
    return any(key[i : i + 8] in text for i in range(len(key) - 7))


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_malformed_authorization_gets_a_401_that_never_shows_the_key(provider: str) -> None:
    async with served(provider) as (app, client):
        for operation in app.operations:
            for header in BAD_AUTHORIZATIONS:
                headers = [(b"authorization", header), (b"content-type", b"application/json")]
                response = await client.request(operation.method, operation.path, headers=headers, content=b"{}")
                message = refused(response, 401)
                assert not leaks(message), (header, message)
        journal = (await client.get("/_mock/requests")).text
        assert not leaks(journal) and journal.count('"code":401') == len(app.operations) * len(BAD_AUTHORIZATIONS)


async def test_the_401_names_what_is_wrong_and_a_fingerprint_instead_of_the_key() -> None:
    async with served("kie", tokens={"sk-good-0123456789abcdef"}) as (_app, client):

        async def message(header: bytes) -> str:
            return refused(await client.get("/api/v1/chat/credit", headers=[(b"authorization", header)]), 401)

        assert "a bare API key? fingerprint sk-l...#" in await message(KEY.encode())
        assert "'Bearer' must be followed by a space, not a tab (0x09)" in await message(b"Bearer\t" + KEY.encode())
        assert "not byte 0xC2 (a non-breaking space is C2 A0 in UTF-8)" in await message(b"Bearer\xc2\xa0k")
        assert "the API key contains spaces: a tab (0x09) at character 3" in await message(b"Bearer abc\tdef")
        assert "got the 'Basic' scheme" in await message(b"Basic " + KEY.encode())
        assert "got another scheme or none; header fingerprint" in await message(b"sk-live " + KEY.encode())
        unknown = await message(b"Bearer " + KEY.encode())
        assert "this API key (sk-l...#" in unknown and "is not one the mock was started with" in unknown
        short = await message(b"Bearer short-key")
        assert "this API key (#" in short, "a key shorter than 16 characters shows none of itself"


async def test_the_scheduler_failure_log_names_the_task_not_its_key_or_body(caplog: pytest.LogCaptureFixture) -> None:
    async with served("kie") as (app, client):
        body = valid_body("kie", "generate-music", None, callback=CALLBACK)
        created = (await client.post("/api/v1/generate", json=body, headers=AUTH)).json()
        task = app.state.store.tasks[created["data"]["taskId"]]

        def broken(task: Any, stage: str) -> None:
            raise RuntimeError("a scheduled action failed")

        app.state.scheduler.call_at(app.state.now(), broken, task, "complete")
        with caplog.at_level("ERROR", logger="mockserver._scheduler"):
            await app.advance(1)
        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert f"Task {task.id}" in logged and "broken" in logged
        assert not leaks(logged) and body["prompt"] not in logged and "token=" not in logged


async def test_the_fault_inspector_and_the_credits_route_show_a_fingerprint_of_a_key() -> None:
    async with served("kie") as (_app, client):
        rule = {"rules": [{"name": "one key", "when": {"token": [KEY]}, "code": 455}]}
        configured = await client.post("/_mock/faults", json=rule)
        assert configured.json()["code"] == 200 and not leaks(configured.text)
        listed = (await client.get("/_mock/faults")).json()["data"]["rules"][0]["rule"]
        assert listed["when"]["token"][0].startswith("sk-l...#")
        assert (await client.get("/api/v1/chat/credit", headers=AUTH)).json()["code"] == 455, "the rule still matches"
        topped = await client.post("/_mock/credits", json={"token": KEY, "balance": 5})
        assert topped.json()["code"] == 200 and not leaks(topped.text)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_whole_flow_with_a_known_key_shows_it_nowhere(provider: str, caplog: pytest.LogCaptureFixture) -> None:
    """Every answer, journal entry, inspector listing, log line and exception text of a run."""
    seen: list[str] = []
    caplog.set_level("DEBUG")
    async with served(provider, tokens={KEY}, rate_limits=True) as (app, client):

        async def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
            response = await client.request(method, path, **kwargs)
            assert response.status_code < 500, response.text
            seen.append(response.text)
            return response

        await call("POST", "/_mock/faults", json={"rules": [{"name": "k", "when": {"token": KEY}, "nth": [3]}]})
        await call("POST", "/_mock/credits", json={"token": KEY, "balance": 100})
        task_ids = []
        for operation in app.operations:
            if operation.method == "POST":
                body = body_for(app, operation)
                for headers in (AUTH, {"Authorization": KEY}, {"Authorization": f"Bearer\t{KEY}"}, {}):
                    created = await call("POST", operation.path, json=body, headers=headers)
                    if created.json()["code"] == 200 and isinstance(created.json()["data"], dict):
                        task_ids.append(created.json()["data"].get("taskId"))
                await call("POST", operation.path, json={**body, "prompt": 7}, headers={**AUTH, "X-Mock-Code": "x"})
            else:
                query = {"taskId": next((t for t in task_ids if t), "unknown")}
                await call("GET", operation.path, params=query, headers=AUTH)
        # a background action that fails on a task holding the key
        task = app.state.store.tasks[next(t for t in task_ids if t)]

        def broken(task: Any) -> None:
            raise RuntimeError(f"failed on {task.id}")

        app.state.scheduler.call_at(app.state.now() + 1, broken, task)
        await app.advance(400)
        for path in ("/_mock/requests", "/_mock/callbacks", "/_mock/faults", "/_mock/health"):
            await call("GET", path)
        for task_id in filter(None, task_ids):
            await call("GET", "/api/v1/generate/record-info", params={"taskId": task_id}, headers=AUTH)
        seen += [f"{type(e.exception).__name__}: {e.exception}" for e in app.state.scheduler.errors]
        seen += [json.dumps(a.as_dict()) for a in app.callbacks.attempts(None)]
    assert len(app.state.scheduler.errors) == 1
    seen += [caplog.text, *(record.getMessage() for record in caplog.records)]
    assert len(seen) > 20
    shown = [text for text in seen if leaks(text)]
    assert shown == [], [line for text in shown for line in text.splitlines() if leaks(line)][:3]


async def test_a_key_that_reaches_a_message_any_other_way_is_replaced_by_its_fingerprint() -> None:
    async with served("kie", tokens={KEY}) as (_app, client):
        rule = {"rules": [{"name": "echo", "code": 455, "message": f"maintenance for {KEY} and {KEY!r}"}]}
        assert (await client.post("/_mock/faults", json=rule)).json()["code"] == 200
        message = refused(await client.get("/api/v1/chat/credit", headers=AUTH), 455)
        assert not leaks(message) and message.count("<key sk-l...#") == 2, message
        assert not leaks((await client.get("/_mock/requests")).text)


# 4. memory -------------------------------------------------------------------------------
async def test_ten_thousand_requests_with_15_kb_paths_and_queries_hold_a_bounded_journal_and_reset_frees_it() -> None:
    """Bench figure (tracemalloc, not a timing): before the byte bounds this held 182 MB, and 32 MB after reset."""
    app = create_app("kie", seed=1, virtual_clock=True)
    pad = "p" * 15_000

    async def burst(count: int) -> None:
        for i in range(count // 2):
            assert await asgi_get(app, f"/unknown/{i}/{pad}") == 200  # the 404 envelope
            query = f"taskId={i:032d}&n={i}&pad={pad}".encode()
            assert await asgi_get(app, "/api/v1/generate/record-info", query, ((b"authorization", b"Bearer k"),)) == 200

    await burst(200)  # what is allocated once (imports, compiled patterns) is not the journal's
    app.reset()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        await burst(10_000)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - base
        app.reset()
        gc.collect()
        after_reset = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    print(
        f"10,000 requests with 15 KB paths and queries: {held / 1e6:.1f} MB held, {after_reset / 1e6:.2f} MB on reset"
    )
    # the journal's byte budget plus what the bounded caches may keep (1,024 queries of 256 bytes at most)
    assert held < JOURNAL_BYTES + 2_000_000, held
    assert after_reset < 500_000, after_reset
    assert len(app.requests) == 0


def test_a_journal_record_keeps_the_start_of_a_huge_path_and_message_and_the_journal_keeps_its_byte_budget() -> None:
    journal = RequestJournal(10_000, max_bytes=1_000_000)
    for i in range(1_000):
        journal.add(RequestRecord(float(i), "GET", "/" + "p" * 15_000, None, 404, "m" * 20_000))
    records = list(journal)
    assert journal.bytes <= 1_000_000 and journal.dropped == 1_000 - len(records) and records[-1].at == 999.0
    assert len(records[-1].path) == PATH_KEPT and records[-1].path.endswith("... (15,001 characters)")
    assert len(records[-1].msg) == MSG_KEPT and records[-1].msg.endswith("... (20,000 characters)")
    journal.add(RequestRecord(1000.0, "GET", "/ok", "op", 200, "success"))
    assert list(journal)[-1].path == "/ok"


# 5. the lesser ones ----------------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_only_utf8_json_is_read_a_utf16_or_utf32_body_is_refused(provider: str) -> None:
    async with served(provider) as (app, client):
        for operation in posts(app):
            text = json.dumps(body_for(app, operation))
            for encoding in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"):
                response = await client.post(operation.path, content=text.encode(encoding), headers=JSON)
                assert "body: is not valid JSON (it must be UTF-8" in refused(response), encoding
            invalid = text.replace('"', '"\xff', 1).encode("latin-1")
            message = refused(await client.post(operation.path, content=invalid, headers=JSON))
            assert "body: is not valid JSON (it is not UTF-8: byte 0xFF at position 2 is invalid start byte" in message
            with_bom = await client.post(operation.path, content=b"\xef\xbb\xbf" + text.encode(), headers=JSON)
            assert with_bom.json()["code"] == 200, (operation.operation_id, with_bom.text)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_client_that_leaves_mid_body_is_journaled_and_raises_nothing_for_the_server_to_log(
    provider: str,
) -> None:
    app = create_app(provider, seed=1, virtual_clock=True)
    partial = ({"type": "http.request", "body": b'{"prompt": "a', "more_body": True},)
    headers = ((b"authorization", AUTH["Authorization"].encode()), (b"content-type", b"application/json"))
    paths = [op.path for op in posts(app)] + ["/_mock/tasks", "/_mock/credits", "/_mock/faults", "/_mock/clock/advance"]
    for path in paths:
        assert await asgi(app, "POST", path, headers=headers, messages=partial) == [], path  # nothing to answer
    notes = [r for r in app.requests if r.msg == "the client disconnected before its body was read"]
    assert [r.path for r in notes] == [op.path for op in posts(app)] and {r.code for r in notes} == {0}
    assert await asgi_get(app, "/_mock/health") == 200


async def test_connect_gets_the_404_envelope_with_http_404_as_a_2xx_would_open_a_tunnel() -> None:
    app = create_app("kie", seed=1, virtual_clock=True)
    for target in ("example.com:443", "/api/v1/generate", "/_mock/health"):
        start, body = await asgi(app, "CONNECT", target)
        assert start["status"] == 404, target
        envelope = json.loads(body["body"])
        assert envelope["code"] == 404 and "CONNECT" in envelope["msg"] and target in envelope["msg"]
    for method in ("FOO", "TRACE", "OPTIONS", "PROPFIND"):
        start, body = await asgi(app, method, "/api/v1/generate")
        assert start["status"] == 200 and json.loads(body["body"])["code"] == 404, method


def exchange(port: int, *parts: bytes) -> bytes:
    """Send ``parts`` (a pause between them, so the parser sees each alone) on one connection; all it answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            for part in parts:
                sock.sendall(part)
                time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the rest was sent
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_request_the_http_parser_refuses_gets_the_envelope_and_never_its_own_text_back() -> None:
    head = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    cases = {
        "a header past 16 KB": (431, [head + b"X-Big: ", *[b"a" * 4000] * 6, b"\r\n\r\n"]),
        "a URL past 16 KB": (431, [b"GET /", *[b"u" * 4000] * 6, b" HTTP/1.1\r\nHost: x\r\n\r\n"]),
        "an illegal header line with a key": (400, [head + b"Authorization Bearer " + KEY.encode() + b"\r\n\r\n"]),
        "an illegal header name": (400, [head + b"Bad Name\x01: " + KEY.encode() + b"\r\n\r\n"]),
        "TLS bytes": (400, [b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + KEY.encode() + b"\r\n\r\n"]),
        "no request line": (400, [b"\r\n\r\n" + KEY.encode() + b"\r\n\r\n"]),
    }
    with ThreadedServer(create_app("kie", seed=1)) as server:
        for label, (status, parts) in cases.items():
            answer = exchange(server.port, *parts)
            status_line, _, rest = answer.partition(b"\r\n")
            assert status_line.startswith(f"HTTP/1.1 {status} ".encode()), (label, answer[:200])
            envelope = json.loads(rest.partition(b"\r\n\r\n")[2])
            assert envelope["code"] == 422 and envelope["msg"].startswith("Validation error: request: "), label
            assert b"application/json" in rest and not leaks(answer.decode("latin-1")), label
        health = exchange(server.port, b"GET /_mock/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert health.startswith(b"HTTP/1.1 200 ") and b'"code":200' in health


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.closed = False
        self.written = b""

    def write(self, data: Any) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8765), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class _Timers:
    """The running loop, but ``call_later`` only records the timer: the test fires it (no waiting)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.timers: list[tuple[float, asyncio.TimerHandle]] = []
        self._head: list[asyncio.TimerHandle] = []

    def call_later(self, delay: float, callback: Any, *args: Any) -> asyncio.TimerHandle:
        handle = asyncio.TimerHandle(self.loop.time() + delay, callback, args, self.loop)
        self.timers.append((delay, handle))
        if getattr(callback, "__name__", "") == "_head_timed_out":
            self._head.append(handle)
        return handle

    def head_timers(self) -> list[asyncio.TimerHandle]:
        return list(self._head)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loop, name)


def _protocol(timers: _Timers) -> tuple[MockHttpProtocol, _Transport]:
    config = uvicorn.Config(create_app("kie", seed=1), log_level="warning", lifespan="off", http=MockHttpProtocol)
    protocol = MockHttpProtocol(config, ServerState(), {}, _loop=timers)  # type: ignore[arg-type]  # a stand-in loop
    transport = _Transport()
    protocol.connection_made(transport)
    return protocol, transport


async def test_a_connection_that_never_finishes_its_request_head_is_closed_after_the_head_timeout() -> None:
    timers = _Timers(asyncio.get_running_loop())
    protocol, transport = _protocol(timers)
    (timer,) = timers.head_timers()
    assert [delay for delay, handle in timers.timers if handle is timer] == [HEAD_TIMEOUT_S]
    for byte in b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n":  # a slow loris: one byte at a time
        protocol.data_received(bytes([byte]))
    assert not timer.cancelled() and not transport.closed and timers.head_timers() == [timer]
    timer._run()  # the head timeout passes
    assert transport.closed and transport.written == b""


async def test_the_head_timeout_stops_once_a_head_arrives_and_starts_again_for_the_next_request() -> None:
    timers = _Timers(asyncio.get_running_loop())
    protocol, transport = _protocol(timers)
    (first,) = timers.head_timers()
    protocol.data_received(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert first.cancelled()
    for _ in range(50):  # the request runs as a task on the loop
        if b'"code":200' in transport.written:
            break
        await asyncio.sleep(0)
    assert transport.written.startswith(b"HTTP/1.1 200 ") and not transport.closed
    second = timers.head_timers()[-1]
    assert second is not first and not second.cancelled(), "the next request's head is timed too"
    protocol.data_received(b"GET /_mo")  # a byte cancels uvicorn's keep-alive timer, not this one
    assert not second.cancelled()
    second._run()
    assert transport.closed
    protocol.connection_lost(None)


async def test_x_mock_headers_with_huge_numbers_or_values_get_a_short_422_naming_the_header() -> None:
    async with served("kie") as (_app, client):
        cases = {
            "X-Mock-Code": ("9" * 5000, "X-Mock-Code: must be an integer of at most 18 digits (got 9999"),
            "X-Mock-Outcome": ("GENERATE_AUDIO_FAILED; code=" + "9" * 401, "X-Mock-Outcome code: must be an integer"),
            "X-Mock-Delay-Ms": ("1e999", "delay: inf is not allowed; use a number between 0 and 60000"),
            "X-Mock-Fault": ("x" * 10_000, "characters); use one of reset, empty, truncated, garbage"),
        }
        for header, (value, fragment) in cases.items():
            message = refused(await client.get("/api/v1/chat/credit", headers={**AUTH, header: value}))
            assert fragment in message and len(message) < 300, (header, message)


# the corpus: every profile, every operation --------------------------------------------
Headers = tuple[tuple[bytes, bytes], ...]
_AUTHZ = (b"authorization", AUTH["Authorization"].encode())
_JSON_TYPE = (b"content-type", b"application/json")
HOSTILE_HEADERS: dict[str, Headers] = {
    "a 60 KB key": ((b"authorization", b"Bearer " + b"k" * 60_000), _JSON_TYPE),
    "a 60 KB content type": (_AUTHZ, (b"content-type", b"application/json; " + b"x" * 60_000)),
    "UTF-16 charset": (_AUTHZ, (b"content-type", b"application/json; charset=utf-16")),
    "content type with NUL": (_AUTHZ, (b"content-type", b"application/json\x00")),
    "no content type": (_AUTHZ,),
    "a 5,000-digit Content-Length": (_AUTHZ, _JSON_TYPE, (b"content-length", b"9" * 5000)),
    "a superscript Content-Length": (_AUTHZ, _JSON_TYPE, (b"content-length", b"\xb2")),
    "a negative Content-Length": (_AUTHZ, _JSON_TYPE, (b"content-length", b"-1")),
    "1,000 junk headers": (_AUTHZ, _JSON_TYPE, *((f"x-junk-{i}".encode(), b"\xff" * 20) for i in range(1000))),
    "hostile hosts": ((b"host", b"[::1"), _AUTHZ, _JSON_TYPE),
    "a 15 KB host": ((b"host", b"h" * 15_000), _AUTHZ, _JSON_TYPE),
    "a Latin-1 key": ((b"authorization", b"Bearer k\xe9y\xff"), _JSON_TYPE),
    "an X-Mock-Code of 5,000 digits": (_AUTHZ, _JSON_TYPE, (b"x-mock-code", b"9" * 5000)),
    "an X-Mock-Delay-Ms of 1e999": (_AUTHZ, _JSON_TYPE, (b"x-mock-delay-ms", b"1e999")),
}
#: Hostile to the parser, not to the rules: the request is valid (a key may be long, a host odd, a parameter
#: of the content type is ignored as RFC 8259 defines none), so the documented success is a right answer.
ACCEPTED_HEADERS = {
    "a 60 KB key",
    "a 60 KB content type",
    "UTF-16 charset",
    "1,000 junk headers",
    "hostile hosts",
    "a 15 KB host",
    "a Latin-1 key",
    "a negative Content-Length",
    "a superscript Content-Length",
}
HOSTILE_QUERIES = [
    b"taskId=" + b"x" * 15_000,
    b"taskId=%ED%A0%80",
    b"taskId=%zz%",
    b"taskId=a&taskId=b",
    b"taskId=%00",
    b"&".join(b"p%d=%d" % (i, i) for i in range(2000)),
    b"taskId=" + b"9" * 5000,
    b"\xff\xfe=\xed\xa0\x80",
]
HOSTILE_BODIES = [
    b"",
    b" \t\r\n",
    b"\xef\xbb\xbf",
    b"null",
    b"[]",
    b'"\\ud800"',
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b'{"prompt": "' + b"p" * 200_000 + b'"}',
    b"[" + b"1," * 100_000 + b"1]",
    b'{"a": 1, "a": "\\udfff"}',
    b'{"customMode": true, "customMode": 1e999}',
    b"{" + b'"k": -' + b"9" * 401 + b"}",
    b"\x00\x00\x00{",
    b"\xed\xa0\x80",
    b"x" * 300_000,  # past --max-body-bytes
]
HOSTILE_PATH_SUFFIXES = ["/" + "x" * 15_000, "/%ED%A0%80", "/..%2F..%2Fetc%2Fpasswd", "/\x00", "//", "/.."]
HOSTILE_METHODS = ["FOO", "TRACE", "OPTIONS", "PUT", "DELETE", "PATCH", "PROPFIND", "CONNECT", "HEAD", "GET", "POST"]
HOSTILE_RANGES = [
    b"bytes=abc",
    b"bytes=--1",
    b"bytes=5-3",
    b"bytes=-0",
    b"bytes=0-0",
    b"items=0-1",
    b"bytes=\xb2-",
    b"bytes=" + b"1" * 5000 + b"-",
    b"bytes=0-1," * 2000,
    b"bytes=" + b" " * 5000 + b"0-1",
]


def _answer(sent: list[Any]) -> tuple[int, bytes]:
    assert sent and sent[0]["type"] == "http.response.start", sent
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def _envelope(status: int, body: bytes, *, method: str = "GET", accepted: bool = False, case: Any = None) -> None:
    """Never a server error; the envelope (refusing, unless ``accepted`` allows the documented success)."""
    assert status < 500, (case, status, body[:300])
    if method == "HEAD":
        return
    envelope = json.loads(body)
    # beside code/msg/data: recovery details' task_id (201 while running), the upload API's success
    assert {"code", "msg", "data"} <= set(envelope) <= {"code", "msg", "data", "task_id", "success"}, (case, envelope)
    running = accepted and envelope["code"] == 201 and "task_id" in envelope
    assert 400 <= envelope["code"] < 500 or (accepted and envelope["code"] == 200) or running, (case, envelope)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_hostile_corpus_on_every_operation_gets_the_envelope_and_the_mock_stays_healthy(
    provider: str,
) -> None:
    app = create_app(provider, seed=1, virtual_clock=True)
    track = app.seed_task([5.0]).tracks[0]
    sent = 0

    async def send(
        method: str, path: str, query: bytes = b"", headers: Headers = (), body: bytes = b""
    ) -> tuple[int, bytes]:
        nonlocal sent
        sent += 1
        message = {"type": "http.request", "body": body, "more_body": False}
        return _answer(await asgi(app, method, path, query, headers, (message,)))

    for operation in app.operations:
        method, path = operation.method, operation.path
        valid = json.dumps(body_for(app, operation)).encode() if method == "POST" else b""
        query = b"taskId=" + next(iter(app.state.store.tasks)).encode() if method == "GET" else b""
        for label, headers in HOSTILE_HEADERS.items():
            status, answer = await send(method, path, query, headers, valid)
            _envelope(status, answer, accepted=label in ACCEPTED_HEADERS or method == "GET", case=(path, label))
        for hostile in HOSTILE_QUERIES:
            status, answer = await send(method, path, hostile, (_AUTHZ, _JSON_TYPE), valid)
            accepted = method == "POST" or operation.operation_id == "get-remaining-credits"  # the query is not read
            _envelope(status, answer, accepted=accepted, case=(path, hostile[:30]))
        if method == "POST":
            for hostile in HOSTILE_BODIES:
                _envelope(*await send(method, path, b"", (_AUTHZ, _JSON_TYPE), hostile), case=(path, hostile[:30]))
        for suffix in HOSTILE_PATH_SUFFIXES:
            status, answer = await send(method, path + suffix, query, (_AUTHZ, _JSON_TYPE), valid)
            if suffix == "//" and status == 307:
                continue  # Starlette's redirect of a trailing slash to the operation's path
            _envelope(status, answer, case=suffix[:30])
        for verb in HOSTILE_METHODS:
            if verb != method:
                _envelope(*await send(verb, path, query, (_AUTHZ, _JSON_TYPE), valid), method=verb, case=(path, verb))
    for url in (f"/_mock/stream/{track.id}", f"/_mock/files/{track.id}.png"):
        whole = (await send("GET", url))[1]
        for hostile in HOSTILE_RANGES:
            status, answer = await send("GET", url, headers=((b"range", hostile),))
            assert status in (200, 206, 416), (hostile[:20], status)
            assert answer == (whole if status == 200 else b"" if status == 416 else answer) and answer in whole
    for media in ("/_mock/files/" + "x" * 15_000 + ".mp3", "/_mock/files/..%2F..%2Fetc%2Fpasswd", "/_mock/stream/\x00"):
        _envelope(*await send("GET", media))
    status, answer = await send("GET", "/_mock/health")
    assert status == 200 and json.loads(answer)["code"] == 200
    assert sent > 300
    print(f"{provider}: {sent} hostile requests, none answered with a server error")


# the property: raw bytes on every POST operation ---------------------------------------
def _escaped(points: list[int]) -> str:
    """A JSON string of these code points, each escaped: surrogates among them stay lone (or pair up by chance)."""
    out = []
    for point in points:
        if point < 0x10000:
            out.append(f"\\u{point:04x}")
        else:
            point -= 0x10000
            out.append(f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}")
    return '"' + "".join(out) + '"'


#: Fields any text may fill (within their documented lengths).
FREE_TEXT = {"prompt", "style", "title", "tags", "negativeTags", "vocalGender"}
_TEXTS = st.lists(
    st.one_of(st.integers(0x20, 0x7E), st.integers(0xD800, 0xDFFF), st.integers(0, 0x10FFFF)), max_size=20
).map(_escaped)
_LITERALS = st.one_of(
    st.integers(min_value=-(10**500), max_value=10**500).map(str),
    st.text(alphabet="0123456789", min_size=300, max_size=6000).map(lambda digits: "1" + digits),
    st.sampled_from(
        ["1e999", "-1e999", "1e-999", "1e308", "-0.0", "NaN", "-Infinity", "4.9e-324", "0.1e400", "1E+309"]
    ),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    _TEXTS,
    st.text(max_size=30).map(json.dumps),
    st.sampled_from(["true", "false", "null", "[]", "{}", '"\\ud800"', '"\\udfff\\ud800"', '[{"a": "\\ud83c"}]']),
)


@st.composite
def _bodies(draw: st.DrawFn, valid: dict[str, Any], names: list[str]) -> bytes:
    """Raw bytes, a valid body with hostile JSON in some fields, or a valid body with bytes spliced in."""
    kind = draw(st.sampled_from(["raw", "fields", "text", "splice"]))
    if kind == "raw":
        return draw(st.binary(max_size=2000))
    if kind == "text":  # free text in the text fields: the bodies a task is accepted from
        texts = [k for k, v in valid.items() if isinstance(v, str) and k in FREE_TEXT] or names
        chosen = draw(st.lists(st.sampled_from(texts), min_size=1, max_size=2, unique=True))
        parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in valid.items() if k not in chosen]
        parts += [f"{json.dumps(k)}: {draw(_TEXTS)}" for k in chosen]
        return ("{" + ", ".join(parts) + "}").encode()
    if kind == "fields":
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
        parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in valid.items() if k not in chosen]
        parts += [f"{json.dumps(k)}: {draw(_LITERALS)}" for k in chosen]
        return ("{" + ", ".join(draw(st.permutations(parts))) + "}").encode()
    text = json.dumps(valid).encode()
    at = draw(st.integers(min_value=0, max_value=len(text)))
    cut = draw(st.integers(min_value=0, max_value=8))
    return text[:at] + draw(st.binary(min_size=1, max_size=12)) + text[at + cut :]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_raw_request_body_gets_a_server_error_and_every_accepted_task_answers_record_info(provider: str) -> None:
    loop = asyncio.new_event_loop()
    app = create_app(provider, seed=1, virtual_clock=True)
    operations = posts(app)
    valid = {op.operation_id: body_for(app, op) for op in operations}
    accepted: list[str] = []
    headers = (_AUTHZ, _JSON_TYPE)

    #: the details endpoint of each job kind (x-details-of), and kie's recordInfo for Market jobs
    details = {op.details_of: op.path for op in app.operations if op.details_of}
    market = next((op.path for op in app.operations if op.market == "details"), None)

    async def record_info(task_id: str) -> None:
        task = app.state.store.tasks[task_id]
        path = market if task.market and market else details[app.state.kinds[task.kind].details]
        status, answer = _answer(await asgi(app, "GET", path, f"taskId={task_id}".encode(), headers))
        envelope = json.loads(answer)
        assert status == 200 and envelope["code"] == 200 and envelope["data"]["taskId"] == task_id, envelope

    async def one(operation: Operation, body: bytes) -> None:
        message = {"type": "http.request", "body": body, "more_body": False}
        status, answer = _answer(await asgi(app, "POST", operation.path, b"", headers, (message,)))
        _envelope(status, answer, accepted=True, case=(operation.operation_id, body[:200]))
        envelope = json.loads(answer)
        task_id = envelope["data"].get("taskId") if isinstance(envelope["data"], dict) else None
        if envelope["code"] == 200 and task_id is not None and task_id in app.state.store.tasks:
            accepted.append(task_id)
            await record_info(task_id)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        operation = data.draw(st.sampled_from(operations), label="operation")
        names = sorted({*fields(operation.body_schema), *valid[operation.operation_id]})
        body = data.draw(_bodies(valid[operation.operation_id], names), label="body")
        loop.run_until_complete(one(operation, body))

    async def finish() -> None:
        await app.advance(400)  # every callback of every accepted task falls due
        for task_id in accepted:
            await record_info(task_id)
        assert app.state.scheduler.errors == []
        await app.aclose()
        print(f"{provider}: {len(accepted)} tasks accepted, each answered record-info before and after its callbacks")

    try:
        run()
        loop.run_until_complete(finish())
    finally:
        loop.close()
