"""The any-language client runner: a client program run against a served mock, once per scenario.

``suno-contract client --provider P -- COMMAND ...`` (or :func:`run_client`) serves the mock on
127.0.0.1 and runs ``COMMAND`` once per scenario, passing the base URL in the environment
variable ``SUNO_BASE_URL`` (``--url-env`` names another) and wherever an argument contains
``{url}``; the API key is in ``SUNO_API_KEY`` (and ``{key}``). The program runs one complete
flow of the client (e.g. generate, poll the details to the end) and reports how it ended by its
exit code:

- ``0``: the flow succeeded;
- ``--failure-exit`` (default 2): the client saw a failure and reported it;
- anything else (an uncaught exception, a signal) is a crash; still running after ``--timeout``
  seconds, a hang.

Scenarios, derived after a first successful run shows which operations the program calls:
the happy path; when it polls Get Music Details, the task **held** for :data:`HOLD_READS` reads at
each stage before SUCCESS (PENDING, TEXT_SUCCESS, FIRST_SUCCESS: on a virtual clock that moves
only when the program has read the current stage that often), where a program that ends with
success before it read SUCCESS is flagged (at FIRST_SUCCESS the second track has no ``audioUrl``
yet); every documented code other than 200 of every operation it calls (forced with the mock's
fault rules; HTTP 500 ones too); every documented failure state of each family whose details it
reads. Each is judged: crash, hang, failure taken for success, success taken for failure, a
result reported before SUCCESS.

Every request the program sends is recorded in front of the mock and judged by the contract's
own rules (:mod:`contract._rules`: the key and its Bearer scheme, a documented path, the body a
JSON object keeping every documented rule), and every answer the mock refused it with (401,
404, 422, ...) outside a forced answer is listed too. Each broken rule is said once, with the
scenarios it was seen in. ``--junit FILE`` writes one testcase per scenario and per broken rule.

This module runs the program (the recorder in front of the mock, the held clock, the process and
its exit code); the scenarios, the judging and the report are :mod:`contract._client_report`.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from . import _rules as rules
from ._client_report import (
    DETAILS,
    DETAILS_QUERY,
    KEY,
    LIFECYCLE,
    NO_JSON,
    ClientReport,
    ClientScenario,
    ScenarioRun,
    SentRequest,
    early_success,
    judge_request,
    operation_of,
    scenarios,
)
from ._readiness import Verdict

__all__ = ["run_client"]

#: Mock seconds per real second: a song (about 150 mock seconds) takes 0.15 s.
TIME_SCALE = 1000.0
#: The held scenario's clock step (mock seconds) while it moves a task on to its next stage, and the most steps.
HOLD_STEP = 1.0
HOLD_MAX_STEPS = 3600


# -- recording in front of the mock --------------------------------------------------------------


class _Recorder:
    """An ASGI wrapper that keeps every API request (not the admin routes) and the mock's answer."""

    def __init__(self, app: Any, before: Callable[[Mapping[str, Any]], Awaitable[None]] | None = None) -> None:
        self.app = app
        self.before = before
        self.sent: list[SentRequest] = []

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_mock") or scope["path"] == "/openapi.json":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def keep() -> Any:
            message = await receive()
            chunks.append(message.get("body", b""))
            return message

        status = [0]
        answer: list[bytes] = []

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                answer.append(message.get("body", b""))
            await send(message)

        if self.before is not None:
            await self.before(scope)
        await self.app(scope, keep, watch)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        raw = b"".join(chunks)
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = NO_JSON
        try:
            reply = json.loads(b"".join(answer))
        except ValueError:
            reply = None
        code = reply.get("code") if isinstance(reply, dict) else None
        msg = reply.get("msg") if isinstance(reply, dict) else ""
        data = reply.get("data") if isinstance(reply, dict) else None
        stage = data.get("status") if isinstance(data, dict) else None
        self.sent.append(
            SentRequest(
                method=scope["method"],
                path=scope["path"],
                query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)),
                body=body,
                authorization=headers.get("authorization"),
                http_status=status[0],
                code=code if isinstance(code, int) else None,
                msg=str(msg or ""),
                status=stage if isinstance(stage, str) else None,
            )
        )


# -- holding a task at each stage -----------------------------------------------------------------


class _Hold:
    """Moves a virtual-clock mock's task to its next stage only after the program read the stage ``reads`` times.

    Runs in front of each details read: the task stays at PENDING, TEXT_SUCCESS and FIRST_SUCCESS
    for ``reads`` reads each, then the clock steps until the task's status changes. The mock
    itself answers every read (its tracks, its URLs), so what the program sees is consistent.
    """

    def __init__(self, app: Any, path: str, reads: int) -> None:
        self.app = app
        self.path = path
        self.reads = reads
        self.seen: dict[str, dict[str, int]] = {}

    def _status(self, task_id: str) -> str | None:
        try:
            return str(self.app.status(task_id))
        except KeyError:
            return None

    async def __call__(self, scope: Mapping[str, Any]) -> None:
        if scope["path"] != self.path:
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        task_id = query.get(DETAILS_QUERY, "")
        status = self._status(task_id)
        if status is None:
            return
        counts = self.seen.setdefault(task_id, {})
        if status in LIFECYCLE[:-1] and counts.get(status, 0) >= self.reads:
            for _ in range(HOLD_MAX_STEPS):
                await self.app.advance(HOLD_STEP)
                if self._status(task_id) != status:
                    break
        now = self._status(task_id) or status
        counts[now] = counts.get(now, 0) + 1


