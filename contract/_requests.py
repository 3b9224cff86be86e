"""Request probes derived from the contract's table, concentrated on the boundaries of every rule.

Schemathesis generates from the bundled document; these probes come from the table
(:mod:`contract._families`) instead, so no documented rule depends on someone remembering to
write a probe for it. For each operation and provider, :func:`derived_probes` sends:

- the valid body, and every required field dropped alone;
- each conditional requirement on both sides of its condition (the field dropped where the
  condition holds, and where one value of the condition is flipped), the requirements the
  documents disagree on included (their rule ends with :data:`DISPUTED`: either answer holds);
- every field given each wrong JSON type; each enum given near misses (case, a trailing space,
  a value another provider documents);
- each string limit at, and one past, its bound, per model and per documented mode;
- each number at, and just past, each bound, and with one decimal place too many;

and the family's own probes for the rules a field list cannot say (the replace-section
interval, 50 % of the track). Whether a probe must be accepted or rejected is decided by
:mod:`contract._rules`, not here; each probe names the rule it exercises, for the coverage table.
:func:`boundary_probes` draws more around the cross-field boundaries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import strategies as st

from . import _families as families
from ._families import CALLBACK, DROP, UNKNOWN_AUDIO, UNKNOWN_TASK, Field, Operation, Probe, Source, Track, changed

__all__ = [
    "CALLBACK",
    "DISPUTED",
    "UNKNOWN_AUDIO",
    "UNKNOWN_TASK",
    "Probe",
    "TaskFixture",
    "Track",
    "boundary_probes",
    "derived_probes",
    "pinned_probes",
    "valid_body",
    "valid_query",
]

#: A finished task the suite may name (seeded on the mock, or given with --task-id).
TaskFixture = Source

_PROVIDERS = ("kie", "sunoapi", "apibox", "apikley")

#: One value of each JSON type, and which types each field type accepts.
_SAMPLES: dict[str, Any] = {
    "string": "x",
    "integer": 7,
    "number": 0.5,
    "boolean": True,
    "null": None,
    "array": [],
    "object": {},
}
_ACCEPTS: dict[str, frozenset[str]] = {
    "string": frozenset({"string"}),
    "uri": frozenset({"string"}),
    "boolean": frozenset({"boolean"}),
    "number": frozenset({"number", "integer"}),
    "integer": frozenset({"integer"}),
    "uri-list": frozenset({"array"}),
}


def valid_body(provider: str, operation: str, task: Source | None, callback: str = CALLBACK) -> dict[str, Any]:
    """A body that keeps every documented rule (naming ``task`` when one is given)."""
    entry = families.operation(operation)
    if entry.valid is None:
        raise ValueError(f"{operation} takes no body")
    return entry.valid(provider, task, callback)


def valid_query(provider: str, operation: str, task: Source | None) -> dict[str, str]:
    """The query of a details operation naming ``task`` (an unknown task without one)."""
    entry = families.operation(operation)
    return {f.name: task.task_id if task else UNKNOWN_TASK for f in entry.query if f.is_required(provider)}


_TYPE_WORDS = {"uri": "URL string", "uri-list": "array of URLs"}


#: Appended to the rule of a probe whose outcome the documents disagree on (either answer holds).
DISPUTED = " (the documents disagree: either answer)"


def _rule(op: Operation, field: Field, what: str, provider: str = "") -> str:
    rule = f"{op.id}: {field.name} {what}"
    return rule + DISPUTED if provider and field.is_disputed(provider) else rule


def _fill(op: Operation, provider: str, body: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` with ``changes``, plus an example of every field the result then requires."""
    out = changed(body, changes)
    for field in op.fields(provider):
        if field.name not in out and any(c.holds(out, op.defaults) for c in field.when):
            out[field.name] = field.example
    return out


def _flips(values: Mapping[str, Any], field_of: Mapping[str, Field], provider: str) -> Iterator[dict[str, Any]]:
    """The condition with one value changed at a time (the other side of it)."""
    for name, value in values.items():
        if isinstance(value, bool):
            yield {**values, name: not value}
            continue
        options = field_of[name].values(provider) if name in field_of else None
        other = next((v for v in options or () if v != value), None)
        if other is not None:
            yield {**values, name: other}


