"""The ceiling: a bare Starlette app on the same uvicorn setup, parsing the same JSON.

``python -m bench.baseline [auto|httptools|h11]`` serves it on 127.0.0.1 and a free port. The POST route parses
the JSON body and answers a fixed envelope; the GET routes (music and WAV record-info) answer
a fixed envelope. Nothing is validated, stored or journaled, so the mock's figures divided by
these are the share of the machine's practical ceiling the mock reaches.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.processes import serve

__all__ = ["app"]

_ENVELOPE = b'{"code":200,"msg":"success","data":{"taskId":"0123456789abcdef0123456789abcdef"}}'


async def _post(request: Request) -> Response:
    await request.json()
    return Response(_ENVELOPE, media_type="application/json")


async def _get(request: Request) -> Response:
    return Response(_ENVELOPE, media_type="application/json")


app = Starlette(
    routes=[
        Route("/api/v1/generate/replace-section", _post, methods=["POST"]),
        Route("/api/v1/generate/record-info", _get, methods=["GET"]),
        Route("/api/v1/wav/record-info", _get, methods=["GET"]),
        Route("/_bench/ready", _get, methods=["GET"]),
    ]
)

if __name__ == "__main__":
    import sys

    # ``python -m bench.baseline [auto|httptools|h11]``: the same stack choice as ``suno-mock serve --http``
    serve(app, "bench-baseline", http=sys.argv[1] if len(sys.argv) > 1 else "auto")
