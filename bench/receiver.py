"""A counting callback receiver: ``python -m bench.receiver`` serves it on 127.0.0.1 and a free port.

It answers every POST with 200 and keeps only counts: the POSTs, and the distinct
``(task id, callbackType)`` pairs (so a duplicate delivery is not mistaken for a second
callback). ``GET /_bench/stats`` returns ``{"posts": n, "unique": m}``; running in its own
process, it adds nothing to the mock's memory or CPU figures.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.processes import serve

__all__ = ["app"]

_seen: set[tuple[str, str]] = set()
_posts = 0


def _key(body: Any) -> tuple[str, str]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return ("?", "?")
    return (str(data.get("task_id", data.get("taskId"))), str(data.get("callbackType")))


async def _receive(request: Request) -> Response:
    global _posts
    _posts += 1
    _seen.add(_key(json.loads(await request.body())))
    return Response(b'{"code":200,"msg":"success"}', media_type="application/json")


async def _stats(request: Request) -> Response:
    return JSONResponse({"posts": _posts, "unique": len(_seen)})


async def _reset(request: Request) -> Response:
    global _posts
    _posts = 0
    _seen.clear()
    return JSONResponse({"posts": 0, "unique": 0})


app = Starlette(
    routes=[
        Route("/_bench/ready", _stats, methods=["GET"]),
        Route("/_bench/stats", _stats, methods=["GET"]),
        Route("/_bench/reset", _reset, methods=["POST"]),
        Route("/{path:path}", _receive, methods=["POST"]),
    ]
)

if __name__ == "__main__":
    serve(app, "bench-receiver")
