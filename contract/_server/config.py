"""What the server suite tests and how hard: :class:`SuiteConfig`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .. import _rules as rules

__all__ = ["ASGIApp", "Clock", "Progress", "Sleep", "SuiteConfig"]

ASGIApp = Callable[..., Any]
Progress = Callable[[str], None]
#: Lets ``seconds`` pass (:func:`time.sleep`, or a test's sleep that moves a mock's virtual clock).
Sleep = Callable[[float], None]
#: Seconds on a monotonic clock (:func:`time.monotonic`), what the suite's deadlines are read on.
Clock = Callable[[], float]


@dataclass
class SuiteConfig:
    """What to test and how hard."""

    provider: str
    token: str
    #: Base URL of the server; ignored for the host when ``app`` is given (in-process).
    base_url: str = "http://testserver"
    #: An ASGI application to test in-process (no network).
    app: ASGIApp | None = None
    #: Creating calls that may succeed allowed against a non-loopback URL.
    spend_budget: int = 0
    #: Hypothesis examples per operation and generation mode (and per drawn-probe group).
    max_examples: int = 25
    seed: int = 0
    #: A finished task (and one of its tracks) on a real endpoint, for the stateful checks.
    task_id: str | None = None
    audio_id: str | None = None
    #: Seconds to wait for a created task to reach a terminal state.
    lifecycle_timeout: float = 60.0
    #: Seconds between record-info polls (kie documents at most 3 per second per task).
    poll_interval: float = 0.4
    #: Seconds to wait, at the end, for callbacks still due.
    callback_wait: float = 2.0
    #: Fail when no callback arrives at all for a task that named the local receiver.
    require_callbacks: bool = False
    #: Seconds the loopback receiver holds its answer to the callbacks of one more task per family
    #: with documented retries: set it above the server's receiver timeout, and every delivery times
    #: out, so the server must deliver again as documented. None: not probed (against the documented
    #: 10-15 s timeouts it costs that long per attempt).
    callback_hold: float | None = None
    #: Run the Schemathesis-generated requests (off: only the hand-written probes).
    schemathesis: bool = True
    #: An httpx transport for HTTP targets (tests use it to keep traffic on the machine).
    transport: httpx.BaseTransport | None = None
    progress: Progress | None = None
    #: How the suite lets time pass: between polls, before reading a finished task again, while
    #: callbacks are still due. Real time by default; a test of the suite against a mock on its
    #: virtual clock passes one that moves that clock instead (and ``clock`` counting what it slept),
    #: so no real time passes and nothing races it.
    sleep: Sleep = time.sleep
    #: The clock the lifecycle deadline (``lifecycle_timeout``) is read on. The wait for callbacks
    #: (``callback_wait``) is for deliveries to arrive over the network: it keeps real time, and
    #: ends as soon as they have.
    clock: Clock = time.monotonic

    def __post_init__(self) -> None:
        if self.provider not in rules.PROVIDERS:
            raise ValueError(f"unknown provider {self.provider!r}: choose one of {', '.join(rules.PROVIDERS)}")
        if self.spend_budget < 0:
            raise ValueError("spend_budget must be >= 0")
        if self.callback_hold is not None and not self.callback_hold > 0:
            raise ValueError("callback_hold must be > 0 seconds (or None: not probed)")
