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
client's failure handling can be tested without any fault-injection support in the mock.

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

import asyncio
import contextvars
import datetime as dt
import hashlib
import json
import threading
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx
import respx

from mockserver import openapi
from mockserver._errors import ContractError

from . import _families as families
from . import _rules as rules
from ._hostguard import real_hosts_blocked
from ._loop_host import cancel_other_tasks
from .strategies import CreateTimeStyle, SpecResponse, build_response, documented_codes

try:
    from . import _requests_adapter
except ImportError:  # requests is optional: without it only httpx is routed
    _requests_adapter = None  # type: ignore[assignment]

__all__ = [
    "BASE_URLS",
    "ContractViolation",
    "Force",
    "NoRequestSeen",
    "RecordedViolation",
    "RequestBudgetExceeded",
    "SunoRouter",
    "summarise",
    "suno_router",
]

#: The documented base URL of each provider (suno-api.md 0.2).
BASE_URLS: dict[str, str] = {
    provider: openapi.load_spec(provider)["servers"][0]["url"] for provider in openapi.PROVIDERS
}

_ASYNC: contextvars.ContextVar[bool] = contextvars.ContextVar("suno_router_async", default=False)


@dataclass(frozen=True)
class RecordedViolation:
    """A broken rule and the request that broke it."""

    method: str
    url: str
    operation_id: str | None
    violation: rules.Violation

    @property
    def field(self) -> str:
        """The offending field (a body field, a query parameter, or a header)."""
        return self.violation.field

    @property
    def value(self) -> Any:
        """What the client sent (``rules.MISSING`` when absent)."""
        return self.violation.value

    @property
    def rule(self) -> str:
        """The documented rule."""
        return self.violation.rule

    def __str__(self) -> str:
        where = f" ({self.operation_id})" if self.operation_id else ""
        return f"{self.method} {self.url}{where}: {self.violation}"


def summarise(violations: Sequence[RecordedViolation]) -> list[str]:
    """One line per distinct broken rule (same request line, field, value and rule), with a count."""
    counts: dict[str, int] = {}
    for violation in violations:
        line = str(violation)
        counts[line] = counts.get(line, 0) + 1
    return [line if n == 1 else f"{line} [x{n}]" for line, n in counts.items()]


class NoRequestSeen(ContractError, UserWarning):
    """A router saw no request at all: the client may not go through it (another host, not httpx)."""


class ContractViolation(ContractError, AssertionError):
    """The client sent requests that break the documented rules."""

    def __init__(self, violations: Sequence[RecordedViolation], *, at_teardown: bool = False) -> None:
        self.violations = tuple(violations)
        lines = "\n".join(f"  - {line}" for line in summarise(self.violations))
        when = "recorded during the test (the client may have swallowed the first error)" if at_teardown else "sent"
        super().__init__(
            f"the client broke {len(self.violations)} documented request rule(s), {when}:\n{lines}\n"
            "Fix the request the client builds; the rules are in contract/_rules.py and the "
            "provider's OpenAPI document."
        )


class RequestBudgetExceeded(BaseException):
    """The client made more requests than the router's ``max_requests`` allows (a polling loop that never ends).

    Derived from ``BaseException`` so that a client's ``except Exception`` cannot swallow it.
    """


@dataclass
class Force:
    """One forced answer rule; see :meth:`SunoRouter.force`."""

    operations: frozenset[str]
    code: int = 200
    http_status: int | None = None
    statuses: tuple[Any, ...] = ()
    create_time: CreateTimeStyle = "string"
    times: int | None = None
    #: How many requests this rule answered.
    used: int = 0
    _removed: bool = field(default=False, repr=False)

    def active(self) -> bool:
        """Whether the rule still answers requests."""
        return not self._removed and (self.times is None or self.used < self.times)

    def next_status(self, operation_id: str) -> Any:
        """The task state the next answer forces (None: no state, or not a details read)."""
        if self.code != 200 or not self.statuses or not families.reading(operation_id):
            return None
        return self.statuses[min(self.used, len(self.statuses) - 1)]

    def answer(self, provider: str, operation_id: str, query: Mapping[str, str]) -> SpecResponse:
        """The forced answer for one request (advances through ``statuses``)."""
        record: dict[str, Any] = {}
        readers = families.reading(operation_id)
        if readers and self.code == 200:
            record = {"create_time": self.create_time}
            if self.statuses:
                record["status"] = self.statuses[min(self.used, len(self.statuses) - 1)]
        self.used += 1
        query_field = readers[0].details_query if readers else "taskId"
        task_id = query.get(query_field) or "5c79b2e8a1f34d6b9c0e7a1d2f3b4e8e"
        return build_response(
            provider, operation_id, self.code, http_status=self.http_status, task_id=task_id, **record
        )


