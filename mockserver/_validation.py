"""Request validation: compiled schemas plus the documented rules JSON Schema cannot say.

Validators are compiled once per operation. Every problem is reported, each naming the field,
the value and the rule. Vendor keywords (see ``openapi/common.yaml``):

- ``x-decimal-places: N``: a number has at most N digits after the decimal point;
- ``x-interval: {start, end, minSeconds?, maxSeconds?}``: ``start < end`` and, when given,
  ``minSeconds <= end - start <= maxSeconds``.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from ._jsonbody import abbreviated_number
from ._spec import Operation

__all__ = ["MISSING", "Problem", "RequestValidator", "clear_caches", "decimal_places"]


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


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _places_rule(places: int) -> str:
    return f"must have at most {places} decimal places"


def _x_decimal_places(
    validator: Any, places: int, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if _is_number(instance) and decimal_places(instance) > places:
        yield ValidationError(_places_rule(places))


def _x_interval(
    validator: Any, rule: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    start_key, end_key = rule["start"], rule["end"]
    start: Any = instance.get(start_key)
    end: Any = instance.get(end_key)
    if not (_is_number(start) and _is_number(end)):
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


_FORMATS = FormatChecker(formats=())
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


@_FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or (_cached_uri_text if len(value) <= _URI_KEPT else _uri_text)(value)


_Validator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {"x-decimal-places": _x_decimal_places, "x-interval": _x_interval},
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


def _problem(error: ValidationError) -> Problem:
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        match = re.match(r"^'(.*)' is a required property$", error.message)
        name = match.group(1) if match else str(expected)
        return Problem(_field(error.absolute_path, name), MISSING, "is required")
    return Problem(_field(error.absolute_path), value, _RULES.get(str(kind), _custom)(expected, error))


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

_RULES: dict[str, Callable[[Any, ValidationError], str]] = {
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


Check = Callable[[Any], bool]

#: Keywords :func:`_compile` evaluates exactly as the validator does; a schema using another of the
#: validator's keywords gets no fast check (annotations such as ``description`` are ignored by both).
_COMPILED = frozenset(
    {
        "type", "properties", "required", "enum", "const", "minLength", "maxLength", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "pattern", "format", "allOf", "if", "then", "else",
        "x-decimal-places", "x-interval", "minItems", "maxItems", "items",
    }
)  # fmt: skip

#: ``type`` keyword -> a Python expression over ``{v}`` that is True for a value of that JSON type.
_TYPE_TESTS = {
    "string": "isinstance({v}, str)",
    "number": "(isinstance({v}, (int, float)) and {v}.__class__ is not bool)",
    "integer": (
        "((isinstance({v}, int) and {v}.__class__ is not bool) or (isinstance({v}, float) and {v}.is_integer()))"
    ),
    "boolean": "isinstance({v}, bool)",
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "null": "{v} is None",
}
_NUMBER = _TYPE_TESTS["number"]
#: keyword -> (operator, guard) for the bounds, which only apply to numbers or strings.
_BOUNDS = {
    "minimum": (">=", _NUMBER),
    "maximum": ("<=", _NUMBER),
    "exclusiveMinimum": (">", _NUMBER),
    "exclusiveMaximum": ("<", _NUMBER),
}


def _same(a: Any, b: Any) -> bool:
    """JSON equality as the validator's ``enum`` and ``const`` see it: ``true`` is not ``1``, ``1.0`` is ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return False
    return bool(a == b)


def _places_at_most(value: float, places: int) -> bool:
    """``decimal_places(value) <= places``, read off the repr without building a Decimal when it is plain."""
    text = repr(value)
    if "e" in text or "n" in text:  # 1e-07, inf, nan
        return decimal_places(value) <= places
    return len(text) - text.index(".") - 1 <= places


