"""The client conformance router: check every request a user's httpx client sends.

:class:`SunoRouter` is a :class:`respx.MockRouter` that intercepts the user's ``httpx`` calls to
a provider's real base URL (``https://api.kie.ai``, ``https://api.sunoapi.org``,
``https://api.api.box``, ``https://api.apikley.ru``), checks each request against the documented
rules (:mod:`contract._rules`, plus the auth header and content type), and answers from the
in-process mock. Sync ``httpx.Client`` and async ``httpx.AsyncClient`` both work: async requests
go through ``httpx.ASGITransport``; sync ones through the same transport run on a private event
loop thread (``respx.ASGIHandler`` alone is async-only). ``requests`` calls to the base URL, from
any session, go through the same checks while the router is active
(:mod:`contract._requests_adapter`, when ``requests`` is installed).

A broken rule is never silent. With ``strict=True`` (default) the call itself raises
:class:`ContractViolation` naming the field, the value and the rule; every violation is also
recorded, and leaving the ``with`` block raises :class:`ContractViolation` again if the client
swallowed the first one. With ``strict=False`` the request goes on to the mock (which answers
as the real API would, usually with code 422) and the violations are raised at teardown.

:meth:`SunoRouter.force` makes the router answer a documented code (``force(code=402)``) or
task state (``force(status="GENERATE_AUDIO_FAILED")``) itself, with a spec-valid envelope, so a
client's failure handling can be tested without any fault-injection support in the mock. On a
mock with a virtual clock (the ready check's), a forced state of a task the mock knows is reached
on the mock's own clock and answered by the mock, so a forced SUCCESS lists the mock's own tracks.

A client that polls needs mock time to pass between its polls. On a mock with a virtual clock
(the router's default app, and the ``suno_respx`` fixture's default) each details read of any family
(Get Music Details, Get WAV Details, ... : the details operations of the contract's family table)
moves the mock's clock on by ``poll_step`` mock seconds (default :data:`DEFAULT_POLL_STEP`) **after**
the mock answered it: the read shows the task as it is at that moment, then the clock moves as if
the client had waited that long before its next read. So a plain polling loop, with no clock control
of its own and no real waiting, sees the task go PENDING -> ... -> SUCCESS. ``poll_step=0`` turns it
off (time then moves only through the app's ``advance``). A read answered with a forced state or code
does not move the clock (a forced state of a task the mock knows moves it to that state instead).

Example::

    import httpx
    from contract._client import suno_router

    def test_my_client_generates():
        with suno_router("kie") as router:
            task_id = my_client.generate(prompt="rain", api_key="k")   # uses https://api.kie.ai
            assert my_client.wait(task_id).status == "SUCCESS"
            with router.forced(code=402, operation="generate-music"):
                with pytest.raises(my_client.OutOfCredits):
                    my_client.generate(prompt="rain", api_key="k")
"""

from __future__ import annotations

import json
import math
import threading
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any, Self

import httpx

from mockserver import openapi
from mockserver._errors import ConfigError

from . import _families as families
from . import _rules as rules
from ._drawing import CreateTimeStyle
from ._forcing import Force, among, force_rule, restyled
from ._hostguard import real_hosts_blocked
from ._internals import KindAwareRouter, request_is_async, send_through
from ._loop_host import LoopHost
from ._violations import ContractViolation, NoRequestSeen, RecordedViolation, RequestBudgetExceeded

try:
    from . import _requests_adapter
except ImportError:  # requests is optional: without it only httpx is routed
    _requests_adapter = None  # type: ignore[assignment]

#: A forced state of a task the mock knows is reached on a virtual-clock mock in steps of this many mock seconds.
SETTLE_STEP = 5.0
SETTLE_STEPS = 2000
#: Mock seconds each details read moves a virtual-clock mock on, unless ``poll_step`` says otherwise.
DEFAULT_POLL_STEP = 5.0

__all__ = ["BASE_URLS", "DEFAULT_POLL_STEP", "SunoRouter", "suno_router", "valid_poll_step"]

