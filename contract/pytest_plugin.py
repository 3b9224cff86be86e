"""suno-mockkit's pytest plugin: the mock, a live server, respx routing and a callback receiver as fixtures.

Registered through the ``pytest11`` entry point ``suno_mockkit``; ``-p no:suno_mockkit`` turns it off.
The user documentation, with an example per fixture, is ``docs/pytest-plugin.md``.

Fixtures:

- ``suno_mock``: a fresh in-process mock per test (:class:`SunoMock`) with sync and async httpx clients;
- ``suno_server``: the mock on a real loopback port, one server per configuration per session, its state
  reset before each test (:class:`SunoServer`); with ``--suno-base-url`` and ``@pytest.mark.suno_live``,
  a guarded proxy to a real endpoint instead (:class:`SunoLive`);
- ``suno_respx``: a :class:`contract.client.SunoRouter` routing the provider's real base URL into ``suno_mock``;
- ``callback_receiver``: a :class:`mockserver.serving.CallbackReceiver`, emptied before each test.

Configuration, closest wins: ``@pytest.mark.suno(...)`` on the test, its class or module (``pytestmark``),
then the ``--suno-*`` options, then the ``suno_*`` ini keys.

Every mock lives on one event loop on a private thread per pytest process, whatever loop or thread the
test and its clients run in; that keeps one scheduler per mock under pytest-asyncio, sync clients and
uvicorn alike. Importing this module imports nothing beyond pytest and the standard library: the mock,
httpx and respx are imported when a fixture is first used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import pytest

if TYPE_CHECKING:
    import asyncio

    import httpx
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from contract.client import SunoRouter
    from mockserver import MockApp
    from mockserver.callbacks import Attempt, CallbackJournal
    from mockserver.journal import RequestJournal, RequestRecord
    from mockserver.serving import CallbackReceiver, ThreadedServer
    from mockserver.store import Task

__all__ = ["SunoLive", "SunoMock", "SunoServer"]

T = TypeVar("T")

DOCS = "docs/pytest-plugin.md"
#: The API key the fixtures' clients send unless the marker sets ``tokens=[...]``.
DEFAULT_TOKEN = "suno-test-key"
#: Keys of ``@pytest.mark.suno`` besides the :class:`mockserver.Settings` fields.
_MARKER_KEYS = ("provider", "time_scale", "faults", "seed", "expect_rejections")
#: Settings fields the marker may not set (the plugin derives them).
_DERIVED = ("virtual_clock",)


# --------------------------------------------------------------------------------------------
# configuration: options, ini keys, markers
# --------------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("suno-mockkit", "suno-mockkit: the Suno API mock (docs/pytest-plugin.md)")
    group.addoption("--suno-provider", default=None, help="provider profile of the mock (default: kie)")
    group.addoption(
        "--suno-time-scale",
        default=None,
        help="'virtual' (default: time moves on advance()) or mock seconds per real second, e.g. 1000",
    )
    group.addoption("--suno-seed", default=None, help="seed of ids, durations and audio; 'none' for random")
    group.addoption(
        "--suno-base-url",
        default=None,
        help="run tests marked suno_live against this real endpoint (through a guarded loopback proxy)",
    )
    group.addoption("--suno-token", default=None, help="API key for --suno-base-url")
    group.addoption(
        "--suno-spend-budget",
        type=int,
        default=0,
        help="creating calls (generate, extend, replace-section) allowed against --suno-base-url (default 0)",
    )
    parser.addini("suno_provider", "provider profile of the mock (kie, sunoapi, apibox, apikley)", default="kie")
    parser.addini("suno_time_scale", "'virtual' or mock seconds per real second", default="virtual")
    parser.addini("suno_seed", "seed of the mock's ids, durations and audio; 'none' for random", default="0")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "suno(provider=..., time_scale=..., faults=[...], seed=..., expect_rejections=False, **settings): "
        f"configure the suno-mockkit fixtures for this test, class or module; see {DOCS}",
    )
    config.addinivalue_line(
        "markers",
        "suno_live: with --suno-base-url, suno_server is a guarded proxy to that real endpoint; see " + DOCS,
    )
    budget = config.getoption("--suno-spend-budget")
    if budget is not None and budget < 0:
        raise pytest.UsageError(f"--suno-spend-budget={budget} is not allowed; use a number of calls >= 0")
    for name in ("--suno-time-scale", "--suno-seed"):
        value = config.getoption(name)
        if value is not None:
            try:
                (_time_scale if name == "--suno-time-scale" else _seed)(value)
            except ValueError as exc:
                raise pytest.UsageError(f"{name}={value}: {exc}") from None


def _time_scale(text: str) -> float | None:
    if text.strip().lower() == "virtual":
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise ValueError("use 'virtual' or a number of mock seconds per real second > 0")
    return value


def _seed(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError("use an integer, or 'none' for random ids") from None


def _default(config: pytest.Config, name: str) -> str:
    value = config.getoption(f"--suno-{name.replace('_', '-')}")
    return str(value) if value is not None else str(config.getini(f"suno_{name}"))


@dataclass(frozen=True)
class _Setup:
    """What the markers and options ask of one test's mock."""

    provider: str
    settings: Mapping[str, Any]
    faults: tuple[Mapping[str, Any], ...] = ()
    expect_rejections: bool = False

    @property
    def key(self) -> str:
        """Tests with equal keys can share a served mock."""
        return repr((self.provider, sorted((k, repr(v)) for k, v in self.settings.items())))

    @property
    def token(self) -> str:
        tokens = self.settings.get("tokens") or ()
        return sorted(tokens)[0] if tokens else DEFAULT_TOKEN


