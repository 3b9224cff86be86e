"""Reading a request's body from its ASGI messages: the Content-Type, the size cap, then the parser.

The bytes are parsed by :mod:`mockserver._jsonbody` (JSON) or :mod:`mockserver._formbody`
(multipart); this module checks what comes before: the declared media type, ``Content-Length``
and the body's size against ``Settings.max_body_bytes``, and a client that leaves mid-body
(:class:`~starlette.requests.ClientDisconnect`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import ClientDisconnect, Request

from ._errors import ApiError
from ._formbody import parse_form
from ._jsonbody import abbreviated_number, parse_body

__all__ = ["read_form", "read_json"]


async def _read(request: Request, cap: int) -> bytes | bytearray:
    """The body's bytes, at most ``cap`` of them (a 422 past that)."""
    message = await request.receive()  # the ASGI messages themselves: Request.stream() costs an async generator
    if message["type"] == "http.disconnect":
        raise ClientDisconnect()
    first = message.get("body", b"")
    if first.__class__ is bytes and len(first) <= cap and not message.get("more_body", False):
        return first  # the whole body in one message (the common case): no copy
    raw = bytearray(first)
    while True:
        if len(raw) > cap:
            raise ApiError(422, f"Validation error: body: must be at most {cap} bytes (got more)")
        if not message.get("more_body", False):
            return raw
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        raw += message.get("body", b"")


async def read_json(request: Request, cap: int, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An ``application/json`` body holding an object, or the 422 naming what is wrong with it."""
    headers = request.headers if headers is None else headers
    media = headers.get("content-type", "")
    if media.split(";")[0].strip().lower() != "application/json":
        raise ApiError(422, f"Validation error: Content-Type must be application/json (got {media or 'none'!r})")
    declared = headers.get("content-length", "")
    # ASCII digits only ('²' is a digit to isdigit(), not to int()); thousands of them are not converted
    if declared.isascii() and declared.isdigit() and (len(declared.lstrip("0")) > 18 or int(declared) > cap):
        got = f"{declared} bytes" if len(declared) <= 40 else f"a Content-Length of {abbreviated_number(declared)}"
        raise ApiError(422, f"Validation error: body: must be at most {cap} bytes (got {got})")
    body = parse_body(await _read(request, cap))
    if not isinstance(body, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(body), "a number")
        raise ApiError(422, f"Validation error: body: must be a JSON object (got {kind})")
    return body


async def read_form(request: Request, cap: int, headers: Mapping[str, str]) -> dict[str, Any]:
    """A ``multipart/form-data`` body (the stream upload): text fields as str, files as FormFile."""
    media = headers.get("content-type", "")
    if media.split(";")[0].strip().lower() != "multipart/form-data":
        raise ApiError(422, f"Validation error: Content-Type must be multipart/form-data (got {media or 'none'!r})")
    raw = await _read(request, cap)
    try:
        return parse_form(bytes(raw), media)
    except ValueError as error:
        raise ApiError(422, f"Validation error: body: {error}") from None