#: The documented base URL of each provider (suno-api.md 0.2).
BASE_URLS: dict[str, str] = {
    provider: openapi.load_spec(provider)["servers"][0]["url"] for provider in openapi.PROVIDERS
}


def valid_poll_step(value: Any, name: str = "poll_step") -> float:
    """``value`` as a poll step (mock seconds >= 0), or :class:`ConfigError` naming ``name``, the value and the rule."""
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number < 0:
        raise ConfigError(
            f"{name}={value!r} is not allowed: use a number of mock seconds >= 0 that each details read "
            "moves the virtual clock on (0: polling never moves it)"
        )
    return number


class SunoRouter(KindAwareRouter):
    """A respx router for one provider that checks requests and answers from the mock.

    Use it as a (sync or async) context manager, usually through :func:`suno_router`.
    ``app`` is the ASGI app to answer from (default: ``mockserver.create_app(provider,
    virtual_clock=True)``); ``base_url`` overrides the provider's documented base URL;
    ``max_requests`` bounds the requests one test may make (``None``: unbounded) and raises
    :class:`RequestBudgetExceeded` beyond it. Other hosts are refused unless routed
    (``assert_all_mocked``, respx's default).

    ``poll_step``: mock seconds each details read moves the app's virtual clock on, after the
    mock answered it (``None``: :data:`DEFAULT_POLL_STEP` on an app with a virtual clock, 0 on an
    app whose clock follows real time; a step > 0 needs a virtual clock).
    """

    def __init__(
        self,
        provider: str = "kie",
        app: Callable[..., Awaitable[None]] | None = None,
        *,
        strict: bool = True,
        base_url: str | None = None,
        max_requests: int | None = None,
        assert_all_mocked: bool = True,
        expect_requests: bool = True,
        poll_step: float | None = None,
    ) -> None:
        if provider not in openapi.PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}: choose one of {', '.join(openapi.PROVIDERS)}")
        super().__init__(assert_all_called=False, assert_all_mocked=assert_all_mocked)
        self.provider = provider
        self.strict = strict
        self.base_url = (base_url or BASE_URLS[provider]).rstrip("/")
        self.max_requests = max_requests
        #: Warn (:class:`NoRequestSeen`) at teardown when no request came at all.
        self.expect_requests = expect_requests
        #: Requests that reached the router (refused ones too).
        self.requests_seen = 0
        self._host_guard: AbstractContextManager[None] | None = None
        if app is None:
            from mockserver import create_app  # only the app to answer from; no rule code

            app = create_app(provider, virtual_clock=True)
        self.app = app
        #: Mock seconds each details read moves the virtual clock on (0: never).
        self.poll_step = self._poll_step(poll_step)
        #: Mock seconds the details reads have moved the clock on so far.
        self.polled_s = 0.0
        #: Every broken rule, in order.
        self.violations: list[RecordedViolation] = []
        #: The operationId of every request, in order (None: not a documented operation).
        self.operations_called: list[str | None] = []
        self._forces: list[Force] = []
        self._tracks: dict[tuple[str, str | int], float] = {}
        #: The sync bridge into the ASGI app: a private loop, started on the first sync request.
        self._bridge: LoopHost | None = None
        self._bridge_lock = threading.Lock()
        self._transport = httpx.ASGITransport(app=app)
        url = httpx.URL(self.base_url)
        self._route = self.route(scheme=url.scheme, host=url.host, name=f"suno-{provider}")
        self._route.side_effect = self._handle

    def __enter__(self) -> Self:
        self._host_guard = real_hosts_blocked()
        self._host_guard.__enter__()
        super().__enter__()
        if _requests_adapter is not None:
            _requests_adapter.install(self)
        return self

    async def __aenter__(self) -> Self:
        return self.__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            if _requests_adapter is not None:
                _requests_adapter.uninstall(self)
            super().__exit__(exc_type, exc_value, traceback)
        finally:
            self._close_bridge()
            guard, self._host_guard = self._host_guard, None
            if guard is not None:
                guard.__exit__(None, None, None)
        if exc_type is None and not self.requests_seen and self.expect_requests:
            warnings.warn(
                NoRequestSeen(
                    f"the {self.provider} router saw no request to {self.base_url}: the client under test may "
                    "send to another host or through a library the router does not intercept (httpx and requests are); "
                    "pass expect_requests=False when no request is expected"
                ),
                stacklevel=2,
            )
        if exc_type is None and self.violations:
            raise ContractViolation(self.violations, at_teardown=True)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.__exit__(exc_type, exc_value, traceback)

    def _poll_step(self, value: float | None) -> float:
        if value is None:
            return DEFAULT_POLL_STEP if self._settles() else 0.0
        step = valid_poll_step(value)
        if step and not self._settles():
            raise ConfigError(
                f"poll_step={value!r} needs an app with a virtual clock, but this one's clock follows real time "
                "(it moves by itself); pass poll_step=0, or an app made with create_app(..., virtual_clock=True)"
            )
        return step

    # controls ---------------------------------------------------------------------------------
    def check(self) -> None:
        """Raise :class:`ContractViolation` now if any rule was broken so far."""
        if self.violations:
            raise ContractViolation(self.violations, at_teardown=True)

    def force(
        self,
        *,
        code: int = 200,
        status: str | int | Sequence[str | int] | None = None,
        operation: str | None = None,
        http_status: int | None = None,
        create_time: CreateTimeStyle = "string",
        times: int | None = None,
    ) -> Force:
        """Answer matching requests with a documented outcome instead of asking the mock.

        ``code``: the body code (e.g. 401, 402, 429; 501 or 505 come with HTTP 500). With
        ``operation=None`` it applies to every operation that documents the code.
        ``status``: a task state (or a sequence, one per poll, the last repeating) for a details
        operation, e.g. ``"GENERATE_AUDIO_FAILED"`` or ``["PENDING", "FIRST_SUCCESS", "SUCCESS"]``
        for Get Music Details, ``"GENERATE_WAV_FAILED"`` for Get WAV Details, or an integer
        ``successFlag`` such as ``3`` for Get MIDI or Cover Details. With ``operation=None`` it
        applies to the first served details operation whose family documents every given state
        (the contract's table says which).
        ``create_time="epoch_ms"`` writes ``createTime`` as epoch milliseconds (a real quirk).
        ``times`` limits how many requests the rule answers. The request is still checked.
        """
        rule = force_rule(
            self.provider,
            code=code,
            status=status,
            operation=operation,
            http_status=http_status,
            create_time=create_time,
            times=times,
        )
        self._forces.append(rule)
        return rule

    @contextmanager
    def forced(self, **options: Any) -> Iterator[Force]:
        """:meth:`force` for the duration of a ``with`` block."""
        rule = self.force(**options)
        try:
            yield rule
        finally:
            rule._removed = True

    def clear_forces(self) -> None:
        """Drop every forced answer; requests go to the mock again."""
        for rule in self._forces:
            rule._removed = True
        self._forces.clear()

    def remember_track(self, task_id: str, audio_id: str, index: int, duration: float) -> None:
        """Tell the router a track's duration, for the replace-section 50 % rule."""
        self._tracks[(task_id, audio_id)] = duration
        self._tracks[(task_id, index)] = duration

    def seed_task(self, durations: Sequence[float] = (180.0, 180.0), **fields: str) -> Any:
        """Create a finished task in the mock (``MockApp.seed_task``) and remember its tracks."""
        seed = getattr(self.app, "seed_task", None)
        if seed is None:
            raise TypeError("this app has no seed_task(); create the task through the API or pass a mockserver app")
        task = seed(list(durations), base_url=self.base_url, **fields)
        for track in task.tracks:
            self.remember_track(task.id, track.id, track.index, track.duration)
        return task

    # the side effect ----------------------------------------------------------------------------
    def _operation_of(self, request: httpx.Request) -> tuple[str | None, list[rules.Violation]]:
        path = request.url.path.rstrip("/") or "/"
        served = rules.OPERATIONS[self.provider]
        for op, (method, op_path) in served.items():
            if op_path == path:
                if method == request.method:
                    return op, []
                return None, [rules.Violation("method", request.method, f"{path} must be called with {method}")]
        listed = ", ".join(f"{m} {p}" for m, p in served.values())
        return None, [rules.Violation("path", path, f"is not an operation of {self.provider}; it serves {listed}")]

    def _check(self, request: httpx.Request) -> tuple[str | None, dict[str, str]]:
        operation_id, problems = self._operation_of(request)
        problems += rules.header_violations(request)
        query = dict(request.url.params)
        if operation_id is not None:
            body: Any = None
            body_ok = True
            if request.method == "POST":
                try:
                    body = json.loads(request.content or b"null")
                except (ValueError, UnicodeDecodeError) as exc:
                    problems.append(rules.Violation("body", request.content[:200], f"must be valid JSON ({exc})"))
                    body_ok = False
            if body_ok:
                problems += rules.request_violations(self.provider, operation_id, body, query)
                # A rule the documents disagree on binds a client: only a request both readings accept
                # works against every server (the server suite accepts either answer instead).
                disputed = rules.disputed_violations(self.provider, operation_id, body)
                problems += [
                    rules.Violation(v.field, v.value, f"{v.rule}; the documents disagree, so keep it") for v in disputed
                ]
            duration = self._named_track(operation_id, body)
            if duration is not None and isinstance(body, dict):
                problems += rules.stateful_violations(self.provider, operation_id, body, duration)
        found = [RecordedViolation(request.method, str(request.url), operation_id, v) for v in problems]
        self.violations += found
        if found and self.strict:
            raise ContractViolation(found)
        return operation_id, query

    def _named_track(self, operation_id: str, body: Any) -> float | None:
        """The duration of the track a body names (task and track fields of the table), if the router knows it."""
        entry = families.operation(operation_id)
        if entry.stateful is None or not isinstance(body, dict):
            return None
        task = next((r.field for r in entry.refs if r.names == "task"), None)
        track = next(
            (
                r.field
                for r in entry.refs
                if r.names in ("track", "index") and (r.providers is None or self.provider in r.providers)
            ),
            None,
        )
        if task is None or track is None:
            return None
        value = body.get(track)
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return None
        return self._tracks.get((str(body.get(task)), value))

    def _handle(self, request: httpx.Request) -> httpx.Response | Coroutine[Any, Any, httpx.Response]:
        if self.max_requests is not None and len(self.operations_called) >= self.max_requests:
            raise RequestBudgetExceeded(
                f"{request.method} {request.url}: more than {self.max_requests} requests; the client seems to poll "
                "forever (does it stop on failure states and codes?)"
            )
        self.requests_seen += 1
        if request.url.path.startswith("/_mock/"):
            # The mock's own files and controls (audioUrl, streamAudioUrl point here): no API rules apply.
            return self._forward_async(request, None) if request_is_async() else self._run_sync(self._send(request))
        operation_id, query = self._check(request)
        self.operations_called.append(operation_id)
        if operation_id is not None:
            for rule in self._forces:
                if rule.active() and operation_id in rule.operations:
                    if rule.next_status(operation_id) is not None and self._settles():
                        if request_is_async():
                            return self._settle_learn(request, operation_id, rule, query)
                        settled = self._run_sync(self._settle(request, operation_id, rule, query))
                        self._learn(operation_id, settled)
                        return settled
                    forced = rule.answer(self.provider, operation_id, query).to_httpx(request)
                    self._learn(operation_id, forced)
                    return forced
        if request_is_async():
            return self._forward_async(request, operation_id)
        return self._run_sync(self._forward_async(request, operation_id))

    def _run_sync(self, coro: Coroutine[Any, Any, httpx.Response]) -> httpx.Response:
        """Run ``coro`` on the bridge loop (``respx.ASGIHandler`` alone is async-only)."""
        with self._bridge_lock:
            if self._bridge is None:
                self._bridge = LoopHost(name="suno-router-bridge")
            bridge = self._bridge
        return bridge.run(coro)

    def _close_bridge(self) -> None:
        """Stop the bridge loop, cancelling what the app left running on it (e.g. the mock's scheduler)."""
        with self._bridge_lock:
            bridge, self._bridge = self._bridge, None
        if bridge is not None:
            bridge.close()

    def _settles(self) -> bool:
        """Whether forced states are reached on the mock's own clock (an app with a virtual clock)."""
        settings = getattr(self.app, "settings", None)
        return bool(getattr(settings, "virtual_clock", False)) and callable(getattr(self.app, "advance", None))

    async def _settle_learn(
        self, request: httpx.Request, operation_id: str, rule: Force, query: Mapping[str, str]
    ) -> httpx.Response:
        response = await self._settle(request, operation_id, rule, query)
        self._learn(operation_id, response)
        return response

    async def _settle(
        self, request: httpx.Request, operation_id: str, rule: Force, query: Mapping[str, str]
    ) -> httpx.Response:
        """A forced state answered by the mock itself, its clock moved on until its task is in that state.

        So a forced SUCCESS lists the mock's own tracks (ids, durations, files), and the client's
        next call naming one of them is answered as the API would. A failure state, a task the mock
        does not know, or one already past the forced state gets the built answer instead.
        """
        wanted = rule.next_status(operation_id)
        status = next(
            (s for f in families.reading(operation_id) if (s := f.forceable_status(self.provider)) is not None),
            None,
        )
        if status is not None and 0 <= status.rank(wanted) < len(status.order):
            advance: Callable[[float], Awaitable[None]] = getattr(self.app, "advance")  # noqa: B009 (duck-typed app)
            for _ in range(SETTLE_STEPS):
                real = await self._send(request)
                try:
                    body = real.json()
                    seen = body["data"][status.field] if body.get("code") == 200 else None
                except (ValueError, AttributeError, KeyError, TypeError):
                    seen = None
                if seen is None:
                    break
                if among(seen, [wanted]):
                    rule.used += 1
                    return restyled(real, rule.create_time)
                if status.is_terminal(seen) or status.rank(seen) >= status.rank(wanted):
                    break
                await advance(SETTLE_STEP)
        return rule.answer(self.provider, operation_id, query).to_httpx(request)

    async def _forward_async(self, request: httpx.Request, operation_id: str | None) -> httpx.Response:
        response = await self._send(request)
        self._learn(operation_id, response)
        if self.poll_step and operation_id is not None and families.reading(operation_id):
            # after the answer: the read saw the task as it was; the client's wait before its next read passes now
            advance: Callable[[float], Awaitable[None]] = getattr(self.app, "advance")  # noqa: B009 (duck-typed app)
            await advance(self.poll_step)
            self.polled_s += self.poll_step
        return response

    async def _send(self, request: httpx.Request) -> httpx.Response:
        return await send_through(self._transport, request)

    def _learn(self, operation_id: str | None, response: httpx.Response) -> None:
        """Remember track durations that a details answer reports, for the rules that need them (50 %)."""
        readers = [f for f in families.reading(operation_id) if f.tracks is not None] if operation_id else []
        if not readers:
            return
        try:
            data = response.json().get("data")
            task_id = data["taskId"]
        except (ValueError, AttributeError, KeyError, TypeError):
            return
        tracks_of = readers[0].tracks
        assert tracks_of is not None
        for track in tracks_of(data) if isinstance(data, dict) else []:
            self.remember_track(str(task_id), track.id, track.index, track.duration)


def suno_router(
    provider: str = "kie",
    app: Callable[..., Awaitable[None]] | None = None,
    *,
    strict: bool = True,
    base_url: str | None = None,
    max_requests: int | None = None,
    assert_all_mocked: bool = True,
    expect_requests: bool = True,
    poll_step: float | None = None,
) -> SunoRouter:
    """A :class:`SunoRouter` to use as ``with suno_router("kie") as router:`` (or ``async with``)."""
    return SunoRouter(
        provider,
        app,
        strict=strict,
        base_url=base_url,
        max_requests=max_requests,
        assert_all_mocked=assert_all_mocked,
        expect_requests=expect_requests,
        poll_step=poll_step,
    )
