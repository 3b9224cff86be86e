"""Configurable errors: documented codes, task outcomes, latency, connection and callback faults.

Three levels say what to inject, later ones overriding earlier ones aspect by aspect:

1. a rule file (``suno-mock serve --faults faults.yaml``, ``create_app(faults=...)``);
2. the admin API (``POST /_mock/faults``, ``GET``, ``DELETE``);
3. per-request headers (``X-Mock-Code``, ``X-Mock-Outcome``, ``X-Mock-Delay-Ms``, ``X-Mock-Fault``),
   ignored when the mock runs with ``--no-header-overrides``.

A decision has four aspects: the *answer* (a documented code, or a connection fault instead of
any answer), the task *outcome*, the *delay* and the *callbacks* faults. The first rule, in
priority order, that matches and offers an aspect not yet taken sets it.  Matching is pure
(:func:`decide`: rules, request facts, counters and a seeded ``random.Random`` in, a
:class:`Decision` out); :class:`FaultInjector` adds the rate limiter, the sensitive-word filter
and the thin async part that sleeps and breaks connections.  ``faults.example.yaml`` documents
the rule format.
"""

from __future__ import annotations

import asyncio
import difflib
import math
import os
import random
import socket
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import yaml
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from openapi import PROVIDERS

from .config import Settings
from .errors import ApiError, ConfigError
from .lifecycle import Failure, Stage, Status, Step
from .payloads import FAILURE_TEXTS
from .spec import Operation, deref

__all__ = [
    "CALLBACK_CODES",
    "RATE_LIMIT_CODE",
    "RESPONSE_MESSAGES",
    "CallbackFaults",
    "Catalog",
    "ConnectionFault",
    "Decision",
    "Delay",
    "Facts",
    "FaultConfig",
    "FaultInjector",
    "FaultResponse",
    "Match",
    "Outcome",
    "RateLimiter",
    "RateLimits",
    "Rule",
    "RuleCount",
    "TaskFaults",
    "decide",
    "deliveries",
    "header_rule",
    "load_faults",
    "parse_faults",
    "remember_transport",
    "sensitive_word",
]

#: The documented message of each NEW-set request code (reference section 1.3).
RESPONSE_MESSAGES: dict[int, str] = {
    401: "Unauthorized: credentials missing or invalid",
    402: "Insufficient credits",
    404: "Not found: resource or endpoint does not exist",
    408: "Upstream is having service issues: no result returned for over 10 minutes",
    409: "Conflict: WAV record already exists",
    422: "Validation error: request parameters failed validation",
    429: "Rate limit exceeded",
    451: "Unauthorized: failed to fetch the image",
    455: "Service unavailable: system maintenance",
    500: "Server error",
    501: "Generation failed",
    505: "Feature disabled",
}
#: All bundled profiles use the NEW code set, where 429 means "rate limit exceeded".
RATE_LIMIT_CODE = 429
#: Documented codes of error callbacks and of record-info ``errorCode``.
CALLBACK_CODES: tuple[int, ...] = (400, 408, 413, 451, 500, 501, 531)
_CALLBACK_MESSAGES = {
    408: "Rate limited: timeout.",
    413: "Conflict: uploaded audio matches an existing work.",
    451: "Download failed: unable to download the source files.",
    500: "Server error.",
    531: "Generation failed. Your credits have been refunded. Please try again.",
}
_DEFAULT_STAGE = {
    Status.GENERATE_AUDIO_FAILED: Stage.FIRST,
    Status.SENSITIVE_WORD_ERROR: Stage.TEXT,
    Status.CREATE_TASK_FAILED: Stage.TEXT,
    Status.CALLBACK_EXCEPTION: Stage.COMPLETE,
}
_OUTCOMES = tuple(_DEFAULT_STAGE)
_PROGRESS_STAGES = (Stage.TEXT, Stage.FIRST, Stage.COMPLETE)
_CALLBACK_STAGES = (*_PROGRESS_STAGES, Stage.ERROR)
#: Body fields the sensitive-word filter reads (``prompt`` holds the lyrics in custom mode).
SENSITIVE_FIELDS = ("prompt", "style", "title", "tags", "negativeTags")
#: Longest delay any distribution may produce (ms), so a lognormal tail cannot hang a client.
MAX_DELAY_MS = 60_000.0
#: Mock seconds between callbacks delivered out of order.
OUT_OF_ORDER_GAP_S = 1.0
_TRANSPORT_KEY = "suno_mock.transport"


