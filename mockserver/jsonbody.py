"""Reading a request body: JSON whose numbers a double can hold.

One policy for every route that reads a body (the API operations and the admin routes alike):

- **Numbers.** A number must be one a double can hold, within ±1.7976931348623157e308: an
  integer of 401 (or 5,000) digits is refused naming the field, as ``1e999`` is, rather than
  overflowing wherever it is later used as seconds. NaN and Infinity are not JSON.

A problem is an :class:`~mockserver.errors.ApiError` with the validation code whose message names
the field, the value (abbreviated when huge) and the rule.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from .errors import ApiError

__all__ = ["MAX_NUMBER", "abbreviated_number", "parse_body"]

#: The largest magnitude a JSON number may have: a double's.
MAX_NUMBER = sys.float_info.max
#: Problems listed in one message; more are counted.
_LISTED = 10
_NUMBER_RULE = "must be a number a double can hold, between -1.8e308 and 1.8e308"


def _refuse(detail: str) -> ApiError:
    return ApiError(422, f"Validation error: body: is not valid JSON ({detail})")


class _Constant(ValueError):
    pass


class _Huge:
    """A number out of range, kept as the text the body spelled it with."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def abbreviated_number(text: str) -> str:
    """A numeral as a message shows it: whole when short, else its ends and its length."""
    if len(text) <= 40:
        return text
    digits = sum(ch.isdigit() for ch in text)
    return f"{text[:20]}...{text[-10:]}, {digits} digits"


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


def _field(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path or 'body'}[{key}]"
    return f"{path}.{key}" if path else key


def _walk(value: Any, path: str, found: list[str]) -> None:
    """Every out-of-range number under ``value``."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        if isinstance(item, _Huge):
            found.append(f"{_field(path, key)}: {_NUMBER_RULE} (got {abbreviated_number(item.text)})")
        elif isinstance(item, (dict, list)):
            _walk(item, _field(path, key), found)


def _report(found: list[str]) -> ApiError:
    found.sort()
    listed = found[:_LISTED]
    more = f"; and {len(found) - _LISTED} more" if len(found) > _LISTED else ""
    return ApiError(422, "Validation error: " + "; ".join(listed) + more)


def parse_body(raw: bytes | bytearray) -> Any:
    """The JSON value of a request body under the policy above; raises ApiError 422 naming what is wrong."""
    found: list[str] = []
    try:
        try:
            value = json.loads(raw)
            huge = _out_of_range(value)
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer past Python's int-string limit (4,300 digits)
            huge = True
        if huge:
            value = json.loads(raw, parse_constant=_no_constant, parse_float=_float, parse_int=_int)
            if isinstance(value, _Huge):
                found.append(f"body: {_NUMBER_RULE} (got {abbreviated_number(value.text)})")
            _walk(value, "", found)
    except json.JSONDecodeError as exc:
        raise _refuse(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (_Constant, UnicodeDecodeError, RecursionError) as exc:
        raise _refuse(str(exc)) from None
    if found:
        raise _report(found)
    return value
