"""Run-time settings of one mock instance (the profile switches live in ``providers``)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._envelope import StatusMode
from ._errors import ConfigError

if TYPE_CHECKING:
    from ._store import StateStore

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """What ``suno-mock serve`` flags and ``create_app(...)`` keywords set."""

    #: Accepted API keys; empty accepts any non-empty Bearer token.
    tokens: frozenset[str] = frozenset()
    #: ``body`` answers HTTP 200 with the outcome in ``code``; ``mirror`` copies it to the status.
    http_status: StatusMode = StatusMode.BODY
    #: Makes every random choice (ids, durations, audio) reproducible.
    seed: int | None = None
    #: Larger request bodies are refused with the validation code.
    max_body_bytes: int = 256 * 1024
    #: Starting balance of every token; creating calls draw it down.
    credits: int = 1_000_000
    #: Credits one task-creating call costs.
    credits_per_task: int = 1
    #: ``key=value`` overrides of the provider profile's switches.
    profile_overrides: dict[str, str] = field(default_factory=dict)
    #: Requests and callback attempts kept in the journals (oldest dropped first).
    journal_size: int = 10_000
    #: Mock seconds per real second: 50 completes a song (150 s) in 3 s. Ignored with a virtual clock.
    time_scale: float = 50.0
    #: A clock that moves only when told (``POST /_mock/clock/advance``, ``await app.advance(s)``).
    virtual_clock: bool = False
    #: Mock time at start-up (unix seconds); default: now, or 2026-01-01 00:00 UTC with a seed.
    start_time: float | None = None
    #: Hosts callbacks may go to besides loopback.
    callback_allow: frozenset[str] = frozenset()
    #: With a key, callbacks carry kie-style X-Webhook-Timestamp and X-Webhook-Signature headers.
    webhook_key: str | None = None
    #: Real seconds a receiver has per attempt; default: the documented 15 s (music), 10 s (replace).
    callback_timeout_s: float | None = None
    #: Fault rules: a YAML file path or an already-parsed document (see faults.example.yaml).
    faults: str | os.PathLike[str] | Mapping[str, Any] | None = None
    #: Honour the X-Mock-Code, X-Mock-Outcome, X-Mock-Delay-Ms and X-Mock-Fault request headers.
    header_overrides: bool = True
    #: Enforce the documented rate limits (20 creating calls per 10 s per key, 3 record-info per s per task).
    rate_limits: bool = False
    #: A prompt, style, title or tags containing one of these fails with SENSITIVE_WORD_ERROR.
    sensitive_words: frozenset[str] = frozenset()
    #: With a token, the admin API (/_mock, the inspector's data) needs it; see mockserver/_inspector/guard.py.
    admin_token: str | None = None
    #: Where tasks, deliveries, journals, clock and fault rules live: ``memory``, ``sqlite:PATH``,
    #: ``redis://HOST:PORT/DB`` or a store object; None: ``$SUNO_MOCK_STORE``, else memory.
    store: str | StateStore | None = None
    #: At most this many tasks are held: past it, the oldest made are forgotten first (None: no bound).
    max_tasks: int | None = None
    #: Mock seconds a task's record stays after its files expired (the profile's ``retention_days``).
    retention_grace_s: float = 86400.0
    #: Real seconds between two looks at a shared store's deliveries when no news came (scaled clock).
    #: News wakes a process at once (Redis pub/sub; SQLite's change counter); the poll is the fallback.
    store_poll_s: float = 0.05

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "http_status", StatusMode(self.http_status))
        except ValueError:
            raise ConfigError(f"http_status={self.http_status!r} is not allowed; use 'body' or 'mirror'") from None
        for name in ("max_body_bytes", "credits_per_task", "journal_size"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name}={getattr(self, name)} is not allowed; use a number >= 0")
        if any(not token or any(ch.isspace() for ch in token) for token in self.tokens):
            raise ConfigError("tokens must be non-empty and contain no spaces")
        object.__setattr__(self, "tokens", frozenset(self.tokens))
        object.__setattr__(self, "callback_allow", frozenset(self.callback_allow))
        if any(not word.strip() for word in self.sensitive_words):
            raise ConfigError("sensitive_words must be non-empty strings")
        object.__setattr__(self, "sensitive_words", frozenset(w.strip() for w in self.sensitive_words))
        if self.admin_token is not None and (not self.admin_token or any(c.isspace() for c in self.admin_token)):
            raise ConfigError("admin_token must be non-empty and contain no spaces")
        if not self.time_scale > 0:
            raise ConfigError(f"time_scale={self.time_scale} is not allowed; use a number > 0 (or virtual_clock)")
        if self.max_tasks is not None and (isinstance(self.max_tasks, bool) or self.max_tasks < 1):
            raise ConfigError(f"max_tasks={self.max_tasks} is not allowed; use a number of tasks >= 1 (or None)")
        if not (self.store_poll_s > 0 and math.isfinite(self.store_poll_s)):
            raise ConfigError(f"store_poll_s={self.store_poll_s} is not allowed; use real seconds > 0")
        if not self.retention_grace_s >= 0:
            raise ConfigError(f"retention_grace_s={self.retention_grace_s} is not allowed; use mock seconds >= 0")
        if self.callback_timeout_s is not None and not self.callback_timeout_s > 0:
            raise ConfigError(f"callback_timeout_s={self.callback_timeout_s} is not allowed; use a number > 0")