def _fail(message: str) -> NoReturn:
    __tracebackhide__ = True
    pytest.fail(message, pytrace=False)


def _setup(request: pytest.FixtureRequest) -> _Setup:
    """Merge the ``suno`` markers (closest wins) over the options and ini keys."""
    __tracebackhide__ = True
    import dataclasses

    import openapi
    from mockserver import Settings

    node = request.node
    options: dict[str, Any] = {}
    for mark in reversed(list(node.iter_markers("suno"))):
        if mark.args:
            _fail(f"@pytest.mark.suno takes keywords only, got {mark.args!r}; e.g. @pytest.mark.suno(provider='kie')")
        options.update(mark.kwargs)
    fields = {f.name for f in dataclasses.fields(Settings)} - set(_DERIVED) - {"time_scale", "seed"}
    unknown = sorted(set(options) - set(_MARKER_KEYS) - fields)
    if unknown:
        allowed = ", ".join(sorted({*_MARKER_KEYS, *fields}))
        _fail(f"@pytest.mark.suno got unknown keyword(s) {', '.join(unknown)}; allowed: {allowed} (see {DOCS})")
    config = request.config
    provider = options.pop("provider", None) or _default(config, "provider")
    if provider not in openapi.PROVIDERS:
        _fail(f"suno provider {provider!r} is unknown; use one of {', '.join(openapi.PROVIDERS)}")
    scale = options.pop("time_scale") if "time_scale" in options else _time_scale(_default(config, "time_scale"))
    seed = options.pop("seed") if "seed" in options else _seed(_default(config, "seed"))
    faults = options.pop("faults", None) or ()
    if isinstance(faults, Mapping) or not all(isinstance(rule, Mapping) for rule in faults):
        _fail(f"@pytest.mark.suno(faults=...) must be a list of rule dicts, got {faults!r}")
    expect = bool(options.pop("expect_rejections", False))
    settings: dict[str, Any] = {**options, "seed": seed}
    if scale is None:
        settings["virtual_clock"] = True
    else:
        settings["time_scale"] = scale
    try:
        Settings(**settings)
    except (TypeError, ValueError) as exc:
        _fail(f"@pytest.mark.suno: {exc}")
    return _Setup(provider, settings, tuple(faults), expect)