class ConnectionFault(StrEnum):
    """What happens to the connection instead of an answer."""

    #: Close the connection with a TCP reset before any byte of the answer.
    RESET = "reset"
    #: HTTP 200 with ``Content-Length: 0``.
    EMPTY = "empty"
    #: A JSON prefix, a ``Content-Length`` larger than it, then the connection closes.
    TRUNCATED = "truncated"
    #: HTTP 200 ``application/json`` whose body is random non-JSON bytes.
    GARBAGE = "garbage"


# --------------------------------------------------------------------------------------------
# values


@dataclass(frozen=True)
class Delay:
    """Latency in milliseconds: ``fixed`` (a), ``uniform`` (a..b) or ``lognormal`` (median a, sigma b)."""

    kind: str
    a: float
    b: float = 0.0

    def sample(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            value = self.a
        elif self.kind == "uniform":
            value = rng.uniform(self.a, self.b)
        else:
            value = rng.lognormvariate(math.log(self.a), self.b)
        return min(value, MAX_DELAY_MS)

    def __repr__(self) -> str:
        args = f"{self.a:g}" if self.kind == "fixed" else f"{self.a:g}, {self.b:g}"
        return f"Delay.{self.kind}({args})"


@dataclass(frozen=True)
class Outcome:
    """How a created task ends: a failure status at a stage, with the error callback's code and message."""

    status: Status
    stage: Stage
    code: int
    message: str

    @classmethod
    def of(cls, status: str, code: int | None = None, stage: str | None = None, message: str | None = None) -> Outcome:
        """The documented defaults for ``status`` unless given."""
        known = Status(status)
        default_code, default_message = FAILURE_TEXTS[known]
        code = code or default_code
        if message is None:
            message = default_message if code == default_code else _CALLBACK_MESSAGES.get(code, default_message)
        at = Stage(stage) if stage else _DEFAULT_STAGE[known]
        return cls(known, at, code, message)

    def failure(self) -> Failure:
        return Failure(self.status, self.stage, self.code, self.message)


@dataclass(frozen=True)
class CallbackFaults:
    """How a task's callbacks are delivered: stages skipped, duplicated, delayed (mock s), reversed."""

    skip: frozenset[Stage] = frozenset()
    duplicate: frozenset[Stage] = frozenset()
    delay_s: tuple[tuple[Stage, float], ...] = ()
    out_of_order: bool = False

    def __bool__(self) -> bool:
        return bool(self.skip or self.duplicate or self.delay_s or self.out_of_order)

    def merged(self, other: CallbackFaults | None) -> CallbackFaults:
        if other is None:
            return self
        return CallbackFaults(
            self.skip | other.skip,
            self.duplicate | other.duplicate,
            tuple({**dict(other.delay_s), **dict(self.delay_s)}.items()),
            self.out_of_order or other.out_of_order,
        )


@dataclass(frozen=True)
class TaskFaults:
    """What a decision attaches to the task a creating call makes."""

    failure: Failure | None = None
    callbacks: CallbackFaults | None = None


def deliveries(steps: Sequence[Step], faults: CallbackFaults | None) -> list[tuple[float, Step]]:
    """The (mock time, step) callback deliveries of a schedule, in delivery order.

    Without faults each step is delivered once at its time.  ``skip`` drops stages,
    ``delay_s`` moves them later, ``duplicate`` delivers them twice, and ``out_of_order``
    delivers every kept stage in reverse order, starting at the latest time, 1 mock s apart.
    """
    if not faults:
        return [(step.at, step) for step in steps]
    delays = dict(faults.delay_s)
    kept = [step for step in steps if step.stage not in faults.skip]
    times = [step.at + delays.get(step.stage, 0.0) for step in kept]
    if faults.out_of_order and len(kept) > 1:
        last = max(times)
        times = [last + OUT_OF_ORDER_GAP_S * (len(kept) - 1 - i) for i in range(len(kept))]
    planned: list[tuple[float, Step]] = []
    for at, step in zip(times, kept, strict=True):
        planned += [(at, step)] * (2 if step.stage in faults.duplicate else 1)
    return sorted(planned, key=lambda entry: entry[0])


@dataclass(frozen=True)
class Match:
    """When a rule applies; empty sets match anything."""

    operations: frozenset[str] = frozenset()
    providers: frozenset[str] = frozenset()
    tokens: frozenset[str] = frozenset()
    equals: tuple[tuple[str, Any], ...] = ()
    contains: tuple[tuple[str, Any], ...] = ()
    nth: frozenset[int] = frozenset()
    probability: float | None = None


@dataclass(frozen=True)
class Rule:
    """One rule: a name, a :class:`Match`, what to do and how many times (``times``, None: always)."""

    name: str
    when: Match = Match()
    code: int | None = None
    message: str | None = None
    http_status: int | None = None
    outcome: Outcome | None = None
    delay: Delay | None = None
    fault: ConnectionFault | None = None
    callbacks: CallbackFaults | None = None
    times: int | None = None
    #: The rule as written (echoed by ``GET /_mock/faults``).
    source: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def aspects(self) -> frozenset[str]:
        found = set()
        if self.code is not None or self.fault is not None:
            found.add("answer")
        if self.outcome is not None:
            found.add("outcome")
        if self.delay is not None:
            found.add("delay")
        if self.callbacks:
            found.add("callbacks")
        return frozenset(found)


@dataclass(frozen=True)
class Facts:
    """What matching may look at in one validated request."""

    operation_id: str
    path: str
    provider: str
    token: str
    body: Mapping[str, Any]
    query: Mapping[str, str]
    #: Body codes the operation documents (HTTP 200 answers), and those of its HTTP 500 answer.
    codes: frozenset[int] = frozenset()
    server_codes: frozenset[int] = frozenset()
    #: Whether the operation creates a task (has callbacks).
    creating: bool = False


@dataclass
class RuleCount:
    """``calls``: matching requests seen (what ``nth`` counts); ``fired``: times the rule acted."""

    calls: int = 0
    fired: int = 0


@dataclass(frozen=True)
class Decision:
    """What happens to one request."""

    rules: tuple[str, ...] = ()
    code: int | None = None
    message: str = ""
    http_status: int | None = None
    fault: ConnectionFault | None = None
    garbage: bytes = b""
    outcome: Outcome | None = None
    delay_ms: float = 0.0
    callbacks: CallbackFaults | None = None
    #: Seconds until the rate limiter admits a call again (sent as ``Retry-After``).
    retry_after_s: float | None = None

    @property
    def task(self) -> TaskFaults | None:
        """The failure and callback faults for the task this request creates, if any."""
        callbacks = self.callbacks
        if self.outcome is not None and self.outcome.status is Status.CALLBACK_EXCEPTION:
            # the mock models CALLBACK_EXCEPTION as a delivery that failed: the error callback is never sent
            callbacks = CallbackFaults(skip=frozenset({Stage.ERROR})).merged(callbacks)
        if self.outcome is None and not callbacks:
            return None
        return TaskFaults(self.outcome.failure() if self.outcome else None, callbacks or None)


# --------------------------------------------------------------------------------------------
# pure matching


def _lookup(facts: Facts, path: str) -> tuple[bool, Any]:
    node: Any = facts.body
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            break
    else:
        return True, node
    if path in facts.query:
        return True, facts.query[path]
    return False, None


def _same(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return type(actual) is type(wanted) and actual == wanted
    if isinstance(actual, str) and not isinstance(wanted, str):
        return actual == str(wanted)  # query parameters are strings
    return bool(actual == wanted)


def _contains(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, str):
        return str(wanted) in actual
    if isinstance(actual, list):
        return any(_same(item, wanted) for item in actual)
    return False


def _applies(rule: Rule, facts: Facts) -> bool:
    when = rule.when
    if when.operations and not ({facts.operation_id, facts.path} & when.operations):
        return False
    if when.providers and facts.provider not in when.providers:
        return False
    if when.tokens and facts.token not in when.tokens:
        return False
    for path, wanted in when.equals:
        found, actual = _lookup(facts, path)
        if not found or not _same(actual, wanted):
            return False
    for path, wanted in when.contains:
        found, actual = _lookup(facts, path)
        if not found or not _contains(actual, wanted):
            return False
    if rule.code is not None:
        documented = facts.server_codes if rule.http_status == 500 else facts.codes
        if rule.code not in documented:
            return False
    return facts.creating or (rule.outcome is None and not rule.callbacks)


def decide(
    rules: Sequence[tuple[str, Rule]],
    facts: Facts,
    counters: MutableMapping[str, RuleCount],
    rng: random.Random,
) -> Decision:
    """Apply ``rules`` (``(counter key, rule)``, highest priority first) to one request.

    A rule that applies counts the call; it acts when its ``nth`` includes that count, its
    ``times`` are not used up, it offers an aspect no earlier rule took, and its probability
    draw succeeds.  Random draws come only from ``rng``, in rule order.
    """
    taken: dict[str, Rule] = {}
    fired: list[str] = []
    for key, rule in rules:
        if not _applies(rule, facts):
            continue
        count = counters.setdefault(key, RuleCount())
        count.calls += 1
        if rule.when.nth and count.calls not in rule.when.nth:
            continue
        if rule.times is not None and count.fired >= rule.times:
            continue
        offered = rule.aspects() - taken.keys()
        if not offered:
            continue
        if rule.when.probability is not None and not rng.random() < rule.when.probability:
            continue
        count.fired += 1
        fired.append(rule.name)
        taken.update(dict.fromkeys(offered, rule))
    decision = Decision(rules=tuple(fired))
    if (answer := taken.get("answer")) is not None:
        if answer.fault is not None:
            garbage = b"\x00\xff<" + rng.randbytes(61) if answer.fault is ConnectionFault.GARBAGE else b""
            decision = replace(decision, fault=answer.fault, garbage=garbage)
        else:
            assert answer.code is not None
            message = answer.message or RESPONSE_MESSAGES.get(answer.code, "Error")
            decision = replace(decision, code=answer.code, message=message, http_status=answer.http_status)
    if (source := taken.get("outcome")) is not None:
        decision = replace(decision, outcome=source.outcome)
    if (source := taken.get("delay")) is not None:
        assert source.delay is not None
        decision = replace(decision, delay_ms=source.delay.sample(rng))
    if (source := taken.get("callbacks")) is not None:
        decision = replace(decision, callbacks=source.callbacks)
    return decision


def sensitive_word(body: Mapping[str, Any], words: Sequence[str]) -> str | None:
    """The first configured word found (case-insensitively) in the prompt, style, title or tags."""
    for name in SENSITIVE_FIELDS:
        value = body.get(name)
        if isinstance(value, str):
            lowered = value.casefold()
            for word in words:
                if word.casefold() in lowered:
                    return word
    return None


@dataclass(frozen=True)
class RateLimits:
    """The documented limits: task-creating calls per API key, record-info calls per task."""

    enabled: bool = False
    creating: int = 20
    creating_window_s: float = 10.0
    record_info: int = 3
    record_info_window_s: float = 1.0


class RateLimiter:
    """Sliding windows on mock time; only admitted calls count."""

    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], deque[float]] = {}

    def admit(self, key: tuple[str, str], limit: int, window_s: float, now: float) -> float | None:
        """None when admitted (and counted); otherwise mock seconds until a call would be admitted."""
        window = self._windows.setdefault(key, deque())
        while window and window[0] <= now - window_s:
            window.popleft()
        if len(window) >= limit:
            return window[0] + window_s - now
        window.append(now)
        return None

    def clear(self) -> None:
        self._windows.clear()


