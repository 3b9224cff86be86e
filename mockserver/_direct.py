"""The hot path: one API request with a fixed path dispatched straight to its endpoint.

:class:`~mockserver._app.MockApp` looks an API request's (method, path) up in a dict and calls
its endpoint here, skipping Starlette's middleware stack and router walk, which cost a measurable
share of a request (bench/README.md, the row "a valid replace-section cost the app 128 us in
process"). The answers are the same as through the router: a plain envelope is sent as
``Response.__call__`` would send it, and a crash still gets the 500 envelope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Endpoint", "call_direct"]

Endpoint = Callable[[Request], Awaitable[Response]]


async def call_direct(
    endpoint: Endpoint,
    app: ASGIApp,
    crash: Callable[[Request, Exception], Awaitable[Response]],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """One API request without Starlette's middleware and router walk; the same answers.

    As Starlette's ServerErrorMiddleware does, an unexpected exception gets the 500 envelope
    (``crash``'s answer, unless the answer had started) and is raised again, for the server to log.
    """
    scope["app"] = app
    started = False
    request = Request(scope, receive, send)
    try:
        response = await endpoint(request)
        if response.__class__ is Response and response.background is None:
            # a plain envelope: its two messages as Response.__call__ would send them, minus its checks
            await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
            started = True
            await send({"type": "http.response.body", "body": response.body})
        else:

            async def sending(message: Message) -> None:  # made only here: a plain envelope needs none
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            await response(scope, receive, sending)
    except ClientDisconnect:
        raise
    except Exception as exc:
        if not started:
            await (await crash(request, exc))(scope, receive, send)
        raise
