"""Serving an ASGI app on loopback from a background thread, and a real callback receiver."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from ._errors import ConfigError
from ._internals import abort_connections, cancel_requests

__all__ = ["CallbackReceiver", "ReceivedCallback", "Stack", "ThreadedServer", "stack"]


@dataclass(frozen=True)
class Stack:
    """The HTTP protocol and event loop uvicorn serves the mock with, and how the start-up line names them."""

    protocol: type[asyncio.Protocol]
    loop: Literal["uvloop", "asyncio"]  # uvicorn's ``loop`` setting
    parser: str  # "httptools" or "h11"

    @property
    def label(self) -> str:
        """E.g. ``uvicorn 0.54.0, httptools, uvloop``."""
        return f"uvicorn {uvicorn.__version__}, {self.parser}, {self.loop}"

    def config(self, app: ASGIApp, log_level: str = "warning") -> uvicorn.Config:
        """uvicorn's configuration for ``app`` on this stack: no access log, lifespan on, no WebSocket.

        The mock serves no WebSocket; with ``ws="none"`` uvicorn imports no WebSocket library and an
        ``Upgrade: websocket`` request is answered as the HTTP request it also is (the envelope),
        not refused with an empty 403.
        """
        return uvicorn.Config(
            app, log_level=log_level, access_log=False, lifespan="on", http=self.protocol, loop=self.loop, ws="none"
        )


def stack(http: str = "auto") -> Stack:
    """The fastest stack installed: httptools and uvloop (``uvicorn[standard]``), else h11 and asyncio.

    ``http`` picks the parser: ``"auto"`` (httptools where it imports), ``"httptools"`` or ``"h11"``.
    Both parsers answer what they refuse with the envelope and time out unfinished request heads
    (:mod:`.httpfast`, :mod:`.http11`). uvloop is used wherever it imports.
    """
    import importlib.util

    if http not in ("auto", "httptools", "h11"):
        raise ConfigError(f"http={http!r} is not allowed; use 'auto', 'httptools' or 'h11'")
    loop: Literal["uvloop", "asyncio"] = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
    fast = importlib.util.find_spec("httptools") is not None
    if http == "h11" or (http == "auto" and not fast):
        from ._http11 import MockHttpProtocol  # imported only for this stack: h11 is not needed otherwise

        return Stack(MockHttpProtocol, loop, "h11")
    if not fast:
        raise ConfigError("http='httptools' needs httptools, which is not installed: pip install 'uvicorn[standard]'")
    from ._httpfast import FastHttpProtocol

    return Stack(FastHttpProtocol, loop, "httptools")


#: Real seconds a stopping server has to end once its unfinished connections are aborted (then again once
#: its requests still running are cancelled).
_ABORT_WAIT_S = 5.0


class _LoopbackServer(uvicorn.Server):
    """uvicorn's server, keeping the event loop it runs on so that another thread can reach it."""

    loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().startup(sockets)


class ThreadedServer:
    """``app`` served by uvicorn on ``127.0.0.1`` (a free port) in a daemon thread, on :func:`stack` ``(http)``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, http: str = "auto") -> None:
        self.app = app
        # IPPROTO_TCP so that asyncio sets TCP_NODELAY on accepted connections (see _process.serve)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        self.stack = stack(http)
        self._server = _LoopbackServer(self.stack.config(app))
        self._thread = threading.Thread(target=self._run, name=f"suno-mock-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        self._server.run(sockets=[self._sock])

    def start(self, timeout: float = 10.0) -> Self:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server on {self.url} did not start within {timeout} s")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving: answers under way get ``timeout`` seconds, then their connections are aborted.

        Idle keep-alive connections are closed at once (uvicorn's graceful shutdown); the thread
        ends with every connection closed and the app's lifespan shutdown run.
        """
        self._server.should_exit = True
        self._thread.join(timeout)
        # answers that do not end (an event stream, a receiver that never answers): their connections
        # are aborted, then what still runs is cancelled, so that nothing is left open when the loop closes
        for step, wait in ((abort_connections, _ABORT_WAIT_S), (cancel_requests, _ABORT_WAIT_S)):
            loop = self._server.loop
            if not self._thread.is_alive() or loop is None:
                break
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the thread is ending
                loop.call_soon_threadsafe(step, self._server)
            self._thread.join(wait)
        self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class ReceivedCallback:
    """One POST the receiver got."""

    at: float
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def stage(self) -> str | None:
        data = self.json().get("data") if isinstance(self.json(), dict) else None
        return data.get("callbackType") if isinstance(data, dict) else None

    @property
    def task_id(self) -> str | None:
        """The task the callback is about: ``data.task_id``/``data.taskId``, or a top-level ``task_id`` (MIDI)."""
        body = self.json()
        if not isinstance(body, dict):
            return None
        data = body.get("data")
        found = data.get("task_id", data.get("taskId")) if isinstance(data, dict) else None
        found = found if found is not None else body.get("task_id")
        return found if isinstance(found, str) else None


class CallbackReceiver:
    """A real HTTP receiver on loopback that records callbacks and can wait for one.

    ``status`` and ``delay_s`` set how it answers (e.g. 500, or slower than the sender's
    timeout). Thread-safe: the server runs in its own thread.
    """

    def __init__(self, *, status: int = 200, delay_s: float = 0.0) -> None:
        self.status = status
        self.delay_s = delay_s
        self._received: list[ReceivedCallback] = []
        self._changed = threading.Condition()
        app = Starlette(routes=[Route("/{path:path}", self._receive, methods=["POST"])])
        self._server = ThreadedServer(app)

    @property
    def url(self) -> str:
        """Base URL; any path below it is accepted (e.g. ``receiver.url + "/cb"``)."""
        return self._server.url

    async def _receive(self, request: Request) -> Response:
        import asyncio

        body = await request.body()
        record = ReceivedCallback(time.monotonic(), request.url.path, dict(request.headers), body)
        with self._changed:
            self._received.append(record)
            self._changed.notify_all()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return Response(b'{"code":200,"msg":"success"}', status_code=self.status, media_type="application/json")

    @property
    def received(self) -> list[ReceivedCallback]:
        with self._changed:
            return list(self._received)

    def clear(self) -> None:
        with self._changed:
            self._received.clear()

    def wait_for(
        self,
        predicate: Callable[[ReceivedCallback], bool] | None = None,
        *,
        task_id: str | None = None,
        stage: str | None = None,
        timeout: float = 10.0,
    ) -> ReceivedCallback:
        """The first callback matching ``task_id``, ``stage`` and ``predicate``; waits up to ``timeout`` s."""

        def matches(record: ReceivedCallback) -> bool:
            return (
                (task_id is None or record.task_id == task_id)
                and (stage is None or record.stage == stage)
                and (predicate is None or predicate(record))
            )

        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((r for r in self._received if matches(r)), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(r.task_id, r.stage) for r in self._received]
                    raise TimeoutError(
                        f"no callback for task_id={task_id} stage={stage} within {timeout} s; received {seen}"
                    )
                self._changed.wait(left)

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