# --------------------------------------------------------------------------------------------
# the rule document


def _fail(where: str, key: str, problem: str, allowed: str) -> NoReturn:
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


def _outcome(where: str, value: Any) -> Outcome:
    statuses = [s.value for s in _OUTCOMES]
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
        allowed = ["text"] if status == Status.CREATE_TASK_FAILED else [s.value for s in _PROGRESS_STAGES]
        if stage not in allowed:
            _fail(where, "outcome.stage", f"{stage!r} is not allowed for {status}", f"use one of {', '.join(allowed)}")
    message = value.get("message")
    if message is not None and not isinstance(message, str):
        _fail(where, "outcome.message", f"{message!r} is not allowed", "use a string")
    return Outcome.of(status, code, stage, message)


def _callbacks(where: str, value: Any) -> CallbackFaults:
    if not isinstance(value, Mapping) or not value:
        _fail(
            where, "callbacks", f"{value!r} is not allowed", "use a mapping with skip, duplicate, delay_s, out_of_order"
        )
    _keys(where, value, ("skip", "duplicate", "delay_s", "out_of_order"), "callbacks.")
    stages = [s.value for s in _CALLBACK_STAGES]
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

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], provider: str, operations: Sequence[Operation]) -> Catalog:
        codes: dict[str, frozenset[int]] = {}
        server: dict[str, frozenset[int]] = {}
        for op in operations:
            responses = deref(spec["paths"][op.path][op.method.lower()].get("responses", {}), dict(spec))
            codes[op.operation_id] = _enum(responses.get("200")) - {200}
            server[op.operation_id] = _enum(responses.get("500"))
        return cls(provider, {op.operation_id: op for op in operations}, codes, server)

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
        )

    def resolve(self, name: str) -> str | None:
        """The operationId a rule's ``operation`` (an operationId or a path) names here."""
        if name in self.operations:
            return name
        return next((op.operation_id for op in self.operations.values() if name in (op.path, op.label)), None)


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
    outcome = _outcome(where, raw["outcome"]) if "outcome" in raw else None
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


