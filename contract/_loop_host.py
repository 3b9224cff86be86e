"""The private event loop that hosts every mock of the pytest plugin, on a daemon thread of its own.

Tests, their clients and uvicorn may run on any loop or thread; each mock lives on this one loop, so it
keeps one scheduler whatever calls it. :class:`LoopHost` runs coroutines there (blocking or awaited) and
wraps ASGI apps so that any loop can call them. Importing this module imports only the standard library.
"""

from __future__ import annotations

import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")


class LoopHost:
    """An event loop on a daemon thread; mocks run here whatever loop or thread calls them."""

    def __init__(self, name: str = "suno-mockkit-host") -> None:
        import asyncio

        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the host loop and wait for it (from any other thread)."""
        import asyncio

        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a blocking suno-mockkit call was made on the mock's own loop; use the _async variant")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    async def arun(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the host loop from any event loop."""
        import asyncio

        if asyncio.get_running_loop() is self.loop:
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def hosted(self, app: ASGIApp) -> ASGIApp:
        """``app`` as an ASGI app callable from any loop: requests are handled on the host loop.

        Lifespan events are answered here; the host starts and stops the app itself.
        """
        import asyncio

        async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "lifespan":
                while True:
                    event = (await receive())["type"]
                    if event == "lifespan.startup":
                        await send({"type": "lifespan.startup.complete"})
                    elif event == "lifespan.shutdown":
                        await send({"type": "lifespan.shutdown.complete"})
                        return
            caller = asyncio.get_running_loop()
            if caller is self.loop:
                await app(scope, receive, send)
                return

            async def hop_receive() -> Message:
                async def call() -> Message:
                    return await receive()

                return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call(), caller))

            async def hop_send(message: Message) -> None:
                async def call() -> None:
                    await send(message)

                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call(), caller))

            async def handle() -> None:
                await app(scope, hop_receive, hop_send)

            await self.arun(handle())

        return asgi

    def close(self) -> None:
        self.run(cancel_other_tasks())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


async def cancel_other_tasks() -> None:
    """Cancel every other task of the running loop (what mocks left running, e.g. a scheduler) and wait for them."""
    import asyncio

    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)
