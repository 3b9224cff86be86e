"""The private parts of other libraries the mock relies on (mockserver._internals), against the installed versions.

Each test fails with a message naming the library, what changed and what to do, so that an
upgrade that breaks one of them is caught here rather than as a puzzling failure elsewhere.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import socket
import time
from typing import Any

import pytest
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from uvicorn.server import ServerState

from mockserver._direct import call_direct
from mockserver._internals import (
    OVERRIDDEN,
    abort_connections,
    asgi_transport,
    c_json_encoder,
    cancel_requests,
    missing_members,
)
from mockserver._serving import ThreadedServer

STACKS = ("h11", "httptools")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_cpython_s_c_encoder_writes_what_json_dumps_writes(value: Any) -> None:
    chunks = c_json_encoder(json.JSONEncoder().default)
    assert chunks is not None, "CPython's json.encoder.c_make_encoder is gone: c_json_encoder returns None"
    expected = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    assert "".join(chunks(value, 0)) == expected, (
        "CPython's C JSON encoder (json.encoder.c_make_encoder) no longer takes the arguments "
        "mockserver._internals.c_json_encoder passes (see JSONEncoder.iterencode in json/encoder.py "
        "of this Python): pass them as that Python does, or return None there to use the plain encoder"
    )


def test_cpython_s_c_encoder_refuses_nan_and_what_json_cannot_hold() -> None:
    chunks = c_json_encoder(json.JSONEncoder().default)
    assert chunks is not None
    for value in (float("nan"), {"a": [float("inf")]}):
        with pytest.raises(ValueError, match="not JSON compliant"):
            "".join(chunks(value, 0))
    with pytest.raises(TypeError, match="not JSON serializable"):
        "".join(chunks({"a": object()}, 0))


def _subclassed(path: str) -> type:
    module, _, name = path.rpartition(".")
    found: type = getattr(importlib.import_module(module), name)
    return found


def _instance(path: str, cls: type) -> object:
    config = uvicorn.Config(_plain_app, log_level="warning", lifespan="off")
    if path == "uvicorn.server.Server":
        return cls(config)
    config.load()
    loop = asyncio.new_event_loop()
    try:
        return cls(config=config, server_state=ServerState(), app_state={}, _loop=loop)
    finally:
        loop.close()


@pytest.mark.parametrize("path", sorted(OVERRIDDEN))
def test_every_uvicorn_member_the_mock_s_subclasses_override_or_read_still_exists(path: str) -> None:
    cls = _subclassed(path)
    missing = missing_members(_instance(path, cls), OVERRIDDEN[path])
    assert not missing, (
        f"uvicorn {uvicorn.__version__}: {path} no longer has {', '.join(missing)}, which the mock's "
        "subclasses override or read (mockserver._http11, _httpfast, _process, _serving; listed in "
        "mockserver._internals.OVERRIDDEN): follow the new uvicorn there, or pin uvicorn below this version"
    )


async def _plain_app(scope: Scope, receive: Receive, send: Send) -> None:
    """An answer saying whether :func:`asgi_transport` found the socket's transport behind ``send``."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/hang":
        await asyncio.Event().wait()  # never answers; only a cancel ends it
    found = asgi_transport(send)
    body = json.dumps({"transport": type(found).__name__ if found is not None else None}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


def _get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _closed(sock: socket.socket) -> bool:
    """Whether the server has closed (or aborted) this connection: nothing more comes."""
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("http", STACKS)
def test_uvicorn_s_send_leads_to_the_connection_s_transport(http: str) -> None:
    with ThreadedServer(_plain_app, http=http) as server:
        answer = _get(server.port, "/")
    body = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert body["transport"] is not None, (
        f"uvicorn {uvicorn.__version__} ({http}): the ASGI send is no longer a bound method of a protocol "
        "with a .transport, so mockserver._internals.asgi_transport finds no socket and connection faults "
        "(reset, truncated) cannot break one: find the transport another way there, or pin uvicorn"
    )


def test_asgi_transport_is_none_where_send_is_a_plain_function() -> None:
    async def send(message: Message) -> None:
        return None

    assert asgi_transport(send) is None


@pytest.mark.parametrize("http", STACKS)
def test_a_stopping_server_s_hung_answer_is_aborted_and_cancelled_and_its_thread_ends(http: str) -> None:
    server = ThreadedServer(_plain_app, http=http).start()
    hung = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    hung.sendall(b"GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while not answer.endswith(b"}"):  # the whole answer; the connection stays open (keep-alive)
        answer += idle.recv(65536)
    with hung, idle:
        deadline = time.monotonic() + 10
        while len(server._server.server_state.tasks) < 1 and time.monotonic() < deadline:
            time.sleep(0.01)  # the hung request has started
        server.stop(timeout=0.1)
        alive = server._thread.is_alive()
        assert _closed(hung) and _closed(idle), "the stopped server left a connection open"
    assert not alive, (
        f"uvicorn {uvicorn.__version__} ({http}): a stopping server with an answer that never ends kept "
        "running after mockserver._internals.abort_connections and cancel_requests (which read "
        "Server.server_state.connections and .tasks): follow uvicorn's server state there, or pin uvicorn"
    )


def test_abort_and_cancel_act_on_what_the_server_state_holds() -> None:
    class Transport:
        closing = False

        def is_closing(self) -> bool:
            return self.closing

        def abort(self) -> None:
            self.closing = True

    class Connection:
        def __init__(self) -> None:
            self.transport = Transport()

    async def run() -> tuple[int, int, list[bool], bool]:
        server = uvicorn.Server(uvicorn.Config(_plain_app))
        connections = [Connection(), Connection()]
        server.server_state.connections.update(connections)  # type: ignore[arg-type]

        async def hang() -> None:
            await asyncio.Event().wait()

        task = asyncio.ensure_future(hang())
        server.server_state.tasks.add(task)
        aborted, cancelled = abort_connections(server), cancel_requests(server)
        with pytest.raises(asyncio.CancelledError):
            await task
        return aborted, cancelled, [c.transport.closing for c in connections], task.cancelled()

    assert asyncio.run(run()) == (2, 1, [True, True], True)


async def test_the_direct_path_sends_a_plain_response_as_starlette_s_response_sends_it() -> None:
    async def endpoint(request: Request) -> Response:
        return Response(b'{"code":200}', 200, {"x-kept": "1"}, media_type="application/json")

    async def crash(request: Request, exc: Exception) -> Response:
        raise AssertionError("no crash expected")

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    direct: list[Message] = []
    through: list[Message] = []

    async def to_direct(message: Message) -> None:
        direct.append(message)

    async def to_through(message: Message) -> None:
        through.append(message)

    await call_direct(endpoint, _plain_app, crash, dict(scope), receive, to_direct)
    await (await endpoint(Request(dict(scope), receive)))(dict(scope), receive, to_through)
    assert direct == through, (
        "starlette's Response.__call__ now sends other messages than mockserver._direct.call_direct "
        "copies for a plain Response: make the direct path send what Response.__call__ sends"
    )
