"""Reading a request body: JSON whose numbers a double can hold and whose text is valid Unicode.

One policy for every route that reads a body (the API operations and the admin routes alike):

- **Encoding.** The providers document UTF-8 JSON: a UTF-8 body is read (a leading byte-order
  mark is ignored, as RFC 8259 allows); a UTF-16 or UTF-32 one, which ``json.loads`` would
  accept, is refused, and so is any byte sequence that is not UTF-8.
- **Numbers.** A number must be one a double can hold, within ±1.7976931348623157e308: an
  integer of 401 (or 5,000) digits is refused naming the field, as ``1e999`` is, rather than
  overflowing wherever it is later used as seconds. NaN and Infinity are not JSON.
- **Text.** Every string, object keys included, must be Unicode text that can be written back as
  UTF-8: a lone surrogate (``"\\ud800"`` escaped, or the bytes ``ED A0 80``) is refused naming the
  field, so no task is accepted that record-info or a callback could not then show.

A problem is an :class:`~mockserver._errors.ApiError` with the validation code whose message names
the field, the value (abbreviated when huge) and the rule.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any

from ._errors import ApiError, MockError

_orjson_loads: Callable[[bytes | bytearray], Any] | None
try:  # a dependency (answers are rendered by it too): parses a plain body without json.loads' Python layers
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - without it every body takes the plain reader
    _orjson_loads = None

__all__ = ["MAX_NUMBER", "abbreviated_number", "parse_body"]

#: The largest magnitude a JSON number may have: a double's.
MAX_NUMBER = sys.float_info.max
#: orjson reads an integer past 64 bits as a float, so a float this large may have been one.
_INT64 = float(2**63)
#: Problems listed in one message; more are counted.
_LISTED = 10
_NUMBER_RULE = "must be a number a double can hold, between -1.8e308 and 1.8e308"
_TEXT_RULE = "must be text without lone surrogates (one cannot be written as UTF-8)"
_KEY_RULE = "must have keys without lone surrogates (one cannot be written as UTF-8)"


def _refuse(detail: str) -> ApiError:
    return ApiError(422, f"Validation error: body: is not valid JSON ({detail})")


class _Constant(MockError, ValueError):
    pass


class _Huge:
    """A number out of range, kept as the text the body spelled it with."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def abbreviated_number(text: str) -> str:
    """A numeral (or what was sent as one) as a message shows it: whole when short, else its ends and length."""
    if len(text) <= 40:
        return text
    digits = sum(ch.isdigit() for ch in text)
    size = f"{digits} digits" if digits * 2 > len(text) else f"{len(text)} characters"
    return f"{text[:20]}...{text[-10:]}, {size}"


def _no_constant(name: str) -> Any:
    raise _Constant(f"{name} is not a JSON number")


def _int(text: str) -> Any:
    digits = len(text) - (text[0] == "-")
    if digits <= 308:  # below 1e308: no need to look closer
        return int(text)
    if digits > 309:  # past 1e309, and perhaps past Python's int-string limit
        return _Huge(text)
    value = int(text)
    return value if -MAX_NUMBER <= value <= MAX_NUMBER else _Huge(text)


def _float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _Huge(text)


def _decode(raw: bytes | bytearray) -> str:
    """The body as text: UTF-8 (a leading byte-order mark dropped), encoded surrogates kept for the text rule."""
    head = raw[:2]
    if head == b"\xff\xfe" or head == b"\xfe\xff" or 0 in head:
        raise _refuse("it must be UTF-8; its first bytes are those of UTF-16 or UTF-32")
    try:
        text = raw.decode("utf-8", "surrogatepass")  # as json.loads(bytes) decodes UTF-8
    except UnicodeDecodeError as exc:
        raise _refuse(f"it is not UTF-8: byte 0x{raw[exc.start]:02X} at position {exc.start} is {exc.reason}") from None
    return text[1:] if text[:1] == "\ufeff" else text


def _out_of_range(value: Any) -> bool:
    """Whether a parsed JSON value holds, anywhere, a float that is not finite or an int no double holds."""
    items = value.values() if value.__class__ is dict else value if value.__class__ is list else (value,)
    for item in items:
        kind = item.__class__
        if kind is float:
            if not math.isfinite(item):
                return True
        elif kind is int:
            if not -MAX_NUMBER <= item <= MAX_NUMBER:
                return True
        elif (kind is dict or kind is list) and _out_of_range(item):
            return True
    return False


