"""``GET /_mock/events``: the events of :mod:`mockserver._events` as server-sent events, one stream per client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import StreamingResponse

from .._envelope import render
from .._events import Event, Events

__all__ = ["EventFeed"]

#: Events a slow client may fall behind by before the oldest are dropped (it is told how many).
QUEUE_SIZE = 1000
#: Real seconds between keep-alive comments on a quiet stream (proxies close silent connections).
KEEP_ALIVE_S = 15.0
_CLOSED = Event("closed", 0.0)


def frame(event: Event) -> bytes:
    """One server-sent event: its type as the SSE event name, the JSON object as data."""
    return b"event: " + event.type.encode() + b"\ndata: " + render(event.as_dict()) + b"\n\n"


class EventFeed:
    """Subscribes one queue per connected client to the hub; :meth:`close` ends every stream (server stop)."""

    def __init__(self, events: Events) -> None:
        self._events = events
        self._queues: set[asyncio.Queue[Event]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def clients(self) -> int:
        return len(self._queues)

    def close(self) -> None:
        """End every open stream (thread- and signal-safe), so that a server can stop while pages are open."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop has stopped
                self._loop.call_soon_threadsafe(self._close_now)

    def _close_now(self) -> None:
        for queue in self._queues:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(_CLOSED)

    async def endpoint(self, request: Request) -> StreamingResponse:
        self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        dropped = 0

        def listen(event: Event) -> None:
            nonlocal dropped
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                dropped += 1

        self._queues.add(queue)
        unsubscribe = self._events.subscribe(listen)

        async def stream() -> AsyncIterator[bytes]:
            nonlocal dropped
            try:
                yield b"retry: 1000\n: connected\n\n"
                while True:
                    try:
                        async with asyncio.timeout(KEEP_ALIVE_S):
                            event = await queue.get()
                    except TimeoutError:
                        yield b": keep-alive\n\n"
                        continue
                    if event is _CLOSED:
                        return
                    if dropped:
                        yield frame(Event("dropped", event.at, {"count": dropped}))
                        dropped = 0
                    yield frame(event)
            finally:
                unsubscribe()
                self._queues.discard(queue)

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
