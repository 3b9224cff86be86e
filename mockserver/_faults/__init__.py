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

from .connection import FaultResponse, remember_transport
from .injector import NOTHING, FaultInjector
from .matching import RateLimiter, RateLimits, decide, sensitive_word
from .model import (
    CALLBACK_CODES,
    RATE_LIMIT_CODE,
    RESPONSE_MESSAGES,
    CallbackFaults,
    ConnectionFault,
    Decision,
    Delay,
    Facts,
    Match,
    Outcome,
    Rule,
    RuleCount,
    TaskFaults,
    deliveries,
)
from .rules import Catalog, FaultConfig, header_rule, load_faults, parse_faults

__all__ = [
    "CALLBACK_CODES",
    "NOTHING",
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
