"""What a fault rule is and what it decides: codes, outcomes, delays, connection and callback faults."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .._kind import FailureText
from .._lifecycle import PROGRESS_STAGES, Failure, Stage, Status, Step

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
#: The message of a forced callback code other than its status's own: the callback pages' status tables
#: (seed 003: 400 "Validation error - Parameter validation failed", 501 "Audio generation failed").
_CALLBACK_MESSAGES = {
    400: "Validation error: parameter validation failed.",
    408: "Rate limited: timeout.",
    413: "Conflict: uploaded audio matches an existing work.",
    451: "Download failed: unable to download the source files.",
    500: "Server error.",
    501: "Audio generation failed.",
    531: "Generation failed. Your credits have been refunded. Please try again.",
}
#: Callback stages a rule may skip, duplicate or delay.
CALLBACK_STAGES: tuple[Stage, ...] = (*PROGRESS_STAGES, Stage.ERROR)
#: Failure statuses that happen when the task is created, before any stage.
AT_CREATION = frozenset({Status.CREATE_TASK_FAILED})
#: Body fields the sensitive-word filter reads (``prompt`` holds the lyrics in custom mode).
SENSITIVE_FIELDS = ("prompt", "style", "title", "tags", "negativeTags")
#: Longest delay any distribution may produce (ms), so a lognormal tail cannot hang a client.
MAX_DELAY_MS = 60_000.0
#: Mock seconds between callbacks delivered out of order.
OUT_OF_ORDER_GAP_S = 1.0


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

    status: str
    stage: Stage
    code: int
    message: str

    @classmethod
    def of(
        cls,
        status: str,
        texts: Mapping[str, FailureText],
        code: int | None = None,
        stage: str | None = None,
        message: str | None = None,
    ) -> Outcome:
        """The documented defaults for ``status`` (from its job kinds' ``texts``) unless given."""
        text = texts[status]
        code = code or text.code
        if message is None:
            message = text.message if code == text.code else _CALLBACK_MESSAGES.get(code, text.message)
        at = Stage(stage) if stage else text.stage
        return cls(status, at, code, message)

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
    """The (mock time, step) callback deliveries of a schedule's steps with a stage, in delivery order.

    Without faults each step is delivered once at its time.  ``skip`` drops stages,
    ``delay_s`` moves them later, ``duplicate`` delivers them twice, and ``out_of_order``
    delivers every kept stage in reverse order, starting at the latest time, 1 mock s apart.
    """
    if not faults:
        return [(step.at, step) for step in steps if step.stage is not None]
    delays = dict(faults.delay_s)
    kept = [step for step in steps if step.stage is not None and step.stage not in faults.skip]
    times = [step.at + (delays.get(step.stage, 0.0) if step.stage is not None else 0.0) for step in kept]
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
    #: Failure statuses the task this operation creates can end in (its job kind's).
    outcomes: frozenset[str] = frozenset()
    #: Whether the operation shows a task (a details endpoint), and the query field naming it.
    details_field: str | None = None


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
        if self.outcome is not None and self.outcome.status == Status.CALLBACK_EXCEPTION:
            # the mock models CALLBACK_EXCEPTION as a delivery that failed: the error callback is never sent
            callbacks = CallbackFaults(skip=frozenset({Stage.ERROR})).merged(callbacks)
        if self.outcome is None and not callbacks:
            return None
        return TaskFaults(self.outcome.failure() if self.outcome else None, callbacks or None)