# --------------------------------------------------------------------------------------------
# the event loop every mock lives on
# --------------------------------------------------------------------------------------------
class _Host:
    """An event loop on a daemon thread; mocks run here whatever loop or thread calls them."""

    def __init__(self) -> None:
        import asyncio

        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="suno-mockkit-host", daemon=True)
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
        import asyncio

        async def cancel_all() -> None:
            current = asyncio.current_task()
            tasks = [task for task in asyncio.all_tasks() if task is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(cancel_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


async def _forward(transport: httpx.ASGITransport, request: httpx.Request) -> httpx.Response:
    import httpx

    inner = httpx.Request(request.method, request.url, headers=request.headers, content=request.content)
    answer = await transport.handle_async_request(inner)
    content = await answer.aread()
    return httpx.Response(answer.status_code, headers=answer.headers, content=content)


async def _settle(app: MockApp, done: Callable[[], bool]) -> bool:
    """Virtual clock: step to each due action until ``done()``; False once nothing is left to run."""
    scheduler = app.state.scheduler
    while not done():
        at = scheduler.next_at()
        if at is None:
            return False
        await app.advance(max(0.0, at - app.state.now()))
    return True


# --------------------------------------------------------------------------------------------
# what the fixtures hand out
# --------------------------------------------------------------------------------------------
class SunoMock:
    """The ``suno_mock`` fixture: one mock, an httpx client bound to it, and its controls.

    ``client`` (sync) and ``async_client`` send ``Authorization: Bearer <token>`` to ``base_url``.
    Methods that wait or move time have an ``_async`` twin for ``async def`` tests.
    """

    #: False only for :class:`SunoLive`.
    is_mock = True

    def __init__(self, app: MockApp, host: _Host, setup: _Setup, *, base_url: str = "http://testserver") -> None:
        self.app = app
        self.provider: str = app.provider
        self.base_url = base_url
        self.token = setup.token
        self._host = host
        self._setup = setup
        self._expect_rejections = setup.expect_rejections
        self._client: httpx.Client | None = None
        self._async_client: httpx.AsyncClient | None = None
        self._router: SunoRouter | None = None
        self._errors_seen = len(app.state.scheduler.errors)

    # clients ----------------------------------------------------------------------------------
    @property
    def virtual_clock(self) -> bool:
        """True when mock time moves only through :meth:`advance`."""
        return bool(self.app.settings.virtual_clock)

    def _transports(self) -> tuple[httpx.BaseTransport, httpx.AsyncBaseTransport]:
        import httpx

        asgi = httpx.ASGITransport(app=self.app)
        host = self._host
        return (
            httpx.MockTransport(lambda request: host.run(_forward(asgi, request))),
            httpx.MockTransport(lambda request: host.arun(_forward(asgi, request))),
        )

    @property
    def client(self) -> httpx.Client:
        """A sync ``httpx.Client`` on :attr:`base_url`, authorised with :attr:`token`."""
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                base_url=self.base_url, headers=self._auth(), transport=self._transports()[0], trust_env=False
            )
        return self._client

    @property
    def async_client(self) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` on :attr:`base_url`, authorised with :attr:`token`."""
        if self._async_client is None:
            import httpx

            transport = self._transports()[1]
            self._async_client = httpx.AsyncClient(
                base_url=self.base_url, headers=self._auth(), transport=transport, trust_env=False
            )
        return self._async_client

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    # controls ---------------------------------------------------------------------------------
    def seed_task(self, durations: Sequence[float] = (180.0, 180.0), **fields: str) -> Task:
        """A finished music task with one track per duration (seconds); its audio URLs use :attr:`base_url`."""

        async def seed() -> Task:
            return self.app.seed_task(list(durations), base_url=self.base_url, **fields)

        task = self._host.run(seed())
        if self._router is not None:
            for track in task.tracks:
                self._router.remember_track(task.id, track.id, track.index, track.duration)
        return task

    def advance(self, seconds: float) -> None:
        """Move the virtual clock and run what falls due, callbacks included (see :meth:`advance_async`)."""
        self._host.run(self._advance(seconds))

    async def advance_async(self, seconds: float) -> None:
        """:meth:`advance` for ``async def`` tests (never blocks the test's event loop)."""
        await self._host.arun(self._advance(seconds))

    async def _advance(self, seconds: float) -> None:
        if not self.virtual_clock:
            raise RuntimeError(
                f"advance() needs the virtual clock, but this mock runs at time_scale={self.app.settings.time_scale}; "
                "drop time_scale from @pytest.mark.suno (or use wait_for_status)"
            )
        await self.app.advance(seconds)

    def status(self, task_id: str) -> str:
        """The task's status at the current mock time."""
        return self.app.status(task_id)

    def wait_for_status(self, task_id: str, *statuses: str, timeout: float = 10.0) -> str:
        """Wait until the task reaches one of ``statuses``; returns it.

        With the virtual clock, time is moved to each next due event (no real waiting); with a scaled
        clock this waits up to ``timeout`` real seconds.
        """
        return self._host.run(self._wait_for_status(task_id, statuses, timeout))

    async def wait_for_status_async(self, task_id: str, *statuses: str, timeout: float = 10.0) -> str:
        """:meth:`wait_for_status` for ``async def`` tests."""
        return await self._host.arun(self._wait_for_status(task_id, statuses, timeout))

    async def _wait_for_status(self, task_id: str, statuses: tuple[str, ...], timeout: float) -> str:
        if task_id not in self.app.state.store.tasks:
            raise KeyError(f"the mock has no task {task_id!r}")
        if not statuses:
            raise ValueError("name at least one status, e.g. wait_for_status(task_id, 'SUCCESS')")
        if not self.virtual_clock:
            return await self.app.wait_for_status(task_id, *statuses, timeout=timeout)
        if not await _settle(self.app, lambda: self.app.status(task_id) in statuses):
            raise TimeoutError(
                f"task {task_id} stays {self.app.status(task_id)} once every scheduled event has run, "
                f"never {' or '.join(statuses)}"
            )
        return self.app.status(task_id)

    def wait_for_callback(self, task_id: str, stage: str = "complete", *, timeout: float = 10.0) -> Attempt:
        """The delivered ``stage`` callback (text, first, complete, error) of the task, as the mock journaled it.

        With the virtual clock, time is moved to each next due event; otherwise waits ``timeout`` real seconds.
        """
        return self._host.run(self._wait_for_callback(task_id, stage, timeout))

    async def wait_for_callback_async(self, task_id: str, stage: str = "complete", *, timeout: float = 10.0) -> Attempt:
        """:meth:`wait_for_callback` for ``async def`` tests."""
        return await self._host.arun(self._wait_for_callback(task_id, stage, timeout))

    async def _wait_for_callback(self, task_id: str, stage: str, timeout: float) -> Attempt:
        if not self.virtual_clock:
            return await self.app.wait_for_callback(task_id, stage, timeout=timeout)

        def found() -> Attempt | None:
            return next((a for a in self.callbacks.attempts(task_id) if a.stage == stage and a.delivered), None)

        await _settle(self.app, lambda: found() is not None)
        attempt = found()
        if attempt is None:
            seen = [
                f"{a.stage} #{a.attempt}: " + ("delivered" if a.delivered else f"failed ({a.error})")
                for a in self.callbacks.attempts(task_id)
            ]
            raise TimeoutError(
                f"no delivered {stage} callback for task {task_id} once every scheduled event has run; "
                f"attempts: {'; '.join(seen) or 'none (was callBackUrl set?)'}"
            )
        return attempt

    def add_fault(self, rule: Mapping[str, Any] | None = None, **fields: Any) -> Any:
        """Add a fault rule to the mock (``POST /_mock/faults`` in Python); returns what the mock returns.

        ``rule`` is the rule dict the mock documents; keywords are merged into it.
        """
        merged = {**(rule or {}), **fields}
        add = getattr(self.app, "add_fault", None) or getattr(getattr(self.app, "faults", None), "configure", None)
        if add is None:
            raise NotImplementedError(
                "this version of mockserver has no fault injection (MockApp.add_fault); upgrade suno-mockkit, "
                "or test error handling with suno_respx.force(code=...)"
            )

        async def call() -> Any:
            return add(merged)

        return self._host.run(call())

    @property
    def requests(self) -> RequestJournal:
        """Every API request the mock answered (method, path, operation, code, msg), oldest first."""
        return self.app.requests

    @property
    def callbacks(self) -> CallbackJournal:
        """Every callback delivery attempt; ``callbacks.attempts(task_id)``."""
        return self.app.callbacks

    def rejected(self) -> list[RequestRecord]:
        """Requests the mock refused as malformed (code 422)."""
        return self.app.requests.rejected()

    def expect_rejections(self) -> None:
        """Declare that this test sends malformed requests on purpose: no failure at teardown for them."""
        self._expect_rejections = True

    # teardown ---------------------------------------------------------------------------------
    def _problems(self, name: str) -> list[str]:
        problems: list[str] = []
        rejected = [] if self._expect_rejections else self.rejected()
        if rejected:
            lines = "\n".join(
                f"  - {r.method} {r.path} ({r.operation_id or 'no operation'}): {r.msg}" for r in rejected
            )
            problems.append(
                f"{name}: the mock rejected {len(rejected)} request(s) as malformed (code 422) "
                f"and the test did not expect it:\n{lines}\n"
                "Fix the request, or declare it expected with @pytest.mark.suno(expect_rejections=True) "
                f"or {name}.expect_rejections()."
            )
        errors = self.app.state.scheduler.errors[self._errors_seen :]
        if errors:
            lines = "\n".join(f"  - {type(e.exception).__name__}: {e.exception}" for e in errors)
            problems.append(
                f"{name}: {len(errors)} background action(s) crashed inside the mock "
                f"(callback deliveries, timed state changes):\n{lines}\n"
                "The tracebacks are in the captured log; please report mock crashes to suno-mockkit."
            )
        return problems

    def _close_clients(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._async_client is not None:
            client, self._async_client = self._async_client, None
            # The transport holds nothing; closing needs a loop, and the host has one.
            self._host.run(client.aclose())


class SunoServer(SunoMock):
    """The ``suno_server`` fixture: :class:`SunoMock` served on ``url`` (loopback) with real-network clients."""

    def __init__(self, app: MockApp, host: _Host, setup: _Setup, *, url: str) -> None:
        super().__init__(app, host, setup, base_url=url)
        self.url = url

    def _transports(self) -> tuple[httpx.BaseTransport, httpx.AsyncBaseTransport]:
        import httpx

        # No kept-alive connections: the async client's pool would belong to the test's event loop.
        return httpx.HTTPTransport(), httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))


@dataclass
class _SpendGuard:
    """Counts creating calls sent to the live endpoint and refuses them past the budget."""

    budget: int
    sent: int = 0
    refused: list[str] = field(default_factory=list)


class SunoLive:
    """``suno_server`` in a test marked ``suno_live`` under ``--suno-base-url``: a guarded proxy to a real API.

    ``url``/``base_url`` is a loopback proxy that forwards to :attr:`upstream`; it answers creating calls
    past ``--suno-spend-budget`` itself (code 402) and the test then fails. Mock controls are absent.
    """

    is_mock = False

    def __init__(self, url: str, upstream: str, token: str, guard: _SpendGuard) -> None:
        self.url = self.base_url = url
        self.upstream = upstream
        self.token = token
        self._guard = guard
        self._refused_seen = len(guard.refused)
        self._client: httpx.Client | None = None
        self._async_client: httpx.AsyncClient | None = None

    @property
    def spent(self) -> int:
        """Creating calls sent upstream so far in this pytest process."""
        return self._guard.sent

    @property
    def client(self) -> httpx.Client:
        """A sync ``httpx.Client`` on the proxy, authorised with ``--suno-token``."""
        if self._client is None:
            import httpx

            self._client = httpx.Client(base_url=self.url, headers=self._auth(), timeout=60, trust_env=False)
        return self._client

    @property
    def async_client(self) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` on the proxy, authorised with ``--suno-token``."""
        if self._async_client is None:
            import httpx

            transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
            self._async_client = httpx.AsyncClient(
                base_url=self.url, headers=self._auth(), timeout=60, transport=transport, trust_env=False
            )
        return self._async_client

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(
            f"suno_server.{name} is a mock control, but this test runs against {self.upstream} (--suno-base-url); "
            "guard it with `if suno_server.is_mock:`"
        )

    def _problems(self, name: str) -> list[str]:
        refused = self._guard.refused[self._refused_seen :]
        if not refused:
            return []
        lines = "\n".join(f"  - {line}" for line in refused)
        return [
            f"{name}: refused {len(refused)} creating call(s) to {self.upstream}: --suno-spend-budget="
            f"{self._guard.budget} is used up ({self._guard.sent} sent):\n{lines}\n"
            "Each creating call costs credits; raise --suno-spend-budget to allow more."
        ]

    def _close_clients(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._async_client is not None:
            import asyncio

            asyncio.run(self._async_client.aclose())


def _spend_proxy(upstream: str, provider: str, guard: _SpendGuard) -> ASGIApp:
    """A loopback reverse proxy to ``upstream`` that enforces ``guard`` on creating calls."""
    import asyncio

    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from contract import rules

    creating = {rules.OPERATIONS[provider][op] for op in rules.CREATING}
    hop_by_hop = {"connection", "content-length", "content-encoding", "transfer-encoding", "keep-alive", "host"}
    clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    async def forward(request: Request) -> Response:
        if (request.method, request.url.path) in creating:
            line = f"{request.method} {request.url.path}"
            if guard.sent >= guard.budget:
                guard.refused.append(line)
                msg = f"suno-mockkit spend guard: {line} refused, --suno-spend-budget={guard.budget} is used up"
                return JSONResponse({"code": 402, "msg": msg, "data": None})
            guard.sent += 1
        loop = asyncio.get_running_loop()
        client = clients.get(loop)
        if client is None:
            client = clients[loop] = httpx.AsyncClient(base_url=upstream, timeout=120)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in hop_by_hop}
        answer = await client.request(
            request.method, request.url.path, params=request.query_params, headers=headers, content=await request.body()
        )
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in hop_by_hop}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------
def _live(request: pytest.FixtureRequest) -> bool:
    return (
        bool(request.config.getoption("--suno-base-url")) and request.node.get_closest_marker("suno_live") is not None
    )


def _teardown(mock: SunoMock | SunoLive, name: str) -> None:
    __tracebackhide__ = True
    problems = mock._problems(name)
    mock._close_clients()
    if problems:
        _fail("\n".join(problems) + f"\n(see {DOCS})")


@pytest.fixture(scope="session")
def _suno_host() -> Iterator[_Host]:
    """The event loop every mock of this pytest process runs on."""
    host = _Host()
    yield host
    host.close()


async def _new_app(setup: _Setup) -> MockApp:
    from mockserver import create_app

    return create_app(setup.provider, **setup.settings)


def _apply_faults(mock: SunoMock, setup: _Setup) -> None:
    __tracebackhide__ = True
    for rule in setup.faults:
        try:
            mock.add_fault(rule)
        except (NotImplementedError, ValueError, TypeError) as exc:
            _fail(f"@pytest.mark.suno(faults=[{rule!r}]): {exc}")


@pytest.fixture
def suno_mock(request: pytest.FixtureRequest, _suno_host: _Host) -> Iterator[SunoMock]:
    """A fresh in-process mock for this test: ``client``, ``async_client``, ``base_url`` and controls.

    Configured by ``@pytest.mark.suno(...)``; fails the test at teardown on unexpected 422 rejections
    and on crashes inside the mock. See docs/pytest-plugin.md.
    """
    if _live(request):
        _fail(
            "suno_mock is always the in-process mock; a test marked suno_live runs against --suno-base-url "
            "through suno_server only"
        )
    setup = _setup(request)
    app = _suno_host.run(_new_app(setup))
    mock = SunoMock(app, _suno_host, setup)
    try:
        _apply_faults(mock, setup)
        yield mock
        _teardown(mock, "suno_mock")
    finally:
        _suno_host.run(app.aclose())


@dataclass
class _Served:
    app: MockApp
    server: ThreadedServer


class _ServerPool:
    """Session-wide: one served mock per configuration, and the live proxy."""

    def __init__(self, host: _Host) -> None:
        self.host = host
        self.served: dict[str, _Served] = {}
        self.proxies: dict[str, tuple[ThreadedServer, _SpendGuard]] = {}

    def get(self, setup: _Setup) -> _Served:
        found = self.served.get(setup.key)
        if found is None:
            from mockserver.serving import ThreadedServer

            app = self.host.run(_new_app(setup))
            server = ThreadedServer(self.host.hosted(app)).start()
            found = self.served[setup.key] = _Served(app, server)
        return found

    def proxy(self, config: pytest.Config, provider: str) -> tuple[ThreadedServer, _SpendGuard]:
        if provider not in self.proxies:
            from mockserver.serving import ThreadedServer

            guard = _SpendGuard(_worker_share(config, int(config.getoption("--suno-spend-budget") or 0)))
            upstream = str(config.getoption("--suno-base-url")).rstrip("/")
            self.proxies[provider] = (ThreadedServer(_spend_proxy(upstream, provider, guard)).start(), guard)
        return self.proxies[provider]

    def close(self) -> None:
        for served in self.served.values():
            served.server.stop()
            self.host.run(served.app.aclose())
        for server, _ in self.proxies.values():
            server.stop()


def _worker_share(config: pytest.Config, budget: int) -> int:
    """Under pytest-xdist each worker gets its share of the budget, so the run never exceeds it."""
    worker = getattr(config, "workerinput", None)  # set by xdist on its workers' configs
    if not isinstance(worker, dict):
        return budget
    name, total = str(worker.get("workerid", "")), int(worker.get("workercount") or 1)
    index = int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0
    return budget // total + (1 if index < budget % total else 0)


@pytest.fixture(scope="session")
def _suno_servers(_suno_host: _Host) -> Iterator[_ServerPool]:
    pool = _ServerPool(_suno_host)
    yield pool
    pool.close()


@pytest.fixture
def suno_server(request: pytest.FixtureRequest, _suno_servers: _ServerPool) -> Iterator[SunoServer | SunoLive]:
    """The mock served on ``url`` (127.0.0.1, a free port), shared by the session and reset before this test.

    For clients that do not use httpx, subprocesses and callback flows. In a test marked ``suno_live``
    under ``--suno-base-url`` it is a :class:`SunoLive` proxy to that endpoint instead. See docs/pytest-plugin.md.
    """
    setup = _setup(request)
    if _live(request):
        server, guard = _suno_servers.proxy(request.config, setup.provider)
        live = SunoLive(server.url, _upstream(request.config), request.config.getoption("--suno-token") or "", guard)
        yield live
        _teardown(live, "suno_server")
        return
    served = _suno_servers.get(setup)
    host = _suno_servers.host

    async def reset() -> None:
        served.app.reset()
        served.app.state.scheduler.errors.clear()
        clear = getattr(served.app, "clear_faults", None) or getattr(getattr(served.app, "faults", None), "clear", None)
        if clear is not None:
            clear()  # the previous test's fault rules

    host.run(reset())
    mock = SunoServer(served.app, host, setup, url=served.server.url)
    _apply_faults(mock, setup)
    yield mock
    _teardown(mock, "suno_server")


def _upstream(config: pytest.Config) -> str:
    return str(config.getoption("--suno-base-url")).rstrip("/")


@pytest.fixture
def suno_respx(suno_mock: SunoMock) -> Iterator[SunoRouter]:
    """Route httpx calls to the provider's real base URL (e.g. https://api.kie.ai) into ``suno_mock``.

    A :class:`contract.client.SunoRouter`: requests are checked against the documented rules (a broken
    rule raises ``ContractViolation`` at the call), other providers' hosts are refused, loopback passes
    through. Use ``suno_mock`` in the same test for the controls. See docs/pytest-plugin.md.
    """
    import httpx

    from contract.client import BASE_URLS, ContractViolation, SunoRouter

    router = SunoRouter(
        suno_mock.provider,
        suno_mock._host.hosted(suno_mock.app),
        strict=not suno_mock._expect_rejections,
    )
    for host in ("127.0.0.1", "localhost", "::1"):
        router.route(host=host).pass_through()
    for provider, url in BASE_URLS.items():
        if provider != suno_mock.provider:
            wrong = _wrong_provider(provider, suno_mock.provider)
            router.route(host=httpx.URL(url).host).mock(side_effect=wrong)
    suno_mock.base_url = router.base_url
    suno_mock._router = router
    failed: ContractViolation | None = None
    router.__enter__()
    try:
        yield router
    finally:
        if suno_mock._expect_rejections:
            router.violations.clear()
        try:
            router.__exit__(None, None, None)
        except ContractViolation as exc:
            failed = exc
    if failed is not None:
        _fail(f"suno_respx: {failed}")


def _wrong_provider(provider: str, mocked: str) -> Callable[[Any], NoReturn]:
    def refuse(request: Any) -> NoReturn:
        raise AssertionError(
            f"suno_respx: {request.method} {request.url} goes to {provider}, but this test mocks {mocked}; "
            f"mark it @pytest.mark.suno(provider={provider!r})"
        )

    return refuse


@pytest.fixture(scope="session")
def _suno_receiver() -> Iterator[CallbackReceiver]:
    from mockserver.serving import CallbackReceiver

    with CallbackReceiver() as receiver:
        yield receiver


@pytest.fixture
def callback_receiver(_suno_receiver: CallbackReceiver) -> CallbackReceiver:
    """A real HTTP receiver on 127.0.0.1 that records callbacks: ``url``, ``received``, ``wait_for(...)``.

    Shared by the session, emptied and answering 200 at once before each test. See docs/pytest-plugin.md.
    """
    _suno_receiver.clear()
    _suno_receiver.status, _suno_receiver.delay_s = 200, 0.0
    return _suno_receiver
