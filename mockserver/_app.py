"""``create_app()``: the Starlette application built from a provider's bundled document."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Receive, Scope, Send

from ._behaviour import Call
from ._callbacks import Attempt, CallbackJournal
from ._codeset import OLD_CODES
from ._config import Settings
from ._credits import Credits
from ._envelope import Answer, envelope, render
from ._errors import ApiError, ConfigError, Conflict, DomainError, InsufficientCredits, Invalid, NotFound
from ._events import Events, key_tag
from ._families import behaviour_for
from ._faults import Catalog, FaultInjector, remember_transport
from ._formbody import parse_form
from ._inspector import Inspector, refusal
from ._journal import PATH_KEPT, RequestRecord, clipped
from ._jsonbody import abbreviated_number, parse_body
from ._lifecycle import Stage
from ._media import MediaFiles
from ._providers import Profile, get_profile, interval_bounds
from ._redact import fingerprint, header_secrets, redact
from ._spec import Operation, operations
from ._state import MockState
from ._store import Task
from ._validation import RequestValidator, clear_caches
from .openapi import load_spec

__all__ = ["MockApp", "create_app"]

Endpoint = Callable[[Request], Awaitable[Response]]

_SPACE = re.compile(r"\s")
#: The scheme of an Authorization header: an RFC 9110 token (perhaps empty).
_SCHEME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]*")
#: Schemes a 401 message names; any other word before the key could be (part of) a key.
_SCHEMES = frozenset(
    {"basic", "digest", "token", "apikey", "api-key", "key", "negotiate", "ntlm", "oauth", "hoba", "mutual", "dpop"}
)
#: Bytes a 401 message names: the usual blanks a client puts between 'Bearer' and the key.
_BYTE_NAMES = {
    "\t": "a tab (0x09)",
    "\xa0": "a non-breaking space (0xA0)",
    "\xc2": "byte 0xC2 (a non-breaking space is C2 A0 in UTF-8)",
}


def _byte(char: str) -> str:
    """A character of a header (decoded as Latin-1, so one byte) by name or code, never as text of the key."""
    return _BYTE_NAMES.get(char, f"byte 0x{ord(char):02X}")


def _scheme_problem(value: str, scheme: str, rest: str) -> str:
    """Why an Authorization header without the Bearer scheme is refused, naming a well-known scheme only."""
    if not value:
        return "got an empty header"
    if not rest:
        return f"got one word and no 'Bearer' before it: a bare API key? fingerprint {fingerprint(value)}"
    if scheme.lower() in _SCHEMES:
        return f"got the {scheme!r} scheme"
    return f"got another scheme or none; header fingerprint {fingerprint(value)}"


#: The last mock time a task can show (``createTime`` 9999-12-31 23:59:59 UTC): the clock moves no further.
CLOCK_END = 253402300799.0
#: The query of a request that has none (shared: QueryParams cannot be changed).
_NO_QUERY = QueryParams()
#: Distinct query strings whose parsed form is kept (a poll of record-info repeats its query), and the
#: longest kept (``taskId=`` and a 32-character id is 39 bytes): at most about 1 MB however long queries get.
_QUERIES_KEPT = 1024
_QUERY_KEPT_BYTES = 256
#: Distinct (host, scheme, root path) base URLs kept, and the longest Host header kept.
_BASE_URLS_KEPT = 256
_HOST_KEPT_BYTES = 256


def _headers(scope: Scope) -> dict[str, str]:
    """The request headers by lower-case name, the first of repeated ones winning (as Starlette's ``get``)."""
    return {key.decode("latin-1"): value.decode("latin-1") for key, value in reversed(scope["headers"])}


def _apply_profile(spec: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """Write the profile's interval override into the replace-section schema it governs."""
    bounds = interval_bounds(profile.replace_interval)
    if bounds is None:
        return spec
    for schema in spec["components"]["schemas"].values():
        rule = schema.get("x-interval")
        if isinstance(rule, dict):
            rule.pop("minSeconds", None)
            rule.pop("maxSeconds", None)
            low, high = bounds
            if low is not None:
                rule["minSeconds"] = low
            if high is not None:
                rule["maxSeconds"] = high
    return spec


class MockApp:
    """The mock: an ASGI application plus the controls tests and the admin API use."""

    def __init__(self, provider: str = "kie", settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.profile = get_profile(provider, self.settings.profile_overrides)
        self.spec = _apply_profile(load_spec(provider), self.profile)
        self.operations: tuple[Operation, ...] = tuple(operations(self.spec))
        self._served = {op.operation_id: op for op in self.operations}
        self.state = MockState(self.profile, self.settings)
        self.requests = self.state.request_journal()
        #: What the mock is doing (requests, stages, callback attempts) for the log and the inspector.
        self.events = self.state.driver.events = self.state.dispatcher.events = Events()
        failures = {name: kind.failures for name, kind in self.state.kinds.items()}
        catalog = Catalog.from_spec(self.spec, self.profile.name, self.operations, failures)
        #: Fault rules (file, admin API, headers), rate limits and sensitive words.
        self.faults = FaultInjector(catalog, self.settings, self.state.now)
        if (shared := self.state.store.shared) is not None:
            self.faults.share(shared)  # admin rules and rate windows are the store's
        self._spec_bytes = render(self.spec)
        self.media = MediaFiles(self.state, self._answer)
        #: Tasks, one task's story, the live feed and the page at /_mock/ui (see mockserver/inspector).
        self.inspector = Inspector(self)
        self._base_urls: dict[tuple[Any, ...], str] = {}
        self._queries: dict[bytes, QueryParams] = {}
        endpoints = [(op, self._endpoint(op)) for op in self.operations]
        routes: list[BaseRoute] = [Route(op.path, endpoint, methods=[op.method]) for op, endpoint in endpoints]
        #: (method, path) -> endpoint of every API operation with a fixed path: the hot path skips the router.
        self._direct: dict[tuple[str, str], Endpoint] = {
            (op.method.upper(), op.path): endpoint for op, endpoint in endpoints if "{" not in op.path
        }
        routes += [
            Route("/openapi.json", self._openapi, methods=["GET"]),
            Route("/_mock/health", self._health, methods=["GET"]),
            Route("/_mock/reset", self._reset, methods=["POST"]),
            Route("/_mock/tasks", self._seed, methods=["POST"]),
            Route("/_mock/credits", self._credits, methods=["POST"]),
            Route("/_mock/requests", self._journal, methods=["GET"]),
            Route("/_mock/callbacks", self._callbacks, methods=["GET"]),
            Route("/_mock/clock/advance", self._advance, methods=["POST"]),
            Route("/_mock/faults", self._faults, methods=["GET", "POST", "DELETE"]),
            *self.media.routes(),
            *self.inspector.routes(),
        ]
        self._app = Starlette(
            routes=routes,
            exception_handlers={HTTPException: self._http_error, Exception: self._crash},
            lifespan=self._lifespan,
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.state.scheduler.ensure_running()
        try:
            yield
        finally:
            await self.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if scope["type"] == "http":
                remember_transport(scope, send)  # connection faults need the socket
                if not scope.get("root_path") and (endpoint := self._direct.get((scope["method"], scope["path"]))):
                    await self._call_direct(endpoint, scope, receive, send)
                    return
                await self._call_routed(scope, receive, send)
                return
            await self._app(scope, receive, send)
        except ClientDisconnect:
            return  # the client left before its body was read: no one to answer, nothing the server should log

    async def _call_routed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request through Starlette's router; nothing is sent once the client has disconnected.

        Starlette's error middleware answers a ClientDisconnect raised mid-body with a 500 before
        raising it again; the client is gone, so that answer is dropped here.
        """
        gone = False
        if self.settings.admin_token is not None and (refused := refusal(scope, self.settings.admin_token)):
            await self._answer(401, refused, http_status=401)(scope, receive, send)
            return

        async def receiving() -> Message:
            nonlocal gone
            message = await receive()
            gone = gone or message["type"] == "http.disconnect"
            return message

        async def sending(message: Message) -> None:
            if not gone:
                await send(message)

        await self._app(scope, receiving, sending)

    async def _call_direct(self, endpoint: Endpoint, scope: Scope, receive: Receive, send: Send) -> None:
        """One API request without Starlette's middleware and router walk; the same answers.

        As Starlette's ServerErrorMiddleware does, an unexpected exception gets the 500 envelope
        (unless the answer had started) and is raised again, for the server to log.
        """
        scope["app"] = self._app
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
            if response.__class__ is Response and response.background is None:
                # a plain envelope: its two messages as Response.__call__ would send them, minus its checks
                await send(
                    {"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers}
                )
                started = True
                await send({"type": "http.response.body", "body": response.body})
            else:
                await response(scope, receive, sending)
        except ClientDisconnect:
            raise
        except Exception as exc:
            if not started:
                await (await self._crash(request, exc))(scope, receive, send)
            raise

    # controls ------------------------------------------------------------------------------
    @property
    def provider(self) -> str:
        return self.profile.name

    def reset(self) -> None:
        """Forget tasks, balances, callbacks, the request journal and caches; restart fault counters (rules stay)."""
        self.state.reset()
        self.requests.clear()
        self.faults.reset()
        self._queries.clear()
        self._base_urls.clear()
        clear_caches()

    @property
    def callbacks(self) -> CallbackJournal:
        """Every callback attempt: time, URL, payload, status or error, duration."""
        return self.state.callbacks

    def status(self, task_id: str) -> str:
        """A task's status at the current mock time."""
        return self.state.tasks.status(self.state.store.tasks[task_id])

    async def advance(self, seconds: float) -> None:
        """Move the virtual clock and run everything that falls due (callbacks included)."""
        await self.state.scheduler.advance(seconds)

    async def wait_for_callback(self, task_id: str, stage: str, *, timeout: float = 10.0) -> Attempt:
        """The first delivered callback of ``stage`` for the task; raises after ``timeout`` real seconds."""
        return await self.state.callbacks.wait_for(task_id, Stage(stage), timeout=timeout)

    async def wait_for_status(self, task_id: str, *statuses: str, timeout: float = 10.0) -> str:
        """Wait (real time, scaled clock) until the task reaches one of ``statuses``."""
        task = self.state.store.tasks[task_id]
        deadline = time.monotonic() + timeout
        while (status := self.state.tasks.status(task)) not in statuses:
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {task_id} is {status} after {timeout} s, not {' or '.join(statuses)}")
            await asyncio.sleep(0.01)
        return status

    async def aclose(self) -> None:
        """Stop the background clock and close the callback client."""
        await self.state.scheduler.stop()
        await self.state.dispatcher.aclose()
        self.state.close()

    def seed_task(
        self, durations: Sequence[float] = (180.0, 180.0), *, base_url: str = "http://testserver", **fields: str
    ) -> Task:
        """A finished music task with one track per duration (seconds); see ``POST /_mock/tasks``."""
        return self.state.tasks.seed_music(durations, base_url=base_url, **fields)

    def seed_operation(
        self, operation_id: str, body: Mapping[str, Any], *, base_url: str = "http://testserver"
    ) -> dict[str, Any]:
        """A finished task of any family, made by its creating operation as if long done (no callbacks, no charge).

        ``body`` is the operation's request body (``callBackUrl`` may be left out); it is validated as
        the API would. Returns ``{"taskId", "kind", "status"}``.
        """
        operation = self._served.get(operation_id) if isinstance(operation_id, str) else None
        if operation is None or operation.job_kind is None:
            creating = ", ".join(sorted(op.operation_id for op in self.operations if op.job_kind))
            raise ConfigError(
                f"operation: {operation_id!r} is not a task-creating operation here; use one of {creating}"
            )
        if not isinstance(body, Mapping):
            raise ConfigError(f"body: must be the operation's JSON object (got {body!r})")
        request = {**body, "callBackUrl": body.get("callBackUrl", "http://127.0.0.1:9/seeded")}
        problems = RequestValidator(operation).body_problems(request)
        if problems:
            raise ApiError(422, "Validation error: " + "; ".join(map(str, problems)))
        state = self.state
        free = Credits(state.store, self.settings.credits, 0)
        call = Call(state.tasks, free, self.profile, operation, "_mock-seed", request, {}, base_url)
        answer = behaviour_for(operation, state.kinds, self._served)(call)
        task = state.store.tasks[answer.get("taskId") or answer["task_id"]]  # Recovery answers task_id
        task.callback_url = None  # a seeded task sends nothing
        task.token = None
        if task.timeline is not None:  # as if created long enough ago to have finished
            task.created_at -= task.timeline.steps[-1].at
        state.store.save(task)
        return {"taskId": task.id, "kind": task.kind, "status": state.tasks.status(task)}

    # the API -------------------------------------------------------------------------------
    def _answer(
        self,
        code: int,
        msg: str,
        data: Any = None,
        http_status: int | None = None,
        headers: dict[str, str] | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Response:
        mode = self.settings.http_status
        return envelope(code, msg, data, mode=mode, http_status=http_status, headers=headers, fields=fields)

    def _token(self, headers: Mapping[str, str]) -> str:
        """The API key of ``Authorization: Bearer <key>``; a 401 naming what is wrong, never the key itself."""
        header = headers.get("authorization")
        if header is None:
            raise ApiError(
                401, "Unauthorized: the Authorization header is missing; send 'Authorization: Bearer <API key>'"
            )
        value = header.strip(" \t")
        token = value[7:].lstrip(" ")
        if value[:7] != "Bearer " or not token or _SPACE.search(token):  # not the common case: look closer
            token = self._malformed(value)
        if self.settings.tokens and token not in self.settings.tokens:
            raise ApiError(
                401,
                f"Unauthorized: this API key ({fingerprint(token)}) is not one the mock was started with (--token)",
            )
        return token

    @staticmethod
    def _malformed(value: str) -> str:
        """The key of a header other than exactly 'Bearer <key>', or the 401 naming what is wrong with it."""
        scheme = match.group() if (match := _SCHEME.match(value)) else ""
        rest = value[len(scheme) :]
        token = rest.lstrip(" ")
        if scheme.lower() != "bearer":
            problem = _scheme_problem(value, scheme, rest)
        elif not rest:
            problem = "got no API key after 'Bearer'"
        elif not rest.startswith(" "):
            problem = f"'Bearer' must be followed by a space, not {_byte(rest[0])}"
        elif blank := _SPACE.search(token):
            problem = f"the API key contains spaces: {_byte(blank.group())} at character {blank.start()}"
        else:
            problem = ""
        if problem:
            raise ApiError(401, f"Unauthorized: the Authorization header must be 'Bearer <API key>' ({problem})")
        return token

    def _redacted(self, text: str, headers: Mapping[str, str]) -> str:
        """``text`` without the request's key or any key the mock was started with (see :mod:`redact`)."""
        return redact(text, [*header_secrets(headers.get("authorization")), *self.settings.tokens])

    async def _json_body(self, request: Request, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        headers = request.headers if headers is None else headers
        media = headers.get("content-type", "")
        if media.split(";")[0].strip().lower() != "application/json":
            raise ApiError(422, f"Validation error: Content-Type must be application/json (got {media or 'none'!r})")
        cap = self.settings.max_body_bytes
        declared = headers.get("content-length", "")
        # ASCII digits only ('²' is a digit to isdigit(), not to int()); thousands of them are not converted
        if declared.isascii() and declared.isdigit() and (len(declared.lstrip("0")) > 18 or int(declared) > cap):
            got = f"{declared} bytes" if len(declared) <= 40 else f"a Content-Length of {abbreviated_number(declared)}"
            raise ApiError(422, f"Validation error: body: must be at most {cap} bytes (got {got})")
        raw = bytearray()
        while True:  # the ASGI messages themselves: Request.stream() costs an async generator per request
            message = await request.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            raw += message.get("body", b"")
            if len(raw) > cap:
                raise ApiError(422, f"Validation error: body: must be at most {cap} bytes (got more)")
            if not message.get("more_body", False):
                break
        body = parse_body(raw)
        if not isinstance(body, dict):
            kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
                type(body), "a number"
            )
            raise ApiError(422, f"Validation error: body: must be a JSON object (got {kind})")
        return body

    async def _form_body(self, request: Request, headers: Mapping[str, str]) -> dict[str, Any]:
        """A ``multipart/form-data`` body (the stream upload): text fields as str, files as FormFile."""
        media = headers.get("content-type", "")
        if media.split(";")[0].strip().lower() != "multipart/form-data":
            raise ApiError(422, f"Validation error: Content-Type must be multipart/form-data (got {media or 'none'!r})")
        cap = self.settings.max_body_bytes
        raw = bytearray()
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            raw += message.get("body", b"")
            if len(raw) > cap:
                raise ApiError(422, f"Validation error: body: must be at most {cap} bytes (got more)")
            if not message.get("more_body", False):
                break
        try:
            return parse_form(bytes(raw), media)
        except ValueError as error:
            raise ApiError(422, f"Validation error: body: {error}") from None

    def _query(self, raw: bytes) -> QueryParams:
        """The parsed query string, kept for the next request with the same one (clients poll alike).

        QueryParams cannot be changed, so one object can serve every such request.
        """
        if not raw:
            return _NO_QUERY
        found = self._queries.get(raw)
        if found is None:
            found = QueryParams(raw)
            if len(raw) <= _QUERY_KEPT_BYTES:
                if len(self._queries) >= _QUERIES_KEPT:
                    self._queries.clear()
                self._queries[raw] = found
        return found

    def _base_url(self, request: Request, headers: Mapping[str, str]) -> str:
        """``request.base_url`` without its trailing slash, worked out once per host, scheme and root path."""
        scope = request.scope
        server = scope.get("server")
        key = (
            scope.get("scheme"),
            None if server is None else tuple(server),  # a list under some test clients
            headers.get("host"),
            scope.get("app_root_path"),
            scope.get("root_path"),
        )
        found = self._base_urls.get(key)
        if found is None:
            found = str(request.base_url).rstrip("/")
            if len(headers.get("host", "")) <= _HOST_KEPT_BYTES:
                if len(self._base_urls) >= _BASE_URLS_KEPT:
                    self._base_urls.clear()
                self._base_urls[key] = found
        return found

    def _endpoint(self, operation: Operation) -> Endpoint:
        validator = RequestValidator(operation)
        behaviour = behaviour_for(operation, self.state.kinds, self._served)
        state = self.state
        tasks, credits, profile = state.tasks, state.credits, self.profile
        events = self.events
        allow = self.settings.callback_allow
        old_codes = operation.code_set == "old-only" or (operation.code_set == "old" and profile.code_set == "old")

        async def endpoint(request: Request) -> Response:
            began = time.perf_counter() if events.listeners else 0.0  # the one check when nobody listens
            state.scheduler.ensure_running()
            scope = request.scope
            headers = _headers(scope)
            path = scope["path"]
            top: Mapping[str, Any] | None = None
            injected = False  # an X-Mock-Code or fault-rule code: answered as given, in any code set
            try:
                token = self._token(headers)
                if validator.has_body:
                    body = await self._json_body(request, headers)
                else:
                    body = {} if operation.form_schema is None else await self._form_body(request, headers)
                query = self._query(scope["query_string"])
                problems = validator.query_problems(query) + validator.body_problems(body)
                if problems:
                    raise ApiError(422, "Validation error: " + "; ".join(map(str, problems)))
                decision = self.faults.decide(operation, token, body, query, headers)
                injected = decision.code is not None and decision.retry_after_s is None
                broken = await self.faults.apply(decision)  # sleeps; raises ApiError for an injected code
                if broken is not None:
                    note = f"connection fault: {broken.fault.value}"
                    self.requests.add(
                        RequestRecord(state.now(), operation.method, path, operation.operation_id, 0, note)
                    )
                    return broken
                base_url = self._base_url(request, headers)
                call = Call(tasks, credits, profile, operation, token, body, query, base_url, decision.task, allow)
                data = behaviour(call)
                if inspect.isawaitable(data):  # a behaviour that fetches (the URL upload)
                    data = await data
                code, msg, status, extra = 200, "success", None, None
                if isinstance(data, Answer):  # an outcome or top-level fields of its own (recovery, uploads)
                    code, msg, top, data = data.code, data.msg, data.fields, data.data
            except ApiError as error:
                code, data, status, extra = error.code, None, error.http_status, error.headers
                msg = self._redacted(error.msg, headers)
            except DomainError as error:
                (code, msg), data, status, extra = self._domain_answer(error), None, None, None
                msg = self._redacted(msg, headers)
            except ClientDisconnect:
                note = "the client disconnected before its body was read"
                self.requests.add(RequestRecord(state.now(), operation.method, path, operation.operation_id, 0, note))
                raise
            if old_codes and not injected:
                code = OLD_CODES.get(code, code)
            self.requests.add(RequestRecord(state.now(), operation.method, path, operation.operation_id, code, msg))
            if began:
                self._tell(operation, path, code, msg, data, scope, headers, began)
            return self._answer(code, msg, data, status, extra, top)

        return endpoint

    def _tell(
        self, operation: Operation, path: str, code: int, msg: str, data: Any, scope: Scope, headers: Any, began: float
    ) -> None:
        """A ``request`` event (see :mod:`mockserver._events`): only built when someone listens."""
        task_id = data.get("taskId") if isinstance(data, dict) else None
        if not isinstance(task_id, str):
            task_id = self._query(scope["query_string"]).get("taskId")
            if task_id is not None and task_id not in self.state.store.tasks:  # what the client sent: perhaps a key
                task_id = self._redacted(clipped(task_id, 64), headers)
        auth = headers.get("authorization", "").strip()
        key = auth[7:].strip() if auth[:7].lower() == "bearer " else auth
        if path != operation.path:  # a path with parameters holds what the client sent: perhaps a key
            path = self._redacted(clipped(path, PATH_KEPT), headers)
        self.events.emit(
            "request",
            self.state.now(),
            method=operation.method.upper(),
            path=path,
            operation=operation.operation_id,
            code=code,
            msg=msg if code != 200 else "",  # already redacted
            task_id=task_id,
            ms=round((time.perf_counter() - began) * 1000, 2),
            key=key_tag(key) if key else None,
        )

    def _domain_answer(self, error: DomainError) -> tuple[int, str]:
        """The documented code and message of a refusal from the engine."""
        if isinstance(error, NotFound):
            return self.profile.not_found_code, f"Not found: {error}"
        if isinstance(error, Invalid):
            return 422, f"Validation error: {error}"
        if isinstance(error, Conflict):
            return 409, f"Conflict: {error}"
        if isinstance(error, InsufficientCredits):
            return 402, str(error)
        return 500, f"Server error: {error}"

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        served = ", ".join(sorted({op.label for op in self.operations}))
        # the scope's path, not request.url.path: urlsplit() would keep the last 128 (15 KB) URLs in its cache
        path, method = clipped(request.scope["path"], PATH_KEPT), clipped(request.method, 32)
        path = self._redacted(path, request.headers)
        if exc.status_code == 405:
            msg = f"Not found: {path} does not accept {method}; {self.provider} serves {served}"
        else:
            msg = f"Not found: no operation {method} {path}; {self.provider} serves {served}"
        self.requests.add(RequestRecord(self.state.now(), method, path, None, 404, msg))
        # a 2xx answer to CONNECT opens a tunnel (RFC 9110 9.3.6): the envelope would never be sent
        return self._answer(404, msg, http_status=404 if request.method == "CONNECT" else None)

    async def _crash(self, request: Request, exc: Exception) -> Response:
        msg = f"Server error: the mock failed on this request ({type(exc).__name__}); please report it to suno-mockkit"
        return self._answer(500, msg, http_status=500)

    # admin ---------------------------------------------------------------------------------
    async def _openapi(self, request: Request) -> Response:
        return Response(self._spec_bytes, media_type="application/json")

    async def _health(self, request: Request) -> Response:
        data = {"provider": self.provider, "tasks": len(self.state.store.tasks), "time": self.state.now()}
        return self._answer(200, "success", data)

    async def _reset(self, request: Request) -> Response:
        self.reset()
        if self.events.listeners:
            self.events.emit("reset", self.state.now())
        return self._answer(200, "success")

    async def _seed(self, request: Request) -> Response:
        try:
            body = await self._json_body(request)
            if "operation" in body:
                return self._answer(200, "success", self.seed_operation(body["operation"], body.get("body", {})))
            durations = body.get("durations", [180.0, 180.0])
            if not isinstance(durations, list):
                raise ApiError(422, f"Validation error: durations: must be an array of seconds (got {durations!r})")
            fields = {k: body[k] for k in ("title", "tags", "prompt", "model") if isinstance(body.get(k), str)}
            task = self.state.tasks.seed_music(durations, base_url=str(request.base_url).rstrip("/"), **fields)
        except ApiError as error:
            return self._answer(error.code, error.msg)
        except ConfigError as error:
            return self._answer(422, f"Validation error: {error}")
        except DomainError as error:
            return self._answer(*self._domain_answer(error))
        tracks = [{"id": t.id, "index": t.index, "duration": t.duration} for t in task.tracks]
        return self._answer(200, "success", {"taskId": task.id, "tracks": tracks})

    async def _credits(self, request: Request) -> Response:
        try:
            body = await self._json_body(request)
            token, balance = body.get("token"), body.get("balance")
            if not isinstance(token, str) or not token:
                raise ApiError(422, f"Validation error: token: must be a non-empty string (got {token!r})")
            if isinstance(balance, bool) or not isinstance(balance, int) or balance < 0:
                raise ApiError(422, f"Validation error: balance: must be an integer >= 0 (got {balance!r})")
        except ApiError as error:
            return self._answer(error.code, error.msg)
        self.state.credits.set_balance(token, balance)
        return self._answer(200, "success", {"token": fingerprint(token), "balance": balance})

    async def _callbacks(self, request: Request) -> Response:
        task_id = request.query_params.get("taskId")
        attempts = [a.as_dict() for a in self.state.callbacks.attempts(task_id)]
        return self._answer(200, "success", {"callbacks": attempts, "dropped": self.state.callbacks.dropped})

    async def _advance(self, request: Request) -> Response:
        try:
            body = await self._json_body(request)
            seconds = body.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                raise ApiError(422, f"Validation error: seconds: must be a number >= 0 (got {seconds!r})")
            if not self.settings.virtual_clock:
                raise ApiError(
                    422,
                    "Validation error: the clock follows real time; start the mock with --virtual-clock to advance it",
                )
            if seconds > (room := CLOCK_END - self.state.now()):
                raise ApiError(
                    422,
                    f"Validation error: seconds: must be at most {room:.0f}, as the mock clock stops at "
                    f"9999-12-31 23:59:59 UTC (got {seconds:.6g})",
                )
        except ApiError as error:
            return self._answer(error.code, error.msg)
        await self.state.scheduler.advance(float(seconds))
        if self.events.listeners:
            self.events.emit("clock", self.state.now(), seconds=float(seconds))
        return self._answer(200, "success", {"time": self.state.now()})

    async def _faults(self, request: Request) -> Response:
        """GET lists rules, counters and recent decisions; POST adds admin rules; DELETE drops them."""
        if request.method == "POST":
            try:
                yaml = self.inspector.is_yaml(request)  # the page sends the rule file's own YAML
                self.faults.configure(await (self.inspector.yaml_body(request) if yaml else self._json_body(request)))
            except ApiError as error:
                return self._answer(error.code, error.msg)
            except ConfigError as error:
                return self._answer(422, f"Validation error: {error}")
        elif request.method == "DELETE":
            name = request.query_params.get("name")
            if not self.faults.clear(name):
                known = ", ".join(r.name for r in self.faults.admin.rules) or "none"
                return self._answer(404, f"Not found: no admin fault rule named {name!r}; admin rules: {known}")
        return self._answer(200, "success", self.faults.describe())

    async def _journal(self, request: Request) -> Response:
        try:
            return self._answer(200, "success", self.inspector.requests_page(request.query_params))
        except ApiError as error:
            return self._answer(error.code, error.msg)


def create_app(provider: str = "kie", settings: Settings | None = None, **options: Any) -> MockApp:
    """The mock for one provider profile; ``options`` are :class:`Settings` fields."""
    if options:
        if settings is not None:
            raise TypeError("pass either settings= or Settings fields as keywords, not both")
        settings = Settings(**options)
    return MockApp(provider, settings)
