"""The server conformance suite: passes on the mock, catches broken servers, never spends by accident."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from contract import _rules as rules
from contract._cli import junit_xml, main
from contract._selftest import MUTANTS, suite_result
from contract._selftest.wrappers import CALLBACK_HOLD, RECEIVER_TIMEOUT, VirtualTime
from contract._server import SuiteConfig, SuiteResult, run_server_suite, suite_session
from contract._server.discovery import discover, fixture
from contract._server.lifecycle import callbacks, lifecycle
from contract._server.run import SECTIONS
from contract._sources import unknown_tasks
from mockserver import create_app, openapi

TOKEN = "test-token"
Json = Any
Scope = dict[str, Any]


def mock(provider: str, **options: Any) -> Any:
    """The mock on its virtual clock: it moves only when the suite waits (through :class:`VirtualTime`).

    ``options``: more of ``create_app``'s (``profile_overrides``, ``callback_timeout_s``, ...).
    """
    return create_app(provider, seed=1, tokens=frozenset({TOKEN}), virtual_clock=True, **options)


def virtual(app: Any, provider: str, **options: Any) -> SuiteConfig:
    """A suite config over ``app`` whose every wait moves the mock's virtual clock instead of real time."""
    waits = VirtualTime(app)
    settings: dict[str, Any] = {"max_examples": 10, "callback_wait": 5.0}
    settings.update(options)
    return SuiteConfig(provider=provider, token=TOKEN, app=waits, sleep=waits.sleep, clock=waits.clock, **settings)


