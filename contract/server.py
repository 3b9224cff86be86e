"""The server conformance suite: does a server at a base URL follow its provider profile's rules?

Usage from Python::

    from contract.server import SuiteConfig, run_server_suite
    result = run_server_suite(SuiteConfig(provider="kie", token="t", app=asgi_app))   # in-process
    result = run_server_suite(SuiteConfig(provider="kie", token="t", base_url="http://127.0.0.1:8000"))
    assert result.ok, result.summary()

What it sends (in this order): a probe for the mock's admin API, the authentication and
not-found checks, malformed bodies, the lifecycle of one task per creating kind, the pinned
boundary probes of :mod:`contract.requests`, drawn boundary probes, and requests generated from
the bundled document by Schemathesis (positive and negative). Every answer is judged by
:mod:`contract.checks` against the rules of :mod:`contract.rules`.

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

import openapi

from . import checks, rules
from .checks import CHECKS, Exchange, ResponseShapes
from .requests import UNKNOWN_TASK, Probe, TaskFixture, Track, boundary_probes, pinned_probes, valid_body

__all__ = ["CallbackReceiver", "Outcome", "SpendGuard", "SuiteConfig", "SuiteResult", "run_server_suite"]

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
        verdict = "PASSED" if self.ok else f"FAILED: {', '.join(sorted(self.failed_checks()))}"
        lines.append(verdict)
        return "\n".join(lines)


# -- the callback receiver -----------------------------------------------------------------------


class CallbackReceiver:
    """A local HTTP server on 127.0.0.1 that records the callbacks POSTed to it."""

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
                answer = b'{"code":200,"msg":"success"}'
                self.send_response(200)
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


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class _Expected:
    """A task the lifecycle created, whose callbacks are checked at the end."""

    task_id: str
    kind: str  # "Music" or "Replace"
    path: str
    operation: str


class _Suite:
    def __init__(self, config: SuiteConfig, client: httpx.Client, loopback: bool) -> None:
        self.config = config
        self.provider = config.provider
        self.client = client
        self.loopback = loopback
        self.shapes = ResponseShapes(config.provider)
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self.notes: list[str] = []
        self.spend = SpendGuard(loopback=loopback, budget=config.spend_budget)
        self.requests = 0
        self.examples = 0
        self.is_mock = False
        self.task: TaskFixture | None = None
        self.expected_callbacks: list[_Expected] = []
        self.receiver: CallbackReceiver | None = None

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
        op_method, op_path = rules.OPERATIONS[self.provider].get(operation, ("GET", "/"))
        headers: dict[str, str] = {}
        if auth == "valid":
            headers["Authorization"] = f"Bearer {self.config.token}"
        elif auth == "bad":
            headers["Authorization"] = f"Bearer invalid-{secrets.token_hex(8)}"
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
        if operation in rules.CREATING and self._may_succeed(exchange, track):
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
            exchange.operation == "replace-section"
            and track is not None
            and rules.replace_section_violations(self.provider, body, track.duration)
        )

    # judging -----------------------------------------------------------------------------------
    def judge_shape(self, exchange: Exchange) -> bool:
        """Envelope and response schema; True when both hold."""
        failure = checks.envelope(exchange)
        self.record("envelope", exchange.operation, failure, exchange)
        if failure:
            return False
        failure = self.shapes.check_response(exchange)
        self.record("response_schema", exchange.operation, failure, exchange)
        return failure is None

    def judge(self, exchange: Exchange | None, track: Track | None = None) -> None:
        """The rule oracle for a request sent with a valid key."""
        if exchange is None:
            return
        self.examples += 1
        self.judge_shape(exchange)
        op = exchange.operation
        is_json, body = self.sent_body(exchange)
        query = dict(parse_qsl(exchange.request.url.query.decode(), keep_blank_values=True))
        if not is_json:
            failure = checks.expect_code(exchange, [422], "a body that is not JSON must be rejected")
            self.record("malformed_body", op, failure, exchange)
            return
        found = rules.request_violations(self.provider, op, body, query)
        if found:
            why = f"breaks the documented rule '{found[0]}'"
            self.record("rejects_invalid", op, checks.expect_code(exchange, [422], why), exchange)
            return
        if op == "replace-section" and track is not None:
            stateful = rules.replace_section_violations(self.provider, body, track.duration)
            if stateful:
                why = f"breaks the documented rule '{stateful[0]}'"
                self.record("stateful_rules", op, checks.expect_code(exchange, [422], why), exchange)
                return
        known = self._ids_known(op, body, query)
        if known:
            allowed = [200, 402] if op in rules.CREATING else [200]
            selector = rules.track_selector(self.provider)
            if op == "replace-section" and selector == "musicIndex" and self.task:
                allowed = [404, 422] if body.get("musicIndex", 0) >= len(self.task.tracks) else allowed
            why = "keeps every documented rule, so it must not be rejected"
            self.record("accepts_valid", op, checks.expect_code(exchange, allowed, why), exchange)
        elif op == "get-timestamped-lyrics":
            why = "keeps every documented rule (unknown task)"
            self.record("accepts_valid", op, checks.expect_code(exchange, [200, 404, 422], why), exchange)
        else:
            why = "names a task or track that does not exist"
            self.record("not_found", op, checks.expect_code(exchange, [404, 422], why), exchange)

    def _ids_known(self, op: str, body: Any, query: Mapping[str, str]) -> bool:
        if op in ("generate-music", "get-remaining-credits"):
            return True
        task = self.task
        if task is None:
            return False
        audio_ids = {t.id for t in task.tracks}
        if op == "get-music-details":
            return query.get("taskId") == task.task_id
        if op == "extend-music":
            return bool(body.get("audioId") in audio_ids)
        if op == "replace-section":
            if body.get("taskId") != task.task_id:
                return False
            return bool(rules.track_selector(self.provider) == "musicIndex" or body.get("audioId") in audio_ids)
        if op == "get-timestamped-lyrics":
            return bool(body.get("taskId") == task.task_id)
        return False

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

    def fixture(self) -> None:
        """A finished task for the stateful checks: seeded on the mock, or the user's --task-id."""
        if self.is_mock:
            response = self.client.post("/_mock/tasks", json={"durations": [120.0, 100.0]})
            self.requests += 1
            data = response.json().get("data") or {}
            tracks = tuple(Track(str(t["id"]), int(t["index"]), float(t["duration"])) for t in data.get("tracks", []))
            if tracks:
                self.task = TaskFixture(str(data["taskId"]), tracks)
            else:
                self.notes.append("POST /_mock/tasks did not return tracks; stateful checks used unknown ids only")
            return
        if not self.config.task_id:
            self.notes.append(
                "stateful checks used unknown ids only: pass --task-id (and --audio-id) of a finished task to "
                "check the 50% rule and valid edits"
            )
            return
        exchange = self.send("get-music-details", query={"taskId": self.config.task_id})
        if exchange is None or not self.judge_shape(exchange) or exchange.code != 200:
            self.notes.append(f"--task-id {self.config.task_id}: record-info did not answer code 200")
            return
        data = exchange.body["data"]
        tracks = tuple(
            Track(str(t["id"]), i, float(t["duration"]))
            for i, t in enumerate(data["response"]["sunoData"])
            if isinstance(t.get("duration"), (int, float))
            and (self.config.audio_id is None or t["id"] == self.config.audio_id or i > 0)
        )
        if self.config.audio_id:
            tracks = tuple(sorted(tracks, key=lambda t: t.id != self.config.audio_id))
        if tracks:
            self.task = TaskFixture(self.config.task_id, tracks)

    def auth(self) -> None:
        """401 without a key, with a bad key and with another scheme, on every operation."""
        for op in rules.OPERATIONS[self.provider]:
            for auth in ("none", "bad", "basic"):
                kwargs: dict[str, Any] = {}
                if op == "get-music-details":
                    kwargs["query"] = {"taskId": self.task.task_id if self.task else UNKNOWN_TASK}
                elif rules.OPERATIONS[self.provider][op][0] == "POST":
                    kwargs["body"] = valid_body(self.provider, op, self.task)
                exchange = self.send(op, auth=auth, **kwargs)
                if exchange is None:
                    continue
                self.examples += 1
                self.judge_shape(exchange)
                what = {"none": "without an Authorization header", "bad": "with a bad API key", "basic": "with Basic"}
                why = f"a request {what[auth]} must be refused as unauthorized"
                self.record("auth", op, checks.expect_code(exchange, [401], why), exchange)

    def not_found(self) -> None:
        """404 for an unknown task and for an unknown path."""
        exchange = self.send("get-music-details", query={"taskId": UNKNOWN_TASK})
        if exchange is not None:
            self.examples += 1
            self.judge_shape(exchange)
            self.record("not_found", "get-music-details", checks.expect_code(exchange, [404], "unknown task"), exchange)
        exchange = self.send("unknown-path", method="GET", path="/api/v1/generate/no-such-endpoint")
        if exchange is not None:
            self.examples += 1
            failure = checks.envelope(exchange) or checks.expect_code(exchange, [404], "unknown path")
            self.record("not_found", "unknown-path", failure, exchange)

    def malformed(self) -> None:
        """Broken JSON, a JSON array and a wrong Content-Type on every POST operation: 422, not 500."""
        for op, (method, _) in rules.OPERATIONS[self.provider].items():
            if method != "POST":
                continue
            cases = [
                (b'{"taskId": "abc", ', "application/json", "malformed JSON"),
                (b"[1, 2]", "application/json", "a JSON array"),
                (
                    json.dumps(valid_body(self.provider, op, self.task)).encode(),
                    "text/plain",
                    "Content-Type text/plain",
                ),
            ]
            for raw, media, label in cases:
                exchange = self.send(op, raw=raw, content_type=media, label=label)
                if exchange is None:
                    continue
                self.examples += 1
                self.judge_shape(exchange)
                why = f"a body with {label} must be rejected as invalid"
                self.record("malformed_body", op, checks.expect_code(exchange, [422], why), exchange)

    def pinned(self) -> None:
        """The exact boundary points of every documented rule."""
        for probe in pinned_probes(self.provider, self.task):
            self.run_probe(probe)

    def run_probe(self, probe: Probe) -> None:
        if probe.query is not None:
            exchange = self.send(probe.operation, query=probe.query, label=probe.label)
        else:
            exchange = self.send(probe.operation, body=probe.body, track=probe.track, label=probe.label)
        self.judge(exchange, probe.track)

    def drawn(self) -> None:
        """Hypothesis-drawn probes around the boundaries."""
        for op in rules.OPERATIONS[self.provider]:
            strategy = boundary_probes(self.provider, op, self.task)
            if strategy is not None:
                self.progress(f"boundaries {op}")
                self._run_given(strategy, self.run_probe)

    def generated(self) -> None:
        """Schemathesis requests from the bundled document, positive and negative."""
        import schemathesis
        from schemathesis import GenerationMode
        from schemathesis.core import NotSet

        schema = schemathesis.openapi.from_dict(openapi.load_spec(self.provider))
        for op, (method, path) in rules.OPERATIONS[self.provider].items():
            operation = schema[path][method]
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                self.progress(f"schemathesis {op} {mode.value}")

                def call(case: Any, op: str = op) -> None:
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
                    self.notes.append(f"schemathesis {op} {mode.value}: {type(exc).__name__}: {str(exc)[:120]}")

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
        """Create a music task (and a replace-section task on a fixture), poll it to a terminal state."""
        callback_base = self.receiver.url if self.receiver else None
        jobs: list[tuple[str, dict[str, Any], str, Track | None]] = []
        nonce = secrets.token_hex(4)
        music_path = f"/callback/music-{nonce}"
        body = valid_body(self.provider, "generate-music", None, callback=f"{callback_base or ''}{music_path}")
        if not callback_base:
            body["callBackUrl"] = "https://callback.invalid/suno"
        jobs.append(("generate-music", body, "Music", None))
        if self.task is not None:
            replace_path = f"/callback/replace-{nonce}"
            rbody = valid_body(self.provider, "replace-section", self.task, callback=f"{callback_base}{replace_path}")
            if not callback_base:
                rbody["callBackUrl"] = "https://callback.invalid/suno"
            jobs.append(("replace-section", rbody, "Replace", self.task.tracks[0]))
        for op, payload, kind, track in jobs:
            exchange = self.send(op, body=payload, track=track, label="lifecycle")
            if exchange is None:
                self.notes.append(f"lifecycle of {op} not run: it creates a billed task; allow it with --spend-budget")
                continue
            self.examples += 1
            if not self.judge_shape(exchange) or exchange.code != 200:
                failure = checks.expect_code(exchange, [200], f"a valid {op} request (lifecycle)")
                self.record("lifecycle", op, failure or "no taskId in the answer", exchange)
                continue
            task_id = str(exchange.body["data"]["taskId"])
            self.poll(op, task_id, payload, expected_tracks=2 if kind == "Music" else 1)
            if callback_base:
                path = music_path if kind == "Music" else f"/callback/replace-{nonce}"
                self.expected_callbacks.append(_Expected(task_id, kind, path, op))

    def poll(self, op: str, task_id: str, sent: Mapping[str, Any], expected_tracks: int) -> None:
        deadline = time.monotonic() + self.config.lifecycle_timeout
        last_rank, last_status, polls = -1, "", 0
        while True:
            exchange = self.send("get-music-details", query={"taskId": task_id}, label="lifecycle poll")
            assert exchange is not None  # a free read is never withheld
            polls += 1
            self.examples += 1
            if not self.judge_shape(exchange):
                self.record("lifecycle", op, "record-info answered an undocumented shape while polling", exchange)
                return
            data = exchange.body.get("data")
            if exchange.code != 200 or not isinstance(data, dict):
                self.record("lifecycle", op, f"record-info of a created task answered code {exchange.code}", exchange)
                return
            status = str(data.get("status"))
            failure = None
            rank = checks.STATUS_ORDER.get(status, 99 if status in checks.TERMINAL else -1)
            if rank < last_rank:
                failure = f"status went back from {last_status} to {status}; states only move forward"
            failure = failure or checks.record_info_stage(data, expected_tracks)
            if data.get("taskId") != task_id:
                failure = failure or f"record-info answered taskId {data.get('taskId')!r} for {task_id!r}"
            failure = failure or checks.param_echo(data.get("param"), sent)
            self.record("lifecycle", op, failure, exchange)
            if failure:
                return
            last_rank, last_status = max(rank, last_rank), status
            if status in checks.TERMINAL:
                self.progress(f"lifecycle {op}: {status} after {polls} poll(s)")
                return
            if time.monotonic() > deadline:
                self.record(
                    "lifecycle",
                    op,
                    f"task {task_id} still {status} after {self.config.lifecycle_timeout:g} s; "
                    "raise --lifecycle-timeout if the server is slow",
                    exchange,
                )
                return
            time.sleep(self.config.poll_interval)

    def callbacks(self) -> None:
        """Order and payloads of the callbacks the receiver got for the lifecycle tasks."""
        if self.receiver is None or not self.expected_callbacks:
            return
        deadline = time.monotonic() + self.config.callback_wait
        while time.monotonic() < deadline and not all(self._finished(e) for e in self.expected_callbacks):
            time.sleep(0.05)
        for expected in self.expected_callbacks:
            payloads = self.receiver.for_path(expected.path)
            if not payloads:
                message = (
                    f"no callback for task {expected.task_id} within {self.config.callback_wait:g} s of the end of the "
                    "run"
                )
                if self.config.require_callbacks:
                    self.record("callbacks", expected.operation, message, None)
                else:
                    self.notes.append(message + " (not required; use --require-callbacks)")
                continue
            stages: list[str] = []
            for payload in payloads:
                failure = None
                problems = self.shapes.check_callback(expected.kind, payload)
                if problems:
                    failure = f"a {expected.kind} callback breaks the documented payload: {'; '.join(problems)}"
                data = payload.get("data") if isinstance(payload, dict) else None
                if failure is None and isinstance(data, dict):
                    stages.append(str(data.get("callbackType")))
                    if data.get("task_id") != expected.task_id:
                        failure = f"callback task_id {data.get('task_id')!r} is not the created task {expected.task_id}"
                self.record("callbacks", expected.operation, failure, None)
                if failure:
                    self.outcomes[("callbacks", expected.operation)].curl = json.dumps(payload)[:400]
            order = checks.callback_order(stages, expected.kind)
            self.record("callbacks", expected.operation, order, None)

    def _finished(self, expected: _Expected) -> bool:
        assert self.receiver is not None
        for payload in self.receiver.for_path(expected.path):
            data = payload.get("data") if isinstance(payload, dict) else None
            if isinstance(data, dict) and data.get("callbackType") in ("complete", "error"):
                return True
        return False


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


