"""The one JSON encoder every answer, param and callback goes through: the standard library's output."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver._envelope import StatusMode, compact_json, envelope, render

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),  # any code point, lone surrogates included
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _reference(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


@given(_json_values)
def test_compact_json_writes_what_json_dumps_writes(value: Any) -> None:
    assert compact_json(value) == _reference(value)


@given(_json_values)
def test_render_is_utf8_of_the_same_text(value: Any) -> None:
    try:
        expected = _reference(value).encode()
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form either way
        with pytest.raises(UnicodeEncodeError):
            render(value)
        return
    assert render(value) == expected


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_not_a_number_and_infinities_are_refused_as_json_dumps_refuses_them(number: float) -> None:
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        compact_json({"data": [number]})


def test_a_value_json_cannot_write_raises_type_error_naming_its_type() -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        compact_json({"data": {1, 2}})


def test_the_encoder_keeps_no_state_between_calls() -> None:
    # one encoder object serves every call: a failed call must not leave anything behind
    with pytest.raises(TypeError):
        compact_json([object()])
    assert compact_json({"a": [1, "é"]}) == '{"a":[1,"é"]}'


def test_envelope_carries_code_msg_data_and_the_status_mode() -> None:
    msg = "Validation error: prompt: is required"
    body = {"code": 422, "msg": msg, "data": None}
    as_body = envelope(422, msg)
    mirrored = envelope(422, msg, mode=StatusMode.MIRROR)
    assert json.loads(bytes(as_body.body)) == body and as_body.status_code == 200
    assert json.loads(bytes(mirrored.body)) == body and mirrored.status_code == 422
    assert as_body.headers["content-type"] == "application/json"