def run(provider: str, app: Any, **options: Any) -> SuiteResult:
    """Every section on the virtual clock, the retention probes included (they age every task, after the others)."""
    with suite_session(virtual(app, provider, **options)) as session:
        for section in SECTIONS:
            section.run(session.suite)
    assert session.result is not None
    return session.result


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_suite_passes_against_the_mock_in_process(provider: str) -> None:
    result = run(provider, mock(provider), max_examples=25, require_callbacks=True)
    assert result.ok, result.summary()
    assert result.is_mock
    # every check ran at least once
    ran = {o.check for o in result.outcomes.values() if o.passed}
    assert ran >= {"envelope", "response_schema", "rejects_invalid", "accepts_valid", "stateful_rules", "auth"}
    assert ran >= {"not_found", "malformed_body", "lifecycle", "callbacks", "time"}
    assert result.examples > 200
    # every rule of the table was probed and held; required fields are each dropped alone
    assert result.coverage and all(r.held and r.probes for r in result.coverage.values()), result.coverage_table()
    rules_probed = set(result.coverage)
    selector = rules.track_selector(provider)
    for field in ("taskId", selector, "prompt", "tags", "title", "infillStartS", "infillEndS"):
        assert f"replace-section: {field} is required" in rules_probed
    assert "generate-music: title is required when customMode is true" in rules_probed
    assert "get-music-details: a finished task read again stays the same (music)" in rules_probed
    assert set(result.operations) == set(rules.OPERATIONS[provider])
    # the retention probe ran: every operation building on a task refuses one past its retention
    aged = {rule for rule in rules_probed if "past its retention" in rule}
    assert "replace-section: a music task past its retention gets 404 or 422" in aged, result.coverage_table()
    assert "get-music-details: a music task past its retention answers 200 or 404" in aged
    if "generate-cover-image" in result.operations:
        assert "generate-cover-image: a music task past its retention gets 404 or 422" in aged
    if "recover-audio" in result.operations:  # Recovery: polled through its top-level code, 201 then 200
        for rule in ("code only moves forward", "the details show what the code says"):
            held = result.coverage[f"get-recovery-details: {rule} (recovery)"]
            assert held.held and held.probes >= 2, result.coverage_table()
        assert result.coverage["recover-audio: callbacks in documented order and count (1 at most)"].held


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def http_mock() -> Iterator[str]:
    port = _free_port()
    # The one run against a real HTTP server, through the CLI, with the suite's real sleep: the mock's
    # clock follows real time (60 times as fast), as a server's would.
    app = create_app("apikley", seed=1, tokens=frozenset({TOKEN}), time_scale=60.0)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_suite_passes_through_a_real_http_server_and_the_cli(
    http_mock: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "report.xml"
    argv = ["server", "--base-url", http_mock, "--token", TOKEN, "--provider", "apikley", "--max-examples", "5"]
    code = main([*argv, "--junit", str(junit), "--require-callbacks", "--callback-wait", "5"])
    out = capsys.readouterr()
    assert code == 0, out.out
    assert "PASSED" in out.out
    assert "[apikley] lifecycle" in out.err  # progress on stderr
    assert "<testsuite" in junit.read_text() and 'failures="0"' in junit.read_text()


# -- mutants: the self-test's broken servers (contract/_selftest.py), each must be caught by name ----


def test_there_is_a_mutant_for_every_check_and_every_new_probe() -> None:
    assert len(MUTANTS) >= 32
    checks = {m.check for m in MUTANTS.values()}
    assert checks >= {
        "envelope",
        "response_schema",
        "rejects_invalid",
        "accepts_valid",
        "stateful_rules",
        "auth",
        "not_found",
        "malformed_body",
        "once_only",
        "lifecycle",
        "time",
        "callbacks",
    }


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_is_caught_by_name(name: str) -> None:
    mutation = MUTANTS[name]
    result = suite_result(name)
    check, words = mutation.check, mutation.words
    assert not result.ok, f"mutant {name!r} was not caught:\n{result.summary()}"
    assert check in result.failed_checks(), result.summary()
    messages = [o.message for o in result.failures() if o.check == check]
    assert any(words in m for m in messages), messages
    assert any(o.curl for o in result.failures() if o.check == check) or check == "callbacks"
    summary = result.summary()
    assert "FAILED: " in summary and check in summary
    assert b"<failure" in junit_xml(result)
    # the coverage table names the rule that broke
    assert any(not r.held for r in result.coverage.values()), result.coverage_table()
    assert "FAILED" in result.coverage_table()


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("accepts replace-section without title", "replace-section: title is required"),
        ("record-info back to PENDING after SUCCESS", "get-music-details: a finished task read again stays the same"),
        ("WAV details SUCCESS without audioWavUrl", "get-wav-details: the details show what the successFlag says"),
        ("cover image accepts a second call", "generate-cover-image: a second call on the same task"),
        ("persona accepts a second call", "generate-persona: a second call on the same track"),
        ("music callbacks never retried", "generate-music: a refused callback is delivered again"),
        ("music callbacks not retried after a receiver timeout", "generate-music: a callback not answered in time"),
        ("accepts an unknown taskId on WAV", "convert-to-wav: an unknown taskId gets 404 or 422"),
        ("recovery details 200 while running", "get-recovery-details: the details show what the code says"),
        ("recovery details back to 201 after 200", "get-recovery-details: a finished task read again stays the same"),
    ],
)
def test_the_coverage_table_names_the_broken_rule(name: str, rule: str) -> None:
    result = suite_result(name)
    broken = [r for r in result.coverage.values() if r.rule.startswith(rule)]
    assert broken and all(not r.held and r.probes >= 1 for r in broken), result.coverage_table()
    assert all(r.held for r in result.coverage.values() if not r.rule.startswith(rule)), result.coverage_table()


def test_callbacks_the_receiver_does_not_answer_in_time_are_retried_as_documented() -> None:
    app = mock("kie", callback_timeout_s=RECEIVER_TIMEOUT)
    config = virtual(app, "kie", callback_wait=10.0, callback_hold=CALLBACK_HOLD)
    with suite_session(config) as session:
        discover(session.suite)
        fixture(session.suite)
        lifecycle(session.suite)
        callbacks(session.suite)
    result = session.result
    assert result is not None
    assert result.ok, result.summary()
    for op in ("generate-music", "replace-section"):  # the families whose documents give the attempts
        rule = result.coverage[f"{op}: a callback not answered in time is delivered again, 3 attempts at most"]
        assert rule.held and rule.probes >= 1, result.coverage_table()
    assert not any("not answered in time" in r for r in result.coverage if r.startswith("convert-to-wav"))
    assert SuiteConfig(provider="kie", token=TOKEN).callback_hold is None  # off by default: it costs real seconds
    with pytest.raises(ValueError, match="callback_hold must be > 0"):
        SuiteConfig(provider="kie", token=TOKEN, callback_hold=0)


