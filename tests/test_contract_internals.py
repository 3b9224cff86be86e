"""Each use the contract side makes of another library beyond its documented API (``contract._internals``).

An upgrade of respx, httpx, schemathesis or pytest-xdist that breaks one of them fails here, and the
failure names the library and what changed, instead of surfacing as a confusing router or suite failure.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from starlette.types import Receive, Scope, Send
from xdist.plugin import get_xdist_worker_id  # type: ignore[import-untyped]  # xdist ships no types

from contract._internals import KindAwareRouter, case_has_no_body, request_is_async, send_through


def test_respx_calls_handler_for_sync_clients_and_async_handler_for_async_ones() -> None:
    kinds: list[bool] = []

    def side_effect(request: httpx.Request) -> httpx.Response:
        kinds.append(request_is_async())
        return httpx.Response(200, json={"async": kinds[-1]})

    async def send_async() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.get("https://api.example.invalid/kind")

    router = KindAwareRouter(assert_all_called=False)
    router.route(host="api.example.invalid").mock(side_effect=side_effect)
    with router:
        with httpx.Client() as client:
            sync_answer = client.get("https://api.example.invalid/kind")
        async_answer = asyncio.run(send_async())
    assert kinds == [False, True], (
        "respx: MockRouter.handler / MockRouter.async_handler are no longer the entry points of its sync and async "
        f"transports (side effects saw async={kinds}); contract._internals.KindAwareRouter must follow respx"
    )
    assert (sync_answer.json(), async_answer.json()) == ({"async": False}, {"async": True})


def test_httpx_transports_answer_a_request_sent_straight_to_handle_async_request() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        echoed = f"{scope['method']} {scope['path']} {body.decode()}".encode()
        await send({"type": "http.response.start", "status": 201, "headers": [(b"x-seen", b"yes")]})
        await send({"type": "http.response.body", "body": echoed})

    request = httpx.Request("POST", "http://testserver/api/v1/generate", content=b'{"a": 1}')
    answer = asyncio.run(send_through(httpx.ASGITransport(app=app), request))
    assert (answer.status_code, answer.headers.get("x-seen"), answer.content) == (
        201,
        "yes",
        b'POST /api/v1/generate {"a": 1}',
    ), "httpx: ASGITransport.handle_async_request no longer answers a request sent straight to it"
    assert answer.request is request


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/read": {"get": {"operationId": "read", "responses": {"200": {"description": "ok"}}}},
        "/write": {
            "post": {
                "operationId": "write",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
                        }
                    },
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
}


@pytest.mark.parametrize(("path", "method", "bodiless"), [("/read", "GET", True), ("/write", "POST", False)])
def test_schemathesis_marks_a_case_without_a_body(path: str, method: str, bodiless: bool) -> None:
    operation = schemathesis.openapi.from_dict(DOCUMENT)[path][method]
    case = hypothesis.find(operation.as_strategy(), lambda case: True, settings=hypothesis.settings(database=None))
    assert case_has_no_body(case) is bodiless, (
        f"schemathesis: a generated {method} case holds body {case.body!r}; contract._internals.case_has_no_body "
        "expects schemathesis.core.NotSet exactly when there is none"
    )


class _Config:
    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)


class _Session:
    def __init__(self, config: _Config) -> None:
        self.config = config


def test_xdist_worker_reads_what_xdist_itself_reads() -> None:
    from contract._internals import xdist_worker

    worker = _Config(workerinput={"workerid": "gw2", "workercount": 4, "testrunuid": "r"})
    controller = _Config()
    assert xdist_worker(worker) == ("gw2", 4)
    assert xdist_worker(controller) is None
    assert (get_xdist_worker_id(_Session(worker)), get_xdist_worker_id(_Session(controller))) == ("gw2", "master"), (
        "pytest-xdist: its own helpers no longer read the worker from config.workerinput; "
        "contract._internals.xdist_worker must follow them"
    )
