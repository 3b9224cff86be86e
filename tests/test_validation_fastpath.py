"""The compiled body check and report agree with the full jsonschema validator on every bundled schema."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation import GenerationMode

from mockserver import create_app
from mockserver.openapi import PROVIDERS, load_spec
from mockserver.validation import RequestValidator, _places_at_most, decimal_places

ODD = [None, True, False, 0, 1, -1, 1.5, 0.001, 10.125, "", "x", "http://a", "ftp://x", [], {}, "V4", 1e308, 2**70]


def _mutants(body: Any, rnd: random.Random) -> list[Any]:
    out = []
    for _ in range(4):
        if not isinstance(body, dict) or not body:
            out.append(rnd.choice(ODD))
            continue
        copied = copy.deepcopy(body)
        key = rnd.choice(sorted(copied))
        if rnd.random() < 0.3:
            del copied[key]
        else:
            copied[key] = rnd.choice(ODD)
        out.append(copied)
    return out


@pytest.mark.parametrize("provider", PROVIDERS)
def test_fast_check_agrees_with_the_validator(provider: str) -> None:
    schema = schemathesis.openapi.from_dict(load_spec(provider))
    rnd = random.Random(7)
    for operation in create_app(provider).operations:
        if not operation.body_schema:
            continue
        validator = RequestValidator(operation)
        assert validator._body_ok is not None, f"{operation.operation_id} fell back to the slow path"
        assert validator._body_report is not None, f"{operation.operation_id} reports through jsonschema"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = schema[operation.path][operation.method.upper()].as_strategy(generation_mode=mode)
            _agree(validator, strategy, rnd)


def _agree(validator: RequestValidator, strategy: Any, rnd: random.Random) -> None:
    @given(strategy)
    @settings(
        max_examples=25, database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)
    )
    def agree(case: Any) -> None:
        for body in [case.body, *_mutants(case.body, rnd)]:
            assert validator._body_ok is not None and validator._body_report is not None
            reference = validator._jsonschema_problems(body)
            assert validator._body_ok(body) is (not reference), body
            # the same problems, worded the same (order and repeats are settled by body_problems)
            assert sorted(map(str, validator._body_report(body))) == sorted(map(str, reference)), body

    agree()


@pytest.mark.parametrize("value", [10.0, 10.5, 0.1, 1e-7, 1.25e20, 123.456, float("inf"), -2.75, 0.30000000000000004])
def test_decimal_places_shortcut(value: float) -> None:
    for places in range(4):
        assert _places_at_most(value, places) is (decimal_places(value) <= places)


def test_report_names_field_value_and_rule() -> None:
    operation = next(op for op in create_app("sunoapi").operations if op.operation_id == "replace-section")
    validator = RequestValidator(operation)
    body = {"taskId": 5, "audioId": "a", "tags": "t", "title": "x", "infillStartS": 1.234, "infillEndS": 3.0}
    shown = [str(p) for p in validator.body_problems(body)]
    assert shown == sorted(map(str, validator._jsonschema_problems(body)))
    assert "prompt: is required" in shown
    assert "taskId: must be a string (got 5)" in shown
    assert "infillStartS: must have at most 2 decimal places (got 1.234)" in shown
    assert any(line.startswith("infillEndS - infillStartS: the interval") for line in shown), shown
