"""The served stacks: httptools (``uvicorn[standard]``) and h11 answer alike where the parser refuses."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from mockserver import create_app
from mockserver._errors import ConfigError
from mockserver._http11 import HEAD_TIMEOUT_S, MockHttpProtocol
from mockserver._serving import ThreadedServer, stack

httpfast = pytest.importorskip("mockserver._httpfast", reason="httptools is not installed")
KEY = "sk-secret-0123456789"
STACKS = ("httptools", "h11")


def exchange(port: int, *parts: bytes) -> bytes:
    """Send ``parts`` on one connection (a pause between them); all the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            for part in parts:
                sock.sendall(part)
                time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_stack_picks_httptools_and_uvloop_where_installed_and_h11_on_request() -> None:
    fast, plain = stack(), stack("h11")
    assert fast.parser == "httptools" and fast.protocol is httpfast.FastHttpProtocol
    assert plain.parser == "h11" and fast.loop == plain.loop
    assert fast.label == f"uvicorn {uvicorn.__version__}, httptools, {fast.loop}"
    with pytest.raises(ConfigError, match="http='h2' is not allowed"):
        stack("h2")


def test_without_the_fast_wheels_the_stack_falls_back_to_h11_and_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    found = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in ("httptools", "uvloop") else found(name, *a)
    )
    plain = stack()
    assert (plain.parser, plain.loop, plain.protocol) == ("h11", "asyncio", MockHttpProtocol)
    assert plain.label == f"uvicorn {uvicorn.__version__}, h11, asyncio"
    assert plain.config(create_app("kie", seed=1)).loop == "asyncio"
    with pytest.raises(ConfigError, match="needs httptools, which is not installed"):
        stack("httptools")


@pytest.mark.parametrize("http", STACKS)
def test_both_stacks_refuse_what_the_parser_refuses_with_the_envelope_never_quoting_it(http: str) -> None:
    head = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    cases = {
        "a header past 16 KB": (431, [head + b"X-Big: ", *[b"a" * 4000] * 6, b"\r\n\r\n"]),
        "a URL past 16 KB": (431, [b"GET /", *[b"u" * 4000] * 6, b" HTTP/1.1\r\nHost: x\r\n\r\n"]),
        "many headers past 16 KB": (431, [head + b"".join(b"X-%d: %s\r\n" % (i, KEY.encode()) for i in range(700))]),
        "an illegal header line with a key": (400, [head + b"Authorization Bearer " + KEY.encode() + b"\r\n\r\n"]),
        "TLS bytes": (400, [b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + KEY.encode() + b"\r\n\r\n"]),
    }
    with ThreadedServer(create_app("kie", seed=1), http=http) as server:
        assert server.stack.parser == http
        for label, (status, parts) in cases.items():
            answer = exchange(server.port, *parts)
            status_line, _, rest = answer.partition(b"\r\n")
            assert status_line.startswith(f"HTTP/1.1 {status} ".encode()), (label, answer[:200])
            envelope = json.loads(rest.partition(b"\r\n\r\n")[2])
            assert envelope["code"] == 422 and envelope["msg"].startswith("Validation error: request: "), label
            assert (status == 431) == ("16,384 bytes" in envelope["msg"]), label
            assert b"application/json" in rest and KEY.encode() not in answer, label
        # a head just under the limit is served, and two pipelined requests are both answered
        near = b"GET /_mock/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 15_000 + b"\r\nConnection: close\r\n\r\n"
        assert exchange(server.port, near).startswith(b"HTTP/1.1 200 ")
        one = b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n"
        two = one + b"\r\n" + one + b"Connection: close\r\n\r\n"
        assert exchange(server.port, two).count(b'"code":200') == 2


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


def _protocol(timers: _Timers) -> tuple[Any, _Transport]:
    protocol_class = httpfast.FastHttpProtocol
    config = uvicorn.Config(create_app("kie", seed=1), log_level="warning", lifespan="off", http=protocol_class)
    protocol = protocol_class(config, ServerState(), {}, _loop=timers)
    transport = _Transport()
    protocol.connection_made(transport)
    return protocol, transport


async def test_a_slow_loris_on_httptools_is_closed_after_the_head_timeout() -> None:
    timers = _Timers(asyncio.get_running_loop())
    protocol, transport = _protocol(timers)
    (timer,) = timers.head_timers()
    assert [delay for delay, handle in timers.timers if handle is timer] == [HEAD_TIMEOUT_S]
    for byte in b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n":  # one byte at a time
        protocol.data_received(bytes([byte]))
    assert not timer.cancelled() and not transport.closed and timers.head_timers() == [timer]
    timer._run()
    assert transport.closed and transport.written == b""


async def test_the_httptools_head_timeout_stops_at_a_head_and_starts_again_for_the_next() -> None:
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


class _Writes(_Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.aborted = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))
        super().write(data)

    def abort(self) -> None:
        self.aborted = True


