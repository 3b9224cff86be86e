"""The schema compiler: a JSON Schema turned into straight-line Python source, run through ``exec``.

:class:`~mockserver._validation.RequestValidator` asks for two functions per schema: a *check*
that only says whether a value is valid (a valid request never meets the slow jsonschema walk),
and a *report* that lists every broken rule in the words :mod:`mockserver._validation` gives
jsonschema's errors. A schema using a keyword not compiled here gets neither, and the validator
walks it with jsonschema. ``tests/test_validation_fastpath.py`` holds both to the jsonschema
validator, value by value.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from typing import Any

from ._validation import (
    FORMATS,
    MISSING,
    RULES,
    Problem,
    SchemaValidator,
    decimal_places,
    is_number,
    is_uri,
    places_rule,
    problem_of,
    x_interval,
)

__all__ = ["Check", "Report", "compile_check", "compile_report"]

Check = Callable[[Any], bool]

#: Keywords :func:`compile_check` evaluates exactly as the validator does; a schema using another of the
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
    """``x-interval`` as :func:`x_interval` judges it; exact decimals only when the span is near a bound."""
    if isinstance(value, dict):
        start: Any = value.get(rule["start"])
        end: Any = value.get(rule["end"])
        if is_number(start) and is_number(end) and start < end:
            span = end - start
            low, high = rule.get("minSeconds"), rule.get("maxSeconds")
            # float rounding is far below 1e-6 for spans of seconds; within it, decide exactly
            if (low is None or span > low + 1e-6) and (high is None or span < high - 1e-6):
                return True
    return next(x_interval(None, rule, value, {}), None) is None


def _item_report(value: Any, schema: Any, path: str, add: Callable[[str, Any, str], None]) -> None:
    """Report one array item that its compiled check refused, through the validator (rare: invalid input)."""
    for error in SchemaValidator(schema, format_checker=FORMATS).iter_errors(value):
        problem = problem_of(error)
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
    for error in x_interval(None, rule, value, {}):
        add(_joined(path, str(error.path[0])) if error.path else path or "body", error.instance, error.message)


class _Source:
    """Python source for one schema: straight-line statements, one ``if`` per keyword.

    Two kinds of function are generated. A *check* (``def f(v0)``) answers only whether the
    value is valid, returning False at the first broken rule: that makes a valid request
    cheap. A *report* (``def f(v0, _add)``) calls ``_add(field, value, rule)`` for every broken
    rule, with the field and rule texts jsonschema's errors would give through
    :func:`problem_of`, so an invalid request is answered without the jsonschema walk too.
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
            "is_uri": is_uri,
            "FORMATS": FORMATS,
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
        rule = RULES[kind](expected, None) if kind in RULES else str(expected)  # type: ignore[arg-type]
        return f"{pad}    _add({self.constant(path or 'body')}, {v}, {self.constant(rule)})\n"

    def statements(self, schema: Any, v: str, out: list[str], pad: str, path: str | None) -> bool:
        """Append the rules of ``schema`` on variable ``v`` at ``path`` (None: a check); False if not compiled."""
        if schema is True or schema == {}:
            return True
        if not isinstance(schema, dict) or any(k in SchemaValidator.VALIDATORS and k not in _COMPILED for k in schema):
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
                out.append(f"{pad}if isinstance({v}, str) and not is_uri({v}):\n{fail}")
            else:
                out.append(f"{pad}if not FORMATS.conforms({v}, {self.constant(schema['format'])}):\n{fail}")
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
            fail = self._fail(pad, path, v, "x-decimal-places", places_rule(places))
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


def compile_check(schema: Any) -> Check | None:
    """A function telling exactly whether an instance is valid, or None if the schema needs the full validator."""
    return _build(schema, report=False)


Report = Callable[[Any], list[Problem]]


def compile_report(schema: Any) -> Report | None:
    """A function listing every broken rule as :func:`.problem_of` words jsonschema's errors, or None."""
    emit = _build(schema, report=True)
    if emit is None:
        return None

    def report(value: Any) -> list[Problem]:
        found: list[Problem] = []
        emit(value, lambda field, got, rule: found.append(Problem(field, got, rule)))
        return found

    return report
