"""The wrappers the mutants are made of: the mock, an ASGI proxy around it, and a callback relay.

None of them judges anything, and none lives in the mock's code: :class:`Mutant` rewrites the
requests or answers of the mock it wraps; :class:`Relay` sits between the mock and the suite's
callback receiver. :class:`VirtualTime` lets the suite wait on the mock's virtual clock instead
of real time.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from mockserver import create_app

__all__ = [
    "CALLBACK_HOLD",
    "RECEIVER_TIMEOUT",
    "TIME_SCALE",
    "TOKEN",
    "Json",
    "Mutant",
    "Relay",
    "Scope",
    "VirtualTime",
    "json_body",
    "mock",
]

TOKEN = "selftest-token"
Json = Any
Scope = dict[str, Any]

#: The mock's receiver timeout in the self-test (seconds), and how long the suite's receiver holds
#: the answers it must not give in time (the timeout probe costs some 6 s per family, beside the rest).
RECEIVER_TIMEOUT = 2.0
CALLBACK_HOLD = 3.0
#: Mock seconds per second the suite waits, on :class:`VirtualTime`: a 0.4 s poll moves the mock 10 s,
#: so a music task (done at 150 s) is read at each of its stages on the way.
TIME_SCALE = 25.0
#: How long the ``ack-timeouts`` relay waits for the receiver before it acknowledges a delivery itself.
RELAY_PATIENCE = 1.0


def mock(
    provider: str, time_scale: float = 300.0, *, virtual_clock: bool = False, switches: Mapping[str, str] | None = None
) -> Any:
    """The mock for one provider, fast (or on a virtual clock), with ``switches`` set (profile switches).

    Its receiver timeout is :data:`RECEIVER_TIMEOUT`, so that the suite's timeout probe (the
    receiver holding its answer :data:`CALLBACK_HOLD` seconds) stays short.
    """
    return create_app(
        provider,
        seed=1,
        tokens=frozenset({TOKEN}),
        callback_timeout_s=RECEIVER_TIMEOUT,
        time_scale=time_scale,
        virtual_clock=virtual_clock,
        profile_overrides=dict(switches or {}),
    )


class Mutant:
    """Wraps the mock (an ASGI proxy); ``request`` may rewrite (headers, body), ``response`` may rewrite the answer."""

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


def json_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


class Relay:
    """Sits between the mock and the callback receiver: ``once`` acknowledges every callback itself
    (so a refused one is never retried); ``flood`` delivers a refused callback five more times;
    ``ack-timeouts`` passes the receiver's answer on, but acknowledges a delivery the receiver does
    not answer in time (so a timed-out one is never retried, a refused one still is)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.targets: list[str] = []
        self._lock = threading.Lock()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                index = int(self.path.strip("/") or -1)
                with relay._lock:
                    target = relay.targets[index] if 0 <= index < len(relay.targets) else ""
                tries = 6 if relay.mode == "flood" else 1
                status = 200
                for _ in range(tries):
                    try:
                        answer = httpx.post(
                            target,
                            content=raw,
                            headers={"content-type": "application/json"},
                            timeout=RELAY_PATIENCE if relay.mode == "ack-timeouts" else 5,
                        )
                    except httpx.HTTPError:
                        break
                    if relay.mode == "ack-timeouts":
                        status = answer.status_code
                    if answer.status_code < 300:
                        break
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def url_for(self, target: str) -> str:
        with self._lock:
            self.targets.append(target)
            return f"{self.base}/{len(self.targets) - 1:06d}"

    def request(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[dict[str, str], bytes]:
        sent = json_body(raw)
        url = sent.get("callBackUrl") if isinstance(sent, dict) else None
        if isinstance(url, str) and url.startswith("http://127.0.0.1"):
            sent["callBackUrl"] = self.url_for(url)
            raw = json.dumps(sent).encode()
            headers["content-length"] = str(len(raw))
        return headers, raw

    def response(self, path: str, raw: bytes, status: int, payload: Json) -> tuple[int, Json]:
        """The details show the callback URL the client sent, not the relay's."""
        text = json.dumps(payload)
        if self.base not in text:
            return status, payload
        with self._lock:
            targets = list(self.targets)
        for index, target in enumerate(targets):
            text = text.replace(f"{self.base}/{index:06d}", target)
        return status, json.loads(text)


class VirtualTime:
    """An ASGI app (the mock on its virtual clock, wrapped or not) and a sleep and clock for the suite over it.

    Pass it as ``SuiteConfig(app=vt, sleep=vt.sleep, clock=vt.clock)``: each wait the suite makes
    moves the mock's clock ``scale`` mock seconds per second asked (``POST /_mock/clock/advance``
    through the app, on the loop that serves it), and returns; no real time passes, and nothing
    the suite checks races it. :attr:`clock` counts the seconds slept, so the lifecycle deadline
    is a number of polls. ``clock_app`` takes the advance requests instead of ``app`` (a wrapper
    that refuses the suite's own clock requests, as a mock on a real-time clock does, wraps it).
    """

    def __init__(self, app: Any, scale: float = TIME_SCALE, *, clock_app: Any = None) -> None:
        self.app, self.scale = app, scale
        self.clock_app = app if clock_app is None else clock_app
        self.slept = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        self._loop = asyncio.get_running_loop()  # the loop the app runs on (the suite's test client's)
        await self.app(scope, receive, send)

    def sleep(self, seconds: float) -> None:
        """Move the mock's clock ``seconds * scale`` and run what falls due (callbacks included)."""
        if self._loop is None:
            raise RuntimeError("VirtualTime.sleep before the app served anything: pass the VirtualTime as the app")
        self.slept += seconds
        answer = asyncio.run_coroutine_threadsafe(self._advance(seconds * self.scale), self._loop).result()
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict) or "time" not in data:
            raise RuntimeError(f"the mock's clock did not move (start it with virtual_clock=True): {answer!r}")

    def clock(self) -> float:
        """Seconds slept so far (the suite's deadlines, read on this clock, count polls, not real time)."""
        return self.slept

    async def _advance(self, seconds: float) -> Json:
        transport = httpx.ASGITransport(app=self.clock_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return json_body((await client.post("/_mock/clock/advance", json={"seconds": seconds})).content)
