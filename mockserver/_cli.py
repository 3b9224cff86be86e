"""``suno-mock``: the command line (its options, the app they build, the checks before serving).

Serving itself (the socket, uvicorn, forked workers) is :mod:`mockserver._process`.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ._allowlist import is_loopback
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


def _worker(args: argparse.Namespace, sock: Any) -> None:
    """One worker process: its own app on the shared store, its own log, the inherited socket."""
    from ._eventlog import TerminalLog
    from ._process import run

    app = build(args)
    log = None if args.quiet else TerminalLog(sys.stdout, fmt=args.log_format, background=True)
    if log is not None:
        app.events.subscribe(log)
    try:
        run(app, sock, args.log_level, args.http)
    finally:
        if log is not None:
            log.close()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection while start-up imports the modules and builds the app (``main``).

    Start-up makes ~100,000 long-lived objects (modules, the parsed spec, the operation table) and
    little garbage; with the collector on, dozens of young collections walked them as they were
    made. ``_process.run`` freezes them before serving and turns the collector back on; whatever
    else leaves this block turns it back on here. Measured in bench/README.md.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    with _collector_paused():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    from ._envelope import render
    from ._eventlog import TerminalLog
    from ._process import serve

    args = _parser().parse_args(argv)
    if args.command == "serve" and args.admin_token is None and not args.admin_open and not is_loopback(args.host):
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
        serve(app, args.host, args.port, args.log_level, args.http, args.workers, functools.partial(_worker, args))
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
