"""The vocabulary of the oracle: a broken rule, a missing value, and a checker that collects them.

Nothing here knows an operation. :mod:`contract._families` declares each operation's fields and
cross-field rules with this vocabulary; :mod:`contract._rules` is the public face of both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CALLBACK_MAX", "MISSING", "Checker", "Violation", "dec", "decimal_places", "is_integer", "is_number"]


class _Missing:
    """The value of a field that was not sent."""

    def __repr__(self) -> str:
        return "<missing>"


#: ``Violation.value`` of a required field that is absent.
MISSING: Any = _Missing()

#: bundled common.yaml CallBackUrl maxLength (also used for every other URL field).
CALLBACK_MAX = 2048


@dataclass(frozen=True)
class Violation:
    """One broken rule: which field, what value was sent, which rule it breaks."""

    field: str
    value: Any
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule} (got {self.value!r})"


def is_number(value: object) -> bool:
    """A finite JSON number (booleans are not numbers)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_integer(value: object) -> bool:
    """A JSON integer (JSON Schema counts 1.0 as an integer)."""
    return is_number(value) and float(value).is_integer()  # type: ignore[arg-type]


def decimal_places(value: float) -> int:
    """Digits after the decimal point of the shortest representation of ``value``."""
    try:
        exponent = Decimal(repr(value)).as_tuple().exponent
    except InvalidOperation:
        return 0
    return max(0, -exponent) if isinstance(exponent, int) else 0


def dec(value: float) -> Decimal:
    """``value`` as the exact decimal of its shortest representation."""
    return Decimal(repr(value))


_SCHEME = re.compile(r"^https?://", re.IGNORECASE)


def _uri_problem(value: str) -> str | None:
    """Why ``value`` is not an http(s) URI, or None."""
    if len(value) > CALLBACK_MAX:
        return f"must be at most {CALLBACK_MAX} characters long"
    if not _SCHEME.match(value):
        return "must be an http:// or https:// URL"
    if any(ch.isspace() for ch in value):
        return "must be a valid URI (no whitespace)"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "must be a valid URI"
    if not (parts.netloc or parts.path):
        return "must be a valid URI (no host)"
    return None


#: Fields one operation names where another operation (or provider) names the same thing otherwise:
#: a missing one sent as its neighbour gets a "did you mean" (the track selector differs by provider,
#: replace-section's tags are generate's style).
NEAR_NAMES: dict[str, tuple[str, ...]] = {
    "musicIndex": ("audioId",),
    "audioId": ("musicIndex",),
    "tags": ("style",),
    "style": ("tags",),
}


class Checker:
    """Accumulates the violations of one body (or query)."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        self.out: list[Violation] = []

    def add(self, field: str, value: Any, rule: str) -> None:
        self.out.append(Violation(field, value, rule))

    def required(self, *names: str, why: str = "") -> None:
        for name in names:
            if name not in self.body:
                sent = next((alias for alias in NEAR_NAMES.get(name, ()) if alias in self.body), None)
                hint = f" (did you mean {name} instead of {sent}?)" if sent else ""
                self.add(name, MISSING, "is required" + (f" {why}" if why else "") + hint)

    def string(self, name: str, max_len: int | None = None, min_len: int = 0) -> None:
        if name not in self.body:
            return
        value = self.body[name]
        if not isinstance(value, str):
            self.add(name, value, "must be a string")
        elif min_len and max_len is not None and not min_len <= len(value) <= max_len:
            self.add(name, value, f"must be {min_len} to {max_len} characters long")
        elif max_len is not None and len(value) > max_len:
            self.add(name, value, f"must be at most {max_len} characters long")
        elif len(value) < min_len:
            self.add(name, value, f"must be at least {min_len} characters long")

    def boolean(self, name: str) -> None:
        if name in self.body and not isinstance(self.body[name], bool):
            self.add(name, self.body[name], "must be a boolean")

    def enum(self, name: str, allowed: Sequence[Any]) -> None:
        if name not in self.body:
            return
        value = self.body[name]
        if all(isinstance(a, str) for a in allowed):
            ok = isinstance(value, str) and value in allowed
        else:  # integer enums: 0 and 0.0 are the same JSON integer, True is not
            ok = is_integer(value) and value in allowed
        if not ok:
            self.add(name, value, f"must be one of {', '.join(map(str, allowed))}")

    def number(
        self,
        name: str,
        *,
        integer: bool = False,
        minimum: float | None = None,
        exclusive_minimum: float | None = None,
        maximum: float | None = None,
        places: int | None = None,
    ) -> bool:
        """Check a number; True when it is a number (whatever its bounds)."""
        if name not in self.body:
            return False
        value = self.body[name]
        if integer and not is_integer(value):
            self.add(name, value, "must be an integer")
            return False
        if not is_number(value):
            self.add(name, value, "must be a number")
            return False
        if minimum is not None and value < minimum:
            self.add(name, value, f"must be >= {minimum}")
        if exclusive_minimum is not None and value <= exclusive_minimum:
            self.add(name, value, f"must be > {exclusive_minimum}")
        if maximum is not None and value > maximum:
            self.add(name, value, f"must be <= {maximum}")
        if places is not None and decimal_places(value) > places:
            self.add(name, value, f"must have at most {places} decimal places")
        return True

    def uri(self, name: str) -> None:
        if name not in self.body:
            return
        value = self.body[name]
        if not isinstance(value, str):
            self.add(name, value, "must be a string")
            return
        problem = _uri_problem(value)
        if problem:
            self.add(name, value, problem)

    def uri_list(self, name: str, min_items: int | None, max_items: int | None) -> None:
        if name not in self.body:
            return
        value = self.body[name]
        if not isinstance(value, list):
            self.add(name, value, "must be an array of URLs")
            return
        if (min_items is not None and len(value) < min_items) or (max_items is not None and len(value) > max_items):
            count = f"exactly {min_items}" if min_items == max_items else f"{min_items or 0} to {max_items}"
            self.add(name, value, f"must list {count} URLs")
        for item in value:
            problem = _uri_problem(item) if isinstance(item, str) else "must be a string"
            if problem:
                self.add(name, item, f"items {problem}")
                return
