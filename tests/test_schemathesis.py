"""schemathesis over every operation of every profile, in-process: no server error, no answer off-spec.

The mock answers HTTP 200 with the outcome in ``code`` (as the providers do), so an ``after_call``
hook copies ``code`` into the status for the built-in checks (reference: contract-testing 2.11).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from mockserver import create_app, openapi

CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.content_type_conformance,
    checks.negative_data_rejection,
    checks.missing_required_header,
]


def _schema(provider: str) -> Any:
    app = create_app(provider, seed=1, virtual_clock=True)
    schema = schemathesis.openapi.from_dict(
        openapi.load_spec(provider),
        config=schemathesis.Config.from_dict(
            {
                "headers": {"Authorization": "Bearer schemathesis"},
                "generation": {"max-examples": 30},
                "checks": {"negative_data_rejection": {"expected-statuses": ["401", "404", "422"]}},
            }
        ),
    )
    schema.app = app

    @schema.hook
    def after_call(ctx: Any, case: Any, response: Any) -> None:
        body = response.json() if response.content else None
        if isinstance(body, dict) and isinstance(body.get("code"), int) and response.status_code == 200:
            response.status_code = body["code"]

    return schema


SCHEMAS = {provider: _schema(provider) for provider in openapi.PROVIDERS}


def _make(provider: str) -> Any:
    schema = SCHEMAS[provider]
    # schemathesis annotates parametrize() as a bare Callable: the decorator keeps the test's signature.
    parametrize: Callable[[Callable[[Any], None]], Callable[[Any], None]] = schema.parametrize()

    @parametrize
    @settings(deadline=None, suppress_health_check=list(HealthCheck))
    def test(case: Any) -> None:
        response = case.call()
        status = response.status_code
        assert status != 500 or "Server error" not in response.text, response.text
        body = response.json()
        # beside code/msg/data only what the pages show: recovery details' task_id, the uploads' success
        assert {"code", "msg", "data"} <= set(body) <= {"code", "msg", "data", "task_id", "success"}, body
        # a multipart form carries every value as text: a "number" uploadPath cannot be told from a string
        form = case.path == "/api/file-stream-upload"
        case.validate_response(
            response, checks=[c for c in CHECKS if not form or c is not checks.negative_data_rejection]
        )

    return test


test_kie = _make("kie")
test_sunoapi = _make("sunoapi")
test_apibox = _make("apibox")
test_apikley = _make("apikley")


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_every_operation_is_exercised(provider: str) -> None:
    labels = {result.ok().label for result in SCHEMAS[provider].get_all_operations()}
    documented = {
        f"{method.upper()} {path}" for path, item in openapi.load_spec(provider)["paths"].items() for method in item
    }
    assert labels == documented
