"""The server suite as importable pytest tests, against the mock and against a broken server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contract._pytest_suite import server_conformance_tests
from mockserver import create_app

test_mock_conforms = server_conformance_tests(
    provider="apibox", token="k", app=create_app("apibox", tokens={"k"}, seed=1, time_scale=200.0), max_examples=10
)


def _code_as_string(app: Any) -> Any:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        async def patched(message: Any) -> None:
            if message["type"] == "http.response.body" and message.get("body", b"").startswith(b'{"code":'):
                body = json.loads(message["body"])
                body["code"] = str(body["code"])
                message = {**message, "body": json.dumps(body).encode()}
            await send(message)

        if scope["type"] == "http":
            scope = {**scope, "headers": [h for h in scope["headers"] if h[0] != b"accept-encoding"]}
        await app(scope, receive, patched)

    return broken


def test_a_broken_server_fails_the_named_check_with_its_example() -> None:
    test = server_conformance_tests(
        provider="kie",
        token="k",
        app=_code_as_string(create_app("kie", tokens={"k"}, seed=1, time_scale=200.0)),
        max_examples=5,
        schemathesis=False,
    )
    with pytest.raises(AssertionError, match=r"envelope \(every answer is \{code:int"):
        test("envelope")
