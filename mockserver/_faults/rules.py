"""Rules from a file, the admin API's JSON and ``X-Mock-*`` headers, checked against the spec's codes."""

from __future__ import annotations

import difflib
import functools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn

import yaml

from .._errors import ApiError, ConfigError
from .._jsonbody import abbreviated_number
from .._kind import FailureText
from .._lifecycle import PROGRESS_STAGES, Stage
from .._spec import Operation, deref
from ..openapi import PROVIDERS
from .matching import RateLimits
from .model import (
    AT_CREATION,
    CALLBACK_CODES,
    CALLBACK_STAGES,
    MAX_DELAY_MS,
    CallbackFaults,
    ConnectionFault,
    Delay,
    Facts,
    Match,
    Outcome,
    Rule,
)


def _fail(where: str, key: str, problem: str, allowed: str) -> NoReturn:
    if len(problem) > 200:  # a value of kilobytes (a header, a posted rule) is named, not echoed
        problem = f"{problem[:160]}... ({len(problem):,} characters)"
    raise ConfigError(f"{where}: {key}: {problem}; {allowed}")


def _keys(where: str, node: Mapping[str, Any], allowed: Sequence[str], prefix: str = "") -> None:
    for key in node:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            _fail(where, f"{prefix}{key}", f"unknown key{hint}", f"allowed keys: {', '.join(allowed)}")


def _names(where: str, key: str, value: Any, allowed: Sequence[str] | None = None) -> frozenset[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item for item in items):
        _fail(where, key, f"{value!r} is not allowed", "use a non-empty string or a list of them")
    for item in items:
        if allowed is not None and item not in allowed:
            _fail(where, key, f"{item!r} is not allowed", f"use one of {', '.join(allowed)}")
    return frozenset(items)