def _near_misses(field: Field, provider: str) -> list[Any]:
    allowed = field.values(provider)
    if not allowed:
        return []
    if not all(isinstance(v, str) for v in allowed):
        return [max(allowed) + 1, min(allowed) - 1]
    first = str(allowed[0])
    misses = [first.lower() if first.lower() != first else first.upper(), first + " "]
    if callable(field.enum):  # a value another provider documents
        others = {v for p in _PROVIDERS for v in field.enum(p)} - set(allowed)
        misses += sorted(others)[:1]
    return [m for m in misses if m not in allowed]


def _mode_bodies(op: Operation, provider: str, base: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    if not op.modes:
        return [("", base)]
    return [(mode.name, _fill(op, provider, base, mode.changes)) for mode in op.modes]


def _length_probes(op: Operation, provider: str, base: dict[str, Any], track: Track | None) -> list[Probe]:
    """Each string limit at, and one past, its bound, per model and per documented mode."""
    fields = op.fields(provider)
    model = next((f for f in fields if f.name == "model"), None)
    models = model.values(provider) if model is not None else None
    out: list[Probe] = []
    for mode, body in _mode_bodies(op, provider, base):
        for name in models or (None,):
            context = body if name is None else changed(body, {"model": name})
            for field in fields:
                if field.type != "string" or field.max_length is None or field.name not in context:
                    continue
                limit = field.limit(provider, context)
                if limit is None:
                    continue
                where = " ".join(x for x in (f"on {name}" if name else "", f"({mode})" if mode else "") if x)
                rule = _rule(op, field, f"is at most {limit} characters {where}".rstrip(), provider)
                for n in (limit, limit + 1):
                    probe = changed(context, {field.name: "x" * n})
                    out.append(
                        Probe(op.id, f"{field.name} of {n} characters {where}".rstrip(), probe, track=track, rule=rule)
                    )
    return out


def _number_probes(
    op: Operation, provider: str, field: Field, body: dict[str, Any], track: Track | None
) -> list[Probe]:
    step: float = 10.0 ** -(field.places or 0) if field.type == "number" and field.places else 1.0
    values: list[tuple[Any, str]] = []
    if field.minimum is not None:
        values += [(field.minimum, f">= {field.minimum:g}"), (field.minimum - step, f">= {field.minimum:g}")]
    if field.exclusive_minimum is not None:
        low = field.exclusive_minimum
        values += [(low, f"> {low:g}"), (low + step, f"> {low:g}")]
    if field.maximum is not None:
        values += [(field.maximum, f"<= {field.maximum:g}"), (field.maximum + step, f"<= {field.maximum:g}")]
    if field.places is not None:
        inside = float(field.example if isinstance(field.example, (int, float)) else (field.minimum or 0) + 1)
        values.append(
            (round(inside, field.places) + 5 * 10.0 ** -(field.places + 1), f"has at most {field.places} decimals")
        )
    out = []
    for value, what in values:
        value = round(value, (field.places or 0) + 1) if isinstance(value, float) else value
        probe = changed(body, {field.name: value})
        rule = _rule(op, field, what, provider)
        out.append(Probe(op.id, f"{field.name} {value!r}", probe, track=track, rule=rule))
    return out


def _query_probes(op: Operation, provider: str, source: Source | None) -> list[Probe]:
    base = valid_query(provider, op.id, source)
    out = [Probe(op.id, "valid query", query=base, rule=f"{op.id}: a valid query is accepted")]
    for field in op.query:
        rule = _rule(op, field, "is required")
        out.append(Probe(op.id, f"without {field.name}", query=changed(base, {field.name: DROP}), rule=rule))
        if field.type == "string" and (field.min_length or field.max_length):
            low = field.min_length
            high = field.max_length if isinstance(field.max_length, int) else None
            what = f"is {low} to {high} characters" if high else f"is at least {low} characters"
            for n in (low - 1, low, *((high, high + 1) if high else ())):
                if n >= 0:
                    query = changed(base, {field.name: "a" * n})
                    out.append(
                        Probe(op.id, f"{field.name} of {n} characters", query=query, rule=_rule(op, field, what))
                    )
    return out


def derived_probes(provider: str, operation: str, source: Source | None) -> list[Probe]:
    """Every probe the table's fields give for ``operation`` on ``provider`` (see the module docstring)."""
    op = families.operation(operation)
    if op.body is None:
        return _query_probes(op, provider, source) if op.query else []
    track = source.tracks[0] if source and source.tracks else None
    base = valid_body(provider, operation, source)
    fields = op.fields(provider)
    field_of = {f.name: f for f in fields}
    out = [Probe(op.id, "valid body", base, track=track, rule=f"{op.id}: a valid body is accepted")]
    for field in fields:
        if field.is_required(provider):
            body = changed(base, {field.name: DROP})
            rule = _rule(op, field, "is required", provider)
            out.append(Probe(op.id, f"without {field.name}", body, track=track, rule=rule))
        conditions = [(c, _rule(op, field, f"is required {c.why}", provider)) for c in field.when]
        conditions += [(c, _rule(op, field, f"is required {c.why}") + DISPUTED) for c in field.disputed_when]
        for condition, rule in conditions:
            sides = [
                (condition.values, "holds"),
                *((flip, "does not hold") for flip in _flips(condition.values, field_of, provider)),
            ]
            for values, side in sides:
                body = changed(_fill(op, provider, base, values), {field.name: DROP})
                label = f"without {field.name}, " + ", ".join(f"{k}={v!r}" for k, v in values.items()) + f" ({side})"
                out.append(Probe(op.id, label, body, track=track, rule=rule))
        # the field in a body where it counts (its condition holds), else the valid body
        home = base
        if field.name not in base and field.when:
            home = _fill(op, provider, base, field.when[0].values)
        for kind, sample in _SAMPLES.items():
            if kind in _ACCEPTS[field.type]:
                continue
            body = changed(home, {field.name: sample})
            if kind == "null" and field.nullable:
                rule = _rule(op, field, "may be null", provider)
            else:
                rule = _rule(op, field, f"is a JSON {_TYPE_WORDS.get(field.type, field.type)}", provider)
            out.append(Probe(op.id, f"{field.name} as a JSON {kind}", body, track=track, rule=rule))
        for miss in _near_misses(field, provider):
            body = changed(home, {field.name: miss})
            rule = _rule(op, field, "is one of the documented values", provider)
            out.append(Probe(op.id, f"{field.name} {miss!r} (near miss)", body, track=track, rule=rule))
        if field.type in ("number", "integer") and field.values(provider) is None:
            out += _number_probes(op, provider, field, home, track)
        if field.type == "uri-list" and field.min_items is not None:
            url = "https://example.com/a.mp3"
            for n in sorted({field.min_items - 1, field.min_items, (field.max_items or field.min_items) + 1}):
                if n >= 0:
                    rule = _rule(op, field, f"lists {field.min_items} to {field.max_items} URLs", provider)
                    body = changed(home, {field.name: [url] * n})
                    out.append(Probe(op.id, f"{field.name} of {n} URLs", body, track=track, rule=rule))
    out += _length_probes(op, provider, base, track)
    if op.probes is not None:
        out += op.probes(provider, source)
    return out


def pinned_probes(provider: str, task: Source | None, operations: Mapping[str, Operation] | None = None) -> list[Probe]:
    """The derived probes of every operation (default: those the provider's bundled document declares)."""
    from mockserver import openapi

    served = operations if operations is not None else families.served(openapi.load_spec(provider))
    return [probe for op_id in served for probe in derived_probes(provider, op_id, task)]


def boundary_probes(provider: str, operation: str, task: Source | None) -> st.SearchStrategy[Probe] | None:
    """Drawn probes around the cross-field boundaries of ``operation`` (None: the derived probes suffice)."""
    drawn = families.operation(operation).drawn
    return drawn(provider, task) if drawn is not None else None