#: A forced state of a task the mock knows is reached on a virtual-clock mock in steps of this many mock seconds.
SETTLE_STEP = 5.0
SETTLE_STEPS = 2000


def _epoch_ms(value: Any) -> Any:
    """A ``"YYYY-MM-DD HH:MM:SS"`` createTime as epoch milliseconds (anything else as it is)."""
    if not isinstance(value, str):
        return value
    try:
        when = dt.datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return value
    return int(when.timestamp() * 1000)


def _restyled(response: httpx.Response, create_time: CreateTimeStyle) -> httpx.Response:
    """The mock's own answer, its tracks' ``createTime`` written as epoch ms when that style is forced."""
    if create_time != "epoch_ms":
        return response
    body = response.json()
    data = body.get("data") if isinstance(body, dict) else None
    inner = data.get("response") if isinstance(data, dict) else None
    tracks = inner.get("sunoData") if isinstance(inner, dict) else None
    for track in tracks if isinstance(tracks, list) else []:
        if isinstance(track, dict) and "createTime" in track:
            track["createTime"] = _epoch_ms(track["createTime"])
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-length"]
    return httpx.Response(response.status_code, headers=headers, json=body, request=response.request)


def _among(value: Any, states: Sequence[Any]) -> bool:
    """``value`` is one of ``states`` (True is not the integer state 1)."""
    return any(type(value) is type(state) and value == state for state in states)