def _number(where: str, key: str, value: Any, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        bound = f"between {low:g} and {high:g}" if high != math.inf else f">= {low:g}"
        _fail(where, key, f"{value!r} is not allowed", f"use a number {bound}")
    return float(value)


def _integer(where: str, key: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        _fail(where, key, f"{value!r} is not allowed", f"use a whole number >= {low}")
    return value


def _fields(where: str, key: str, value: Any) -> tuple[tuple[str, Any], ...]:
    if not isinstance(value, Mapping) or not value:
        _fail(where, key, f"{value!r} is not allowed", "use a mapping of request field (dotted path) to value")
    for name, wanted in value.items():
        if not isinstance(name, str) or not name or isinstance(wanted, (Mapping, list)):
            _fail(where, f"{key}.{name}", f"{wanted!r} is not allowed", "use a string, number or boolean")
    return tuple(value.items())


def _delay(where: str, value: Any) -> Delay:
    allowed = "use milliseconds (250), {fixed: 250}, {uniform: [100, 400]} or {lognormal: {median: 200, sigma: 0.5}}"
    if not isinstance(value, Mapping):
        return Delay("fixed", _number(where, "delay", value, 0, MAX_DELAY_MS))
    if len(value) != 1:
        _fail(where, "delay", f"{dict(value)!r} is not allowed", allowed)
    ((kind, spec),) = value.items()
    if kind == "fixed":
        return Delay("fixed", _number(where, "delay.fixed", spec, 0, MAX_DELAY_MS))
    if kind == "uniform":
        if not isinstance(spec, list) or len(spec) != 2:
            _fail(where, "delay.uniform", f"{spec!r} is not allowed", "use [min_ms, max_ms]")
        low = _number(where, "delay.uniform[0]", spec[0], 0, MAX_DELAY_MS)
        high = _number(where, "delay.uniform[1]", spec[1], low, MAX_DELAY_MS)
        return Delay("uniform", low, high)
    if kind == "lognormal":
        if not isinstance(spec, Mapping):
            _fail(where, "delay.lognormal", f"{spec!r} is not allowed", "use {median: MS, sigma: S}")
        _keys(where, spec, ("median", "sigma"), "delay.lognormal.")
        median = _number(where, "delay.lognormal.median", spec.get("median"), 0.001, MAX_DELAY_MS)
        sigma = _number(where, "delay.lognormal.sigma", spec.get("sigma"), 0, 10)
        return Delay("lognormal", median, sigma)
    _fail(where, "delay", f"distribution {kind!r} is not allowed", "use fixed, uniform or lognormal")


def _outcome(where: str, value: Any, catalog: Catalog, targets: Sequence[str]) -> Outcome:
    known = set().union(*(catalog.outcomes.get(t, frozenset()) for t in targets)) if targets else set()
    statuses = sorted(known or catalog.texts)
    if isinstance(value, str):
        value = {"status": value}
    if not isinstance(value, Mapping):
        _fail(where, "outcome", f"{value!r} is not allowed", f"use a status ({', '.join(statuses)}) or a mapping")
    _keys(where, value, ("status", "code", "stage", "message"), "outcome.")
    status = value.get("status")
    if status not in statuses:
        _fail(where, "outcome.status", f"{status!r} is not allowed", f"use one of {', '.join(statuses)}")
    code = value.get("code")
    if code is not None and code not in CALLBACK_CODES:
        _fail(
            where,
            "outcome.code",
            f"{code!r} is not allowed",
            f"use a callback code: {', '.join(map(str, CALLBACK_CODES))}",
        )
    stage = value.get("stage")
    if stage is not None:
        allowed = ["text"] if status in AT_CREATION else [s.value for s in PROGRESS_STAGES]
        if stage not in allowed:
            _fail(where, "outcome.stage", f"{stage!r} is not allowed for {status}", f"use one of {', '.join(allowed)}")
    message = value.get("message")
    if message is not None and not isinstance(message, str):
        _fail(where, "outcome.message", f"{message!r} is not allowed", "use a string")
    return Outcome.of(status, catalog.texts, code, stage, message)


def _callbacks(where: str, value: Any) -> CallbackFaults:
    if not isinstance(value, Mapping) or not value:
        _fail(
            where, "callbacks", f"{value!r} is not allowed", "use a mapping with skip, duplicate, delay_s, out_of_order"
        )
    _keys(where, value, ("skip", "duplicate", "delay_s", "out_of_order"), "callbacks.")
    stages = [s.value for s in CALLBACK_STAGES]
    skip = _names(where, "callbacks.skip", value["skip"], stages) if "skip" in value else frozenset()
    duplicate = (
        _names(where, "callbacks.duplicate", value["duplicate"], stages) if "duplicate" in value else frozenset()
    )
    delays: dict[Stage, float] = {}
    raw = value.get("delay_s", {})
    if not isinstance(raw, Mapping):
        raw = dict.fromkeys(stages, raw)
    for stage, seconds in raw.items():
        if stage not in stages:
            _fail(where, f"callbacks.delay_s.{stage}", "unknown stage", f"use one of {', '.join(stages)}")
        delays[Stage(stage)] = _number(where, f"callbacks.delay_s.{stage}", seconds, 0, 86400)
    out_of_order = value.get("out_of_order", False)
    if not isinstance(out_of_order, bool):
        _fail(where, "callbacks.out_of_order", f"{out_of_order!r} is not allowed", "use true or false")
    return CallbackFaults(
        frozenset(map(Stage, skip)), frozenset(map(Stage, duplicate)), tuple(delays.items()), out_of_order
    )


RULE_KEYS = ("name", "when", "code", "message", "http_status", "outcome", "delay", "fault", "callbacks", "times")
WHEN_KEYS = ("operation", "provider", "token", "equals", "contains", "nth", "probability")


@dataclass(frozen=True)
class Catalog:
    """The served operations and the codes each documents (drives validation and matching)."""

    provider: str
    operations: Mapping[str, Operation]
    codes: Mapping[str, frozenset[int]]
    server_codes: Mapping[str, frozenset[int]]
    #: Failure statuses of the task each creating operation makes (its job kind's).
    outcomes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: The documented code, message and default stage of every failure status of the served kinds.
    texts: Mapping[str, FailureText] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        spec: Mapping[str, Any],
        provider: str,
        operations: Sequence[Operation],
        failures: Mapping[str, Mapping[str, FailureText]],
    ) -> Catalog:
        """The catalog of a served document; ``failures`` maps each job kind to its failure texts."""
        codes: dict[str, frozenset[int]] = {}
        server: dict[str, frozenset[int]] = {}
        outcomes: dict[str, frozenset[str]] = {}
        texts: dict[str, FailureText] = {}
        for op in operations:
            responses = deref(spec["paths"][op.path][op.method.lower()].get("responses", {}), dict(spec))
            codes[op.operation_id] = _enum(responses.get("200")) - {200}
            server[op.operation_id] = _enum(responses.get("500"))
            if op.job_kind is not None:
                kind_texts = failures[op.job_kind]
                outcomes[op.operation_id] = frozenset(kind_texts)
                for status, text in kind_texts.items():
                    texts.setdefault(status, text)
        for op in operations:
            if op.market == "create":  # a Market job is a task of whichever kind its model runs
                outcomes[op.operation_id] = frozenset(texts)
        return cls(provider, {op.operation_id: op for op in operations}, codes, server, outcomes, texts)

    def facts(self, operation: Operation, token: str, body: Mapping[str, Any], query: Mapping[str, str]) -> Facts:
        op_id = operation.operation_id
        return Facts(
            op_id,
            operation.path,
            self.provider,
            token,
            body,
            query,
            self.codes[op_id],
            self.server_codes[op_id],
            bool(operation.callbacks),
            self.outcomes.get(op_id, frozenset()),
            _details_field(operation),
        )

    def resolve(self, name: str) -> str | None:
        """The operationId a rule's ``operation`` (an operationId or a path) names here."""
        if name in self.operations:
            return name
        return next((op.operation_id for op in self.operations.values() if name in (op.path, op.label)), None)


def _details_field(operation: Operation) -> str | None:
    if operation.details_of is None and operation.market != "details":
        return None
    return next((p.name for p in operation.query if p.required), None)


def _enum(response: Any) -> frozenset[int]:
    try:
        found = response["content"]["application/json"]["schema"]["properties"]["code"]["enum"]
    except (KeyError, TypeError):
        return frozenset()
    return frozenset(code for code in found if isinstance(code, int))


def _rule(where: str, raw: Any, catalog: Catalog) -> Rule:
    if not isinstance(raw, Mapping):
        _fail(where, "rule", f"{raw!r} is not allowed", "use a mapping with when and an action")
    _keys(where, raw, RULE_KEYS)
    name = raw["name"] if isinstance(raw.get("name"), str) and raw["name"] else None
    if "name" in raw and name is None:
        _fail(where, "name", f"{raw['name']!r} is not allowed", "use a non-empty string")
    when_raw = raw.get("when", {})
    if not isinstance(when_raw, Mapping):
        _fail(where, "when", f"{when_raw!r} is not allowed", f"use a mapping with {', '.join(WHEN_KEYS)}")
    _keys(where, when_raw, WHEN_KEYS, "when.")
    providers = _names(where, "when.provider", when_raw["provider"]) if "provider" in when_raw else frozenset()
    for provider in providers:
        if provider not in PROVIDERS:
            _fail(where, "when.provider", f"{provider!r} is not allowed", f"use one of {', '.join(PROVIDERS)}")
    here = not providers or catalog.provider in providers
    operations = _names(where, "when.operation", when_raw["operation"]) if "operation" in when_raw else frozenset()
    resolved = set()
    for op_name in operations:
        op_id = catalog.resolve(op_name)
        if op_id is None and here:
            served = ", ".join(sorted(catalog.operations))
            _fail(where, "when.operation", f"{op_name!r} is not served by {catalog.provider}", f"use one of {served}")
        resolved.add(op_id or op_name)
    nth: frozenset[int] = frozenset()
    if "nth" in when_raw:
        values = when_raw["nth"] if isinstance(when_raw["nth"], list) else [when_raw["nth"]]
        nth = frozenset(_integer(where, "when.nth", n, 1) for n in values)
    probability = None
    if "probability" in when_raw:
        probability = _number(where, "when.probability", when_raw["probability"], 0, 1)
    match = Match(
        operations=frozenset(resolved),
        providers=providers,
        tokens=_names(where, "when.token", when_raw["token"]) if "token" in when_raw else frozenset(),
        equals=_fields(where, "when.equals", when_raw["equals"]) if "equals" in when_raw else (),
        contains=_fields(where, "when.contains", when_raw["contains"]) if "contains" in when_raw else (),
        nth=nth,
        probability=probability,
    )
    targets = [catalog.resolve(op) for op in resolved] if resolved else list(catalog.operations)
    targets = [t for t in targets if t is not None]
    code = http_status = None
    if "http_status" in raw:
        if raw["http_status"] != 500:
            _fail(
                where, "http_status", f"{raw['http_status']!r} is not allowed", "use 500 (the documented server error)"
            )
        http_status = 500
    if "code" in raw:
        code = _integer(where, "code", raw["code"], 100)
        table = catalog.server_codes if http_status == 500 else catalog.codes
        documented = sorted(set().union(*(table[t] for t in targets))) if targets else []
        missing = [t for t in targets if code not in table[t]] if resolved else ([] if code in documented else targets)
        if here and missing:
            answer = "an HTTP 500 answer" if http_status else "HTTP 200 answers"
            _fail(
                where,
                "code",
                f"{code} is not documented for {', '.join(missing)} ({answer})",
                f"use one of {', '.join(map(str, documented))}",
            )
    elif http_status is not None:
        _fail(where, "http_status", "needs a code", "add code: 500 (or 408, 501, 505, ...)")
    message = raw.get("message")
    if message is not None and (not isinstance(message, str) or code is None):
        _fail(where, "message", f"{message!r} is not allowed", "use a string, together with code")
    outcome = _outcome(where, raw["outcome"], catalog, targets if resolved else []) if "outcome" in raw else None
    delay = _delay(where, raw["delay"]) if "delay" in raw else None
    fault = None
    if "fault" in raw:
        allowed = [f.value for f in ConnectionFault]
        if raw["fault"] not in allowed:
            _fail(where, "fault", f"{raw['fault']!r} is not allowed", f"use one of {', '.join(allowed)}")
        fault = ConnectionFault(raw["fault"])
    callbacks = _callbacks(where, raw["callbacks"]) if "callbacks" in raw else None
    if (outcome or callbacks) and resolved and here:
        plain = [t for t in targets if not catalog.operations[t].callbacks]
        if plain:
            key = "outcome" if outcome else "callbacks"
            creating = ", ".join(sorted(op for op, o in catalog.operations.items() if o.callbacks))
            _fail(where, key, f"{', '.join(plain)} creates no task", f"use it with {creating}")
    if sum(x is not None for x in (code, fault, outcome)) > 1:
        _fail(where, "code/fault/outcome", "only one of them per rule", "split them into separate rules")
    if code is None and fault is None and outcome is None and delay is None and callbacks is None:
        _fail(where, "rule", "has no action", "add code, outcome, delay, fault or callbacks")
    times = _integer(where, "times", raw["times"], 1) if "times" in raw else None
    return Rule(name or "", match, code, message, http_status, outcome, delay, fault, callbacks, times, dict(raw))


@dataclass(frozen=True)
class FaultConfig:
    """One level of configuration; None means "not set at this level"."""

    rules: tuple[Rule, ...] = ()
    rate_limits: RateLimits | None = None
    sensitive_words: tuple[str, ...] | None = None


def _rate_limits(where: str, value: Any) -> RateLimits:
    if isinstance(value, bool):
        return RateLimits(enabled=value)
    if not isinstance(value, Mapping):
        _fail(where, "rate_limits", f"{value!r} is not allowed", "use true, false or a mapping")
    keys = ("enabled", "creating", "creating_window_s", "record_info", "record_info_window_s")
    _keys(where, value, keys, "rate_limits.")
    enabled = value.get("enabled", True)
    if not isinstance(enabled, bool):
        _fail(where, "rate_limits.enabled", f"{enabled!r} is not allowed", "use true or false")
    base = RateLimits()
    return RateLimits(
        enabled,
        _integer(where, "rate_limits.creating", value.get("creating", base.creating), 1),
        _number(where, "rate_limits.creating_window_s", value.get("creating_window_s", base.creating_window_s), 0.001),
        _integer(where, "rate_limits.record_info", value.get("record_info", base.record_info), 1),
        _number(
            where,
            "rate_limits.record_info_window_s",
            value.get("record_info_window_s", base.record_info_window_s),
            0.001,
        ),
    )


def parse_faults(document: Any, catalog: Catalog, source: str = "faults") -> FaultConfig:
    """Validate a rule document (``rules``, ``rate_limits``, ``sensitive_words``); raise ConfigError."""
    if document is None:
        return FaultConfig()
    if not isinstance(document, Mapping):
        raise ConfigError(f"{source}: must be a mapping with rules, rate_limits, sensitive_words (got {document!r})")
    _keys(source, document, ("rules", "rate_limits", "sensitive_words"))
    raw_rules = document.get("rules", [])
    if not isinstance(raw_rules, list):
        _fail(source, "rules", f"{raw_rules!r} is not allowed", "use a list of rules")
    rules: list[Rule] = []
    for index, raw in enumerate(raw_rules, 1):
        label = raw.get("name") if isinstance(raw, Mapping) else None
        where = f"{source}: rule {index}" + (f" ({label!r})" if isinstance(label, str) else "")
        rule = _rule(where, raw, catalog)
        if not rule.name:
            rule = replace(rule, name=f"rule-{index}")
        if any(r.name == rule.name for r in rules):
            _fail(where, "name", f"{rule.name!r} is used twice", "give every rule its own name")
        rules.append(rule)
    limits = _rate_limits(source, document["rate_limits"]) if "rate_limits" in document else None
    words = None
    if "sensitive_words" in document:
        raw_words = document["sensitive_words"]
        if not isinstance(raw_words, list) or not all(isinstance(w, str) and w.strip() for w in raw_words):
            _fail(source, "sensitive_words", f"{raw_words!r} is not allowed", "use a list of non-empty strings")
        words = tuple(w.strip() for w in raw_words)
    return FaultConfig(tuple(rules), limits, words)


def load_faults(source: str | os.PathLike[str] | Mapping[str, Any], catalog: Catalog) -> FaultConfig:
    """Read and validate a YAML rule file (or an already-parsed document)."""
    if isinstance(source, Mapping):
        return parse_faults(source, catalog, "faults")
    path = Path(source)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read the fault file {path}: {error.strerror}; check --faults") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: is not valid YAML ({error})") from None
    return parse_faults(document, catalog, str(path))


