"""The documented answer shape ``{code, msg, data}`` and the HTTP-status mode."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from starlette.responses import Response

__all__ = ["StatusMode", "envelope", "render"]


class StatusMode(StrEnum):
    """How the outcome reaches the HTTP status line."""

    #: HTTP 200 with the outcome in ``code``, as the providers answer (default).
    BODY = "body"
    #: ``code`` copied into the HTTP status, for clients that check the status.
    MIRROR = "mirror"


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def render(payload: Any) -> bytes:
    """Compact UTF-8 JSON; NaN and Infinity are refused (they are not JSON)."""
    return _ENCODER.encode(payload).encode()


def envelope(
    code: int,
    msg: str,
    data: Any = None,
    *,
    mode: StatusMode = StatusMode.BODY,
    http_status: int | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A JSON response carrying the envelope; ``http_status`` overrides the mode."""
    if http_status is None:
        http_status = code if mode is StatusMode.MIRROR and 100 <= code <= 599 else 200
    return Response(
        render({"code": code, "msg": msg, "data": data}),
        status_code=http_status,
        media_type="application/json",
        headers=headers,
    )