def _beyond_64_bits(value: Any) -> bool:
    """Whether orjson's value holds a float that is not finite or is 2**63 or more (perhaps an integer it read as one).

    Every int orjson gives fits in 64 bits (so a double holds its range), and any float within
    2**63 is a finite number: a body without either is what json.loads reads, in range.
    """
    items = value.values() if value.__class__ is dict else value if value.__class__ is list else (value,)
    for item in items:
        kind = item.__class__
        if kind is float:
            if not -_INT64 < item < _INT64:  # NaN too
                return True
        elif (kind is dict or kind is list) and _beyond_64_bits(item):
            return True
    return False


def _field(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path or 'body'}[{key}]"
    return f"{path}.{key}" if path else key


def _walk(value: Any, path: str, found: list[str], texts: bool) -> None:
    """Every out-of-range number (and, with ``texts``, every string that is not Unicode text) under ``value``."""
    if isinstance(value, dict):
        if texts and not all(map(_is_text, value)):
            bad = next(key for key in value if not _is_text(key))
            found.append(f"{path or 'body'}: {_KEY_RULE} (got the key {_shown_text(bad)})")
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        if isinstance(item, _Huge):
            found.append(f"{_field(path, key)}: {_NUMBER_RULE} (got {abbreviated_number(item.text)})")
        elif texts and isinstance(item, str) and not _is_text(item):
            found.append(f"{_field(path, key)}: {_TEXT_RULE} (got {_shown_text(item)})")
        elif isinstance(item, (dict, list)):
            _walk(item, _field(path, key), found, texts)


def _is_text(value: str) -> bool:
    """Whether ``value`` can be written as UTF-8 (it holds no lone surrogate)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown_text(value: str) -> str:
    """A string as a message shows it: its repr (which escapes a surrogate as \\ud800), abbreviated, and where."""
    text = repr(value)
    bad = next(i for i, ch in enumerate(value) if 0xD800 <= ord(ch) <= 0xDFFF)
    if len(text) > 60:
        text = f"{text[:40]}... ({len(value)} characters)"
    return f"{text}, U+{ord(value[bad]):04X} at character {bad}"


def _report(found: list[str]) -> ApiError:
    found.sort()
    listed = found[:_LISTED]
    more = f"; and {len(found) - _LISTED} more" if len(found) > _LISTED else ""
    return ApiError(422, "Validation error: " + "; ".join(listed) + more)


def parse_body(raw: bytes | bytearray) -> Any:
    """The JSON value of a request body under the policy above; raises ApiError 422 naming what is wrong."""
    # The common body, an object with no escaped or encoded surrogate: orjson's value when it takes the body
    # and holds no float of 2**63 or more, which is json.loads' (tests/test_hotpath.py compares them).
    # Whatever orjson refuses, and anything the policy has to look at, goes the plain way below.
    if _orjson_loads is not None and raw[:1] == b"{" and b"\\u" not in raw and b"\xed" not in raw:
        try:
            value = _orjson_loads(raw)
        except ValueError:  # orjson.JSONDecodeError: the plain reader words the problem
            pass
        else:
            if not _beyond_64_bits(value):
                return value
    text = _decode(raw)
    # a surrogate gets in only escaped or as ED A0..BF (U+D000-U+D7FF start with ED too): else no walk
    texts = b"\\u" in raw or b"\xed" in raw
    found: list[str] = []
    try:
        try:
            value = json.loads(text)
            huge = _out_of_range(value)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer past Python's int-string limit (4,300 digits)
            huge = True
        if huge:
            value = json.loads(text, parse_constant=_no_constant, parse_float=_float, parse_int=_int)
        if isinstance(value, _Huge):
            found.append(f"body: {_NUMBER_RULE} (got {abbreviated_number(value.text)})")
        elif texts and isinstance(value, str) and not _is_text(value):
            found.append(f"body: {_TEXT_RULE} (got {_shown_text(value)})")
        elif huge or texts:
            _walk(value, "", found, texts)
    except json.JSONDecodeError as exc:
        raise _refuse(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (_Constant, RecursionError) as exc:
        raise _refuse(str(exc)) from None
    if found:
        raise _report(found)
    return value