# -- running ----------------------------------------------------------------------------------------


def _tail(text: bytes | str | None) -> str:
    """What a program said last, preferring the line naming an error (a stack trace's head or tail)."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "Exception" in line]  # a trace's own line
    return (errors or lines or [""])[-1][:200]


class _Run:
    def __init__(
        self,
        command: Sequence[str],
        provider: str,
        url_env: str,
        timeout: float,
        failure_exit: int,
        app_factory: Callable[..., Any],
    ) -> None:
        self.command = command
        self.provider = provider
        self.url_env = url_env
        self.timeout = timeout
        self.failure_exit = failure_exit
        self.app_factory = app_factory

    def __call__(self, scenario: ClientScenario) -> ScenarioRun:
        from mockserver._serving import ThreadedServer  # the answering app's plumbing; no rule code

        app = self.app_factory(virtual_clock=True) if scenario.hold else self.app_factory()
        if scenario.rule is not None:
            app.faults.configure({"rules": [dict(scenario.rule)]})
        hold = _Hold(app, rules.OPERATIONS[self.provider][DETAILS][1], scenario.hold) if scenario.hold else None
        recorder = _Recorder(app, hold)
        with ThreadedServer(recorder) as server:
            url = server.url
            argv = [part.replace("{url}", url).replace("{key}", KEY) for part in self.command]
            env = {**os.environ, self.url_env: url, "SUNO_API_KEY": KEY}
            started = time.monotonic()
            try:
                done = subprocess.run(argv, env=env, capture_output=True, timeout=self.timeout, check=False)
            except subprocess.TimeoutExpired as exc:
                verdict, detail = Verdict.HUNG, f"still running after {self.timeout:g} s {_tail(exc.stderr)}".strip()
            except OSError as exc:
                verdict, detail = Verdict.CRASHED, f"could not start: {exc}"
            else:
                verdict, detail = self.judge(scenario, done.returncode, _tail(done.stderr) or _tail(done.stdout))
                detail += f", {time.monotonic() - started:.1f} s"
                if scenario.hold and verdict is Verdict.HANDLED:
                    verdict, detail = early_success(recorder.sent, self.provider, verdict, detail)
        forced = scenario.rule is not None and "code" in scenario.rule
        violations: list[str] = []
        for sent in recorder.sent:
            for violation in judge_request(self.provider, sent, forced=forced):
                if violation not in violations:
                    violations.append(violation)
        return ScenarioRun(scenario, verdict, detail, tuple(recorder.sent), tuple(violations))

    def judge(self, scenario: ClientScenario, code: int, said: str) -> tuple[Verdict, str]:
        detail = f"exit {code}" + (f": {said}" if said else "")
        if code == 0:
            return (Verdict.HANDLED if scenario.expect_success else Verdict.FAILURE_AS_SUCCESS), detail
        if code == self.failure_exit:
            return (Verdict.SUCCESS_AS_FAILURE if scenario.expect_success else Verdict.HANDLED), detail
        return Verdict.CRASHED, detail


def run_client(
    command: Sequence[str],
    provider: str = "kie",
    *,
    url_env: str = "SUNO_BASE_URL",
    timeout: float = 20.0,
    failure_exit: int = 2,
    only: Sequence[str] | None = None,
    app_factory: Callable[..., Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ClientReport:
    """Run ``command`` against the served mock once per scenario; see the module's documentation.

    ``app_factory(**settings)`` makes a fresh mock app per scenario; the held scenario calls it
    with ``virtual_clock=True`` (the app must then have ``status(task_id)`` and ``advance(s)``).
    """
    if not command:
        raise ValueError("no command to run: give it after --, e.g. -- node client.js")
    if provider not in rules.PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}: choose one of {', '.join(rules.PROVIDERS)}")
    if failure_exit == 0:
        raise ValueError("failure_exit must not be 0 (0 means the flow succeeded)")
    if app_factory is None:
        from mockserver import create_app  # the app to answer from; no rule code

        def app_factory(**settings: Any) -> Any:
            return create_app(provider, **{"tokens": frozenset({KEY}), "time_scale": TIME_SCALE, **settings})

    run = _Run(command, provider, url_env, timeout, failure_exit, app_factory)
    report = ClientReport(provider, tuple(command))
    baseline = run(ClientScenario("success", True))
    report.runs.append(baseline)
    used = list(dict.fromkeys(op for s in baseline.requests if (op := operation_of(provider, s.method, s.path))))
    if not used:
        report.notes.append("the program sent no request to a documented operation; nothing else was tried")
        return report
    for scenario in scenarios(provider, used):
        if only and not any(word in scenario.name for word in only):
            continue
        if progress:
            progress(f"client scenario: {scenario.name}")
        report.runs.append(run(scenario))
    return report
