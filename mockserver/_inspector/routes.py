"""The inspector's admin routes: tasks (paginated, filtered), one task's whole story, the live feed, the page."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from importlib import resources
from itertools import islice
from typing import TYPE_CHECKING, Any

import yaml
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .._envelope import envelope
from .._errors import ApiError
from .._events import key_tag
from .._journal import RequestRecord
from .._lifecycle import shift
from .._redact import redact
from .._store import Task
from .._views import AUDIO_EXTENSION
from .feed import EventFeed

if TYPE_CHECKING:
    from .._app import MockApp

__all__ = ["MAX_LIMIT", "Inspector"]

#: The largest page ``GET /_mock/tasks`` and ``GET /_mock/requests`` answer at once.
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
_YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
_ASSETS = {"index.html": "text/html", "inspector.js": "text/javascript", "inspector.css": "text/css"}
#: Key tags worked out once per distinct stored key (tasks share their key string).
_TAGS_KEPT = 4096


def _integer(query: QueryParams, name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not low <= int(raw) <= high:
        raise ApiError(422, f"Validation error: {name}: must be an integer from {low} to {high} (got {raw[:40]!r})")
    return int(raw)


def _page(query: QueryParams) -> tuple[int, int]:
    return _integer(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT), _integer(query, "offset", 0, 0, 10**9)


def _file_paths(value: Any) -> Iterator[str]:
    """Every served file a details answer links to, as a path under /_mock."""
    if isinstance(value, str):
        at = value.find("/_mock/files/")
        if at >= 0:
            yield value[at:]
    elif isinstance(value, dict):
        for item in value.values():
            yield from _file_paths(item)
    elif isinstance(value, list):
        for item in value:
            yield from _file_paths(item)


class Inspector:
    """The routes; ``feed`` ends its streams on :meth:`EventFeed.close` (``serve`` calls it when stopping)."""

    def __init__(self, app: MockApp) -> None:
        self._app = app
        self.feed = EventFeed(app.events)
        self._tags: dict[str, str] = {}
        folder = resources.files(__package__) / "static"
        self._assets = {name: (folder.joinpath(name).read_bytes(), media) for name, media in _ASSETS.items()}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/_mock/tasks", self.tasks, methods=["GET"]),
            Route("/_mock/tasks/{task_id}", self.task, methods=["GET"]),
            Route("/_mock/events", self.feed.endpoint, methods=["GET"]),
            Route("/_mock/ui", self.page, methods=["GET"]),
            Route("/_mock/ui/{name}", self.page, methods=["GET"]),
        ]

    def _answer(self, code: int, msg: str, data: Any = None) -> Response:
        return envelope(code, msg, data, mode=self._app.settings.http_status)

    def _tag(self, token: str | None) -> str | None:
        if token is None:
            return None
        found = self._tags.get(token)
        if found is None:
            found = key_tag(token) or ""
            if len(self._tags) >= _TAGS_KEPT:
                self._tags.clear()
            self._tags[token] = found
        return found

    # tasks ---------------------------------------------------------------------------------
    async def tasks(self, request: Request) -> Response:
        """``GET /_mock/tasks?limit&offset&operation&status&key``: newest first, with the total that matched."""
        query = request.query_params
        try:
            limit, offset = _page(query)
        except ApiError as error:
            return self._answer(error.code, error.msg)
        state = self._app.state
        operation, status, key = query.get("operation") or None, query.get("status") or None, query.get("key") or None
        held = state.store.tasks
        # the memory store's dict walks backwards in place; a shared store's mapping is read whole
        newest: Iterator[Task] = reversed(held.values()) if isinstance(held, dict) else reversed(list(held.values()))
        if operation is not None:
            newest = (t for t in newest if t.operation == operation)
        if key is not None:
            newest = (t for t in newest if self._tag(t.token) == key)
        listed: list[dict[str, Any]] = []
        if status is None and operation is None and key is None:
            total = len(held)
            chosen = [(t, state.tasks.status(t)) for t in islice(newest, offset, offset + limit)]
        else:
            total, chosen = 0, []
            for task in newest:
                now_status = state.tasks.status(task)
                if status is not None and now_status != status:
                    continue
                if offset <= total < offset + limit:
                    chosen.append((task, now_status))
                total += 1
        listed = [self._summary(task, now_status) for task, now_status in chosen]
        statuses = sorted({s for kind in state.kinds.values() for s in kind.lifecycle.statuses})
        data = {
            "tasks": listed,
            "total": total,
            "offset": offset,
            "limit": limit,
            "now": state.now(),
            "operations": sorted(op.operation_id for op in self._app.operations if op.job_kind),
            "statuses": statuses,
            "virtualClock": self._app.settings.virtual_clock,
        }
        return self._answer(200, "success", data)

    def _summary(self, task: Task, status: str) -> dict[str, Any]:
        return {
            "taskId": task.id,
            "operation": task.operation,
            "kind": task.kind,
            "status": status,
            "createdAt": task.created_at,
            "key": self._tag(task.token),
            "tracks": len(task.tracks),
            "market": task.market,
        }

    async def task(self, request: Request) -> Response:
        """``GET /_mock/tasks/{taskId}``: stages on the mock clock, callback attempts, tracks, files, the request."""
        task_id = request.path_params["task_id"]
        state = self._app.state
        task = state.store.tasks.get(task_id)
        if task is None:
            return self._answer(404, f"Not found: taskId: no such task ({task_id[:64]!r}); see GET /_mock/tasks")
        now = state.now()
        status = state.tasks.status(task)
        stages: list[dict[str, Any]] = [{"at": task.created_at, "stage": None, "status": "created", "reached": True}]
        if task.timeline is not None:
            steps = shift(task.timeline, task.created_at).steps
            stages += [
                {"at": s.at, "stage": s.stage and s.stage.value, "status": s.status, "reached": s.at <= now}
                for s in steps
            ]
        tracks = [
            {
                "id": t.id,
                "index": t.index,
                "title": t.title,
                "duration": t.duration,
                "audio": f"/_mock/files/{t.id}.{AUDIO_EXTENSION}",
                "stream": f"/_mock/stream/{t.id}",
                "image": f"/_mock/files/{t.id}.png",
            }
            for t in task.tracks
        ]
        try:
            details: Any = state.kinds[task.kind].view(state.tasks.snapshot(task))
        except Exception as exc:  # a view is the kind's; the inspector must still show the task
            details = {"error": f"the details view failed ({type(exc).__name__})"}
        track_files = {p for t in tracks for p in (t["audio"], t["image"])}
        files = sorted(set(_file_paths(details)) - track_files)
        data = {
            **self._summary(task, status),
            "now": now,
            "callbackUrl": task.callback_url,
            "parent": task.parent_music_id or None,
            "stages": stages,
            "callbacks": [a.as_dict() for a in state.callbacks.attempts(task.id)],
            "tracks": tracks,
            "files": files,
            "curl": self._curl(task, request),
            "details": details,
        }
        secrets = [s for s in (task.token, *self._app.settings.tokens) if s]
        return self._answer(200, "success", json.loads(redact(json.dumps(data, ensure_ascii=False), secrets)))

    def _curl(self, task: Task, request: Request) -> str | None:
        """The creating request as a curl command, with the key left as $SUNO_API_KEY."""
        operations = self._app.operations
        if task.market is not None:
            found = next((op for op in operations if op.market == "create"), None)
        else:
            found = next((op for op in operations if op.operation_id == task.operation), None)
        if found is None:
            return None
        base = str(request.base_url).rstrip("/")
        return (
            f"curl -X {found.method.upper()} {shlex.quote(base + found.path)} "
            "-H \"Authorization: Bearer $SUNO_API_KEY\" -H 'Content-Type: application/json' "
            f"-d {shlex.quote(task.param)}"
        )

    # requests ------------------------------------------------------------------------------
    def requests_page(self, query: QueryParams) -> dict[str, Any]:
        """``GET /_mock/requests``: every record (oldest first), or with ``limit`` a page, newest first, filtered."""
        journal = self._app.requests
        records: list[RequestRecord] = list(journal)
        if not query:
            return {"requests": [r.as_dict() for r in records], "dropped": journal.dropped, "total": len(records)}
        limit, offset = _page(query)
        code, operation, text = query.get("code") or None, query.get("operation") or None, query.get("q") or None
        if code is not None:
            code_number = _integer(query, "code", 0, 0, 999)
        chosen = [
            r
            for r in reversed(records)
            if (code is None or r.code == code_number)
            and (operation is None or r.operation_id == operation)
            and (text is None or text in r.path or text in r.msg)
        ]
        return {
            "requests": [r.as_dict() for r in chosen[offset : offset + limit]],
            "dropped": journal.dropped,
            "total": len(chosen),
            "offset": offset,
            "limit": limit,
        }

    # fault rules as YAML ------------------------------------------------------------------
    @staticmethod
    def is_yaml(request: Request) -> bool:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        return media in _YAML_TYPES

    async def yaml_body(self, request: Request) -> Any:
        """A ``POST /_mock/faults`` body written as the rule file is (YAML; JSON is YAML too)."""
        cap = self._app.settings.max_body_bytes
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > cap:
                raise ApiError(422, f"Validation error: body: must be at most {cap} bytes (got more)")
        try:
            return yaml.safe_load(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ApiError(422, f"Validation error: body: must be UTF-8 (byte {exc.start} is not)") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "not YAML"
            raise ApiError(422, f"Validation error: body: is not valid YAML{where} ({problem})") from None

    # the page ------------------------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        name = request.path_params.get("name", "index.html")
        found = self._assets.get(name)
        if found is None:
            known = ", ".join(sorted(_ASSETS))
            return self._answer(404, f"Not found: the inspector has no file {name[:64]!r}; it serves {known}")
        body, media = found
        return Response(body, media_type=media, headers={"Cache-Control": "no-cache"})
