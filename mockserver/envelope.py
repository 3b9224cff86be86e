"""The documented answer shape ``{code, msg, data}`` and the HTTP-status mode."""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from starlette.responses import Response

__all__ = ["Answer", "StatusMode", "compact_json", "envelope", "render"]


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
    encoder (CPython's ``json.encoder.c_make_encoder``) is made here with the settings
    ``JSONEncoder`` would pass it, without a circular-reference check (the mock encodes
    trees it built itself); where it does not exist the plain encoder is used.
    """
    plain = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - not CPython
        return plain.encode
    chunks = make(None, plain.default, json.encoder.encode_basestring, None, ":", ",", False, False, False)

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))

    return encode


compact_json: Callable[[Any], str] = _compact_encoder()
"""Compact JSON text (no spaces, UTF-8 characters as they are); NaN and Infinity are refused (not JSON)."""


def render(payload: Any) -> bytes:
    """Compact UTF-8 JSON; NaN and Infinity are refused (they are not JSON)."""
    return compact_json(payload).encode()


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
    return Response(
        render(
            {"code": code, "msg": msg, "data": data, **fields} if fields else {"code": code, "msg": msg, "data": data}
        ),
        status_code=http_status,
        media_type="application/json",
        headers=headers,
    )
