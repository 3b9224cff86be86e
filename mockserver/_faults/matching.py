"""Pure matching: which rules apply to a request, what they decide; sensitive words; the rate limiter."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from .model import RESPONSE_MESSAGES, SENSITIVE_FIELDS, ConnectionFault, Decision, Facts, Rule, RuleCount


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
    if rule.outcome is not None and rule.outcome.status not in facts.outcomes:
        return False  # this operation's kind cannot end that way
    return facts.creating or (rule.outcome is None and not rule.callbacks)


class Counts(Protocol):
    """Where the rules' counters are kept: this process's dict, or a store every process shares."""

    def call(self, key: str) -> tuple[int, int]:
        """Count one matching call of ``key``; its ``(calls, fired)`` afterwards."""
        ...

    def fire(self, key: str, times: int | None) -> bool:
        """Count one firing unless ``key`` has fired ``times`` times already (False: another process took it)."""
        ...


class LocalCounts:
    """The counters of one process, in a dict."""

    __slots__ = ("counters",)

    def __init__(self, counters: MutableMapping[str, RuleCount]) -> None:
        self.counters = counters

    def call(self, key: str) -> tuple[int, int]:
        count = self.counters.setdefault(key, RuleCount())
        count.calls += 1
        return count.calls, count.fired

    def fire(self, key: str, times: int | None) -> bool:
        count = self.counters[key]
        if times is not None and count.fired >= times:
            return False
        count.fired += 1
        return True


def decide(
    rules: Sequence[tuple[str, Rule]],
    facts: Facts,
    counters: MutableMapping[str, RuleCount] | Counts,
    rng: random.Random,
) -> Decision:
    """Apply ``rules`` (``(counter key, rule)``, highest priority first) to one request.

    A rule that applies counts the call; it acts when its ``nth`` includes that count, its
    ``times`` are not used up, it offers an aspect no earlier rule took, and its probability
    draw succeeds.  Random draws come only from ``rng``, in rule order.  The firing is counted
    last, in one step that checks ``times`` again: with counters shared by several processes,
    of two that both saw the last firing free only one takes it.
    """
    counts: Counts = LocalCounts(counters) if isinstance(counters, MutableMapping) else counters
    taken: dict[str, Rule] = {}
    fired: list[str] = []
    for key, rule in rules:
        if not _applies(rule, facts):
            continue
        calls, times_fired = counts.call(key)
        if rule.when.nth and calls not in rule.when.nth:
            continue
        if rule.times is not None and times_fired >= rule.times:
            continue
        offered = rule.aspects() - taken.keys()
        if not offered:
            continue
        if rule.when.probability is not None and not rng.random() < rule.when.probability:
            continue
        if not counts.fire(key, rule.times):
            continue
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
