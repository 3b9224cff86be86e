"""The server conformance suite: does a server at a base URL follow its provider profile's rules?

Usage from Python::

    from contract._server import SuiteConfig, run_server_suite
    result = run_server_suite(SuiteConfig(provider="kie", token="t", app=asgi_app))   # in-process
    result = run_server_suite(SuiteConfig(provider="kie", token="t", base_url="http://127.0.0.1:8000"))
    assert result.ok, result.summary()

What it sends (in this order): a probe for the mock's admin API, ``GET /openapi.json`` to learn
which operations the server declares (the contract's table, :mod:`contract._families`, says what
each one must do; a family is exercised when its operations are declared), the authentication
and not-found checks, malformed bodies, the lifecycle of one task per served family (polled to a
final state, then read again: a finished task must stay the same), the probes
:mod:`contract._requests` derives from the table, a second call of each once-only operation
(cover image, persona, WAV) on the task or track of its first, drawn boundary probes, and
requests generated from the bundled document by Schemathesis (positive and negative). Every
answer is judged by :mod:`contract._checks` against the rules of :mod:`contract._rules` (a body
that breaks only a rule the documents disagree on may be accepted or rejected); the summary
ends with the coverage table: per documented rule, how many probes were sent and whether it held.

Once-only operations: on the mock, every probe that names a task or track an earlier call
already used is moved onto a freshly seeded task (``POST /_mock/tasks``), so probes that must
be accepted still can be; elsewhere the documented repeat answer is accepted for them too.

No spending by accident: against a non-loopback URL, a creating call that the rules say could
succeed is sent only while ``spend_budget`` allows; every such call is counted.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import secrets
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from mockserver import openapi

from . import _checks as checks
from . import _families as families
from . import _rules as rules
from ._checking import is_integer
from ._checks import CHECKS, Exchange, ResponseShapes
from ._families import CALLBACK, UNKNOWN_TASK, Family, Operation, Probe, Source, Track
from ._requests import boundary_probes, derived_probes, valid_body, valid_query
from ._sources import foreign_tracks, past_retention

__all__ = [
    "CallbackReceiver",
    "Outcome",
    "RuleOutcome",
    "SpendGuard",
    "SuiteConfig",
    "SuiteResult",
    "run_server_suite",
    "suite_session",
]

ASGIApp = Callable[..., Any]
Progress = Callable[[str], None]
_NO_BODY: Any = object()


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
    #: Run the Schemathesis-generated requests (off: only the hand-written probes).
    schemathesis: bool = True
    #: An httpx transport for HTTP targets (tests use it to keep traffic on the machine).
    transport: httpx.BaseTransport | None = None
    progress: Progress | None = None

    def __post_init__(self) -> None:
        if self.provider not in rules.PROVIDERS:
            raise ValueError(f"unknown provider {self.provider!r}: choose one of {', '.join(rules.PROVIDERS)}")
        if self.spend_budget < 0:
            raise ValueError("spend_budget must be >= 0")


@dataclass
class Outcome:
    """Passes and failures of one check on one operation, with the first failure's example."""

    check: str
    operation: str
    passed: int = 0
    failed: int = 0
    message: str = ""
    curl: str = ""


@dataclass
class RuleOutcome:
    """How many probes exercised one documented rule, and the first failure among them."""

    rule: str
    probes: int = 0
    failed: int = 0
    message: str = ""

    @property
    def held(self) -> bool:
        return self.failed == 0


@dataclass
class SpendGuard:
    """Counts creating calls that may succeed and refuses them past the budget on remote targets."""

    loopback: bool
    budget: int
    sent: int = 0
    withheld: int = 0
    log: list[str] = field(default_factory=list)

    def allow(self, label: str) -> bool:
        """Whether a creating call that may succeed may be sent now (and count it if so)."""
        if not self.loopback and self.sent >= self.budget:
            self.withheld += 1
            return False
        self.sent += 1
        self.log.append(label)
        return True


@dataclass
class SuiteResult:
    """Everything the run found."""

    provider: str
    base_url: str
    outcomes: dict[tuple[str, str], Outcome]
    notes: list[str]
    spend: SpendGuard
    requests: int
    examples: int
    elapsed: float
    is_mock: bool
    #: Documented rule -> probes sent and whether it held (the coverage table).
    coverage: dict[str, RuleOutcome] = field(default_factory=dict)
    #: The operations the run exercised (those the served spec declares).
    operations: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not any(o.failed for o in self.outcomes.values())

    def failures(self) -> list[Outcome]:
        """The outcomes with at least one failure."""
        return [o for o in self.outcomes.values() if o.failed]

    def failed_checks(self) -> set[str]:
        """Names of the checks that failed at least once."""
        return {o.check for o in self.failures()}

    @property
    def examples_per_second(self) -> float:
        return self.examples / self.elapsed if self.elapsed > 0 else 0.0

    def coverage_table(self) -> str:
        """One line per documented rule: held or FAILED, the probes sent, the rule (and the first failure)."""
        entries = sorted(self.coverage.values(), key=lambda r: r.rule)
        held = sum(r.held for r in entries)
        probes = sum(r.probes for r in entries)
        lines = [f"rule coverage: {held} of {len(entries)} documented rules held, {probes} probes"]
        for entry in entries:
            mark = "held  " if entry.held else "FAILED"
            tail = f"  -- {entry.failed} failed: {entry.message}" if entry.failed else ""
            lines.append(f"  {mark} {entry.probes:4d}  {entry.rule}{tail}")
        return "\n".join(lines)

    def summary(self) -> str:
        """A plain-text table: check, operation, passed, failed, example of failure."""
        rows = [("check", "operation", "passed", "failed", "example of failure")]
        for o in sorted(self.outcomes.values(), key=lambda o: (o.check, o.operation)):
            example = f"{o.message}\n    {o.curl}" if o.failed else ""
            rows.append((o.check, o.operation, str(o.passed), str(o.failed), example))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = []
        for row in rows:
            head = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4]))
            lines.append(f"{head}  {row[4]}".rstrip())
        lines.append("")
        lines.append(
            f"{self.provider} at {self.base_url}: {self.requests} requests, {self.examples} examples in "
            f"{self.elapsed:.1f} s ({self.examples_per_second:.0f}/s); creating calls that may succeed: "
            f"{self.spend.sent} sent (budget {self.spend.budget}"
            f"{', loopback: not limited' if self.spend.loopback else ''}), {self.spend.withheld} withheld"
        )
        lines += [f"note: {n}" for n in self.notes]
        lines.append(self.coverage_table())
        verdict = "PASSED" if self.ok else f"FAILED: {', '.join(sorted(self.failed_checks()))}"
        lines.append(verdict)
        return "\n".join(lines)


