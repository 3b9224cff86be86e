"""Connection faults: a reset, an empty, truncated or garbage answer instead of the envelope."""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .._internals import usable_transport
from .model import ConnectionFault

#: Where :func:`remember_transport` keeps the server's transport in the ASGI scope.
_TRANSPORT_KEY = "suno_mock.transport"


def remember_transport(scope: Scope, send: Send) -> None:
    """Keep the transport behind the server's ``send`` (uvicorn's cycle's) in the scope so a reset can reach the socket.

    Only the attribute is read here, on every request; whether it is a transport a fault can use is
    looked at by the fault (:func:`scope_transport`). Not ``send`` itself: uvicorn's cycle holds the
    scope, so a scope holding the cycle's ``send`` would be a reference cycle per request, left for
    the garbage collector.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None:
        scope[_TRANSPORT_KEY] = transport


def scope_transport(scope: Scope) -> asyncio.Transport | None:
    """The server's asyncio transport :func:`remember_transport` kept (``asgi_transport(send)``); None elsewhere."""
    return usable_transport(scope.get(_TRANSPORT_KEY))


async def _settle() -> None:
    # let the event loop run connection_lost() so the server sees a disconnect, not an unfinished answer
    for _ in range(5):
        await asyncio.sleep(0)


class FaultResponse(Response):
    """A response that breaks the connection instead of answering.

    Served by uvicorn, ``reset`` aborts the socket with SO_LINGER 0 (a TCP RST) and ``truncated``
    closes it after a partial body.  In process (``httpx.ASGITransport``, ``TestClient``) there
    is no socket: ``reset`` raises :class:`ConnectionResetError` and ``truncated`` ends the body short.
    """

    def __init__(self, fault: ConnectionFault, garbage: bytes = b"") -> None:
        super().__init__(b"", status_code=200, media_type="application/json")
        self.fault = fault
        self.garbage = garbage

    def __repr__(self) -> str:
        return f"FaultResponse({self.fault.value!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = scope_transport(scope)
        if self.fault is ConnectionFault.RESET:
            if transport is None:
                raise ConnectionResetError("suno-mock: injected connection reset (fault: reset)")
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
            await _settle()
            return
        if self.fault is ConnectionFault.TRUNCATED:
            body = b'{"code":200,"msg":"success","data":{"taskId":"'
            await send(self._start(len(body) + 64))
            if transport is None:
                await send({"type": "http.response.body", "body": body})
                return
            await send({"type": "http.response.body", "body": body, "more_body": True})
            transport.close()
            await _settle()
            return
        body = self.garbage if self.fault is ConnectionFault.GARBAGE else b""
        await send(self._start(len(body)))
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _start(length: int) -> dict[str, Any]:
        return {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(length).encode())],
        }
