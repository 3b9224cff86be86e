"""The router for ``requests`` users: a transport adapter that sends each request through a :class:`SunoRouter`.

While a :class:`~contract.SunoRouter` is active (``with suno_router("kie"):``, the ready check,
the ``suno_respx`` fixture), every ``requests`` call to its base URL, from any session, goes
through :class:`SunoAdapter`: the request is checked against the documented rules exactly as an
httpx request is (``strict=True`` raises :class:`~contract.ContractViolation` at the call) and
answered from the in-process mock, or from a forced answer. Nothing reaches the network; other
hosts go through the session's own adapters as before (the real providers' hosts stay refused).

A session can also mount the adapter itself::

    session.mount(router.base_url, SunoAdapter(router))

``requests`` is optional: without it nothing is patched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import httpx
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

if TYPE_CHECKING:
    from ._client import SunoRouter

__all__ = ["SunoAdapter", "install", "uninstall"]


def _content(body: Any) -> bytes:
    """A prepared request's body as bytes (``requests`` keeps bytes, str, a file or an iterable)."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, Iterable):
        return b"".join(part.encode("utf-8") if isinstance(part, str) else bytes(part) for part in body)
    raise TypeError(f"cannot send a request body of type {type(body).__name__}")


class SunoAdapter(BaseAdapter):
    """A ``requests`` adapter that hands each request to ``router`` (checked, then answered in process)."""

    def __init__(self, router: SunoRouter) -> None:
        super().__init__()
        self.router = router

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        outgoing = httpx.Request(
            request.method or "GET",
            request.url or "",
            headers=[(k, v if isinstance(v, str) else v.decode("latin-1")) for k, v in request.headers.items()],
            content=_content(request.body),
        )
        answer = self.router.handler(outgoing)
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(answer.headers.multi_items())
        response.encoding = get_encoding_from_headers(response.headers)
        response.reason = answer.reason_phrase
        response.url = request.url or ""
        response.request = request
        response._content = answer.content
        response._content_consumed = True
        return response

    def close(self) -> None:
        """Nothing to close: the router owns the app."""


_LOCK = threading.Lock()
_ACTIVE: list[SunoRouter] = []
_ORIGINAL: list[Any] = []


def _get_adapter(session: requests.Session, url: str) -> BaseAdapter:
    with _LOCK:
        routers = list(reversed(_ACTIVE))
    for router in routers:
        base = router.base_url
        if url == base or url.startswith(f"{base}/") or url.startswith(f"{base}?"):
            return SunoAdapter(router)
    original = _ORIGINAL[0]
    adapter: BaseAdapter = original(session, url)
    return adapter


def install(router: SunoRouter) -> None:
    """Route ``requests`` calls to ``router.base_url`` through ``router`` (nested routers: the newest first)."""
    with _LOCK:
        if not _ACTIVE:
            _ORIGINAL[:] = [requests.Session.get_adapter]
            requests.Session.get_adapter = _get_adapter  # type: ignore[method-assign,assignment]
        _ACTIVE.append(router)


def uninstall(router: SunoRouter) -> None:
    """Stop routing through ``router``; the last one out restores ``requests``."""
    with _LOCK:
        if router in _ACTIVE:
            _ACTIVE.remove(router)
        if not _ACTIVE and _ORIGINAL:
            requests.Session.get_adapter = _ORIGINAL.pop()  # type: ignore[method-assign]