def test_held_head_writes_the_head_with_the_first_body_bytes_then_writes_through() -> None:
    real = _Writes()
    held = httpfast.HeldHead(real)
    assert isinstance(held, asyncio.Transport)  # connection faults find the socket through it
    held.write(b"HTTP/1.1 200 OK\r\n\r\n")
    assert real.writes == []
    held.write(b"{}")
    held.write(b"more")
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}", b"more"]
    assert held.get_extra_info("peername") == ("127.0.0.1", 50000) and not held.is_closing()


def test_held_head_is_written_before_a_close_and_dropped_by_an_abort() -> None:
    real = _Writes()
    held = httpfast.HeldHead(real)
    held.write(b"HEAD-BYTES")
    held.close()
    assert real.writes == [b"HEAD-BYTES"] and real.closed
    other = _Writes()
    reset = httpfast.HeldHead(other)
    reset.write(b"HEAD-BYTES")
    reset.abort()
    assert other.writes == [] and other.aborted


async def _answered(protocol: Any, transport: _Transport, request: bytes) -> None:
    protocol.data_received(request)
    for _ in range(100):
        if protocol.cycle is not None and protocol.cycle.response_complete:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"no answer: {transport.written[:200]!r}")


@pytest.mark.parametrize(
    ("request_head", "writes"),
    [
        (b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n\r\n", 1),  # head and body in one send()
        (b"HEAD /_mock/health HTTP/1.1\r\nHost: x\r\n\r\n", 1),  # no body follows: the head alone, not held
    ],
)
async def test_an_answer_is_one_write_on_httptools(request_head: bytes, writes: int) -> None:
    timers = _Timers(asyncio.get_running_loop())
    protocol, _ = _protocol(timers)
    transport = _Writes()
    protocol.connection_made(transport)
    await _answered(protocol, transport, request_head)
    assert len(transport.writes) == writes and transport.writes[0].startswith(b"HTTP/1.1 ")
    assert b"\r\n\r\n" in transport.writes[0]
    protocol.connection_lost(None)


async def test_a_100_continue_is_sent_at_once_not_held_for_the_answer() -> None:
    timers = _Timers(asyncio.get_running_loop())
    protocol, _ = _protocol(timers)
    transport = _Writes()
    protocol.connection_made(transport)
    body = b'{"token": "k", "balance": 5}'
    head = b"POST /_mock/credits HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    protocol.data_received(head + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
    for _ in range(50):  # the app waits for the body: the client must be told to send it
        if transport.writes:
            break
        await asyncio.sleep(0)
    assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    await _answered(protocol, transport, body)
    assert b'"balance":5' in transport.writes[-1]
    protocol.connection_lost(None)


@pytest.mark.parametrize("http", STACKS)
def test_a_websocket_upgrade_is_answered_as_the_http_request_it_is(http: str) -> None:
    """The mock serves no WebSocket: an ``Upgrade: websocket`` GET gets its envelope, not an empty 403."""
    head = (
        b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    with ThreadedServer(create_app("kie", seed=1), http=http) as server:
        assert server.stack.config(server.app).ws == "none"
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(head)
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 200 "), answer[:200]
    envelope = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert envelope["code"] == 200 and envelope["data"]["provider"] == "kie"


@pytest.mark.parametrize("http", STACKS)
def test_a_server_stopped_with_an_event_stream_open_ends_its_thread_and_closes_the_stream(http: str) -> None:
    server = ThreadedServer(create_app("kie", seed=1, virtual_clock=True), http=http).start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as stream:
        stream.sendall(b"GET /_mock/events HTTP/1.1\r\nHost: x\r\n\r\n")
        assert stream.recv(65536).startswith(b"HTTP/1.1 200")  # the stream is open: it never ends by itself
        server.stop(timeout=0.1)
        with contextlib.suppress(ConnectionResetError):  # read to the end: the server closes the stream
            while stream.recv(65536):
                pass
    assert not server._thread.is_alive(), "the server thread outlived stop() with the stream open"


@pytest.mark.parametrize("http", STACKS)
def test_an_injected_reset_drops_the_connection_on_both_stacks(http: str) -> None:
    """uvloop's transports are no ``asyncio.Transport``: the reset must reach the socket all the same."""
    song = {"customMode": False, "instrumental": False, "model": "V4", "prompt": "rain"}
    body = json.dumps({**song, "callBackUrl": "https://example.com/cb"}).encode()
    request = (
        b"POST /api/v1/generate HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer " + KEY.encode() + b"\r\n"
        b"X-Mock-Fault: reset\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    with ThreadedServer(create_app(provider="kie"), http=http) as server:
        try:
            answer = exchange(server.port, request)
        except ConnectionResetError:
            answer = b""
    assert answer == b"", f"{server.stack}: answered instead of resetting: {answer[:80]!r}"
