"""``suno-mock serve`` as a process: the listening socket, uvicorn with its signals and GC settings, workers.

One process serves on a socket bound and listening before the URL is printed; with ``--workers N``
it forks N processes that accept on that socket (each its own app on the shared store) and
forwards SIGINT/SIGTERM to them. The garbage-collector settings are measured in bench/README.md.
The members of uvicorn's ``Server`` that :func:`run` overrides are listed in
:data:`mockserver._internals.OVERRIDDEN` (checked by ``tests/test_internals.py``).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from ._app import MockApp

__all__ = ["Freezer", "run", "serve"]


class Freezer:
    """Keeps accepted tasks out of the garbage collector's walks as they pile up (``serve`` only).

    A task stays in memory for record-info; under sustained load a mock holds hundreds of
    thousands, and each full collection walked them all: under wrk, 3-s windows with a p99 of
    104-113 ms once ~100,000 tasks were held, against 3-7 ms with this. Every ``every`` new
    tasks, ``gc.freeze()`` moves what exists into the permanent generation, which no collection
    walks; tasks form no reference cycles, so those dropped by a reset are still freed by
    reference counting.
    """

    def __init__(self, app: MockApp, every: int = 10_000) -> None:
        self._tasks = app.state.store.tasks
        self._every = every
        self._frozen_at = len(self._tasks)

    def __call__(self) -> bool:
        """Freeze if ``every`` tasks came since the last time; True if it froze."""
        import gc

        held = len(self._tasks)
        if held < self._frozen_at:  # a reset: every task held came after it
            self._frozen_at = 0
        if held - self._frozen_at < self._every:
            return False
        gc.freeze()
        self._frozen_at = held
        return True


def serve(
    app: MockApp,
    host: str,
    port: int,
    log_level: str,
    http: str = "auto",
    workers: int = 1,
    worker: Callable[[socket.socket], None] | None = None,
) -> None:
    """Listen on ``host:port`` and serve ``app`` until Ctrl-C or SIGTERM; with ``workers`` > 1, fork that many.

    ``worker`` is what a forked worker runs on the inherited socket (its own app on the shared store).
    """

    from ._serving import stack

    served_on = stack(http)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without it
    # every answer on a keep-alive connection waits ~40 ms for Nagle and the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)  # connections made as soon as the URL is printed wait in the backlog
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    shared = app.state.store.shared
    also = f" from {workers} workers on {shared.url}" if workers > 1 and shared is not None else ""
    print(
        f"suno-mock: serving provider {app.provider} at http://{shown}:{bound} ({served_on.label}; "
        f"spec: /openapi.json){also}; Ctrl-C stops",
        flush=True,
    )
    print(f"suno-mock: inspector at http://{shown}:{bound}/_mock/ui", flush=True)
    if workers > 1 and worker is not None:
        app.state.close()  # each worker opens the store itself: a connection must not cross a fork
        _run_workers(sock, workers, worker)
    else:
        run(app, sock, log_level, http)
    print("suno-mock: stopped", flush=True)


def _run_workers(sock: socket.socket, workers: int, worker: Callable[[socket.socket], None]) -> None:
    """Fork ``workers`` processes that accept on one listening socket; stop them all on SIGINT/SIGTERM."""
    import os
    import signal

    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                worker(sock)
            except BaseException:  # a worker's failure is its own; the others go on
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    sock.close()

    def forward(signum: int, frame: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    import contextlib

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for child in children:
            while True:
                try:
                    os.waitpid(child, 0)
                    break
                except ChildProcessError:
                    break
                except InterruptedError:
                    continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _never() -> bool:
    return False


def run(app: MockApp, sock: Any, log_level: str, http: str = "auto") -> None:
    import contextlib
    import gc
    import signal
    from collections.abc import Iterator

    import uvicorn

    from ._serving import stack

    served_on = stack(http)
    # tasks of a shared store live in it, not in this process: nothing to freeze
    freeze: Callable[[], bool] = Freezer(app) if app.state.store.shared is None else _never
    feed = app.inspector.feed

    class Server(uvicorn.Server):
        async def on_tick(self, counter: int) -> bool:
            if counter % 10 == 0:  # uvicorn ticks every 0.1 s
                freeze()
            return await super().on_tick(counter)

        def handle_exit(self, sig: int, frame: Any) -> None:
            feed.close()  # open inspector pages hold event streams: end them, or the server waits for them
            super().handle_exit(sig, frame)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            """Stop gracefully on Ctrl-C or SIGTERM, without re-raising the signal afterwards."""
            handled = (signal.SIGINT, signal.SIGTERM)
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    # httptools (else h11) with the envelope for requests the parser refuses and a timeout for request
    # heads (httpfast.py, http11.py), on uvloop where installed
    server = Server(served_on.config(app, log_level))
    # Everything built so far (modules, the spec, compiled validators) lives as long as the process;
    # keep it out of every later garbage collection, which then only walks what requests made. No
    # collection first: main() paused the collector, so all ~100,000 start-up objects would be walked
    # (40-80 ms of CPU) to free ~2,000 objects (~0.4 MB) of import-time cycles.
    gc.freeze()
    # Accepted tasks stay in memory (record-info must find them), so a busy mock holds a growing heap
    # of long-lived objects. With the default young-generation threshold (700) every few requests'
    # in-flight objects are promoted, full collections come often and walk every task: 30-100 ms
    # pauses once 50,000 tasks are held (served p99 4 -> 75 ms). 50,000 makes young collections
    # rare and brief for a server; measured in bench/README.md.
    gc.set_threshold(50_000, 10, 10)
    gc.enable()  # main() paused it for start-up; serving needs it
    server.run(sockets=[sock])
