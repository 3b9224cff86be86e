"""``suno-mock``: serve the mock from the command line."""

from __future__ import annotations

import argparse
import contextlib
import gc
import ipaddress
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ._errors import ConfigError

if TYPE_CHECKING:
    from ._app import MockApp

# The mock's own modules (starlette, the spec, the stores) are imported inside the functions that
# use them, so that ``main()`` has paused the garbage collector before start-up imports them.

__all__ = ["main"]


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def _parser() -> argparse.ArgumentParser:
    from ._config import Settings
    from ._envelope import StatusMode
    from ._eventlog import FORMATS
    from .openapi import PROVIDERS

    parser = argparse.ArgumentParser(prog="suno-mock", description="Offline mock of the reseller Suno music API.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the mock over HTTP")
    serve.add_argument("--provider", choices=PROVIDERS, default="kie", help="provider profile (default: kie)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0 picks a free one)")
    serve.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="T",
        help="accept only this API key (repeatable); default: any non-empty key",
    )
    serve.add_argument(
        "--http-status",
        choices=[m.value for m in StatusMode],
        default="body",
        help="body: HTTP 200 with the outcome in code (default); mirror: code copied to the status",
    )
    serve.add_argument("--seed", type=int, default=None, help="make ids, durations and audio reproducible")
    serve.add_argument("--credits", type=int, default=Settings.credits, help="starting balance per API key")
    serve.add_argument(
        "--max-body-bytes",
        type=int,
        default=Settings.max_body_bytes,
        help="larger request bodies are refused with code 422",
    )
    serve.add_argument(
        "--set",
        action="append",
        default=[],
        type=_key_value,
        metavar="KEY=VALUE",
        help="override a profile switch, e.g. --set replace_interval=10- (see README)",
    )
    serve.add_argument(
        "--time-scale",
        type=float,
        default=Settings.time_scale,
        help="mock seconds per real second (default: 50, a song completes in 3 s)",
    )
    serve.add_argument(
        "--virtual-clock", action="store_true", help='time moves only on POST /_mock/clock/advance {"seconds": N}'
    )
    serve.add_argument(
        "--callback-allow",
        action="append",
        default=[],
        metavar="HOST",
        help="also deliver callbacks to this host (repeatable); default: loopback only",
    )
    serve.add_argument("--webhook-key", default=None, help="sign callbacks kie-style with this HMAC key")
    serve.add_argument(
        "--callback-timeout",
        type=float,
        default=None,
        metavar="S",
        help="real seconds a receiver has per attempt (default: documented 15 s / 10 s)",
    )
    serve.add_argument("--faults", default=None, metavar="FILE", help="fault rules (YAML); see faults.example.yaml")
    serve.add_argument(
        "--no-header-overrides",
        action="store_true",
        help="ignore the X-Mock-Code, X-Mock-Outcome, X-Mock-Delay-Ms and X-Mock-Fault request headers",
    )
    serve.add_argument(
        "--rate-limits",
        action="store_true",
        help="enforce the documented limits: 20 creating calls per 10 s per key, 3 record-info per s per task",
    )
    serve.add_argument(
        "--sensitive-word",
        action="append",
        default=[],
        metavar="W",
        help="a prompt, style, title or tags containing W fails with SENSITIVE_WORD_ERROR (repeatable)",
    )
    serve.add_argument(
        "--store",
        default=None,
        metavar="URL",
        help="where tasks, deliveries, journals, clock and fault rules live: memory (default; or $SUNO_MOCK_STORE), "
        "sqlite:PATH (survives restarts; --workers on one host)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="serve from N processes sharing one port and one store (needs --store sqlite:PATH)",
    )
    serve.add_argument(
        "--max-tasks",
        type=int,
        default=None,
        metavar="N",
        help="hold at most N tasks: past it the oldest made are forgotten first (default: no bound; "
        "tasks past retention plus a day are forgotten anyway)",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn log level (default: warning)")
    serve.add_argument(
        "--http",
        choices=("auto", "httptools", "h11"),
        default="auto",
        help="HTTP parser: httptools where installed (uvicorn[standard]), else h11 (default: auto)",
    )
    serve.add_argument(
        "--admin-token",
        default=None,
        metavar="T",
        help="the admin API and the inspector need this token (Authorization: Bearer T or X-Mock-Admin-Token)",
    )
    serve.add_argument(
        "--admin-open",
        action="store_true",
        help="allow a non-loopback --host without --admin-token (anyone who reaches it can reset the mock)",
    )
    serve.add_argument("--quiet", action="store_true", help="no line per request and job event")
    serve.add_argument(
        "--log-format", choices=FORMATS, default="plain", help="plain (coloured on a terminal) or json, one per line"
    )

    spec = commands.add_parser("spec", help="print a provider's bundled OpenAPI document as JSON")
    spec.add_argument("--provider", choices=PROVIDERS, default="kie")
    return parser


def build(args: argparse.Namespace) -> MockApp:
    from ._app import MockApp
    from ._config import Settings
    from ._envelope import StatusMode
    from ._stores import FORMS

    settings = Settings(
        tokens=frozenset(args.token),
        http_status=StatusMode(args.http_status),
        seed=args.seed,
        credits=args.credits,
        max_body_bytes=args.max_body_bytes,
        profile_overrides=dict(args.set),
        time_scale=args.time_scale,
        virtual_clock=args.virtual_clock,
        callback_allow=frozenset(args.callback_allow),
        webhook_key=args.webhook_key,
        callback_timeout_s=args.callback_timeout,
        faults=args.faults,
        header_overrides=not args.no_header_overrides,
        rate_limits=args.rate_limits,
        sensitive_words=frozenset(args.sensitive_word),
        admin_token=args.admin_token,
        store=args.store,
        max_tasks=args.max_tasks,
    )
    app = MockApp(args.provider, settings)
    if args.workers < 1:
        app.state.close()
        raise ConfigError(f"--workers {args.workers}: must be 1 or more")
    if args.workers > 1 and app.state.store.shared is None:
        app.state.close()
        raise ConfigError(
            f"--workers {args.workers} needs a store every worker shares, and the memory store is one process's; "
            f"use --store sqlite:PATH (one host; {FORMS})"
        )
    return app


class _Freezer:
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


def _serve(
    app: MockApp,
    host: str,
    port: int,
    log_level: str,
    http: str = "auto",
    workers: int = 1,
    args: argparse.Namespace | None = None,
) -> None:
    import socket

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
    if workers > 1 and args is not None:
        app.state.close()  # each worker opens the store itself: a connection must not cross a fork
        _run_workers(sock, workers, args)
    else:
        _run(app, sock, log_level, http)
    print("suno-mock: stopped", flush=True)


def _worker(args: argparse.Namespace, sock: Any) -> None:
    """One worker process: its own app on the shared store, its own log, the inherited socket."""
    from ._eventlog import TerminalLog

    app = build(args)
    log = None if args.quiet else TerminalLog(sys.stdout, fmt=args.log_format, background=True)
    if log is not None:
        app.events.subscribe(log)
    try:
        _run(app, sock, args.log_level, args.http)
    finally:
        if log is not None:
            log.close()


def _run_workers(sock: Any, workers: int, args: argparse.Namespace) -> None:
    """Fork ``workers`` processes that accept on one listening socket; stop them all on SIGINT/SIGTERM."""
    import os
    import signal

    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _worker(args, sock)
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


def _run(app: MockApp, sock: Any, log_level: str, http: str = "auto") -> None:
    import signal

    import uvicorn

    from ._serving import stack

    served_on = stack(http)
    # tasks of a shared store live in it, not in this process: nothing to freeze
    freeze: Callable[[], bool] = _Freezer(app) if app.state.store.shared is None else _never
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


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection while start-up imports the modules and builds the app (``main``).

    Start-up makes ~100,000 long-lived objects (modules, the parsed spec, the operation table) and
    little garbage; with the collector on, dozens of young collections walked them as they were
    made. ``_run`` freezes them before serving and turns the collector back on; whatever else
    leaves this block turns it back on here. Measured in bench/README.md.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    with _collector_paused():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    from ._envelope import render
    from ._eventlog import TerminalLog

    args = _parser().parse_args(argv)
    if args.command == "serve" and args.admin_token is None and not args.admin_open and not _is_loopback(args.host):
        print(
            f"suno-mock: --host {args.host} is not loopback and the admin API (/_mock: reset, faults, the inspector) "
            "has no token; give --admin-token T, or --admin-open to serve it open anyway",
            file=sys.stderr,
        )
        return 2
    try:
        if args.command == "spec":
            from ._app import MockApp

            sys.stdout.write(render(MockApp(args.provider).spec).decode() + "\n")
            return 0
        app = build(args)
        log = None if args.quiet else TerminalLog(sys.stdout, fmt=args.log_format, background=True)
        if log is not None:
            app.events.subscribe(log)
    except ConfigError as error:
        print(f"suno-mock: {error}", file=sys.stderr)
        return 2
    try:
        _serve(app, args.host, args.port, args.log_level, args.http, args.workers, args)
    except ConfigError as error:
        print(f"suno-mock: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"suno-mock: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 2
    finally:
        if log is not None:
            log.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