def test_an_unknown_task_is_refused_on_every_operation_that_builds_on_one() -> None:
    with suite_session(virtual(mock("sunoapi"), "sunoapi")) as session:
        discover(session.suite)
        fixture(session.suite)
        unknown_tasks(session.suite)
    result = session.result
    assert result is not None
    assert result.ok, result.summary()
    probed = {r.split(":")[0] for r in result.coverage if ": an unknown " in r}
    assert {"replace-section", "convert-to-wav", "separate-vocals", "recover-audio"} <= probed
    assert all(result.coverage[r].probes == 1 for r in result.coverage if ": an unknown " in r)


def test_selftest_prints_the_mutation_score(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["selftest", "--no-baseline", "--only", "401 shows the API key"]
    code = main([*argv, "--only", "accepts the key without the Bearer scheme"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "mutation score: 2 of 2 mutants caught (100%)" in out
    assert "caught   apibox   auth" in out
    assert main(["selftest", "--only", "no such mutant"]) == 2


def test_a_check_failing_on_the_unmutated_mock_does_not_catch_a_mutant() -> None:
    from contract._selftest import run_mutant

    mutation = MUTANTS["401 shows the API key"]
    caught = run_mutant("401 shows the API key")
    assert caught.caught
    operations = set(rules.OPERATIONS[mutation.provider])
    excused = run_mutant("401 shows the API key", baseline=frozenset(("auth", op) for op in operations))
    assert not excused.caught and "shows the API key" not in excused.message


# -- spending guard -----------------------------------------------------------------------------


def test_no_request_that_could_succeed_reaches_a_non_loopback_url_without_a_budget() -> None:
    """Nothing leaves the machine: a MockTransport answers (as a server that accepts everything)."""
    sent: list[httpx.Request] = []

    def accept_everything(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"code": 200, "msg": "success", "data": {"taskId": "f" * 32}})

    config = SuiteConfig(
        provider="kie",
        token=TOKEN,
        base_url="http://192.0.2.1",
        transport=httpx.MockTransport(accept_everything),
        max_examples=10,
        lifecycle_timeout=0.5,
    )
    result = run_server_suite(config)
    assert sent, "the suite sent nothing at all"
    assert {r.url.host for r in sent} == {"192.0.2.1"}
    could_succeed = []
    for request in sent:
        op = next(
            (o for o, (m, p) in rules.OPERATIONS["kie"].items() if m == request.method and p == request.url.path), None
        )
        if op not in rules.CREATING or request.headers.get("authorization") != f"Bearer {TOKEN}":
            continue
        if request.headers.get("content-type") != "application/json":
            continue
        try:
            body = json.loads(request.content)
        except ValueError:
            continue
        if isinstance(body, dict) and not rules.request_violations("kie", op, body):
            could_succeed.append((op, body))
    assert could_succeed == []
    assert result.spend.sent == 0
    assert result.spend.withheld > 0
    assert "not sent" in result.summary()
    assert not result.ok  # a server that accepts everything is not conformant


def test_spend_budget_allows_exactly_n_creating_calls() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"code": 401, "msg": "Unauthorized", "data": None})

    config = SuiteConfig(
        provider="kie",
        token=TOKEN,
        base_url="https://api.kie.ai",
        transport=httpx.MockTransport(answer),
        spend_budget=2,
        max_examples=5,
        schemathesis=False,
    )
    result = run_server_suite(config)
    assert result.spend.sent == 2
    assert len(result.spend.log) == 2
    assert "2 sent (budget 2)" in result.summary()


def test_unreachable_url_reports_and_fails_without_spending() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    config = SuiteConfig(
        provider="apibox",
        token=TOKEN,
        base_url="http://192.0.2.1",
        transport=httpx.MockTransport(refuse),
        max_examples=3,
        schemathesis=False,
    )
    result = run_server_suite(config)
    assert not result.ok
    assert result.spend.sent == 0
    assert any("did not answer" in o.message for o in result.failures())


# -- what the suite exercises follows the served spec ---------------------------------------------