# ---------------------------------------------------------------------------------------------
# X-Mock-* headers


def _header_number(header: str, text: str, kind: type[int | float]) -> Any:
    """A number in an ``X-Mock-*`` header; ValueError naming the header, the value and the rule."""
    text = text.strip()
    try:
        if kind is int and len(text) > 18:  # past any code; int() refuses 4,300 digits with advice on sys
            raise ValueError(text)
        return kind(text)
    except ValueError:
        rule = "an integer of at most 18 digits" if kind is int else "a number"
        raise ValueError(f"{header}: must be {rule} (got {abbreviated_number(text)})") from None


def _params(value: str) -> tuple[str, dict[str, str]]:
    head, *rest = (part.strip() for part in value.split(";"))
    params = {}
    for part in rest:
        key, sep, val = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r} is not key=value")
        params[key.strip().lower()] = val.strip()
    return head, params


#: The request headers :func:`header_rule` reads.
_MOCK_HEADERS = ("x-mock-code", "x-mock-outcome", "x-mock-delay-ms", "x-mock-fault")


def header_rule(headers: Mapping[str, str], facts: Facts, texts: Mapping[str, FailureText]) -> Rule | None:
    """The rule the ``X-Mock-*`` headers of one request describe; ApiError 422 when one is malformed.

    * ``X-Mock-Code: 455`` (or ``500; http-status=500`` for the documented HTTP 500 answer);
    * ``X-Mock-Outcome: GENERATE_AUDIO_FAILED; code=531; stage=first``;
    * ``X-Mock-Delay-Ms: 250`` (or ``100-400``, uniform);
    * ``X-Mock-Fault: reset`` (``empty``, ``truncated``, ``garbage``).
    """
    raw: dict[str, Any] = {}
    try:
        if (value := headers.get("x-mock-code")) is not None:
            head, params = _params(value)
            raw["code"] = _header_number("X-Mock-Code", head, int)
            if "http-status" in params:
                raw["http_status"] = _header_number("X-Mock-Code http-status", params["http-status"], int)
        if (value := headers.get("x-mock-outcome")) is not None:
            head, params = _params(value)
            outcome: dict[str, Any] = {"status": head.upper(), **params}
            if "code" in outcome:
                outcome["code"] = _header_number("X-Mock-Outcome code", outcome["code"], int)
            raw["outcome"] = outcome
        if (value := headers.get("x-mock-delay-ms")) is not None:
            low, sep, high = value.partition("-")
            number = functools.partial(_header_number, "X-Mock-Delay-Ms", kind=float)
            raw["delay"] = {"uniform": [number(low), number(high)]} if sep else number(value)
        if (value := headers.get("x-mock-fault")) is not None:
            raw["fault"] = value.strip().lower()
    except ValueError as error:
        raise ApiError(422, f"Validation error: X-Mock-* header: {error}") from None
    if not raw:
        return None
    op = Operation(facts.operation_id, "", facts.path, None, (), None, ("task",) if facts.creating else ())
    catalog = Catalog(
        facts.provider,
        {op.operation_id: op},
        {op.operation_id: facts.codes},
        {op.operation_id: facts.server_codes},
        {op.operation_id: facts.outcomes},
        texts,
    )
    raw["when"] = {"operation": facts.operation_id}
    try:
        rule = _rule("X-Mock-* headers", raw, catalog)
    except ConfigError as error:
        message = str(error).replace("when.operation", "operation")
        raise ApiError(422, f"Validation error: {message}") from None
    return replace(rule, name="headers")
