"""Run-time settings of one mock instance (the profile switches live in ``providers``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .envelope import StatusMode
from .errors import ConfigError

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
    #: Requests kept in the request journal (oldest dropped first).
    journal_size: int = 10_000

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
