"""The admin API under ``/_mock``: health, reset, seeding, balances, journals, the clock and fault rules.

Each endpoint answers the envelope, as the API does; a bad body is a 422 naming the field, the
value and the rule. The inspector's routes (``/_mock/ui``, ``/_mock/tasks``...) and the media
files (``/_mock/files``, ``/_mock/stream``) are mounted beside these by :class:`~mockserver._app.MockApp`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._body import read_json
from ._errors import ApiError, ConfigError, DomainError
from ._redact import fingerprint

if TYPE_CHECKING:
    from ._app import MockApp

__all__ = ["CLOCK_END", "AdminApi"]

#: The last mock time a task can show (``createTime`` 9999-12-31 23:59:59 UTC): the clock moves no further.
CLOCK_END = 253402300799.0


class AdminApi:
    """The ``/_mock`` endpoints of one mock; :meth:`routes` is what the app mounts."""

    def __init__(
        self,
        app: MockApp,
        answer: Callable[..., Response],
        domain_answer: Callable[[DomainError], tuple[int, str]],
    ) -> None:
        self._app = app
        self._answer = answer
        self._domain_answer = domain_answer

    def routes(self) -> list[Route]:
        return [
            Route("/_mock/health", self._health, methods=["GET"]),
            Route("/_mock/reset", self._reset, methods=["POST"]),
            Route("/_mock/tasks", self._seed, methods=["POST"]),
            Route("/_mock/credits", self._credits, methods=["POST"]),
            Route("/_mock/requests", self._journal, methods=["GET"]),
            Route("/_mock/callbacks", self._callbacks, methods=["GET"]),
            Route("/_mock/clock/advance", self._advance, methods=["POST"]),
            Route("/_mock/faults", self._faults, methods=["GET", "POST", "DELETE"]),
        ]

    async def _body(self, request: Request) -> dict[str, Any]:
        return await read_json(request, self._app.settings.max_body_bytes)

    async def _health(self, request: Request) -> Response:
        app = self._app
        data = {"provider": app.provider, "tasks": len(app.state.store.tasks), "time": app.state.now()}
        return self._answer(200, "success", data)

    async def _reset(self, request: Request) -> Response:
        app = self._app
        app.reset()
        if app.events.listeners:
            app.events.emit("reset", app.state.now())
        return self._answer(200, "success")

    async def _seed(self, request: Request) -> Response:
        app = self._app
        try:
            body = await self._body(request)
            if "operation" in body:
                return self._answer(200, "success", app.seed_operation(body["operation"], body.get("body", {})))
            durations = body.get("durations", [180.0, 180.0])
            if not isinstance(durations, list):
                raise ApiError(422, f"Validation error: durations: must be an array of seconds (got {durations!r})")
            fields = {k: body[k] for k in ("title", "tags", "prompt", "model") if isinstance(body.get(k), str)}
            task = app.state.tasks.seed_music(durations, base_url=str(request.base_url).rstrip("/"), **fields)
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
            body = await self._body(request)
            token, balance = body.get("token"), body.get("balance")
            if not isinstance(token, str) or not token:
                raise ApiError(422, f"Validation error: token: must be a non-empty string (got {token!r})")
            if isinstance(balance, bool) or not isinstance(balance, int) or balance < 0:
                raise ApiError(422, f"Validation error: balance: must be an integer >= 0 (got {balance!r})")
        except ApiError as error:
            return self._answer(error.code, error.msg)
        self._app.state.credits.set_balance(token, balance)
        return self._answer(200, "success", {"token": fingerprint(token), "balance": balance})

    async def _callbacks(self, request: Request) -> Response:
        journal = self._app.state.callbacks
        attempts = [a.as_dict() for a in journal.attempts(request.query_params.get("taskId"))]
        return self._answer(200, "success", {"callbacks": attempts, "dropped": journal.dropped})

    async def _advance(self, request: Request) -> Response:
        app = self._app
        try:
            body = await self._body(request)
            seconds = body.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                raise ApiError(422, f"Validation error: seconds: must be a number >= 0 (got {seconds!r})")
            if not app.settings.virtual_clock:
                raise ApiError(
                    422,
                    "Validation error: the clock follows real time; start the mock with --virtual-clock to advance it",
                )
            if seconds > (room := CLOCK_END - app.state.now()):
                raise ApiError(
                    422,
                    f"Validation error: seconds: must be at most {room:.0f}, as the mock clock stops at "
                    f"9999-12-31 23:59:59 UTC (got {seconds:.6g})",
                )
        except ApiError as error:
            return self._answer(error.code, error.msg)
        await app.state.scheduler.advance(float(seconds))
        if app.events.listeners:
            app.events.emit("clock", app.state.now(), seconds=float(seconds))
        return self._answer(200, "success", {"time": app.state.now()})

    async def _faults(self, request: Request) -> Response:
        """GET lists rules, counters and recent decisions; POST adds admin rules; DELETE drops them."""
        app = self._app
        if request.method == "POST":
            try:
                yaml = app.inspector.is_yaml(request)  # the page sends the rule file's own YAML
                app.faults.configure(await (app.inspector.yaml_body(request) if yaml else self._body(request)))
            except ApiError as error:
                return self._answer(error.code, error.msg)
            except ConfigError as error:
                return self._answer(422, f"Validation error: {error}")
        elif request.method == "DELETE":
            name = request.query_params.get("name")
            if not app.faults.clear(name):
                known = ", ".join(r.name for r in app.faults.admin.rules) or "none"
                return self._answer(404, f"Not found: no admin fault rule named {name!r}; admin rules: {known}")
        return self._answer(200, "success", app.faults.describe())

    async def _journal(self, request: Request) -> Response:
        try:
            return self._answer(200, "success", self._app.inspector.requests_page(request.query_params))
        except ApiError as error:
            return self._answer(error.code, error.msg)
