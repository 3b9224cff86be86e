"""The HTTP/1.1 protocol the mock is served with: uvicorn's h11 one, with two changes.

- A request the HTTP parser refuses (headers or a URL past h11's 16 KB limit, an illegal request
  line or header) is answered with the envelope, ``{code: 422, msg, data: null}``, under the HTTP
  status h11 suggests (400, or 431 for headers too large), instead of uvicorn's plain-text 400.
  The message says which rule broke but never quotes the request: h11's own text can carry a
  header line, an ``Authorization`` one included.
- A connection must send a whole request head within :attr:`MockHttpProtocol.head_timeout_s` of
  opening (or of its previous answer): uvicorn times out only idle keep-alive connections, and
  trickled bytes cancel even that, so a client that never finishes its headers held a descriptor
  forever.

``suno-mock serve`` and :class:`~mockserver._serving.ThreadedServer` serve with it. The members of
uvicorn's ``H11Protocol`` it overrides or reads are listed in :data:`mockserver._internals.OVERRIDDEN`
(``tests/test_internals.py`` checks them against the installed uvicorn).
"""

from __future__ import annotations

import asyncio
import http
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from ._envelope import render
from ._httphead import HEAD_TIMEOUT_S
from ._httphead import WORDS as _WORDS

__all__ = ["HEAD_TIMEOUT_S", "MockHttpProtocol"]


class _Connection(h11.Connection):
    """An h11 connection that keeps the error it refused the last request with."""

    refused: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as error:
            self.refused = error
            raise


def refusal(error: h11.RemoteProtocolError | None, limit: int) -> tuple[int, bytes]:
    """The HTTP status and the envelope that answer a request the parser refused with ``error``."""
    status = error.error_status_hint if error is not None else 400
    if status == 431:
        why = f"its request line and headers must be at most {limit:,} bytes together"
    else:
        words = _WORDS.match(str(error)) if error is not None else None
        why = f"it is not an HTTP/1.1 request ({words.group() if words else 'malformed'})"
    return status, render({"code": 422, "msg": f"Validation error: request: {why}", "data": None})


class MockHttpProtocol(H11Protocol):
    """uvicorn's h11 protocol answering parser errors with the envelope and timing out unfinished heads."""

    head_timeout_s = HEAD_TIMEOUT_S

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limit = config.h11_max_incomplete_event_size
        self._head_limit = limit if limit is not None else 16 * 1024  # h11's default
        self.conn = _Connection(h11.SERVER, self._head_limit)
        self._head_timer: asyncio.TimerHandle | None = None

    # the head timeout ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._head_due()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._head_due()  # the next request's head: uvicorn's keep-alive timer is cancelled by any byte

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_arrived()
        super().connection_lost(exc)

    def _head_due(self) -> None:
        """Time the head while the connection waits for one; stop once a request's head has arrived."""
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._await_head()
        else:
            self._head_arrived()

    def _await_head(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _head_arrived(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    # parser errors -------------------------------------------------------------------------
    def send_400_response(self, msg: str) -> None:
        self._head_arrived()
        error = self.conn.refused if isinstance(self.conn, _Connection) else None
        status, body = refusal(error, self._head_limit)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        try:
            reason = http.HTTPStatus(status).phrase.encode()
        except ValueError:
            reason = b""
        response = h11.Response(status_code=status, headers=headers, reason=reason)
        for event in (response, h11.Data(data=body), h11.EndOfMessage()):
            if output := self.conn.send(event):
                self.transport.write(output)
        self.transport.close()