class _LoopThread:
    """A private event loop on a daemon thread: the sync bridge into the ASGI app."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, coro: Coroutine[Any, Any, httpx.Response]) -> httpx.Response:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="suno-router-bridge", daemon=True)
                self._thread.start()
            loop = self._loop
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            # Cancel what the app left running on this loop (e.g. the mock's scheduler) before stopping it.
            asyncio.run_coroutine_threadsafe(cancel_other_tasks(), loop).result()
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()


def _fingerprint(header: str) -> str:
    """An Authorization header as a report may show it: its scheme word, the key as a sha256 prefix (never the key)."""
    words = header.split(None, 1)
    scheme, secret = (words[0], words[1]) if len(words) == 2 and words[0].isalpha() else ("", header.strip())
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{scheme + ' ' if scheme else ''}<key #{digest}>"


def _header_violations(request: httpx.Request) -> list[rules.Violation]:
    """Auth (suno-api.md 0.2: ``Authorization: Bearer <API_KEY>``) and JSON content type for bodies."""
    out: list[rules.Violation] = []
    header = request.headers.get("authorization")
    if header is None:
        out.append(
            rules.Violation("Authorization", rules.MISSING, "is required: send 'Authorization: Bearer <API key>'")
        )
    else:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or any(ch.isspace() for ch in token.strip()):
            shown = _fingerprint(header)
            out.append(rules.Violation("Authorization", shown, "must be 'Bearer <API key>' (one key, no spaces)"))
    if request.method == "POST":
        media = request.headers.get("content-type", "")
        if media.split(";")[0].strip().lower() != "application/json":
            out.append(rules.Violation("Content-Type", media or rules.MISSING, "must be application/json"))
    return out


class SunoRouter(respx.MockRouter):
    """A respx router for one provider that checks requests and answers from the mock.

    Use it as a (sync or async) context manager, usually through :func:`suno_router`.
    ``app`` is the ASGI app to answer from (default: ``mockserver.create_app(provider)``);
    ``base_url`` overrides the provider's documented base URL; ``max_requests`` bounds the
    requests one test may make (``None``: unbounded) and raises :class:`RequestBudgetExceeded`
    beyond it. Other hosts are refused unless routed (``assert_all_mocked``, respx's default).
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

            app = create_app(provider)
        self.app = app
        #: Every broken rule, in order.
        self.violations: list[RecordedViolation] = []
        #: The operationId of every request, in order (None: not a documented operation).
        self.operations_called: list[str | None] = []
        self._forces: list[Force] = []
        self._tracks: dict[tuple[str, str | int], float] = {}
        self._bridge = _LoopThread()
        self._transport = httpx.ASGITransport(app=app)
        url = httpx.URL(self.base_url)
        self._route = self.route(scheme=url.scheme, host=url.host, name=f"suno-{provider}")
        self._route.side_effect = self._handle

    # respx hooks: remember whether the request is async, so the side effect can answer in kind.
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
            self._bridge.close()
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
        statuses: tuple[Any, ...] = ()
        served = rules.OPERATIONS[self.provider]
        if status is not None:
            statuses = (status,) if isinstance(status, (str, int)) else tuple(status)
            if not statuses:
                raise ValueError("status=[] forces nothing; give at least one task state")
            operation = self._details_for(statuses, operation)
        if operation is not None and operation not in served:
            raise ValueError(f"{self.provider} has no operation {operation!r}; use one of {', '.join(served)}")
        candidates = [operation] if operation is not None else list(served)
        matching = frozenset(
            op
            for op in candidates
            if any(
                c == code and (http_status is None or h == http_status) for h, c in documented_codes(self.provider, op)
            )
        )
        if not matching:
            listed = ", ".join(f"{c} (HTTP {h})" for op in candidates for h, c in documented_codes(self.provider, op))
            raise ValueError(
                f"code {code} is not documented for {operation or 'any operation'} on {self.provider}; "
                f"use one of {listed}"
            )
        rule = Force(matching, code, http_status, statuses, create_time, times)
        self._forces.append(rule)
        return rule

    def _details_for(self, statuses: tuple[Any, ...], operation: str | None) -> str:
        """The details operation a forced ``status=`` applies to (see :meth:`force`)."""
        served = rules.OPERATIONS[self.provider]
        details = [op for op in served if families.reading(op)]
        if operation is not None and operation not in details:
            raise ValueError(f"status= applies to a details operation ({', '.join(details)}); {operation!r} is not one")
        for op in [operation] if operation is not None else details:
            documented = self._states(op)
            if all(_among(value, documented) for value in statuses):
                return op
        documented = self._states(operation or details[0])
        wrong = next(v for v in statuses if not _among(v, documented))
        raise ValueError(f"status {wrong!r} is not documented; use one of {', '.join(map(str, documented))}")

    def _states(self, details: str) -> list[Any]:
        out: list[Any] = []
        for family in families.reading(details):
            status = family.status_for(self.provider)
            if status is not None:
                out += [v for v in (*status.order, *status.failures) if v not in out]
        return out

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
        problems += _header_violations(request)
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
            return self._forward_async(request, None) if _ASYNC.get() else self._bridge.run(self._send(request))
        operation_id, query = self._check(request)
        self.operations_called.append(operation_id)
        if operation_id is not None:
            for rule in self._forces:
                if rule.active() and operation_id in rule.operations:
                    if rule.next_status(operation_id) is not None and self._settles():
                        if _ASYNC.get():
                            return self._settle_learn(request, operation_id, rule, query)
                        settled = self._bridge.run(self._settle(request, operation_id, rule, query))
                        self._learn(operation_id, settled)
                        return settled
                    forced = rule.answer(self.provider, operation_id, query).to_httpx(request)
                    self._learn(operation_id, forced)
                    return forced
        if _ASYNC.get():
            return self._forward_async(request, operation_id)
        response = self._bridge.run(self._send(request))
        self._learn(operation_id, response)
        return response

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
        next call naming one of them is answered as the API would. A task the mock does not know,
        or one already past the forced state, gets the built answer instead.
        """
        wanted = rule.next_status(operation_id)
        status = next(
            (s for f in families.reading(operation_id) if (s := f.status_for(self.provider)) is not None), None
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
                if _among(seen, [wanted]):
                    rule.used += 1
                    return _restyled(real, rule.create_time)
                if status.is_terminal(seen) or status.rank(seen) >= status.rank(wanted):
                    break
                await advance(SETTLE_STEP)
        return rule.answer(self.provider, operation_id, query).to_httpx(request)

    async def _forward_async(self, request: httpx.Request, operation_id: str | None) -> httpx.Response:
        response = await self._send(request)
        self._learn(operation_id, response)
        return response

    async def _send(self, request: httpx.Request) -> httpx.Response:
        inner = httpx.Request(request.method, request.url, headers=request.headers, content=request.content)
        answer = await self._transport.handle_async_request(inner)
        content = await answer.aread()
        return httpx.Response(answer.status_code, headers=answer.headers, content=content, request=request)

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
    )