def _interval_ok(value: Any, rule: Mapping[str, Any]) -> bool:
    """``x-interval`` as :func:`_x_interval` judges it; exact decimals only when the span is near a bound."""
    if isinstance(value, dict):
        start: Any = value.get(rule["start"])
        end: Any = value.get(rule["end"])
        if _is_number(start) and _is_number(end) and start < end:
            span = end - start
            low, high = rule.get("minSeconds"), rule.get("maxSeconds")
            # float rounding is far below 1e-6 for spans of seconds; within it, decide exactly
            if (low is None or span > low + 1e-6) and (high is None or span < high - 1e-6):
                return True
    return next(_x_interval(None, rule, value, {}), None) is None


def _item_report(value: Any, schema: Any, path: str, add: Callable[[str, Any, str], None]) -> None:
    """Report one array item that its compiled check refused, through the validator (rare: invalid input)."""
    for error in _Validator(schema, format_checker=_FORMATS).iter_errors(value):
        problem = _problem(error)
        field = (
            path
            if problem.field == "body"
            else f"{path}.{problem.field}"
            if not problem.field.startswith("[")
            else path + problem.field
        )
        add(field, problem.value, problem.rule)


def _joined(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _interval_report(value: Any, rule: Mapping[str, Any], path: str, add: Callable[[str, Any, str], None]) -> None:
    for error in _x_interval(None, rule, value, {}):
        add(_joined(path, str(error.path[0])) if error.path else path or "body", error.instance, error.message)


class _Source:
    """Python source for one schema: straight-line statements, one ``if`` per keyword.

    Two kinds of function are generated. A *check* (``def f(v0)``) answers only whether the
    value is valid, returning False at the first broken rule: that makes a valid request
    cheap. A *report* (``def f(v0, _add)``) calls ``_add(field, value, rule)`` for every broken
    rule, with the field and rule texts jsonschema's errors would give through
    :func:`_problem`, so an invalid request is answered without the jsonschema walk too.
    Constants (sets, compiled patterns, rules) are passed in by name; ``if`` conditions
    become check functions of their own.
    """

    def __init__(self) -> None:
        self.constants: dict[str, Any] = {
            "_same": _same,
            "_places_at_most": _places_at_most,
            "_interval_ok": _interval_ok,
            "_interval_report": _interval_report,
            "_item_report": _item_report,
            "_is_uri": _is_uri,
            "_FORMATS": _FORMATS,
            "MISSING": MISSING,
        }
        self.functions: list[str] = []
        self._names = itertools.count()

    def constant(self, value: Any) -> str:
        name = f"_c{next(self._names)}"
        self.constants[name] = value
        return name

    def variable(self) -> str:
        return f"v{next(self._names)}"

    def function(self, schema: Any, *, report: bool = False) -> str | None:
        """Emit a check (or a report) function for ``schema``; its name, or None if a keyword is not compiled."""
        name = f"_f{next(self._names)}"
        body: list[str] = []
        if not self.statements(schema, "v0", body, "    ", None if not report else ""):
            return None
        head, tail = (
            (f"def {name}(v0, _add):\n", "    return None\n") if report else (f"def {name}(v0):\n", "    return True\n")
        )
        self.functions.append(head + "".join(body) + tail)
        return name

    def _fail(self, pad: str, path: str | None, v: str, kind: str, expected: Any) -> str:
        """The statement for a broken rule: ``return False`` in a check, an ``_add(...)`` call in a report."""
        if path is None:
            return f"{pad}    return False\n"
        rule = _RULES[kind](expected, None) if kind in _RULES else str(expected)  # type: ignore[arg-type]
        return f"{pad}    _add({self.constant(path or 'body')}, {v}, {self.constant(rule)})\n"

    def statements(self, schema: Any, v: str, out: list[str], pad: str, path: str | None) -> bool:
        """Append the rules of ``schema`` on variable ``v`` at ``path`` (None: a check); False if not compiled."""
        if schema is True or schema == {}:
            return True
        if not isinstance(schema, dict) or any(k in _Validator.VALIDATORS and k not in _COMPILED for k in schema):
            return False
        if "type" in schema:
            names = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
            if not all(n in _TYPE_TESTS for n in names):
                return False
            fail = self._fail(pad, path, v, "type", schema["type"])
            out.append(f"{pad}if not ({' or '.join(_TYPE_TESTS[n].format(v=v) for n in names)}):\n{fail}")
        if "enum" in schema or "const" in schema:
            kind = "enum" if "enum" in schema else "const"
            fail = self._fail(pad, path, v, kind, schema[kind])
            allowed = list(schema["enum"]) if kind == "enum" else [schema["const"]]
            if allowed and all(isinstance(a, bool) for a in allowed):
                members = self.constant(frozenset(allowed))
                out.append(f"{pad}if not ({v}.__class__ is bool and {v} in {members}):\n{fail}")
            elif allowed and all(isinstance(a, str) for a in allowed):
                # a string equals only a string under _same, so set membership is exact
                members = self.constant(frozenset(allowed))
                out.append(f"{pad}if not (isinstance({v}, str) and {v} in {members}):\n{fail}")
            else:
                out.append(f"{pad}if not any(_same({v}, a) for a in {self.constant(allowed)}):\n{fail}")
        if "minLength" in schema:
            fail = self._fail(pad, path, v, "minLength", schema["minLength"])
            out.append(f"{pad}if isinstance({v}, str) and len({v}) < {int(schema['minLength'])}:\n{fail}")
        if "maxLength" in schema:
            fail = self._fail(pad, path, v, "maxLength", schema["maxLength"])
            out.append(f"{pad}if isinstance({v}, str) and len({v}) > {int(schema['maxLength'])}:\n{fail}")
        for key, (operator, guard) in _BOUNDS.items():
            if key in schema:
                bound = self.constant(schema[key])
                fail = self._fail(pad, path, v, key, schema[key])
                out.append(f"{pad}if {guard.format(v=v)} and not ({v} {operator} {bound}):\n{fail}")
        if "pattern" in schema:
            search = self.constant(re.compile(schema["pattern"]).search)
            fail = self._fail(pad, path, v, "pattern", schema["pattern"])
            out.append(f"{pad}if isinstance({v}, str) and {search}({v}) is None:\n{fail}")
        if "format" in schema:
            fail = self._fail(pad, path, v, "format", schema["format"])
            if schema["format"] == "uri":
                out.append(f"{pad}if isinstance({v}, str) and not _is_uri({v}):\n{fail}")
            else:
                out.append(f"{pad}if not _FORMATS.conforms({v}, {self.constant(schema['format'])}):\n{fail}")
        for key, operator in (("minItems", "<"), ("maxItems", ">")):
            if key in schema:
                fail = self._fail(pad, path, v, key, schema[key])
                out.append(f"{pad}if isinstance({v}, list) and len({v}) {operator} {int(schema[key])}:\n{fail}")
        if "items" in schema:
            item_check = self.function(schema["items"])
            if item_check is None:
                return False
            item = self.variable()
            if path is None:
                out.append(
                    f"{pad}if isinstance({v}, list):\n{pad}    for {item} in {v}:\n"
                    f"{pad}        if not {item_check}({item}):\n{pad}            return False\n"
                )
            else:
                index, sub = self.variable(), self.constant(schema["items"])
                where = self.constant(path or "body")
                out.append(
                    f"{pad}if isinstance({v}, list):\n{pad}    for {index}, {item} in enumerate({v}):\n"
                    f"{pad}        if not {item_check}({item}):\n"
                    f"{pad}            _item_report({item}, {sub}, {where} + '[' + str({index}) + ']', _add)\n"
                )
        if "x-decimal-places" in schema:
            places = int(schema["x-decimal-places"])
            fail = self._fail(pad, path, v, "x-decimal-places", _places_rule(places))
            out.append(f"{pad}if isinstance({v}, float) and not _places_at_most({v}, {places}):\n{fail}")
        if "x-interval" in schema:
            rule = self.constant(schema["x-interval"])
            if path is None:
                out.append(f"{pad}if not _interval_ok({v}, {rule}):\n{pad}    return False\n")
            else:
                out.append(
                    f"{pad}if not _interval_ok({v}, {rule}):\n{pad}    _interval_report({v}, {rule}, {path!r}, _add)\n"
                )
        if "required" in schema or "properties" in schema:
            inner: list[str] = []
            required = list(schema.get("required", []))
            if required and path is None:
                present = " and ".join(f"{self.constant(k)} in {v}" for k in required)
                inner.append(f"{pad}    if not ({present}):\n{pad}        return False\n")
            if required and path is not None:
                for key in required:
                    field, name = self.constant(_joined(path, str(key))), self.constant(key)
                    inner.append(
                        f"{pad}    if {name} not in {v}:\n{pad}        _add({field}, MISSING, 'is required')\n"
                    )
            for key, sub in schema.get("properties", {}).items():
                item, name = self.variable(), self.constant(key)
                checks: list[str] = []
                if not self.statements(
                    sub, item, checks, pad + "        ", None if path is None else _joined(path, key)
                ):
                    return False
                if checks:
                    inner.append(f"{pad}    if {name} in {v}:\n{pad}        {item} = {v}[{name}]\n" + "".join(checks))
            if inner:
                out.append(f"{pad}if isinstance({v}, dict):\n" + "".join(inner))
        for sub in schema.get("allOf", []):
            if not self.statements(sub, v, out, pad, path):
                return False
        if "if" in schema:
            condition = self.function(schema["if"])
            then: list[str] = []
            other: list[str] = []
            if (
                condition is None
                or not self.statements(schema.get("then", True), v, then, pad + "    ", path)
                or not self.statements(schema.get("else", True), v, other, pad + "    ", path)
            ):
                return False
            out.append(f"{pad}if {condition}({v}):\n" + "".join(then or [f"{pad}    pass\n"]))
            out.append(f"{pad}else:\n" + "".join(other or [f"{pad}    pass\n"]))
        return True


def _build(schema: Any, *, report: bool) -> Callable[..., Any] | None:
    source = _Source()
    entry = source.function(schema, report=report)
    if entry is None:
        return None
    namespace = dict(source.constants)
    exec(compile("\n".join(source.functions), f"<compiled schema {entry}>", "exec"), namespace)
    built: Callable[..., Any] = namespace[entry]
    return built


def _compile(schema: Any) -> Check | None:
    """A function telling exactly whether an instance is valid, or None if the schema needs the full validator."""
    return _build(schema, report=False)


Report = Callable[[Any], list[Problem]]


def _compile_report(schema: Any) -> Report | None:
    """A function listing every broken rule as :func:`_problem` words jsonschema's errors, or None."""
    emit = _build(schema, report=True)
    if emit is None:
        return None

    def report(value: Any) -> list[Problem]:
        found: list[Problem] = []
        emit(value, lambda field, got, rule: found.append(Problem(field, got, rule)))
        return found

    return report


class RequestValidator:
    """Compiled checks for one operation's query parameters and JSON body.

    The checks are compiled when first needed (the yes/no check on the operation's first request,
    the report on its first invalid one), not when the app is made: compiling every operation's
    two functions was ~40% of ``suno-mock serve``'s start-up.
    """

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        self._body = _Validator(operation.body_schema, format_checker=_FORMATS) if operation.body_schema else None
        self._query = [(p, _Validator(p.schema, format_checker=_FORMATS)) for p in operation.query]

    # exact yes/no checks that spare a valid request the (slow) jsonschema walk
    @functools.cached_property
    def _body_ok(self) -> Check | None:
        return _compile(self.operation.body_schema) if self.operation.body_schema else None

    @functools.cached_property
    def _body_report(self) -> Report | None:
        return _compile_report(self.operation.body_schema) if self.operation.body_schema else None

    @functools.cached_property
    def _query_ok(self) -> list[Check | None]:
        return [_compile(p.schema) for p in self.operation.query]

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
                problems.append(Problem(param.name, error.instance, _problem(error).rule))
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
        return [_problem(error) for error in self._body.iter_errors(body)]
