"""The documented answer shape ``{code, msg, data}`` and the HTTP-status mode."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from starlette.responses import Response

from ._internals import c_json_encoder

__all__ = ["Answer", "StatusMode", "compact_json", "envelope", "render", "render_answer"]

_orjson_dumps: Callable[[Any], bytes] | None
try:  # a dependency: ~10x faster than the standard encoder on the mock's answers
    from orjson import dumps as _orjson_dumps
except ImportError:  # pragma: no cover - without it every answer takes render()
    _orjson_dumps = None


class StatusMode(StrEnum):
    """How the outcome reaches the HTTP status line."""

    #: HTTP 200 with the outcome in ``code``, as the providers answer (default).
    BODY = "body"
    #: ``code`` copied into the HTTP status, for clients that check the status.
    MIRROR = "mirror"


@dataclass(frozen=True, slots=True)
class Answer:
    """What a behaviour returns when the documented answer is not plain ``{code: 200, msg, data}``.

    ``code`` and ``msg`` are the outcome (recovery details answer 201 while running), and
    ``fields`` stand at the top level beside them (recovery's ``task_id``, the upload API's
    ``success``).
    """

    code: int
    msg: str
    data: Any = None
    fields: Mapping[str, Any] = field(default_factory=dict)


def _compact_encoder() -> Callable[[Any], str]:
    """One JSON encoder made once: ``JSONEncoder.encode`` builds a new C encoder on every call.

    That set-up cost 1.3 us of every answer (as much as encoding a small envelope). The C
    encoder (CPython's private ``json.encoder.c_make_encoder``, see :mod:`mockserver._internals`)
    is made here with the settings ``JSONEncoder`` would pass it, without a circular-reference
    check (the mock encodes trees it built itself); where it does not exist the plain encoder is used.
    """
    plain = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    chunks = c_json_encoder(plain.default)
    if chunks is None:  # pragma: no cover - not CPython
        return plain.encode

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))

    return encode


compact_json: Callable[[Any], str] = _compact_encoder()
"""Compact JSON text (no spaces, UTF-8 characters as they are); NaN and Infinity are refused (not JSON)."""


def render(payload: Any) -> bytes:
    """Compact UTF-8 JSON; NaN and Infinity are refused (they are not JSON)."""
    return compact_json(payload).encode()


def render_answer(payload: Any) -> bytes:
    """An answer as compact UTF-8 JSON, by orjson: the same document :func:`render` writes.

    The same text but for the form of some numbers (orjson writes ``1.5e-7`` and ``0.00001``, the
    standard encoder ``1.5e-07`` and ``1e-05``: the same values). What orjson refuses (integers
    past 64 bits, keys that are not strings, lone surrogates, deep nesting) goes to :func:`render`,
    which writes it or raises as it always did. One difference is left: orjson writes a NaN or an
    infinity as ``null`` where :func:`render` raises; the mock never builds one (request numbers
    are refused unless finite). Only answers take this path; parameters and callback bodies, whose
    bytes are signed or echoed, keep :func:`render`. ``tests/test_validation_fastpath.py`` parses
    both on generated trees and compares the values, types and float bits included.
    """
    if _orjson_dumps is None:  # pragma: no cover
        return render(payload)
    try:
        return _orjson_dumps(payload)
    except TypeError:  # orjson.JSONEncodeError
        return render(payload)


_JSON_TYPE = (b"content-type", b"application/json")


def envelope(
    code: int,
    msg: str,
    data: Any = None,
    *,
    mode: StatusMode = StatusMode.BODY,
    http_status: int | None = None,
    headers: dict[str, str] | None = None,
    fields: Mapping[str, Any] | None = None,
) -> Response:
    """A JSON response carrying the envelope (and ``fields`` beside it); ``http_status`` overrides the mode."""
    if http_status is None:
        http_status = code if mode is StatusMode.MIRROR and 100 <= code <= 599 else 200
    answer = {"code": code, "msg": msg, "data": data}
    body = render_answer({**answer, **fields} if fields else answer)
    if headers or not 200 <= http_status < 600 or http_status in (204, 304):
        return Response(body, status_code=http_status, media_type="application/json", headers=headers)
    # the common answer: what Response.__init__ sets for these arguments, without its generic header walk
    response = Response.__new__(Response)
    response.status_code = http_status
    response.media_type = "application/json"
    response.background = None
    response.body = body
    response.raw_headers = [(b"content-length", str(len(body)).encode()), _JSON_TYPE]
    return response