#: The decision when no rule could act.
_NOTHING = Decision()

# --------------------------------------------------------------------------------------------
# headers


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


def header_rule(headers: Mapping[str, str], facts: Facts) -> Rule | None:
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
            raw["code"] = int(head)
            if "http-status" in params:
                raw["http_status"] = int(params["http-status"])
        if (value := headers.get("x-mock-outcome")) is not None:
            head, params = _params(value)
            outcome: dict[str, Any] = {"status": head.upper(), **params}
            if "code" in outcome:
                outcome["code"] = int(outcome["code"])
            raw["outcome"] = outcome
        if (value := headers.get("x-mock-delay-ms")) is not None:
            low, sep, high = value.partition("-")
            raw["delay"] = {"uniform": [float(low), float(high)]} if sep else float(value)
        if (value := headers.get("x-mock-fault")) is not None:
            raw["fault"] = value.strip().lower()
    except ValueError as error:
        raise ApiError(422, f"Validation error: X-Mock-* header: {error}") from None
    if not raw:
        return None
    op = Operation(facts.operation_id, "", facts.path, None, (), None, ("task",) if facts.creating else ())
    catalog = Catalog(
        facts.provider, {op.operation_id: op}, {op.operation_id: facts.codes}, {op.operation_id: facts.server_codes}
    )
    raw["when"] = {"operation": facts.operation_id}
    try:
        rule = _rule("X-Mock-* headers", raw, catalog)
    except ConfigError as error:
        message = str(error).replace("when.operation", "operation")
        raise ApiError(422, f"Validation error: {message}") from None
    return replace(rule, name="headers")


