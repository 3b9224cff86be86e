"""What the ``suno_mock`` and ``suno_server`` fixtures hand to a test: :class:`SunoMock` and :class:`SunoServer`.

A handle holds one mock (on the plugin's :class:`contract._loop_host.LoopHost`), httpx clients bound to
it, and its controls (time, waits, seeded tasks, faults, journals). Importing this module imports only
the standard library; httpx and the mock are imported when a handle is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from contract._client import SunoRouter
    from contract._loop_host import LoopHost
    from contract._setup import Setup
    from mockserver import MockApp
    from mockserver._callback_journal import Attempt, CallbackJournal
    from mockserver._journal import RequestJournal, RequestRecord
    from mockserver._store import Task

__all__ = ["SunoMock", "SunoServer"]


async def _forward(transport: httpx.ASGITransport, request: httpx.Request) -> httpx.Response:
    from contract._internals import send_through

    return await send_through(transport, request)


async def _settle(app: MockApp, done: Callable[[], bool]) -> bool:
    """Virtual clock: step to each due action until ``done()``; False once nothing is left to run."""
    scheduler = app.state.scheduler
    while not done():
        at = scheduler.next_at()
        if at is None:
            return False
        await app.advance(max(0.0, at - app.state.now()))
    return True


class _RoutedMock:
    """The mock as ``suno_respx``'s router answers from it: the app on the host loop, its settings, its clock.

    Callable from any loop (the test's, the router's sync bridge); ``advance`` moves the virtual
    clock on the host loop, as :meth:`SunoMock.advance` does.
    """

    def __init__(self, app: MockApp, host: LoopHost) -> None:
        self._app = app
        self._host = host
        self._asgi = host.hosted(app)
        self.settings = app.settings

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._asgi(scope, receive, send)

    async def advance(self, seconds: float) -> None:
        await self._host.arun(self._app.advance(seconds))


class SunoMock:
    """The ``suno_mock`` fixture: one mock, an httpx client bound to it, and its controls.

    ``client`` (sync) and ``async_client`` send ``Authorization: Bearer <token>`` to ``base_url``.
    Methods that wait or move time have an ``_async`` twin for ``async def`` tests.
    """

    #: False only for :class:`SunoLive`.
    is_mock = True

    def __init__(self, app: MockApp, host: LoopHost, setup: Setup, *, base_url: str = "http://testserver") -> None:
        self.app = app
        self.provider: str = app.provider
        self.base_url = base_url
        self.token = setup.token
        self._host = host
        self._expect_rejections = setup.expect_rejections
        self._poll_step = setup.poll_step
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

    def _routed(self) -> _RoutedMock:
        """This mock as a router's app (``suno_respx``): answers on the host loop; its virtual clock can be moved."""
        return _RoutedMock(self.app, self._host)

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

    def add_fault(self, rule: Mapping[str, Any] | None = None, **fields: Any) -> None:
        """Add a fault rule to the mock (``POST /_mock/faults`` in Python).

        ``rule`` is the rule dict the mock documents; keywords are merged into it.
        """
        merged = {**(rule or {}), **fields}

        async def call() -> None:
            self.app.faults.configure(merged)

        self._host.run(call())

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

    def __init__(self, app: MockApp, host: LoopHost, setup: Setup, *, url: str) -> None:
        super().__init__(app, host, setup, base_url=url)
        self.url = url

    def _transports(self) -> tuple[httpx.BaseTransport, httpx.AsyncBaseTransport]:
        import httpx

        # No kept-alive connections: the async client's pool would belong to the test's event loop.
        return httpx.HTTPTransport(), httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
