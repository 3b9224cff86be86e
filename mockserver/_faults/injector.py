"""The fault injector: rules by level, counters, the rate limiter and the thin async part."""

from __future__ import annotations

import asyncio
import json
import math
import random
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .._codeset import rate_limit_code
from .._config import Settings
from .._errors import ApiError
from .._lifecycle import Status
from .._providers import get_profile
from .._redact import fingerprint
from .._spec import Operation
from .connection import FaultResponse
from .matching import LocalCounts, RateLimiter, RateLimits, decide, sensitive_word
from .model import RATE_LIMIT_CODE, RESPONSE_MESSAGES, Decision, Facts, Outcome, Rule, RuleCount
from .rules import _MOCK_HEADERS, Catalog, FaultConfig, header_rule, load_faults, parse_faults

if TYPE_CHECKING:
    from .._store import SharedState

#: The decision when no rule could act: ``decide`` returns this very object (``apply`` of it does nothing).
NOTHING = Decision()
_NOTHING = NOTHING


class SharedLimiter(RateLimiter):
    """Rate-limit windows kept in a shared store: every process counts the same calls."""

    def __init__(self, shared: SharedState) -> None:
        super().__init__()
        self._shared = shared

    def admit(self, key: tuple[str, str], limit: int, window_s: float, now: float) -> float | None:
        return self._shared.admit("\x1f".join(key), limit, window_s, now)

    def clear(self) -> None:
        """The store's reset clears the windows."""


class SharedCounts:
    """Rule counters kept in a shared store: "fail the next 2 calls" means the next 2 of every process.

    ``names`` maps a rule's counter key to the name it is counted under in the store (an admin
    rule's includes the log entry that made it, so that replacing a rule restarts its count on
    every process). The header rule of one request is counted in this process only.
    """

    def __init__(self, shared: SharedState, names: dict[str, str], local: dict[str, RuleCount]) -> None:
        self._shared = shared
        self._names = names
        self._local = LocalCounts(local)

    def call(self, key: str) -> tuple[int, int]:
        if key == "headers":
            return self._local.call(key)
        return self._shared.count_call(self._names.get(key, key))

    def fire(self, key: str, times: int | None) -> bool:
        if key == "headers":
            return self._local.fire(key, times)
        return self._shared.count_fire(self._names.get(key, key), times)

    def read(self, key: str) -> RuleCount:
        return RuleCount(*self._shared.count_read(self._names.get(key, key)))


