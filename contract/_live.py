"""The plugin's live mode: ``suno_server`` as a guarded proxy to a real endpoint (``--suno-base-url``).

In a test marked ``suno_live``, the fixture hands out :class:`SunoLive` instead of a mock; its clients
talk to a loopback proxy (:func:`spend_proxy`) that forwards to the real API and refuses creating calls
past ``--suno-spend-budget`` (:class:`contract._spend.SpendGuard`, shared out between xdist workers by
:func:`worker_share`).
Importing this module imports only the standard library; httpx and starlette are imported when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import httpx
    import pytest
    from starlette.types import ASGIApp

    from contract._spend import SpendGuard

__all__ = ["SunoLive", "spend_proxy", "worker_share"]


class SunoLive:
    """``suno_server`` in a test marked ``suno_live`` under ``--suno-base-url``: a guarded proxy to a real API.

    ``url``/``base_url`` is a loopback proxy that forwards to :attr:`upstream`; it answers creating calls
    past ``--suno-spend-budget`` itself (code 402) and the test then fails. Mock controls are absent.
    """

    is_mock = False

    def __init__(self, url: str, upstream: str, token: str, guard: SpendGuard) -> None:
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


def spend_proxy(upstream: str, provider: str, guard: SpendGuard) -> ASGIApp:
    """A loopback reverse proxy to ``upstream`` that enforces ``guard`` on creating calls."""
    import asyncio
    import contextlib
    from collections.abc import AsyncIterator

    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from contract import _rules as rules

    creating = {where for op, where in rules.OPERATIONS[provider].items() if op in rules.CREATING}
    hop_by_hop = {"connection", "content-length", "content-encoding", "transfer-encoding", "keep-alive", "host"}
    clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    async def forward(request: Request) -> Response:
        if (request.method, request.url.path) in creating:
            line = f"{request.method} {request.url.path}"
            if not guard.allow(line):
                msg = f"suno-mockkit spend guard: {line} refused, --suno-spend-budget={guard.budget} is used up"
                return JSONResponse({"code": 402, "msg": msg, "data": None})
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

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        client = clients.pop(asyncio.get_running_loop(), None)  # served on one loop: its only client
        if client is not None:
            await client.aclose()  # the upstream connections

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)


def worker_share(config: pytest.Config, budget: int) -> int:
    """Under pytest-xdist each worker gets its share of the budget, so the run never exceeds it."""
    from contract._internals import xdist_worker

    worker = xdist_worker(config)
    if worker is None:
        return budget
    name, total = worker
    index = int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0
    return budget // total + (1 if index < budget % total else 0)
