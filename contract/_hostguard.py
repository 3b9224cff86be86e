"""While the kit's routers or fixtures are active, the providers' real hosts cannot be reached.

A test that routes its client into the mock should never spend a real key by mistake, whatever
HTTP library the client uses (httpx, requests, urllib, aiohttp): :func:`real_hosts_blocked`
makes name resolution of the four providers' API hosts (:func:`real_hosts`) (and their documented upload and
alternative hosts) fail with :class:`RealHostBlocked`, in this process, until the last active
guard ends. :class:`contract.SunoRouter` and the pytest fixtures ``suno_mock``,
``suno_server`` and ``suno_respx`` hold one (except in tests marked ``suno_live``).
"""

from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from mockserver._errors import ContractError

__all__ = ["RealHostBlocked", "real_hosts", "real_hosts_blocked"]


@functools.cache
def real_hosts() -> frozenset[str]:
    """The API hosts of the bundled documents, plus the documented file-upload hosts and api.box's host
    as real clients call it (api-family.md #14, #35)."""
    from mockserver import openapi  # the bundled documents, read once, on first use

    hosts = {"kieai.redpandaai.co", "sunoapiorg.redpandaai.co", "apibox.erweima.ai"}
    for provider in openapi.PROVIDERS:
        for server in openapi.load_spec(provider).get("servers", []):
            host = urlsplit(str(server.get("url", ""))).hostname
            if host:
                hosts.add(host.lower())
    return frozenset(hosts)


class RealHostBlocked(ContractError, ConnectionRefusedError):
    """A connection to a real provider host was refused while a kit router or fixture was active."""


_lock = threading.Lock()
_depth = 0
_original = socket.getaddrinfo


def _guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host or "")
    if name.lower().rstrip(".") in real_hosts():
        raise RealHostBlocked(
            f"suno-mockkit refused a connection to {name}, a real provider host, while its router or fixture is "
            "active (so that no real key is spent by mistake); send the client to the mock's base URL, or mark "
            "the test suno_live to reach a real endpoint"
        )
    return _original(host, *args, **kwargs)


@contextmanager
def real_hosts_blocked() -> Iterator[None]:
    """Refuse name resolution of :func:`real_hosts` in this process while the block runs (nestable)."""
    global _depth
    real_hosts()
    with _lock:
        _depth += 1
        if _depth == 1:
            socket.getaddrinfo = _guarded
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                socket.getaddrinfo = _original
