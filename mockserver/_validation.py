"""Request validation: the schemas plus the documented rules JSON Schema cannot say, and their wording.

Each operation's schemas are compiled to Python (:mod:`mockserver._schema_compiler`) when first
needed; a schema the compiler cannot take is walked with jsonschema. Every problem is reported, each naming the field,
the value and the rule. Vendor keywords (see ``openapi/common.yaml``):

- ``x-decimal-places: N``: a number has at most N digits after the decimal point;
- ``x-interval: {start, end, minSeconds?, maxSeconds?}``: ``start < end`` and, when given,
  ``minSeconds <= end - start <= maxSeconds``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from ._jsonbody import abbreviated_number
from ._spec import Operation

if TYPE_CHECKING:
    from ._schema_compiler import Check, Report

__all__ = [
    "FORMATS",
    "MISSING",
    "RULES",
    "Problem",
    "RequestValidator",
    "SchemaValidator",
    "clear_caches",
    "decimal_places",
    "is_number",
    "is_uri",
    "places_rule",
    "problem_of",
    "x_interval",
]


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Problem:
    """One broken rule: which field, what value, which rule."""

    field: str
    value: Any
    rule: str

    def __str__(self) -> str:
        if self.value is MISSING:
            return f"{self.field}: {self.rule}"
        return f"{self.field}: {self.rule} (got {_show(self.value)})"


def decimal_places(value: float) -> int:
    """Digits after the decimal point in the shortest repr of ``value``."""
    exponent = Decimal(repr(value)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def places_rule(places: int) -> str:
    return f"must have at most {places} decimal places"


def _x_decimal_places(
    validator: Any, places: int, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if is_number(instance) and decimal_places(instance) > places:
        yield ValidationError(places_rule(places))


def x_interval(
    validator: Any, rule: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    start_key, end_key = rule["start"], rule["end"]
    start: Any = instance.get(start_key)
    end: Any = instance.get(end_key)
    if not (is_number(start) and is_number(end)):
        return  # the type and required rules report these
    if start >= end:
        yield ValidationError(f"must be greater than {start_key} ({_show(start)})", path=[end_key], instance=end)
        return
    span = Decimal(repr(end)) - Decimal(repr(start))
    low, high = rule.get("minSeconds"), rule.get("maxSeconds")
    if (low is not None and span < Decimal(repr(low))) or (high is not None and span > Decimal(repr(high))):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        yield ValidationError(
            f"the interval {end_key} - {start_key} must be {bounds} seconds",
            path=[f"{end_key} - {start_key}"],
            instance=float(span),
        )


FORMATS = FormatChecker(formats=())
# RFC 3986: a scheme, then only unreserved, reserved and percent-encoded characters.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")


#: The longest callback URL kept in the cache (the documents allow 2,048 characters).
_URI_KEPT = 2048


def clear_caches() -> None:
    """Forget the URLs judged so far (``POST /_mock/reset``)."""
    _cached_uri_text.cache_clear()


@functools.lru_cache(maxsize=1024)  # callback URLs repeat from request to request
def _cached_uri_text(value: str) -> bool:
    return _uri_text(value)


def _uri_text(value: str) -> bool:
    if not _URI.fullmatch(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    return bool(parts.netloc or parts.path)


@FORMATS.checks("uri")
def is_uri(value: object) -> bool:
    return not isinstance(value, str) or (_cached_uri_text if len(value) <= _URI_KEPT else _uri_text)(value)


SchemaValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {"x-decimal-places": _x_decimal_places, "x-interval": x_interval},
)

_TYPE_NAMES = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def _show(value: Any) -> str:
    text = repr(value)
    if value.__class__ is int and len(text) > 40:  # a double holds integers of up to 309 digits
        return abbreviated_number(text)
    if isinstance(value, (str, list, dict)) and len(text) > 60:
        size = f"{len(value)} characters" if isinstance(value, str) else f"{len(value)} items"
        text = f"{text[:40]}... ({size})"
    kind = _TYPE_NAMES.get(type(value))
    if kind and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f"{text}, {kind}"
    return text


def _field(path: Any, extra: str | None = None) -> str:
    parts = [*path, extra] if extra else list(path)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def problem_of(error: ValidationError) -> Problem:
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        match = re.match(r"^'(.*)' is a required property$", error.message)
        name = match.group(1) if match else str(expected)
        return Problem(_field(error.absolute_path, name), MISSING, "is required")
    return Problem(_field(error.absolute_path), value, RULES.get(str(kind), _custom)(expected, error))


def _custom(expected: Any, error: ValidationError) -> str:
    return error.message


def _listed(expected: Any) -> str:
    return ", ".join(map(str, expected)) if isinstance(expected, list) else str(expected)


_A_TYPE = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
}

RULES: dict[str, Callable[[Any, ValidationError], str]] = {
    "type": lambda e, _: "must be " + " or ".join(_A_TYPE.get(t, t) for t in ([e] if isinstance(e, str) else e)),
    "enum": lambda e, _: f"must be one of {_listed(e)}",
    "const": lambda e, _: f"must be {e!r}",
    "maxLength": lambda e, _: f"must be at most {e} characters long",
    "minLength": lambda e, _: f"must be at least {e} characters long",
    "minimum": lambda e, _: f"must be >= {e}",
    "maximum": lambda e, _: f"must be <= {e}",
    "exclusiveMinimum": lambda e, _: f"must be > {e}",
    "exclusiveMaximum": lambda e, _: f"must be < {e}",
    "format": lambda e, _: f"must be a valid {e}",
    "pattern": lambda e, _: f"must match {e}",
    "minItems": lambda e, _: f"must have at least {e} items",
    "maxItems": lambda e, _: f"must have at most {e} items",
}


class RequestValidator:
    """Compiled checks for one operation's query parameters and JSON body.

    The checks are compiled when first needed (the yes/no check on the operation's first request,
    the report on its first invalid one), not when the app is made: compiling every operation's
    two functions was ~40% of ``suno-mock serve``'s start-up.
    """

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        self._body = SchemaValidator(operation.body_schema, format_checker=FORMATS) if operation.body_schema else None
        self._query = [(p, SchemaValidator(p.schema, format_checker=FORMATS)) for p in operation.query]

    # exact yes/no checks that spare a valid request the (slow) jsonschema walk
    @functools.cached_property
    def _body_ok(self) -> Check | None:
        from ._schema_compiler import compile_check  # here: the compiler reads this module's wording

        return compile_check(self.operation.body_schema) if self.operation.body_schema else None

    @functools.cached_property
    def _body_report(self) -> Report | None:
        from ._schema_compiler import compile_report

        return compile_report(self.operation.body_schema) if self.operation.body_schema else None

    @functools.cached_property
    def _query_ok(self) -> list[Check | None]:
        from ._schema_compiler import compile_check

        return [compile_check(p.schema) for p in self.operation.query]

    @property
    def has_body(self) -> bool:
        return self._body is not None

    def query_problems(self, query: Mapping[str, str]) -> list[Problem]:
        problems = []
        for (param, validator), ok in zip(self._query, self._query_ok, strict=True):
            if param.name not in query:
                if param.required:
                    problems.append(Problem(param.name, MISSING, "is required (query parameter)"))
                continue
            if ok is not None and ok(query[param.name]):
                continue
            for error in validator.iter_errors(query[param.name]):
                problems.append(Problem(param.name, error.instance, problem_of(error).rule))
        return problems

    def body_problems(self, body: Any) -> list[Problem]:
        if self._body is None or (self._body_ok is not None and self._body_ok(body)):
            return []
        found = self._body_report(body) if self._body_report is not None else self._jsonschema_problems(body)
        problems = {str(p): p for p in found}
        return sorted(problems.values(), key=lambda p: (p.field, p.rule))

    def _jsonschema_problems(self, body: Any) -> list[Problem]:
        """The problems as the jsonschema validator words them (the reference the compiled report matches)."""
        assert self._body is not None
        return [problem_of(error) for error in self._body.iter_errors(body)]