# --------------------------------------------------------------------------------------------
# the injector (state + the thin async part)


@dataclass(frozen=True)
class Applied:
    """One request the faults touched (``GET /_mock/faults`` lists the latest)."""

    at: float
    operation_id: str
    rules: tuple[str, ...]
    code: int | None
    fault: str | None
    outcome: str | None
    delay_ms: float


class FaultInjector:
    """Rules from the file, the admin API and headers; the rate limiter; sensitive words.

    ``random`` is seeded from ``Settings.seed`` (a stream separate from the ids), ``now`` is the
    mock clock, ``sleep`` applies latency (real time; replace it in tests that must not wait).
    Rate-limit windows run on the mock clock when it is virtual (deterministic), otherwise on
    real time: a scaled clock runs 50 times faster and would shrink a 10 s window to 0.2 s.
    """

    def __init__(
        self,
        catalog: Catalog,
        settings: Settings,
        now: Callable[[], float],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.catalog = catalog
        self.header_overrides = settings.header_overrides
        self.seed = settings.seed
        self.now = now
        self.window_now: Callable[[], float] = now if settings.virtual_clock else time.monotonic
        self.sleep = sleep
        self.base = FaultConfig(
            rate_limits=RateLimits(enabled=settings.rate_limits),
            sensitive_words=tuple(sorted(settings.sensitive_words)),
        )
        self.file = load_faults(settings.faults, catalog) if settings.faults is not None else FaultConfig()
        self.admin = FaultConfig()
        self.counters: dict[str, RuleCount] = {}
        self.limiter = RateLimiter()
        self.applied: deque[Applied] = deque(maxlen=max(1, settings.journal_size))
        self.random = self._rng()

    def _rng(self) -> random.Random:
        return random.Random(f"suno-mock-faults:{self.seed}") if self.seed is not None else random.Random()

    def reset(self) -> None:
        """Restart counters, rate windows and the random sequence; rules stay."""
        self.counters.clear()
        self.limiter.clear()
        self.applied.clear()
        self.random = self._rng()

    # configuration -------------------------------------------------------------------------
    @property
    def rate_limits(self) -> RateLimits:
        """The admin API's setting, else the file's (switched on by --rate-limits too), else the flag."""
        base = self.base.rate_limits or RateLimits()
        if self.admin.rate_limits is not None:
            return self.admin.rate_limits
        if self.file.rate_limits is not None:
            return replace(self.file.rate_limits, enabled=self.file.rate_limits.enabled or base.enabled)
        return base

    @property
    def sensitive_words(self) -> tuple[str, ...]:
        """The admin API's list, else the file's together with --sensitive-word ones."""
        if self.admin.sensitive_words is not None:
            return self.admin.sensitive_words
        return tuple(sorted({*(self.base.sensitive_words or ()), *(self.file.sensitive_words or ())}))

    def configure(self, document: Any) -> None:
        """``POST /_mock/faults``: add or replace (by name) admin rules; set the switches given."""
        if isinstance(document, Mapping) and not {"rules", "rate_limits", "sensitive_words"} & document.keys():
            document = {"rules": [document]}
        incoming = parse_faults(document, self.catalog, "POST /_mock/faults")
        rules = list(self.admin.rules)
        for rule in incoming.rules:
            explicit = isinstance(document, Mapping) and any(
                isinstance(r, Mapping) and r.get("name") == rule.name for r in document.get("rules", [])
            )
            if not explicit:
                rule = replace(rule, name=f"admin-{len(rules) + 1}")
            rules = [r for r in rules if r.name != rule.name] + [rule]
            self.counters.pop(f"admin/{rule.name}", None)
        self.admin = FaultConfig(
            tuple(rules),
            incoming.rate_limits if incoming.rate_limits is not None else self.admin.rate_limits,
            incoming.sensitive_words if incoming.sensitive_words is not None else self.admin.sensitive_words,
        )

    def clear(self, name: str | None = None) -> bool:
        """``DELETE /_mock/faults``: drop the admin level, or one admin rule; False if no such rule."""
        if name is None:
            self.admin = FaultConfig()
            for key in [k for k in self.counters if k.startswith("admin/")]:
                del self.counters[key]
            return True
        if not any(r.name == name for r in self.admin.rules):
            return False
        self.admin = replace(self.admin, rules=tuple(r for r in self.admin.rules if r.name != name))
        self.counters.pop(f"admin/{name}", None)
        return True

    def describe(self, latest: int = 100) -> dict[str, Any]:
        limits = self.rate_limits
        rules = []
        for level, config in (("admin", self.admin), ("file", self.file)):
            for rule in config.rules:
                count = self.counters.get(f"{level}/{rule.name}", RuleCount())
                rules.append(
                    {
                        "level": level,
                        "name": rule.name,
                        "calls": count.calls,
                        "fired": count.fired,
                        "rule": dict(rule.source),
                    }
                )
        return {
            "headerOverrides": self.header_overrides,
            "rateLimits": {
                "enabled": limits.enabled,
                "creating": limits.creating,
                "creatingWindowS": limits.creating_window_s,
                "recordInfo": limits.record_info,
                "recordInfoWindowS": limits.record_info_window_s,
            },
            "sensitiveWords": list(self.sensitive_words),
            "rules": rules,
            "applied": [vars(a) | {"rules": list(a.rules)} for a in list(self.applied)[-latest:]],
        }

    def fired(self, name: str, level: str = "file") -> int:
        """How many times the named rule acted."""
        return self.counters.get(f"{level}/{name}", RuleCount()).fired

    # per request ---------------------------------------------------------------------------
    def decide(
        self,
        operation: Operation,
        token: str,
        body: Mapping[str, Any],
        query: Mapping[str, str],
        headers: Mapping[str, str],
    ) -> Decision:
        """Everything that happens to this request; raises ApiError 422 for a malformed X-Mock-* header."""
        if not (self.admin.rules or self.file.rules or self.sensitive_words or self.rate_limits.enabled) and not (
            self.header_overrides and any(name in headers for name in _MOCK_HEADERS)
        ):
            return _NOTHING  # nothing is configured that could act: the common case, kept cheap
        facts = self.catalog.facts(operation, token, body, query)
        rules: list[tuple[str, Rule]] = []
        if self.header_overrides and (from_headers := header_rule(headers, facts)) is not None:
            rules.append(("headers", from_headers))
        rules += [(f"admin/{r.name}", r) for r in self.admin.rules]
        rules += [(f"file/{r.name}", r) for r in self.file.rules]
        decision = decide(rules, facts, self.counters, self.random)
        answered = decision.code is not None or decision.fault is not None
        if facts.creating and not answered and decision.outcome is None:
            word = sensitive_word(body, self.sensitive_words)
            if word is not None:
                outcome = Outcome.of(Status.SENSITIVE_WORD_ERROR)
                decision = replace(decision, outcome=outcome, rules=(*decision.rules, f"sensitive word {word!r}"))
        if not answered and (limited := self._limited(facts)) is not None:
            message, wait = limited
            decision = replace(
                decision,
                code=RATE_LIMIT_CODE,
                message=message,
                retry_after_s=wait,
                http_status=None,
                outcome=None,
                callbacks=None,
                rules=(*decision.rules, "rate limit"),
            )
        if decision.rules:
            self.applied.append(
                Applied(
                    self.now(),
                    facts.operation_id,
                    decision.rules,
                    decision.code,
                    decision.fault.value if decision.fault else None,
                    decision.outcome.status.value if decision.outcome else None,
                    decision.delay_ms,
                )
            )
        return decision

    def _limited(self, facts: Facts) -> tuple[str, float] | None:
        """The 429 message and the seconds until a call would be admitted, or None when admitted."""
        limits = self.rate_limits
        if not limits.enabled:
            return None
        now = self.window_now()
        if facts.creating:
            wait = self.limiter.admit(("creating", facts.token), limits.creating, limits.creating_window_s, now)
            what = f"at most {limits.creating} task-creating calls per {limits.creating_window_s:g} s per API key"
        elif facts.operation_id == "get-music-details" and "taskId" in facts.query:
            key = ("record-info", facts.query["taskId"])
            wait = self.limiter.admit(key, limits.record_info, limits.record_info_window_s, now)
            what = f"at most {limits.record_info} record-info calls per {limits.record_info_window_s:g} s per task"
        else:
            return None
        if wait is None:
            return None
        return f"{RESPONSE_MESSAGES[RATE_LIMIT_CODE]}: {what}; retry in {wait:.3g} s", wait

    async def apply(self, decision: Decision) -> FaultResponse | None:
        """Sleep the delay; then a connection-fault response, an ApiError for a code, or None to go on."""
        if decision.delay_ms > 0:
            await self.sleep(decision.delay_ms / 1000)
        if decision.fault is not None:
            return FaultResponse(decision.fault, decision.garbage)
        if decision.code is not None:
            headers = None
            if decision.retry_after_s is not None:  # RFC 9110: whole seconds, rounded up
                headers = {"Retry-After": str(max(1, math.ceil(decision.retry_after_s)))}
            raise ApiError(decision.code, decision.message, http_status=decision.http_status, headers=headers)
        return None


# --------------------------------------------------------------------------------------------
# connection faults


def remember_transport(scope: Scope, send: Send) -> None:
    """Keep the server's asyncio transport (uvicorn's) in the scope so a reset can reach the socket."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if isinstance(transport, asyncio.Transport):
        scope[_TRANSPORT_KEY] = transport


async def _settle() -> None:
    # let the event loop run connection_lost() so the server sees a disconnect, not an unfinished answer
    for _ in range(5):
        await asyncio.sleep(0)


class FaultResponse(Response):
    """A response that breaks the connection instead of answering.

    Served by uvicorn, ``reset`` aborts the socket with SO_LINGER 0 (a TCP RST) and ``truncated``
    closes it after a partial body.  In process (``httpx.ASGITransport``, ``TestClient``) there
    is no socket: ``reset`` raises :class:`ConnectionResetError` and ``truncated`` ends the body short.
    """

    def __init__(self, fault: ConnectionFault, garbage: bytes = b"") -> None:
        super().__init__(b"", status_code=200, media_type="application/json")
        self.fault = fault
        self.garbage = garbage

    def __repr__(self) -> str:
        return f"FaultResponse({self.fault.value!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = scope.get(_TRANSPORT_KEY)
        if not isinstance(transport, asyncio.Transport):
            transport = None
        if self.fault is ConnectionFault.RESET:
            if transport is None:
                raise ConnectionResetError("suno-mock: injected connection reset (fault: reset)")
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
            await _settle()
            return
        if self.fault is ConnectionFault.TRUNCATED:
            body = b'{"code":200,"msg":"success","data":{"taskId":"'
            await send(self._start(len(body) + 64))
            if transport is None:
                await send({"type": "http.response.body", "body": body})
                return
            await send({"type": "http.response.body", "body": body, "more_body": True})
            transport.close()
            await _settle()
            return
        body = self.garbage if self.fault is ConnectionFault.GARBAGE else b""
        await send(self._start(len(body)))
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _start(length: int) -> dict[str, Any]:
        return {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(length).encode())],
        }
