"""The contract side's uses of other libraries beyond their documented API, one small function or class each.

Each trick is named with the library it leans on, and ``tests/test_contract_internals.py``
exercises every one, so an upgrade that breaks one fails there, naming the library:

- **respx** (:class:`KindAwareRouter`, :func:`request_is_async`): ``MockRouter.handler`` and
  ``MockRouter.async_handler``, the undocumented entry points respx's sync and async transports
  call, are overridden so that a side effect knows which kind of client sent the request;
- **httpx** (:func:`send_through`): a request sent straight to a transport's
  ``handle_async_request`` (the transport interface, below the client) and its body read;
- **schemathesis** (:func:`case_has_no_body`): a generated case without a body holds
  ``schemathesis.core.NotSet``;
- **pytest-xdist** (:func:`xdist_worker`): a worker's name and the worker count are read from
  ``config.workerinput``, as xdist's own helpers read them.

Importing this module imports respx and httpx (the client router needs both anyway); schemathesis
is imported on first use. Modules that must stay light import this one inside their functions.
"""

from __future__ import annotations

import contextvars
from typing import Any

import httpx
import respx

__all__ = ["KindAwareRouter", "case_has_no_body", "request_is_async", "send_through", "xdist_worker"]

_ASYNC: contextvars.ContextVar[bool] = contextvars.ContextVar("suno_router_async", default=False)


class KindAwareRouter(respx.MockRouter):
    """A respx router whose side effects may ask :func:`request_is_async` (respx: ``handler``/``async_handler``)."""

    def handler(self, request: httpx.Request) -> httpx.Response:
        token = _ASYNC.set(False)
        try:
            response: httpx.Response = super().handler(request)
            return response
        finally:
            _ASYNC.reset(token)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        token = _ASYNC.set(True)
        try:
            response: httpx.Response = await super().async_handler(request)
            return response
        finally:
            _ASYNC.reset(token)


def request_is_async() -> bool:
    """Inside a :class:`KindAwareRouter` side effect: whether an async client sent the request."""
    return _ASYNC.get()


async def send_through(transport: httpx.AsyncBaseTransport, request: httpx.Request) -> httpx.Response:
    """``request`` sent through ``transport`` (e.g. an ``httpx.ASGITransport``), the answer read in full."""
    inner = httpx.Request(request.method, request.url, headers=request.headers, content=request.content)
    answer = await transport.handle_async_request(inner)
    content = await answer.aread()
    return httpx.Response(answer.status_code, headers=answer.headers, content=content, request=request)


def case_has_no_body(case: Any) -> bool:
    """Whether a schemathesis ``Case`` was generated without a body."""
    from schemathesis.core import NotSet

    return isinstance(case.body, NotSet)


def xdist_worker(config: Any) -> tuple[str, int] | None:
    """(worker name, worker count) on a pytest-xdist worker; None elsewhere (the controller, no xdist)."""
    worker = getattr(config, "workerinput", None)  # set by xdist on its workers' configs
    if not isinstance(worker, dict):
        return None
    return str(worker.get("workerid", "")), int(worker.get("workercount") or 1)
