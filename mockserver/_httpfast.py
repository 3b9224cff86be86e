"""The fast HTTP/1.1 protocol: uvicorn's httptools one, with the same two changes as :mod:`.http11`.

- A request the parser refuses (a request line and headers past :data:`HEAD_LIMIT` bytes, an
  illegal request line or header) gets the envelope, ``{code: 422, msg, data: null}``, under HTTP
  400 (431 for a head too large), instead of uvicorn's plain-text 400. The message names the rule
  and never quotes the request. httptools (llhttp) has no size limit of its own, so the head is
  counted here as the parser hands its pieces over, and refused past the limit h11 applies.
- A connection must send a whole request head within ``head_timeout_s`` of opening (or of its
  previous answer), as with h11.

Imported only where httptools is installed (``uvicorn[standard]``); :func:`mockserver._serving.stack`
picks this protocol or the h11 one. The members of uvicorn's ``HttpToolsProtocol`` it overrides or
reads are listed in :data:`mockserver._internals.OVERRIDDEN` (checked by ``tests/test_internals.py``).
"""

from __future__ import annotations

import asyncio
import http
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from ._envelope import render
from ._errors import MockError
from ._httphead import HEAD_TIMEOUT_S
from ._httphead import WORDS as _WORDS

__all__ = ["HEAD_LIMIT", "FastHttpProtocol", "HeldHead", "refusal"]

#: Bytes a request line and its headers may take together (h11's default limit, which the h11 stack applies).
HEAD_LIMIT = 16 * 1024


class _HeadTooLarge(MockError):
    """Raised from a parser callback once the head passes the limit (httptools re-raises it wrapped)."""


def refusal(status: int, reason: str | None, limit: int = HEAD_LIMIT) -> bytes:
    """The envelope answering a request the parser refused: 431 for a head too large, else ``reason``'s words."""
    if status == 431:
        why = f"its request line and headers must be at most {limit:,} bytes together"
    else:
        words = _WORDS.match(reason or "")
        why = f"it is not an HTTP/1.1 request ({words.group() if words else 'malformed'})"
    return render({"code": 422, "msg": f"Validation error: request: {why}", "data": None})


class HeldHead(asyncio.Transport):
    """The connection's transport as one response sees it: its head is written with the body's first bytes.

    uvicorn writes an answer's head and its body with two ``transport.write`` calls; on an idle
    socket each is its own ``send()`` (and on loopback, the peer's receive path runs inside each).
    Holding the head until the body's first write makes one ``send()`` of the same bytes. Anything
    else the response does (close, abort, pause, the socket for a connection fault) reaches the
    real transport; a close writes a held head first.
    """

    def __init__(self, transport: asyncio.Transport) -> None:
        super().__init__()
        self.transport = transport
        self._held: bytes | None = None
        self._state = 0  # 0: nothing written yet, 1: the head is held, 2: writing through

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._state == 2:
            self.transport.write(data)
        elif self._state == 0:
            self._held, self._state = bytes(data), 1
        else:
            held, self._held, self._state = self._held or b"", None, 2
            self.transport.write(held + data)

    def flush(self) -> None:
        """Write a held head now."""
        if self._state == 1:
            held, self._held, self._state = self._held or b"", None, 2
            self.transport.write(held)
        self._state = 2

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self._held, self._state = None, 2
        self.transport.abort()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self.transport.pause_reading()

    def resume_reading(self) -> None:
        self.transport.resume_reading()

    def is_reading(self) -> bool:
        return self.transport.is_reading()

    def get_write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self.transport.set_write_buffer_limits(high, low)

    def can_write_eof(self) -> bool:
        return self.transport.can_write_eof()

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self.transport.get_protocol()


class FastHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol answering parser errors with the envelope, limiting and timing heads."""

    head_timeout_s = HEAD_TIMEOUT_S
    head_limit = HEAD_LIMIT

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None

    # the head limit ------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.head_limit:
            raise _HeadTooLarge

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # "name: value\r\n"
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_arrived()
        previous = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        # one send() per answer (HeldHead); not for HEAD (no body write follows) nor 100-continue (sent alone)
        if cycle is not previous and not self.expect_100_continue and self.scope["method"] != "HEAD":
            cycle.transport = HeldHead(self.transport)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError as error:
            too_large = isinstance(error.__context__, _HeadTooLarge) or isinstance(error.__cause__, _HeadTooLarge)
            self._refuse(431 if too_large else 400, None if too_large else str(error))

    # the head timeout ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # the latest parsed request answered: the next head is awaited (a pipelined one may be in already)
        if self.cycle is None or self.cycle.response_complete:
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_arrived()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        if self._head_timer is None and not self.transport.is_closing():
            self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _head_arrived(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    # parser errors -------------------------------------------------------------------------
    def send_400_response(self, msg: str) -> None:
        self._refuse(400, None)

    def _refuse(self, status: int, reason: str | None) -> None:
        self._head_arrived()
        body = refusal(status, reason, self.head_limit)
        head = [f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n".encode()]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