def run_server_suite(config: SuiteConfig) -> SuiteResult:
    """Run every section against the target and return what was found (never raises on a violation)."""
    started = time.monotonic()
    loopback = config.app is not None or _is_loopback(config.base_url)
    with _client(config) as client:
        suite = _Suite(config, client, loopback)
        receiver = CallbackReceiver() if loopback else None
        with receiver if receiver else contextlib.nullcontext():
            suite.receiver = receiver
            suite.probe_mock()
            suite.fixture()
            suite.progress("authentication, not-found, malformed bodies")
            suite.auth()
            suite.not_found()
            suite.malformed()
            suite.progress("lifecycle")
            suite.lifecycle()
            suite.progress("pinned boundaries")
            suite.pinned()
            suite.drawn()
            if config.schemathesis:
                suite.generated()
            suite.callbacks()
    if not loopback and suite.spend.withheld:
        suite.notes.append(
            f"{suite.spend.withheld} creating call(s) that could succeed were not sent: the target is not loopback "
            f"and the spend budget is {config.spend_budget}"
        )
    return SuiteResult(
        provider=config.provider,
        base_url=config.base_url,
        outcomes=suite.outcomes,
        notes=suite.notes,
        spend=suite.spend,
        requests=suite.requests,
        examples=suite.examples,
        elapsed=time.monotonic() - started,
        is_mock=suite.is_mock,
    )


def check_names() -> list[str]:
    """The names of the checks (see :data:`contract.checks.CHECKS`)."""
    return list(CHECKS)