def _without_keys(source: Mapping[str, Any]) -> dict[str, Any]:
    """A rule as written, its ``when.token`` keys shown by fingerprint (the inspector shows no key)."""
    shown = dict(source)
    when = shown.get("when")
    if isinstance(when, Mapping) and "token" in when:
        tokens = when["token"]
        listed = tokens if isinstance(tokens, list) else [tokens]
        hidden = [fingerprint(t) if isinstance(t, str) else t for t in listed]
        shown["when"] = {**when, "token": hidden if isinstance(tokens, list) else hidden[0]}
    return shown


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
        #: The served profile (the code of the rate limit depends on its code set).
        self.profile = get_profile(catalog.provider, settings.profile_overrides)
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
        #: A store shared by processes: the admin rules are a log of POST/DELETE documents kept there.
        self._shared: SharedState | None = None
        self._seen: bytes | None = None
        #: On a shared store: the name each rule is counted under there (see :class:`SharedCounts`).
        self._names: dict[str, str] = {}
        self._counts: SharedCounts | None = None

    def share(self, shared: SharedState) -> None:
        """Keep the admin rules and the rate-limit windows in ``shared``, as every process on it does."""
        self._shared = shared
        self.limiter = SharedLimiter(shared)
        self._counts = SharedCounts(shared, self._names, self.counters)
        if self.window_now is time.monotonic:
            self.window_now = time.time  # one time for every process on the store
        self._sync()

    def _sync(self) -> None:
        """Replay the shared log of admin changes if another process (or this one) changed it."""
        shared = self._shared
        assert shared is not None
        version = shared.get_value("faults.version")
        if version == self._seen:
            return
        self._seen = version
        log = json.loads(shared.get_value("faults.admin") or b"[]")
        self.admin = FaultConfig()
        for key in [k for k in self.counters if k.startswith("admin/")]:
            del self.counters[key]
        self._names.clear()
        for op, argument, *entry in log:  # entries of a store written before counters were shared: no entry id
            if op == "configure":
                self._configure(argument, entry[0] if entry else "")
            else:
                self._clear(argument)

    def _publish(self, op: str, argument: Any, entry: str = "") -> None:
        shared = self._shared
        assert shared is not None
        log = [] if op == "clear" and argument is None else json.loads(shared.get_value("faults.admin") or b"[]")
        if not (op == "clear" and argument is None):
            log.append([op, argument, entry])
        version = secrets.token_hex(8).encode()
        shared.set_value("faults.admin", json.dumps(log).encode())
        shared.set_value("faults.version", version)
        self._seen = version

    def _rng(self) -> random.Random:
        return random.Random(f"suno-mock-faults:{self.seed}") if self.seed is not None else random.Random()

    def reset(self) -> None:
        """Restart counters, rate windows and the random sequence; rules stay."""
        self.counters.clear()
        if self._shared is not None:
            self._shared.count_forget()
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
        if self._shared is None:
            self._configure(document)
            return
        self._sync()
        before = set(self._names.values())
        entry = secrets.token_hex(6)
        self._configure(document, entry)  # raises for a bad document before it is shared
        self._publish("configure", document, entry)
        self._shared.count_forget(sorted(before - set(self._names.values())))  # the replaced rules' counts

    def _configure(self, document: Any, entry: str = "") -> None:
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
            if entry:
                self._names[f"admin/{rule.name}"] = f"admin/{rule.name}#{entry}"
        self.admin = FaultConfig(
            tuple(rules),
            incoming.rate_limits if incoming.rate_limits is not None else self.admin.rate_limits,
            incoming.sensitive_words if incoming.sensitive_words is not None else self.admin.sensitive_words,
        )

    def clear(self, name: str | None = None) -> bool:
        """``DELETE /_mock/faults``: drop the admin level, or one admin rule; False if no such rule."""
        if self._shared is None:
            return self._clear(name)
        self._sync()
        before = set(self._names.values())
        if not self._clear(name):
            return False
        self._publish("clear", name)
        self._shared.count_forget(sorted(before - set(self._names.values())))
        return True

    def _clear(self, name: str | None) -> bool:
        if name is None:
            self.admin = FaultConfig()
            for key in [k for k in self.counters if k.startswith("admin/")]:
                del self.counters[key]
            self._names.clear()
            return True
        if not any(r.name == name for r in self.admin.rules):
            return False
        self.admin = replace(self.admin, rules=tuple(r for r in self.admin.rules if r.name != name))
        self.counters.pop(f"admin/{name}", None)
        self._names.pop(f"admin/{name}", None)
        return True

    def describe(self, latest: int = 100) -> dict[str, Any]:
        if self._shared is not None:
            self._sync()
        limits = self.rate_limits
        rules = []
        for level, config in (("admin", self.admin), ("file", self.file)):
            for rule in config.rules:
                count = self._count(f"{level}/{rule.name}")
                rules.append(
                    {
                        "level": level,
                        "name": rule.name,
                        "calls": count.calls,
                        "fired": count.fired,
                        "rule": _without_keys(rule.source),
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
        if self._shared is not None:
            self._sync()
        return self._count(f"{level}/{name}").fired

    def _count(self, key: str) -> RuleCount:
        if self._counts is not None:
            return self._counts.read(key)
        return self.counters.get(key, RuleCount())

    # per request ---------------------------------------------------------------------------
    def _configured(self) -> bool:
        """``rules or sensitive_words or rate_limits.enabled``, read from the levels without building either.

        The properties make a sorted tuple and a RateLimits on every call; this runs on every request.
        """
        admin, file, base = self.admin, self.file, self.base
        if admin.rules or file.rules:
            return True
        if admin.sensitive_words is not None:
            if admin.sensitive_words:
                return True
        elif base.sensitive_words or file.sensitive_words:
            return True
        if admin.rate_limits is not None:
            return admin.rate_limits.enabled
        return (file.rate_limits is not None and file.rate_limits.enabled) or (
            base.rate_limits is not None and base.rate_limits.enabled
        )

    def decide(
        self,
        operation: Operation,
        token: str,
        body: Mapping[str, Any],
        query: Mapping[str, str],
        headers: Mapping[str, str],
    ) -> Decision:
        """Everything that happens to this request; raises ApiError 422 for a malformed X-Mock-* header."""
        if self._shared is not None:
            self._sync()
        if not self._configured() and not (self.header_overrides and not headers.keys().isdisjoint(_MOCK_HEADERS)):
            return _NOTHING  # nothing is configured that could act: the common case, kept cheap
        facts = self.catalog.facts(operation, token, body, query)
        rules: list[tuple[str, Rule]] = []
        if self.header_overrides and (from_headers := header_rule(headers, facts, self.catalog.texts)) is not None:
            rules.append(("headers", from_headers))
        rules += [(f"admin/{r.name}", r) for r in self.admin.rules]
        rules += [(f"file/{r.name}", r) for r in self.file.rules]
        decision = decide(rules, facts, self.counters if self._counts is None else self._counts, self.random)
        answered = decision.code is not None or decision.fault is not None
        if Status.SENSITIVE_WORD_ERROR in facts.outcomes and not answered and decision.outcome is None:
            word = sensitive_word(body, self.sensitive_words)
            if word is not None:
                outcome = Outcome.of(Status.SENSITIVE_WORD_ERROR, self.catalog.texts)
                decision = replace(decision, outcome=outcome, rules=(*decision.rules, f"sensitive word {word!r}"))
        if not answered and (limited := self._limited(facts)) is not None:
            message, wait = limited
            decision = replace(
                decision,
                code=rate_limit_code(operation, self.profile),
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
                    decision.outcome.status if decision.outcome else None,
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
        elif (field := facts.details_field) is not None and field in facts.query:
            key = ("record-info", facts.query[field])
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
