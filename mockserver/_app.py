"""``create_app()``: the Starlette application built from a provider's bundled document."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Receive, Scope, Send

from ._admin import AdminApi
from ._auth import bearer_token
from ._behaviour import Call
from ._body import read_form, read_json
from ._callback_journal import Attempt, CallbackJournal
from ._codeset import OLD_CODES
from ._config import Settings
from ._credits import Credits
from ._direct import Endpoint, call_direct
from ._envelope import Answer, envelope, render
from ._errors import ApiError, ConfigError, Conflict, DomainError, InsufficientCredits, Invalid, NotFound
from ._events import Events, key_tag
from ._families import behaviour_for
from ._faults import NOTHING, Catalog, FaultInjector, remember_transport
from ._inspector import Inspector, refusal
from ._journal import PATH_KEPT, clipped
from ._lifecycle import Stage
from ._media import MediaFiles
from ._providers import apply_profile, get_profile
from ._redact import header_secrets, redact
from ._scope import ScopeCache, scope_headers
from ._spec import Operation, operations
from ._state import MockState
from ._store import Task
from ._validation import RequestValidator, clear_caches
from .openapi import load_spec

__all__ = ["MockApp", "create_app"]


class MockApp:
    """The mock: an ASGI application plus the controls tests and the admin API use."""

    def __init__(self, provider: str = "kie", settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.profile = get_profile(provider, self.settings.profile_overrides)
        self.spec = apply_profile(load_spec(provider), self.profile)
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
        self._scopes = ScopeCache()
        endpoints = [(op, self._endpoint(op)) for op in self.operations]
        routes: list[BaseRoute] = [Route(op.path, endpoint, methods=[op.method]) for op, endpoint in endpoints]
        #: (method, path) -> endpoint of every API operation with a fixed path: the hot path skips the router.
        self._direct: dict[tuple[str, str], Endpoint] = {
            (op.method.upper(), op.path): endpoint for op, endpoint in endpoints if "{" not in op.path
        }
        routes += [
            Route("/openapi.json", self._openapi, methods=["GET"]),
            *AdminApi(self, self._answer, self._domain_answer).routes(),
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
                    await call_direct(endpoint, self._app, self._crash, scope, receive, send)
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

    # controls ------------------------------------------------------------------------------
    @property
    def provider(self) -> str:
        return self.profile.name

    def reset(self) -> None:
        """Forget tasks, balances, callbacks, the request journal and caches; restart fault counters (rules stay)."""
        self.state.reset()
        self.requests.clear()
        self.faults.reset()
        self._scopes.clear()
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
        """Stop the background clock, close the callback client and the store (its connections on this loop first)."""
        await self.state.scheduler.stop()
        await self.state.dispatcher.aclose()
        shared = self.state.store.shared
        if shared is not None:
            await shared.disconnect()
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

    def _redacted(self, text: str, headers: Mapping[str, str]) -> str:
        """``text`` without the request's key or any key the mock was started with (see :mod:`redact`)."""
        return redact(text, [*header_secrets(headers.get("authorization")), *self.settings.tokens])

    def _endpoint(self, operation: Operation) -> Endpoint:
        validator = RequestValidator(operation)
        behaviour = behaviour_for(operation, self.state.kinds, self._served)
        state = self.state
        tasks, credits, profile = state.tasks, state.credits, self.profile
        events = self.events
        allow = self.settings.callback_allow
        journal = self.requests.note
        old_codes = operation.code_set == "old-only" or (operation.code_set == "old" and profile.code_set == "old")

        async def endpoint(request: Request) -> Response:
            began = time.perf_counter() if events.listeners else 0.0  # the one check when nobody listens
            state.scheduler.ensure_running()
            scope = request.scope
            headers = scope_headers(scope)
            path = scope["path"]
            top: Mapping[str, Any] | None = None
            injected = False  # an X-Mock-Code or fault-rule code: answered as given, in any code set
            try:
                token = bearer_token(headers, self.settings.tokens)
                if validator.has_body:
                    body = await read_json(request, self.settings.max_body_bytes, headers)
                else:
                    body = (
                        {}
                        if operation.form_schema is None
                        else await read_form(request, self.settings.max_body_bytes, headers)
                    )
                query = self._scopes.query(scope["query_string"])
                problems = validator.query_problems(query) + validator.body_problems(body)
                if problems:
                    raise ApiError(422, "Validation error: " + "; ".join(map(str, problems)))
                decision = self.faults.decide(operation, token, body, query, headers)
                if decision is NOTHING:  # the common case: no delay, fault, code or task faults to apply
                    task_faults = None
                else:
                    injected = decision.code is not None and decision.retry_after_s is None
                    broken = await self.faults.apply(decision)  # sleeps; raises ApiError for an injected code
                    if broken is not None:
                        note = f"connection fault: {broken.fault.value}"
                        journal(state.now(), operation.method, path, operation.operation_id, 0, note)
                        return broken
                    task_faults = decision.task
                base_url = self._scopes.base_url(request, headers)
                call = Call(tasks, credits, profile, operation, token, body, query, base_url, task_faults, allow)
                data = behaviour(call)
                if data.__class__ is not dict and inspect.isawaitable(data):  # a behaviour that fetches (URL upload)
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
                journal(state.now(), operation.method, path, operation.operation_id, 0, note)
                raise
            if old_codes and not injected:
                code = OLD_CODES.get(code, code)
            journal(state.now(), operation.method, path, operation.operation_id, code, msg)
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
            task_id = self._scopes.query(scope["query_string"]).get("taskId")
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
        self.requests.note(self.state.now(), method, path, None, 404, msg)
        # a 2xx answer to CONNECT opens a tunnel (RFC 9110 9.3.6): the envelope would never be sent
        return self._answer(404, msg, http_status=404 if request.method == "CONNECT" else None)

    async def _crash(self, request: Request, exc: Exception) -> Response:
        msg = f"Server error: the mock failed on this request ({type(exc).__name__}); please report it to suno-mockkit"
        return self._answer(500, msg, http_status=500)

    async def _openapi(self, request: Request) -> Response:
        return Response(self._spec_bytes, media_type="application/json")


def create_app(provider: str = "kie", settings: Settings | None = None, **options: Any) -> MockApp:
    """The mock for one provider profile; ``options`` are :class:`Settings` fields."""
    if options:
        if settings is not None:
            raise TypeError("pass either settings= or Settings fields as keywords, not both")
        settings = Settings(**options)
    return MockApp(provider, settings)
