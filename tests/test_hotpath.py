"""Differential tests of the request hot path's shortcuts against the plain implementations they replace.

The request journal keeps tuples and builds its records when read (``RequestJournal.note``); the
body reader returns a body that came in one ASGI message without copying it. Each must give what
the plain code gives: the same records, byte count and drops; the same parsed body or refusal.
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections import deque
from dataclasses import replace
from sys import getsizeof
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import ClientDisconnect, Request

from mockserver import _jsonbody as jsonbody
from mockserver._body import read_json
from mockserver._errors import ApiError
from mockserver._journal import _RECORD_BYTES, MSG_KEPT, PATH_KEPT, RequestJournal, RequestRecord, clipped


class PlainJournal:
    """The request journal as it was: a deque of frozen records, clipped and bounded on ``add``."""

    def __init__(self, size: int, max_bytes: int) -> None:
        self.records: deque[RequestRecord] = deque()
        self.size = size or None
        self.max_bytes = max_bytes
        self.bytes = 0
        self.dropped = 0

    def add(self, record: RequestRecord) -> None:
        if len(record.path) > PATH_KEPT or len(record.msg) > MSG_KEPT:
            record = replace(record, path=clipped(record.path, PATH_KEPT), msg=clipped(record.msg, MSG_KEPT))
        if len(self.records) == self.size:
            self._drop()
        self.records.append(record)
        self.bytes += record.weight
        while self.bytes > self.max_bytes and len(self.records) > 1:
            self._drop()

    def _drop(self) -> None:
        self.bytes -= self.records.popleft().weight
        self.dropped += 1


_TEXT = st.one_of(
    st.text(max_size=40),
    st.integers(PATH_KEPT - 3, PATH_KEPT + 3).map(lambda n: "p" * n),
    st.integers(MSG_KEPT - 3, MSG_KEPT + 40).map(lambda n: "m\u00e9" * (n // 2)),
)
_RECORDS = st.lists(
    st.builds(
        RequestRecord,
        at=st.floats(0, 2e9, allow_nan=False),
        method=st.sampled_from(["GET", "POST", "PUT"]),
        path=_TEXT,
        operation_id=st.one_of(st.none(), st.sampled_from(["generate-music", "replace-section"])),
        code=st.sampled_from([0, 200, 401, 404, 422, 500]),
        msg=_TEXT,
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(records=_RECORDS, size=st.integers(0, 12), max_bytes=st.integers(100, 20_000), by_note=st.lists(st.booleans()))
def test_the_tuple_journal_keeps_what_the_record_journal_kept(
    records: list[RequestRecord], size: int, max_bytes: int, by_note: list[bool]
) -> None:
    plain, journal = PlainJournal(size, max_bytes), RequestJournal(size, max_bytes)
    for i, record in enumerate(records):
        plain.add(record)
        if i < len(by_note) and by_note[i]:
            journal.note(record.at, record.method, record.path, record.operation_id, record.code, record.msg)
        else:
            journal.add(record)
        assert (journal.bytes, journal.dropped, len(journal)) == (plain.bytes, plain.dropped, len(plain.records))
    assert list(journal) == list(plain.records)
    assert all(type(r) is RequestRecord for r in journal)
    assert journal.rejected() == [r for r in plain.records if r.code == 422]
    assert journal.bytes == sum(_RECORD_BYTES + getsizeof(r.path) + getsizeof(r.msg) for r in plain.records)


def _request(messages: list[dict[str, Any]], body_length: int) -> Request:
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    headers = [(b"content-type", b"application/json"), (b"content-length", str(body_length).encode())]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers}, receive)


def _outcome(messages: list[dict[str, Any]], body_length: int, cap: int) -> Any:
    try:
        return ("body", asyncio.run(read_json(_request(messages, body_length), cap)))
    except ApiError as error:
        return ("refused", error.code, error.msg)
    except ClientDisconnect:
        return ("gone",)


_BODIES = st.one_of(
    st.dictionaries(
        st.text(max_size=8), st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
    ).map(lambda d: json.dumps(d).encode()),
    st.binary(max_size=60),
    st.sampled_from([b'{"a": 1e400}', b"[1, 2]", b'{"a": "\\ud800"}', b"\xef\xbb\xbf{}", b'{"a":1}{']),
)


@settings(max_examples=300, deadline=None)
@given(body=_BODIES, cap=st.integers(0, 80), cuts=st.lists(st.integers(0, 80), max_size=3), gone=st.booleans())
def test_a_body_in_one_message_reads_as_the_same_body_in_pieces(
    body: bytes, cap: int, cuts: list[int], gone: bool
) -> None:
    bounds = sorted({min(c, len(body)) for c in cuts})
    pieces = [body[a:b] for a, b in zip([0, *bounds], [*bounds, len(body)], strict=True)]
    chunked = [{"type": "http.request", "body": p, "more_body": True} for p in pieces]
    chunked[-1]["more_body"] = gone  # a client that leaves before its last message
    whole = [{"type": "http.request", "body": body, "more_body": gone}]
    # the plain reader copied every message into a bytearray; one message or several, the same outcome
    assert _outcome(whole, len(body), cap) == _outcome(chunked, len(body), cap)
    if not gone and len(body) <= cap:
        assert _outcome(whole, len(body), cap) == _outcome([{**whole[0], "body": bytearray(body)}], len(body), cap)


@pytest.mark.parametrize("first", [{"type": "http.disconnect"}, {"type": "http.request", "more_body": False}])
def test_a_first_message_without_a_body_is_read_as_before(first: dict[str, Any]) -> None:
    outcome = _outcome([first], 0, 100)
    assert outcome == (("gone",) if first["type"] == "http.disconnect" else ("refused", 422, outcome[2]))
    if first["type"] != "http.disconnect":
        assert "JSON" in outcome[2] or "body" in outcome[2]


def _parsed(raw: bytes, fast: bool) -> Any:
    """``parse_body``'s outcome (the value with every float's bits and every type, or the refusal)."""
    saved = jsonbody._orjson_loads
    if not fast:
        jsonbody._orjson_loads = None
    try:
        return ("value", _typed(jsonbody.parse_body(raw)))
    except ApiError as error:
        return ("refused", error.code, error.msg)
    finally:
        jsonbody._orjson_loads = saved


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    if isinstance(value, float):
        return ("float", struct.pack("<d", value))
    return (type(value).__name__, value)


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
    st.sampled_from(["\u2028", "\x7f", "\x00", "\t", "\\", '"', "/", "\U0001f3b5", "\ufeff"]),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
_OBJECTS = st.dictionaries(st.text(max_size=6), _VALUES, max_size=6)
_TOKENS = [
    b"1e400",
    b"-1e999",
    b"NaN",
    b"Infinity",
    b"01",
    b"1.",
    b".5",
    b"+1",
    b"0x10",
    b"'a'",
    b",",
    b"}",
    b"]",
    b"//",
    b"\\ud800",
    b"\xed\xa0\x80",
    b"\xff",
    b"\x00",
    b"\n",
    b"\t",
    b"\xc2\xa0",
    b"9" * 400,
    b"1" * 5000,
    b'"a":1,"a":2',
    b"[" * 1500,
    b"true",
    b"nul",
    b"\xef\xbb\xbf",
    b" ",
    b"\x0b",
    b'"\x01"',
    b'"\\x41"',
    b'"\\/"',
    b"1E+2",
    b"-0",
]


@st.composite
def _raw_bodies(draw: st.DrawFn) -> bytes:
    value = draw(_OBJECTS)
    style = draw(st.sampled_from(["compact", "spaced", "ascii", "indent"]))
    text = {
        "compact": lambda: json.dumps(value, ensure_ascii=False, separators=(",", ":")),
        "spaced": lambda: json.dumps(value, ensure_ascii=False),
        "ascii": lambda: json.dumps(value),
        "indent": lambda: json.dumps(value, ensure_ascii=False, indent=1),
    }[style]()
    raw = text.encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(0, 2))):  # mutations: a token, a cut, a dropped byte
        at = draw(st.integers(0, len(raw)))
        how = draw(st.sampled_from(["insert", "cut", "drop"]))
        if how == "insert":
            raw = raw[:at] + draw(st.sampled_from(_TOKENS)) + raw[at:]
        elif how == "cut":
            raw = raw[:at]
        else:
            raw = raw[:at] + raw[at + 1 :]
    return raw


@settings(max_examples=3000, deadline=None)
@given(raw=_raw_bodies())
def test_a_body_parsed_by_orjson_is_what_the_plain_reader_gives(raw: bytes) -> None:
    assert _parsed(raw, fast=True) == _parsed(raw, fast=False)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1e400}',
        b'{"a": 18446744073709551616}',
        b'{"a": 9007199254740993}',
        b'{"a": -0.0, "b": 5e-324}',
        b'{"a": 2.2250738585072011e-308}',
        b'{"a": 1.7976931348623157e308}',
        b'{"a":1,"a":2,"b":3}',
        b'{"a": NaN}',
        b'{"k": "\\ud800"}',
        b'{"k": "\xed\xa0\x80"}',
        b'{"k": "\xc3\xa9"}',
        b"{}",
        b'{"a": [' + b"[" * 2000 + b"]",
        b'{"a": 0.1e1, "b": 1E-7, "c": 123456789012345678901234567890}',
        b'{"a":1} ',
        b'{"a":1}\n{"b":2}',
    ],
)
def test_the_edges_of_numbers_and_text_parse_the_same_either_way(raw: bytes) -> None:
    assert _parsed(raw, fast=True) == _parsed(raw, fast=False)