class _Declares:
    """Serves the mock's /openapi.json without ``drop`` (the other paths go to the mock unchanged)."""

    def __init__(self, app: Any, drop: str) -> None:
        self.app, self.drop = app, drop

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/openapi.json":
            spec = openapi.load_spec("kie")
            spec["paths"] = {
                path: item
                for path, item in spec["paths"].items()
                if not any(isinstance(op, dict) and op.get("operationId") == self.drop for op in item.values())
            }
            raw = json.dumps(spec).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": raw})
            return
        await self.app(scope, receive, send)


def test_the_suite_exercises_what_the_served_spec_declares() -> None:
    result = run("kie", _Declares(mock("kie"), "get-timestamped-lyrics"), max_examples=3)
    assert result.ok, result.summary()
    assert "get-timestamped-lyrics" not in result.operations
    assert set(result.operations) == set(rules.OPERATIONS["kie"]) - {"get-timestamped-lyrics"}
    assert not any(r.rule.startswith("get-timestamped-lyrics") for r in result.coverage.values())


# -- sources a request may not use: a track of another task, a task past its retention ---------


def test_a_task_past_its_retention_is_probed_on_a_virtual_clock() -> None:
    from contract._server import suite_session
    from contract._server.discovery import discover, fixture
    from contract._sources import past_retention

    app = create_app("apikley", seed=1, tokens=frozenset({TOKEN}), virtual_clock=True)
    with suite_session(SuiteConfig(provider="apikley", token=TOKEN, app=app)) as session:
        discover(session.suite)
        fixture(session.suite)
        past_retention(session.suite)
    result = session.result
    assert result is not None
    aged = {r.rule: r for r in result.coverage.values() if "past its retention" in r.rule}
    assert "replace-section: a music task past its retention gets 404 or 422" in aged
    assert "get-music-details: a music task past its retention answers 200 or 404" in aged
    assert "generate-cover-image: a music task past its retention gets 404 or 422" in aged
    assert all(r.probes == 1 for r in aged.values())
    assert all(r.held for r in aged.values()), result.coverage_table()


class _RealTimeClock:
    """Refuses ``POST /_mock/clock/advance`` as a mock on a real-time clock does (the rest goes to the mock)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/_mock/clock/advance":
            message = "Validation error: the clock follows real time; start the mock with --virtual-clock to advance it"
            raw = json.dumps({"code": 422, "msg": message, "data": None}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": raw})
            return
        await self.app(scope, receive, send)


def test_without_a_virtual_clock_the_retention_probe_says_it_did_not_run() -> None:
    # The suite cannot move this mock's clock (as on a real-time one); its waits still do, underneath.
    inner = mock("kie")
    waits = VirtualTime(_RealTimeClock(inner), clock_app=inner)
    config = SuiteConfig(
        provider="kie", token=TOKEN, app=waits, sleep=waits.sleep, clock=waits.clock, max_examples=3, schemathesis=False
    )
    result = run_server_suite(config)
    assert result.ok, result.summary()
    assert any("past their retention were not probed" in n for n in result.notes)
    held = {r.rule for r in result.coverage.values() if r.held}
    assert "replace-section: a track of another task gets 404 or 422" in held
    assert "generate-music: a refused callback is delivered again, 3 attempts at most" in held
    assert "convert-to-wav: a refused callback is not sent more than 3 times (retries undocumented)" in held
    no_scheme = "a request with the key but no Bearer scheme gets the 401 envelope, not showing the key"
    assert f"get-music-details: {no_scheme}" in held


def test_recovery_is_not_held_to_the_retention() -> None:
    from contract._server import suite_session
    from contract._server.discovery import discover, fixture
    from contract._sources import past_retention

    app = create_app("apibox", seed=1, tokens=frozenset({TOKEN}), virtual_clock=True)
    with suite_session(SuiteConfig(provider="apibox", token=TOKEN, app=app)) as session:
        discover(session.suite)
        fixture(session.suite)
        past_retention(session.suite)
    result = session.result
    assert result is not None
    assert result.ok, result.summary()
    aged = [r.rule for r in result.coverage.values() if "past its retention" in r.rule]
    assert "replace-section: a music task past its retention gets 404 or 422" in aged
    assert not any(rule.startswith("recover-audio") for rule in aged)
