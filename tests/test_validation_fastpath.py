"""Hot-path tricks agree with the plain implementation.

The compiled body check and report agree with the full jsonschema validator on every bundled schema;
the answer renderer (orjson where its text is the same) writes the standard encoder's bytes.
"""

from __future__ import annotations

import copy
import json
import math
import random
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from starlette.responses import Response

from mockserver import create_app
from mockserver._envelope import StatusMode, envelope, render, render_answer
from mockserver._schema_compiler import _places_at_most
from mockserver._validation import RequestValidator, decimal_places
from mockserver.openapi import PROVIDERS, load_spec

ODD: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.5,
    0.001,
    10.125,
    "",
    "x",
    "http://a",
    "ftp://x",
    [],
    {},
    "V4",
    1e308,
    2**70,
]


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


# the answer renderer (orjson where it writes the same bytes) -------------------------------
_FLOAT_SCALES = st.integers(-330, 308).map(lambda e: 10.0**e if -324 < e < 309 else 0.0)
_numbers = (
    st.floats(allow_nan=False, allow_infinity=False)
    | st.builds(lambda m, s: m * s, st.floats(-10, 10, allow_nan=False), _FLOAT_SCALES).filter(math.isfinite)
    | st.integers()
    | st.integers(-(2**70), 2**70)
)
_answers = st.recursive(
    st.none() | st.booleans() | _numbers | st.text() | st.sampled_from(["0.00001", ":1e5,", "[0.00002]"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        | st.dictionaries(st.integers(-3, 3) | st.booleans() | st.none(), inner, max_size=2)
    ),
    max_leaves=24,
)


def _outcome(render_: Any, value: Any) -> tuple[str, Any]:
    """What a renderer makes of ``value``: the document (types, float bits) in one canonical text, or its failure."""
    try:
        written = render_(value)
    except Exception as error:  # the same failure, by type
        return "raised", type(error)
    return "ok", render(json.loads(written))  # 1 and 1.0, -0.0 and 0.0, every float's digits stay apart


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_answers)
def test_render_answer_writes_the_document_render_writes(value: Any) -> None:
    assert _outcome(render_answer, value) == _outcome(render, value)


@pytest.mark.parametrize(
    "value",
    [
        1e-05, 2.5e-05, 0.0001, 9.99e-05, 1e16, 1.5e-7, 5e-324, -0.0, 0.1, 1.7976931348623157e308,
        2**64, -(2**63) - 1, {2: "a", None: 2, True: 3}, "\ud800", [[[[]]]] * 3, {"a": "\x00\x1f\x7f\u2028é"},
        StatusMode.BODY, {"k": (1, 2.5)}, [[0]] * 300,
    ],
)  # fmt: skip
def test_render_answer_matches_render_at_the_edges(value: Any) -> None:
    assert _outcome(render_answer, value) == _outcome(render, value)


def test_only_number_forms_differ_in_the_text() -> None:
    answer = {"code": 200, "msg": "success", "data": {"t": "é\x00\u2028", "n": [1, 1.5, -0.0, 1e-05, 2.5e-7, 1e16]}}
    fast, plain = render_answer(answer), render(answer)
    assert fast != plain and json.loads(fast) == json.loads(plain)
    assert fast.replace(b"0.00001", b"1e-05").replace(b"2.5e-7", b"2.5e-07") == plain
    small = {"code": 200, "msg": "success", "data": {"taskId": "0123456789abcdef" * 2, "ok": [True, None, 3]}}
    assert render_answer(small) == render(small)


def test_the_one_difference_left_is_a_non_finite_float_written_as_null() -> None:
    for number in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="Out of range float values"):
            render({"data": number})
        assert render_answer({"data": number}) == b'{"data":null}'


def test_deep_nesting_orjson_refuses_is_written_by_render() -> None:
    deep: Any = 0
    for _ in range(300):
        deep = [deep]
    assert render_answer(deep) == render(deep)


@pytest.mark.parametrize("status", [200, 201, 422, 500, 599, 204, 304, 100, 199])
@pytest.mark.parametrize("headers", [None, {}, {"Retry-After": "3"}, {"content-type": "text/plain"}])
def test_envelope_builds_what_response_builds(status: int, headers: dict[str, str] | None) -> None:
    data = {"taskId": "t" * 32, "n": [1.5, None]}
    got = envelope(code=status, msg="m", data=data, http_status=status, headers=headers)
    want = Response(
        render({"code": status, "msg": "m", "data": data}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )
    assert type(got) is Response
    assert (got.status_code, got.body, got.raw_headers, got.background, got.media_type) == (
        want.status_code, want.body, want.raw_headers, want.background, want.media_type,
    )  # fmt: skip
    assert got.headers["content-type"] == want.headers["content-type"]


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.floats(min_value=-4e9, max_value=4e10, allow_nan=False),
        st.integers(min_value=-(2**33), max_value=2**35).map(float),
        st.sampled_from([0.0, -0.0, -0.5, -1.0, 0.999999, 1.0, 1796193143.6915302, 1796193143.0, 1796193142.9999998]),
    )
)
def test_create_time_kept_per_second_is_strftime_of_gmtime(at: float) -> None:
    """``createTime`` made once per whole second and kept: the same text as formatting each time, repeats too."""
    import time

    from mockserver._providers import get_profile
    from mockserver._views import create_time

    profile = get_profile("kie")
    assert profile.create_time != "epoch_ms"
    plain = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))
    assert create_time(profile, at) == plain
    assert create_time(profile, at) == plain  # the kept text
    assert create_time(profile, math.nextafter(at, math.inf)) == time.strftime(
        "%Y-%m-%d %H:%M:%S", time.gmtime(math.nextafter(at, math.inf))
    )