# -- the callback receiver -----------------------------------------------------------------------


#: The most delivery attempts any document allows (3: replace-section, sunoapi music); families that
#: document no retries are held to it.
MOST_ATTEMPTS = 3
#: Callbacks POSTed under this path are refused on purpose (HTTP 500): the sender must retry as documented.
REFUSE = "/refuse/"


class CallbackReceiver:
    """A local HTTP server on 127.0.0.1 that records the callbacks POSTed to it (refusing those under REFUSE)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    payload: Any = json.loads(raw)
                except ValueError:
                    payload = raw.decode("utf-8", "replace")
                with receiver._lock:
                    receiver.received.append((self.path, payload))
                refuse = self.path.startswith(REFUSE)
                answer = b'{"code":500,"msg":"refused on purpose"}' if refuse else b'{"code":200,"msg":"success"}'
                self.send_response(500 if refuse else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the receiver."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def for_path(self, path: str) -> list[Any]:
        """Payloads received on ``path``, in arrival order."""
        with self._lock:
            return [payload for p, payload in self.received if p == path]


# -- the suite -----------------------------------------------------------------------------------


def _codes(codes: list[int]) -> str:
    return " or ".join(map(str, codes))


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _echoed_key(exchange: Exchange) -> str | None:
    """A refusal must not show the key it was sent (its msg may name the problem and a fingerprint)."""
    sent = exchange.request.headers.get("authorization", "")
    key = sent.split(" ", 1)[1] if " " in sent else sent
    if len(key) < 8 or exchange.response is None:
        return None
    if key in exchange.response.content.decode("utf-8", "replace"):
        return f"the 401 answer shows the API key it was sent ({key[:4]}...): show a fingerprint at most"
    return None


@dataclass
class _Expected:
    """A task the lifecycle created, whose callbacks are checked at the end."""

    task_id: str
    family: Family
    path: str
    operation: str
    #: The receiver refuses every delivery on purpose: the callbacks must be retried as documented.
    refused: bool = False


#: How often a finished task is read again (the time checks).
REREADS = 3


class _Suite:
    def __init__(self, config: SuiteConfig, client: httpx.Client, loopback: bool) -> None:
        self.config = config
        self.provider = config.provider
        self.client = client
        self.loopback = loopback
        self.shapes = ResponseShapes(config.provider)
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self.coverage: dict[str, RuleOutcome] = {}
        self.notes: list[str] = []
        self.spend = SpendGuard(loopback=loopback, budget=config.spend_budget)
        self.requests = 0
        self.examples = 0
        self.is_mock = False
        #: The table's operations this run exercises (those the served spec declares).
        self.served: dict[str, Operation] = {}
        #: Finished tasks requests may name, by family (the music fixture, then what the lifecycle made).
        self.sources: dict[str, Source] = {}
        #: More finished music tasks seeded on the mock, so that each probe of a once-only operation
        #: that must be accepted names a task or track no earlier call used.
        self.fresh: list[Source] = []
        #: (operation, task or track id) a once-only operation has already been called on.
        self.spent: set[tuple[str, str]] = set()
        self.expected_callbacks: list[_Expected] = []
        self.receiver: CallbackReceiver | None = None

    @property
    def task(self) -> Source | None:
        """The finished music task the stateful checks edit."""
        return self.sources.get("music")

    def source_for(self, operation: str) -> Source | None:
        needs = families.operation(operation).needs
        return self.sources.get(needs) if needs else None

    # reporting ---------------------------------------------------------------------------------
    def progress(self, text: str) -> None:
        if self.config.progress:
            self.config.progress(f"[{self.provider}] {text}")

    def record(self, check: str, operation: str, failure: str | None, exchange: Exchange | None) -> None:
        outcome = self.outcomes.setdefault((check, operation), Outcome(check, operation))
        if failure is None:
            outcome.passed += 1
            return
        outcome.failed += 1
        if outcome.failed == 1:
            outcome.message = failure
            outcome.curl = exchange.curl() if exchange else ""
            self.progress(f"FAIL {check} {operation}: {failure}")

    def cover(self, rule: str, failure: str | None) -> None:
        """Count one probe of a documented rule (the coverage table)."""
        if not rule:
            return
        entry = self.coverage.setdefault(rule, RuleOutcome(rule))
        entry.probes += 1
        if failure is not None:
            entry.failed += 1
            entry.message = entry.message or failure

    # sending -----------------------------------------------------------------------------------
    def send(
        self,
        operation: str,
        *,
        body: Any = _NO_BODY,
        raw: bytes | None = None,
        content_type: str | None = "application/json",
        query: Mapping[str, Any] | None = None,
        auth: str = "valid",
        path: str | None = None,
        method: str | None = None,
        track: Track | None = None,
        label: str = "",
    ) -> Exchange | None:
        """Send one request through the spend guard; None when the guard withheld it."""
        entry = families.OPERATIONS.get(operation)
        op_method, op_path = (entry.method, entry.path_for(self.provider)) if entry else ("GET", "/")
        headers: dict[str, str] = {}
        if auth == "valid":
            headers["Authorization"] = f"Bearer {self.config.token}"
        elif auth == "bad":
            headers["Authorization"] = f"Bearer invalid-{secrets.token_hex(8)}"
        elif auth == "raw":
            headers["Authorization"] = self.config.token
        elif auth == "basic":
            headers["Authorization"] = "Basic dXNlcjpwYXNz"
        content: bytes | None = raw
        if body is not _NO_BODY:
            content = json.dumps(body, ensure_ascii=False).encode()
        if content is not None and content_type:
            headers["Content-Type"] = content_type
        request = self.client.build_request(
            method or op_method,
            path or op_path,
            params=dict(query) if query else None,
            headers=headers,
            content=content,
        )
        exchange = Exchange(operation, request, meta={"auth": auth, "label": label})
        if entry is not None and entry.creates and self._may_succeed(exchange, track):
            if not self.spend.allow(f"{operation} {label}".strip()):
                return None
            exchange.meta["may_succeed"] = True
        self.requests += 1
        try:
            exchange.response = self.client.send(request)
            exchange.response.read()
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
        return exchange

    def sent_body(self, exchange: Exchange) -> tuple[bool, Any]:
        """(is JSON, decoded body) of what was actually sent."""
        req = exchange.request
        if not req.content:
            return True, None
        if req.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return False, None
        try:
            return True, json.loads(req.content)
        except ValueError:
            return False, None

    def _may_succeed(self, exchange: Exchange, track: Track | None) -> bool:
        if exchange.meta.get("auth") != "valid":
            return False  # no valid key: nobody can be billed
        is_json, body = self.sent_body(exchange)
        if not is_json or not isinstance(body, dict):
            return False
        if rules.request_violations(self.provider, exchange.operation, body):
            return False
        return not (
            track is not None and rules.stateful_violations(self.provider, exchange.operation, body, track.duration)
        )

    # judging -----------------------------------------------------------------------------------
    def judge_shape(self, exchange: Exchange) -> bool:
        """Envelope and response schema; True when both hold."""
        op = exchange.operation
        failure = checks.envelope(exchange)
        self.record("envelope", op, failure, exchange)
        self.cover(f"{op}: every answer is the documented envelope", failure)
        if failure:
            return False
        failure = self.shapes.check_response(exchange)
        self.record("response_schema", op, failure, exchange)
        self.cover(f"{op}: every answer matches its documented schema", failure)
        return failure is None

    def judge(self, exchange: Exchange | None, track: Track | None = None) -> str | None:
        """The rule oracle for a request sent with a valid key; the failure it found, if any."""
        if exchange is None:
            return None
        self.examples += 1
        self.judge_shape(exchange)
        op = exchange.operation
        entry = families.operation(op)
        is_json, body = self.sent_body(exchange)
        query = dict(parse_qsl(exchange.request.url.query.decode(), keep_blank_values=True))
        if not is_json:
            failure = checks.expect_code(exchange, [422], "a body that is not JSON must be rejected")
            self.record("malformed_body", op, failure, exchange)
            return failure
        found = rules.request_violations(self.provider, op, body, query)
        repeat = self._repeated(entry, body)
        if found:
            why = f"breaks the documented rule '{found[0]}'"
            failure = checks.expect_code(exchange, [422, *repeat], why)
            self.record("rejects_invalid", op, failure, exchange)
            return failure
        if track is not None and entry.stateful is not None:
            stateful = rules.stateful_violations(self.provider, op, body, track.duration)
            if stateful:
                why = f"breaks the documented rule '{stateful[0]}'"
                failure = checks.expect_code(exchange, [422, *repeat], why)
                self.record("stateful_rules", op, failure, exchange)
                return failure
        disputed = rules.disputed_violations(self.provider, op, body) if entry.body is not None else []
        if self._ids_known(entry, body, query):
            allowed = [200, 402] if entry.creates else [200]
            why = "keeps every documented rule, so it must not be rejected"
            if disputed:
                allowed.append(422)
                why = f"breaks only '{disputed[0]}', on which the documents disagree, so it is accepted or rejected"
            if repeat:
                why += f"; it names a {entry.once} {op} was already called on"
            failure = checks.expect_code(exchange, [*allowed, *repeat], why)
            self.record("accepts_valid", op, failure, exchange)
            if exchange.code == 200:
                self._spend(entry, body)
        elif 200 in entry.unknown_codes:
            why = "keeps every documented rule (unknown task)"
            failure = checks.expect_code(exchange, list(entry.unknown_codes), why)
            self.record("accepts_valid", op, failure, exchange)
        else:
            why = "names a task or track that does not exist"
            failure = checks.expect_code(exchange, list(entry.unknown_codes), why)
            self.record("not_found", op, failure, exchange)
        return failure

    def _known_sources(self, entry: Operation) -> list[Source]:
        source = self.sources.get(entry.needs) if entry.needs else None
        if source is None:
            return []
        return [source, *self.fresh] if entry.needs == "music" else [source]

    def _ids_known(self, entry: Operation, body: Any, query: Mapping[str, str]) -> bool:
        """Whether every task or track the request names is one the suite knows to exist."""
        if not entry.refs:
            return True
        return self._named_source(entry, body, query) is not None

    def _named_source(self, entry: Operation, body: Any, query: Mapping[str, str] | None = None) -> Source | None:
        """The known finished task whose ids the request names (None: it names an unknown one)."""
        values = {**(query or {}), **(body if isinstance(body, Mapping) else {})}
        for source in self._known_sources(entry):
            if all(self._names(source, ref.names, values[ref.field]) for ref in self._refs(entry, values)):
                return source
        return None

    def _refs(self, entry: Operation, values: Mapping[str, Any]) -> list[families.Ref]:
        return [
            ref
            for ref in entry.refs
            if (ref.providers is None or self.provider in ref.providers) and ref.field in values
        ]

    @staticmethod
    def _names(source: Source, kind: str, value: Any) -> bool:
        if kind == "task":
            return bool(value == source.task_id)
        if kind == "track":
            return value in {t.id for t in source.tracks}
        return is_integer(value) and 0 <= value < len(source.tracks)

    # once-only operations ----------------------------------------------------------------------
    def _once_key(self, entry: Operation, body: Any) -> tuple[str, str] | None:
        """(operation, the task or track id) that a call of a once-only operation uses up."""
        if entry.once is None or not isinstance(body, Mapping):
            return None
        field = next((r.field for r in entry.refs if r.names == entry.once), None)
        value = body.get(field) if field else None
        return (entry.id, value) if isinstance(value, str) else None

    def _spend(self, entry: Operation, body: Any) -> None:
        key = self._once_key(entry, body)
        if key is not None:
            self.spent.add(key)

    def _repeated(self, entry: Operation, body: Any) -> list[int]:
        """The documented repeat codes when ``body`` names a task or track already used up, else []."""
        key = self._once_key(entry, body)
        return list(entry.repeat_codes) if key is not None and key in self.spent else []

    def _fresh_source(self) -> Source | None:
        """A newly seeded finished music task (on the mock only), with the fixture's durations."""
        if not self.is_mock or "music" not in self.sources:
            return None
        durations = [t.duration for t in self.sources["music"].tracks]
        response = self.client.post("/_mock/tasks", json={"durations": durations})
        self.requests += 1
        try:
            data = response.json()["data"]
            tracks = tuple(Track(str(t["id"]), int(t["index"]), float(t["duration"])) for t in data["tracks"])
            source = Source(str(data["taskId"]), tracks)
        except (ValueError, KeyError, TypeError):
            return None
        self.fresh.append(source)
        return source

    def unspent(self, operation: str, body: Any, track: Track | None) -> tuple[Any, Track | None]:
        """The request of a once-only operation moved onto a fresh task when its own was used up.

        Probes that must be accepted then still can be: each names a task (or track) no earlier
        call used. Only the mock can seed fresh tasks; elsewhere the request is left as it is
        and :meth:`judge` accepts the documented repeat answer as well.
        """
        entry = families.operation(operation)
        key = self._once_key(entry, body)
        if key is None or key not in self.spent:
            return body, track
        source = self._named_source(entry, body)
        fresh = self._fresh_source() if source is not None else None
        if source is None or fresh is None:
            return body, track
        moved = dict(body)
        index = next((t.index for t in source.tracks if t.id == body.get("audioId")), 0)
        for ref in self._refs(entry, body):
            if ref.names == "task":
                moved[ref.field] = fresh.task_id
            elif ref.names == "track":
                moved[ref.field] = fresh.tracks[min(index, len(fresh.tracks) - 1)].id
        new_track = fresh.tracks[min(track.index, len(fresh.tracks) - 1)] if track is not None else None
        return moved, new_track

    def once_only(self) -> None:
        """A once-only operation called twice on the same task or track: the documented repeat answer."""
        for op_id, op in self.served.items():
            if op.once is None or op.valid is None:
                continue
            source = self.source_for(op_id)
            if source is None:
                self.notes.append(f"{op_id}: the repeat was not tried (it needs a finished {op.needs} task)")
                continue
            body, track = self.unspent(op_id, valid_body(self.provider, op_id, source), source.tracks[0])
            key = self._once_key(op, body)
            first: Exchange | None = None
            if key not in self.spent:
                first = self.send(op_id, body=body, track=track, label="once-only: first call")
                self.judge(first, track)
            if key not in self.spent:
                answer = "was not sent (spend budget)" if first is None else f"answered {first.code}"
                self.notes.append(f"{op_id}: the repeat was not tried (the first call {answer})")
                continue
            again = self.send(op_id, body=body, track=track, label="once-only: the same call again")
            if again is None:
                continue
            self.examples += 1
            self.judge_shape(again)
            allowed = list(op.repeat_codes)
            why = f"{op_id} called again on the same {op.once} (the documents allow it once)"
            failure = checks.expect_code(again, allowed, why)
            self.record("once_only", op_id, failure, again)
            self.cover(f"{op_id}: a second call on the same {op.once} answers {_codes(allowed)}", failure)

    # sections ----------------------------------------------------------------------------------
    def probe_mock(self) -> None:
        """``GET /_mock/health`` (a free read) tells whether the target is suno-mockkit's mock."""
        try:
            response = self.client.get("/_mock/health")
            self.requests += 1
            body = response.json()
            data = body.get("data") if isinstance(body, dict) else None
            self.is_mock = body.get("code") == 200 and isinstance(data, dict) and data.get("provider") == self.provider
        except (httpx.HTTPError, ValueError):
            self.is_mock = False
        if self.is_mock:
            self.notes.append("target is the suno-mockkit mock: a finished task was seeded via POST /_mock/tasks")

    def discover(self) -> None:
        """Which operations to exercise: the table's operations the served spec declares.

        ``GET /openapi.json`` (a free read) gives the served spec; without one the bundled
        document of the provider stands in. Shapes are always judged by the bundled document.
        """
        bundled = families.declared(self.shapes.spec)
        spec: Any = None
        try:
            response = self.client.get("/openapi.json")
            self.requests += 1
            spec = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            spec = None
        if not (isinstance(spec, dict) and isinstance(spec.get("paths"), dict)):
            spec, where = self.shapes.spec, "the bundled document"
        else:
            where = "GET /openapi.json"
        declared = families.declared(spec)
        for op_id, op in families.served(spec).items():
            if op_id not in bundled:
                self.notes.append(f"{op_id}: served, but not in the bundled {self.provider} document; not checked")
                continue
            self.served[op_id] = op
        unknown = sorted(set(declared) - set(families.OPERATIONS))
        if unknown:
            self.notes.append(f"not in the contract's table, not checked: {', '.join(unknown)}")
        self.progress(f"{len(self.served)} operations from {where}")
        for fam in families.FAMILIES:
            if fam.unverified and any(op.id in self.served for op in fam.operations):
                self.notes.append(f"{fam.name}: unverified in the documents: {fam.unverified}")
        for op in self.served.values():
            for item in op.fields(self.provider):
                if item.dispute and (item.is_disputed(self.provider) or item.disputed_when):
                    self.notes.append(
                        f"{op.id}: {item.name}: the documents disagree ({item.dispute}); either answer is accepted"
                    )

    def fixture(self) -> None:
        """A finished music task for the stateful checks: seeded on the mock, or the user's --task-id."""
        music = families.family("music")
        if self.is_mock:
            response = self.client.post("/_mock/tasks", json={"durations": [120.0, 100.0]})
            self.requests += 1
            data = response.json().get("data") or {}
            tracks = tuple(Track(str(t["id"]), int(t["index"]), float(t["duration"])) for t in data.get("tracks", []))
            if not tracks:
                self.notes.append("POST /_mock/tasks did not return tracks; stateful checks used unknown ids only")
                return
            self.sources["music"] = Source(str(data["taskId"]), tracks)
            self._learn_urls(music)
            return
        if not self.config.task_id:
            self.notes.append(
                "stateful checks used unknown ids only: pass --task-id (and --audio-id) of a finished task to "
                "check the 50% rule and valid edits"
            )
            return
        details = music.details
        assert details is not None and music.tracks is not None
        exchange = self.send(details.id, query={music.details_query: self.config.task_id})
        if exchange is None or not self.judge_shape(exchange) or exchange.code != 200:
            self.notes.append(f"--task-id {self.config.task_id}: record-info did not answer code 200")
            return
        found = music.tracks(exchange.body["data"])
        audio_id = self.config.audio_id
        tracks = tuple(t for t in found if audio_id is None or t.id == audio_id or t.index > 0)
        if audio_id:
            tracks = tuple(sorted(tracks, key=lambda t: t.id != audio_id))
        if tracks:
            self.sources["music"] = Source(self.config.task_id, tracks)

    def _learn_urls(self, music: Family) -> None:
        """The seeded tracks' audio URLs (operations that take an upload URL use them)."""
        source = self.sources["music"]
        if music.details is None or music.details.id not in self.served or music.tracks is None:
            return
        response = self.client.get(
            music.details.path_for(self.provider),
            params={music.details_query: source.task_id},
            headers={"Authorization": f"Bearer {self.config.token}"},
        )
        self.requests += 1
        try:
            urls = {t.id: t.url for t in music.tracks(response.json()["data"])}
        except (ValueError, KeyError, TypeError):
            return
        tracks = tuple(Track(t.id, t.index, t.duration, urls.get(t.id, "")) for t in source.tracks)
        self.sources["music"] = Source(source.task_id, tracks)

    def request_for(self, operation: Operation) -> dict[str, Any]:
        """A valid request (body or query) for ``operation``, naming the suite's sources."""
        source = self.source_for(operation.id)
        if operation.query:
            return {"query": valid_query(self.provider, operation.id, source)}
        if operation.body is not None:
            return {"body": valid_body(self.provider, operation.id, source)}
        return {}

    def auth(self) -> None:
        """401 on every operation without a key, with a bad key, with the key but no scheme, with Basic.

        The 401 is the documented envelope, and it never shows the key it was sent (an answer may
        name the problem and a fingerprint).
        """
        what = {
            "none": "without an Authorization header",
            "bad": "with a bad API key",
            "raw": "with the key but no Bearer scheme",
            "basic": "with Basic",
        }
        for op_id, op in self.served.items():
            for auth, words in what.items():
                exchange = self.send(op_id, auth=auth, **self.request_for(op))
                if exchange is None:
                    continue
                self.examples += 1
                self.judge_shape(exchange)
                failure = checks.expect_code(exchange, [401], f"a request {words} must be refused as unauthorized")
                if failure is None:
                    failure = _echoed_key(exchange)
                self.record("auth", op_id, failure, exchange)
                self.cover(f"{op_id}: a request {words} gets the 401 envelope, not showing the key", failure)

    def not_found(self) -> None:
        """404 for an unknown task on every details operation, and for an unknown path."""
        seen: set[str] = set()
        for fam in families.FAMILIES:
            details = fam.details
            if details is None or details.id not in self.served or details.id in seen:
                continue
            seen.add(details.id)
            exchange = self.send(details.id, query={fam.details_query: UNKNOWN_TASK})
            if exchange is not None:
                self.examples += 1
                self.judge_shape(exchange)
                failure = checks.expect_code(exchange, [404], "unknown task")
                self.record("not_found", details.id, failure, exchange)
                self.cover(f"{details.id}: an unknown task gets 404", failure)
        exchange = self.send("unknown-path", method="GET", path="/api/v1/generate/no-such-endpoint")
        if exchange is not None:
            self.examples += 1
            failure = checks.envelope(exchange) or checks.expect_code(exchange, [404], "unknown path")
            self.record("not_found", "unknown-path", failure, exchange)
            self.cover("an unknown path gets 404", failure)

    def malformed(self) -> None:
        """Broken JSON, a JSON array and a wrong Content-Type on every operation with a body: 422, not 500."""
        for op_id, op in self.served.items():
            if op.body is None:
                continue
            cases = [
                (b'{"taskId": "abc", ', "application/json", "malformed JSON"),
                (b"[1, 2]", "application/json", "a JSON array"),
                (json.dumps(self.request_for(op)["body"]).encode(), "text/plain", "Content-Type text/plain"),
            ]
            for raw, media, label in cases:
                exchange = self.send(op_id, raw=raw, content_type=media, label=label)
                if exchange is None:
                    continue
                self.examples += 1
                self.judge_shape(exchange)
                why = f"a body with {label} must be rejected as invalid"
                failure = checks.expect_code(exchange, [422], why)
                self.record("malformed_body", op_id, failure, exchange)
                self.cover(f"{op_id}: a body with {label} gets 422", failure)

    def pinned(self) -> None:
        """The probes derived from the table: every field, condition, type, enum and bound of every rule."""
        for op_id in self.served:
            for probe in derived_probes(self.provider, op_id, self.source_for(op_id)):
                self.run_probe(probe)

    def run_probe(self, probe: Probe) -> None:
        if probe.query is not None:
            exchange = self.send(probe.operation, query=probe.query, label=probe.label)
            track = probe.track
        else:
            body, track = self.unspent(probe.operation, probe.body, probe.track)
            exchange = self.send(probe.operation, body=body, track=track, label=probe.label)
        if exchange is not None:
            self.cover(probe.rule, self.judge(exchange, track))

    def drawn(self) -> None:
        """Hypothesis-drawn probes around the cross-field boundaries."""
        for op_id in self.served:
            strategy = boundary_probes(self.provider, op_id, self.source_for(op_id))
            if strategy is not None:
                self.progress(f"boundaries {op_id}")
                self._run_given(strategy, self.run_probe)

    def generated(self) -> None:
        """Schemathesis requests from the bundled document, positive and negative."""
        import schemathesis
        from schemathesis import GenerationMode
        from schemathesis.core import NotSet

        schema = schemathesis.openapi.from_dict(openapi.load_spec(self.provider))
        for op_id, op in self.served.items():
            operation = schema[op.path_for(self.provider)][op.method]
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                self.progress(f"schemathesis {op_id} {mode.value}")

                def call(case: Any, op: str = op_id) -> None:
                    body = _NO_BODY if isinstance(case.body, NotSet) else case.body
                    query = {k: v for k, v in (case.query or {}).items() if v is not None}
                    raw = None
                    if isinstance(body, bytes):  # negative mode may send bytes that are not JSON
                        body, raw = _NO_BODY, body
                    exchange = self.send(
                        op, body=body, raw=raw, query=query, path=case.formatted_path, label="schemathesis"
                    )
                    self.judge(exchange)

                try:
                    self._run_given(operation.as_strategy(generation_mode=mode), call)
                except Exception as exc:  # schemathesis cannot always generate a mode (no parameters)
                    self.notes.append(f"schemathesis {op_id} {mode.value}: {type(exc).__name__}: {str(exc)[:120]}")

    def _run_given(self, strategy: st.SearchStrategy[Any], fn: Callable[[Any], None]) -> None:
        @hypothesis_seed(self.config.seed)
        @settings(
            max_examples=self.config.max_examples,
            database=None,
            deadline=None,
            derandomize=False,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(strategy)
        def run(value: Any) -> None:
            fn(value)

        run()

    # lifecycle ---------------------------------------------------------------------------------
    def lifecycle(self) -> None:
        """Create one task per served family (in table order), poll it to a final state, read it again."""
        callback_base = self.receiver.url if self.receiver else None
        nonce = secrets.token_hex(4)
        for fam in families.FAMILIES:
            op = next((o for o in fam.creating if o.id in self.served), None)
            if op is None or fam.details is None:
                continue
            if fam.details.id not in self.served:
                self.notes.append(f"lifecycle of {op.id} not run: {fam.details.id} is not served")
                continue
            source = self.source_for(op.id)
            if op.needs and source is None:
                self.notes.append(f"lifecycle of {op.id} not run: it needs a finished {op.needs} task")
                continue
            path = f"/callback/{fam.name}-{nonce}"
            callback = f"{callback_base}{path}" if callback_base else CALLBACK
            track = source.tracks[0] if source and source.tracks else None
            body, track = self.unspent(op.id, valid_body(self.provider, op.id, source, callback=callback), track)
            exchange = self.send(op.id, body=body, track=track, label="lifecycle")
            if exchange is None:
                self.notes.append(
                    f"lifecycle of {op.id} not run: it creates a billed task; allow it with --spend-budget"
                )
                continue
            self.examples += 1
            if not self.judge_shape(exchange) or exchange.code != 200:
                failure = checks.expect_code(exchange, [200], f"a valid {op.id} request (lifecycle)")
                self.record("lifecycle", op.id, failure or "no taskId in the answer", exchange)
                continue
            self._spend(op, body)
            task_id = str(exchange.body["data"]["taskId"])
            final = self.poll(fam, op.id, task_id, body)
            if final is not None and fam.name not in self.sources:
                tracks = tuple(fam.tracks(final)) if fam.tracks else ()
                self.sources[fam.name] = Source(task_id, tracks)
            if callback_base:
                self.expected_callbacks.append(_Expected(task_id, fam, path, op.id))
                self.refused_delivery(fam, op, source, track, f"{callback_base}{REFUSE}{fam.name}-{nonce}")

    def refused_delivery(
        self, fam: Family, op: Operation, source: Source | None, track: Track | None, url: str
    ) -> None:
        """One more task whose callbacks the receiver refuses on purpose (HTTP 500 to every delivery)."""
        if fam.callbacks is None:
            return
        body, track = self.unspent(op.id, valid_body(self.provider, op.id, source, callback=url), track)
        exchange = self.send(op.id, body=body, track=track, label="lifecycle: callbacks refused on purpose")
        if exchange is None:
            return
        self.examples += 1
        if not self.judge_shape(exchange) or exchange.code != 200:
            failure = checks.expect_code(exchange, [200], f"a valid {op.id} request (callbacks refused)")
            self.record("lifecycle", op.id, failure or "no taskId in the answer", exchange)
            return
        self._spend(op, body)
        task_id = str(exchange.body["data"]["taskId"])
        self.expected_callbacks.append(_Expected(task_id, fam, urlsplit(url).path, op.id, refused=True))

    def poll(self, fam: Family, op: str, task_id: str, sent: Mapping[str, Any]) -> dict[str, Any] | None:
        """Poll the family's details operation to a final state; the final ``data`` when it succeeded."""
        details, status = fam.details, fam.status_for(self.provider)
        assert details is not None and status is not None
        query = {fam.details_query: task_id}
        deadline = time.monotonic() + self.config.lifecycle_timeout
        last: Any = None
        finished: dict[str, Track] = {}
        polls = 0
        while True:
            exchange = self.send(details.id, query=query, label="lifecycle poll")
            assert exchange is not None  # a free read is never withheld
            polls += 1
            self.examples += 1
            if not self.judge_shape(exchange):
                self.record("lifecycle", op, "record-info answered an undocumented shape while polling", exchange)
                return None
            data = exchange.body.get("data")
            if exchange.code != 200 or not isinstance(data, dict):
                self.record("lifecycle", op, f"record-info of a created task answered code {exchange.code}", exchange)
                return None
            value = data.get(status.field)
            found = {
                f"{details.id}: {status.field} only moves forward ({fam.name})": checks.status_move(
                    status, last, value
                ),
                f"{details.id}: the details show what the {status.field} says ({fam.name})": (
                    fam.record_check(data, value, fam.results) if fam.record_check else None
                ),
                f"{details.id}: the details are those of the task asked for": (
                    None
                    if data.get("taskId") == task_id
                    else f"record-info answered taskId {data.get('taskId')!r} for {task_id!r}"
                ),
            }
            if fam.echoes_param:
                found[f"{details.id}: param echoes the request ({fam.name})"] = checks.param_echo(
                    data.get("param"), sent
                )
            for rule, problem in found.items():
                self.cover(rule, problem)
            failure = next((problem for problem in found.values() if problem), None)
            self.record("lifecycle", op, failure, exchange)
            if failure:
                return None
            if fam.tracks is not None:
                changed = self._tracks_changed(finished, fam.tracks(data))
                self.record("time", op, changed, exchange)
                self.cover(f"{details.id}: a finished track never changes between reads ({fam.name})", changed)
                if changed:
                    return None
            last = value
            if status.is_terminal(value):
                self.progress(f"lifecycle {op}: {value} after {polls} poll(s)")
                return self.reread(fam, op, task_id, data) if value == status.success else None
            if time.monotonic() > deadline:
                self.record(
                    "lifecycle",
                    op,
                    f"task {task_id} still {value} after {self.config.lifecycle_timeout:g} s; "
                    "raise --lifecycle-timeout if the server is slow",
                    exchange,
                )
                return None
            time.sleep(self.config.poll_interval)

    @staticmethod
    def _tracks_changed(finished: dict[str, Track], tracks: list[Track]) -> str | None:
        for track in tracks:
            before = finished.setdefault(track.id, track)
            if before != track:
                return f"finished track {track.id} changed between two reads: {before} became {track}"
        return None

    def reread(self, fam: Family, op: str, task_id: str, first: dict[str, Any]) -> dict[str, Any] | None:
        """A finished task, read again several times, stays exactly the same (the time checks)."""
        details, status = fam.details, fam.status_for(self.provider)
        assert details is not None and status is not None
        rule = f"{details.id}: a finished task read again stays the same ({fam.name})"
        reads = 0
        for _ in range(REREADS * 3):  # 429s (the documented query rate) are waited out, a few times
            if reads == REREADS:
                break
            exchange = self.send(details.id, query={fam.details_query: task_id}, label="time: read a finished task")
            assert exchange is not None
            self.examples += 1
            if not self.judge_shape(exchange):
                self.record("time", op, "a finished task read again answered an undocumented shape", exchange)
                return None
            if exchange.code == 429:  # the documented query rate (3 per second per task): wait, read again
                time.sleep(max(self.config.poll_interval, 0.4))
                continue
            reads += 1
            data = exchange.body.get("data")
            failure: str | None
            if exchange.code != 200 or not isinstance(data, dict):
                failure = f"a finished task read again answered code {exchange.code}"
            else:
                failure = checks.finished_unchanged(first, data, status.field)
                if (
                    failure
                    and first.get(status.field) == status.success
                    and data.get(status.field) in ("CALLBACK_EXCEPTION",)
                ):
                    # 3.1: "error while delivering the callback" may follow SUCCESS (the one documented move).
                    self.notes.append(f"{op}: {task_id} went from {status.success} to CALLBACK_EXCEPTION")
                    first, failure = data, None
            self.record("time", op, failure, exchange)
            self.cover(rule, failure)
            if failure:
                return None
        return first

    def callbacks(self) -> None:
        """Order, count and payloads of the callbacks the receiver got for the lifecycle tasks."""
        if self.receiver is None or not self.expected_callbacks:
            return
        deadline = time.monotonic() + self.config.callback_wait
        while time.monotonic() < deadline and not all(self._finished(e) for e in self.expected_callbacks):
            time.sleep(0.05)
        for expected in self.expected_callbacks:
            spec = expected.family.callbacks
            assert spec is not None
            payloads = self.receiver.for_path(expected.path)
            if not payloads:
                message = (
                    f"no callback for task {expected.task_id} within {self.config.callback_wait:g} s of the end of the "
                    "run"
                )
                if self.config.require_callbacks:
                    self.record("callbacks", expected.operation, message, None)
                    self.cover(f"{expected.operation}: a callback arrives", message)
                else:
                    self.notes.append(message + " (not required; use --require-callbacks)")
                continue
            stages: list[str] = []
            where = ".".join(spec.task_id_path(self.provider))
            for payload in payloads:
                failure = None
                problems = self.shapes.check_callback(expected.operation, payload)
                if problems:
                    failure = f"a {expected.family.name} callback breaks the documented payload: {'; '.join(problems)}"
                if failure is None:
                    stage = spec.stage(payload)
                    if stage is not None:
                        stages.append(stage)
                    task_id = spec.task_id(payload, self.provider)
                    if task_id != expected.task_id:
                        failure = f"callback {where} {task_id!r} is not the created task {expected.task_id}"
                self.record("callbacks", expected.operation, failure, None)
                self.cover(f"{expected.operation}: callbacks carry the documented payload", failure)
                if failure:
                    self.outcomes[("callbacks", expected.operation)].curl = json.dumps(payload)[:400]
            if expected.refused:
                stages = self._retried(expected, payloads, stages)
            order = checks.callback_order(stages, spec, expected.family.name)
            self.record("callbacks", expected.operation, order, None)
            self.cover(f"{expected.operation}: callbacks in documented order and count ({spec.count} at most)", order)

    def _retried(self, expected: _Expected, payloads: list[Any], stages: list[str]) -> list[str]:
        """Each refused callback was delivered again, no more often than documented; the stages, once each."""
        spec = expected.family.callbacks
        assert spec is not None
        most = spec.attempts or MOST_ATTEMPTS
        deliveries: dict[str, int] = {}
        for payload in payloads:
            key = json.dumps(payload, sort_keys=True)
            deliveries[key] = deliveries.get(key, 0) + 1
        failure = None
        for key, count in deliveries.items():
            stage = spec.stage(json.loads(key)) or "?"
            if count < 2 and spec.attempts is not None:
                failure = f"a refused {stage} callback (HTTP 500) was not delivered again (1 attempt)"
            elif count > most:
                failure = f"a refused {stage} callback was delivered {count} times; at most {most} attempts"
            if failure:
                break
        rule = (
            f"{expected.operation}: a refused callback is delivered again, {most} attempts at most"
            if spec.attempts is not None
            else f"{expected.operation}: a refused callback is not sent more than {most} times (retries undocumented)"
        )
        self.record("callbacks", expected.operation, failure, None)
        self.cover(rule, failure)
        once: list[str] = []
        for stage in stages:
            if not once or once[-1] != stage:
                once.append(stage)
        return once

    def _finished(self, expected: _Expected) -> bool:
        assert self.receiver is not None and expected.family.callbacks is not None
        spec = expected.family.callbacks
        ends = [p for p in self.receiver.for_path(expected.path) if spec.stage(p) in ("complete", "error")]
        return len(ends) >= (spec.attempts or 1) if expected.refused else bool(ends)


@contextlib.contextmanager
def _client(config: SuiteConfig) -> Iterator[httpx.Client]:
    if config.app is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from starlette.testclient import TestClient

            with TestClient(config.app, base_url=config.base_url, raise_server_exceptions=False) as client:
                yield client
        return
    with httpx.Client(base_url=config.base_url, transport=config.transport, timeout=30.0) as client:
        yield client


@contextlib.contextmanager
def suite_session(config: SuiteConfig, operations: tuple[str, ...] | None = None) -> Iterator[_Session]:
    """The set-up every suite shares: a client, the suite state, the loopback receiver, the mock probe.

    The body runs the sections it wants on ``session.suite``; on leaving, the withheld-spend note is
    added and ``session.result`` holds the :class:`SuiteResult` (``operations`` names what was
    exercised; None: the operations the served document declared).
    """
    started = time.monotonic()
    loopback = config.app is not None or _is_loopback(config.base_url)
    with _client(config) as client:
        suite = _Suite(config, client, loopback)
        receiver = CallbackReceiver() if loopback else None
        with receiver if receiver else contextlib.nullcontext():
            suite.receiver = receiver
            suite.probe_mock()
            session = _Session(suite)
            yield session
    if not loopback and suite.spend.withheld:
        suite.notes.append(
            f"{suite.spend.withheld} creating call(s) that could succeed were not sent: the target is not loopback "
            f"and the spend budget is {config.spend_budget}"
        )
    session.result = SuiteResult(
        provider=config.provider,
        base_url=config.base_url,
        outcomes=suite.outcomes,
        notes=suite.notes,
        spend=suite.spend,
        requests=suite.requests,
        examples=suite.examples,
        elapsed=time.monotonic() - started,
        is_mock=suite.is_mock,
        coverage=suite.coverage,
        operations=tuple(suite.served) if operations is None else operations,
    )


@dataclass
class _Session:
    """What :func:`suite_session` yields: the running suite, then (after the block) its result."""

    suite: _Suite
    result: SuiteResult | None = None


def run_server_suite(config: SuiteConfig) -> SuiteResult:
    """Run every section against the target and return what was found (never raises on a violation)."""
    with suite_session(config) as session:
        suite = session.suite
        suite.discover()
        suite.fixture()
        suite.progress("authentication, not-found, malformed bodies")
        suite.auth()
        suite.not_found()
        suite.malformed()
        suite.progress("lifecycle")
        suite.lifecycle()
        suite.progress("pinned boundaries")
        suite.pinned()
        suite.once_only()
        foreign_tracks(suite)
        suite.drawn()
        if config.schemathesis:
            suite.generated()
        suite.callbacks()
        past_retention(suite)  # ages every task: after every other classic section
        from ._market import run_market_section  # kie's Market pair, when the served document declares it

        run_market_section(suite)
    assert session.result is not None
    return session.result


def check_names() -> list[str]:
    """The names of the checks (see :data:`contract._checks.CHECKS`)."""
    return list(CHECKS)
