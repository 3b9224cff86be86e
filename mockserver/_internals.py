"""The private parts of other libraries the mock relies on, each behind one small function or table.

Nothing here is a documented API of its library, so an upgrade may change it without notice.
``tests/test_internals.py`` exercises every entry against the installed versions; a failure there
names the library, what changed and where the mock uses it, instead of a puzzling error elsewhere.

- CPython's C JSON encoder, ``json.encoder.c_make_encoder``: one encoder made once
  (:mod:`mockserver._envelope`) instead of one per answer.
- uvicorn's ASGI ``send``, a bound method of the connection's request cycle, whose ``transport``
  is the socket a connection fault breaks (:mod:`mockserver._faults.connection` reads it).
- uvicorn's ``Server.server_state`` (``connections``, ``tasks``): what a loopback server that is
  stopping still has open, aborted when its answers do not finish (:mod:`mockserver._serving`).
- The members of uvicorn's HTTP protocols and server that the mock's subclasses override or read
  (:mod:`mockserver._http11`, :mod:`mockserver._httpfast`, :mod:`mockserver._process`): listed in
  :data:`OVERRIDDEN`, checked by :func:`missing_members`.
"""

from __future__ import annotations

import asyncio
import json.encoder
from collections.abc import Callable, Iterable
from typing import Any, cast

__all__ = [
    "OVERRIDDEN",
    "abort_connections",
    "asgi_transport",
    "c_json_encoder",
    "cancel_requests",
    "missing_members",
    "usable_transport",
]

#: What the mock's subclasses of uvicorn's classes override or read, by the class (module path)
#: they subclass: methods and attributes of an instance. An attribute set in ``__init__`` is
#: checked on an instance, the rest on the class.
OVERRIDDEN: dict[str, tuple[str, ...]] = {
    # mockserver._http11.MockHttpProtocol
    "uvicorn.protocols.http.h11_impl.H11Protocol": (
        "conn",
        "transport",
        "loop",
        "connection_made",
        "connection_lost",
        "data_received",
        "on_response_complete",
        "send_400_response",
    ),
    # mockserver._httpfast.FastHttpProtocol
    "uvicorn.protocols.http.httptools_impl.HttpToolsProtocol": (
        "parser",
        "transport",
        "loop",
        "cycle",
        "expect_100_continue",
        "server_state",
        "connection_made",
        "connection_lost",
        "data_received",
        "on_message_begin",
        "on_url",
        "on_header",
        "on_headers_complete",
        "on_response_complete",
        "send_400_response",
        "_unset_keepalive_if_required",
        "_should_upgrade",
        "handle_websocket_upgrade",
        "_unsupported_upgrade_warning",
    ),
    # mockserver._process.run's Server and mockserver._serving.ThreadedServer
    "uvicorn.server.Server": (
        "startup",
        "started",
        "should_exit",
        "force_exit",
        "server_state",
        "on_tick",
        "handle_exit",
        "capture_signals",
    ),
}


def missing_members(obj: object, names: Iterable[str]) -> list[str]:
    """The names of ``names`` that ``obj`` (a class or an instance) does not have."""
    return [name for name in names if not hasattr(obj, name)]


def c_json_encoder(default: Callable[[Any], Any]) -> Callable[[Any, int], Iterable[str]] | None:
    """CPython's C encoder set up as ``JSONEncoder(ensure_ascii=False, separators=(",", ":"))`` would set it.

    No circular-reference check and NaN refused (``allow_nan=False``). Call the result with the
    value and 0 and join the chunks. None where the C encoder does not exist (not CPython).
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - not CPython
        return None
    # (markers, default, encoder, indent, key_separator, item_separator, sort_keys, skipkeys, allow_nan)
    chunks: Callable[[Any, int], Iterable[str]] = make(
        None, default, json.encoder.encode_basestring, None, ":", ",", False, False, False
    )
    return chunks


def asgi_transport(send: Callable[..., Any]) -> asyncio.Transport | None:
    """The transport behind an ASGI ``send`` under uvicorn (its request cycle's); None elsewhere.

    Not an ``isinstance`` test: uvloop's transports do not derive from ``asyncio.Transport``.
    """
    return usable_transport(getattr(getattr(send, "__self__", None), "transport", None))


def usable_transport(transport: object) -> asyncio.Transport | None:
    """``transport`` if it has what a connection fault calls (abort, get_extra_info, write, close), else None."""
    if all(callable(getattr(transport, name, None)) for name in ("abort", "get_extra_info", "write", "close")):
        return cast(asyncio.Transport, transport)
    return None


def abort_connections(server: Any) -> int:
    """Abort every connection a uvicorn ``Server`` holds open; how many there were.

    For a server asked to stop whose answers do not finish (uvicorn's graceful shutdown waits for
    them without end): a streaming answer sees the disconnect and ends. Call it in the server's
    event loop.
    """
    connections = list(server.server_state.connections)
    for connection in connections:
        transport = getattr(connection, "transport", None)
        if transport is not None and not transport.is_closing():
            transport.abort()
    return len(connections)


def cancel_requests(server: Any) -> int:
    """Cancel the requests a uvicorn ``Server`` is still running (after :func:`abort_connections`)."""
    tasks = list(server.server_state.tasks)
    for task in tasks:
        task.cancel()
    return len(tasks)
