"""The pytest plugin, tested the way users meet it: pytester runs that load it through its entry point."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mockserver import MockApp, create_app
from mockserver._serving import ThreadedServer

pytest_plugins = ["pytester"]

DOCS = Path(__file__).resolve().parent.parent / "docs" / "pytest-plugin.md"

GENERATE = (
    'GENERATE = {"customMode": False, "instrumental": True, "model": "V5", "prompt": "x", '
    '"callBackUrl": "http://127.0.0.1:9/unused"}\n'
)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # The inner run is in this process: without a reset it would inherit this suite's "warnings are
    # errors" filter, where a user's run shows the kit's NoRequestSeen advice as a warning (several
    # tests here route no request). The reset holds for the inner run only.
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("default")
        return pytester.runpytest("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function", *args)


# registration -----------------------------------------------------------------------------------
def test_the_entry_point_registers_fixtures_markers_and_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(suno_mock, suno_server, suno_respx, callback_receiver):\n    pass\n")
    assert run(pytester).ret == 0
    run(pytester, "--markers").stdout.fnmatch_lines(
        [
            "@pytest.mark.suno(provider=..., time_scale=..., poll_step=..., faults=[...], seed=..., "
            "expect_rejections=False, **settings): configure the suno-mockkit fixtures for this test, "
            "class or module; see docs/pytest-plugin.md",
            "@pytest.mark.suno_live: with --suno-base-url, suno_server is a guarded proxy to that real endpoint; "
            "see docs/pytest-plugin.md",
        ]
    )
    run(pytester, "--help").stdout.fnmatch_lines(
        ["suno-mockkit: the Suno API mock (docs/pytest-plugin.md):", "*--suno-provider=SUNO_PROVIDER*"]
    )
    disabled = run(pytester, "-p", "no:suno_mockkit")
    disabled.stdout.fnmatch_lines(["*fixture 'suno_mock' not found*"])


def test_importing_the_plugin_imports_only_pytest_and_the_standard_library() -> None:
    script = (
        "import sys, pytest; before = set(sys.modules); import contract.pytest_plugin; "
        "print(sorted(m for m in set(sys.modules) - before if not m.startswith('contract')))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# suno_mock ----------------------------------------------------------------------------------------
def test_suno_mock_is_fresh_per_test_and_drives_a_task_on_the_virtual_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        GENERATE
        + """
def test_first(suno_mock):
    task_id = suno_mock.client.post("/api/v1/generate", json=GENERATE).json()["data"]["taskId"]
    assert suno_mock.status(task_id) == "PENDING"
    suno_mock.advance(20)
    assert suno_mock.status(task_id) == "TEXT_SUCCESS"
    assert suno_mock.wait_for_status(task_id, "SUCCESS") == "SUCCESS"
    assert [r.code for r in suno_mock.requests] == [200]

def test_second_sees_nothing_of_the_first(suno_mock):
    assert list(suno_mock.requests) == [] and suno_mock.app.state.store.tasks == {}
    assert suno_mock.client.headers["authorization"] == "Bearer suno-test-key"
    task = suno_mock.seed_task([60.0])
    record = suno_mock.client.get("/api/v1/generate/record-info", params={"taskId": task.id}).json()
    assert record["data"]["response"]["sunoData"][0]["audioUrl"].startswith("http://testserver/")
"""
    )
    run(pytester, "-v").assert_outcomes(passed=2)


def test_suno_mock_works_in_async_tests_under_strict_pytest_asyncio(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        GENERATE
        + """
import pytest

@pytest.mark.asyncio
async def test_async(suno_mock, callback_receiver):
    body = {**GENERATE, "callBackUrl": callback_receiver.url + "/cb"}
    task_id = (await suno_mock.async_client.post("/api/v1/generate", json=body)).json()["data"]["taskId"]
    await suno_mock.advance_async(20)
    assert suno_mock.status(task_id) == "TEXT_SUCCESS"
    attempt = await suno_mock.wait_for_callback_async(task_id, "complete")
    assert attempt.delivered and [c.stage for c in callback_receiver.received] == ["text", "first", "complete"]
"""
    )
    run(pytester, "-p", "asyncio", "--asyncio-mode=strict").assert_outcomes(passed=1)


def test_an_unexpected_rejection_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

def test_sends_text(suno_mock):
    answer = suno_mock.client.post("/api/v1/generate", content="hi", headers={"Content-Type": "text/plain"})
    assert answer.json()["code"] == 422

@pytest.mark.suno(expect_rejections=True)
def test_declared_by_marker(suno_mock):
    suno_mock.client.post("/api/v1/generate", content="hi", headers={"Content-Type": "text/plain"})

def test_declared_by_call(suno_mock):
    suno_mock.expect_rejections()
    suno_mock.client.post("/api/v1/generate", content="hi", headers={"Content-Type": "text/plain"})
"""
    )
    result = run(pytester)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_sends_text*",
            "suno_mock: the mock rejected 1 request(s) as malformed (code 422) and the test did not expect it:",
            "  - POST /api/v1/generate (generate-music): Validation error: Content-Type must be application/json "
            "(got 'text/plain')",
            "Fix the request, or declare it expected with @pytest.mark.suno(expect_rejections=True) "
            "or suno_mock.expect_rejections().",
            "(see docs/pytest-plugin.md)",
        ],
        consecutive=True,
    )


def test_a_crash_inside_the_mock_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
def test_crashes(suno_mock):
    async def deliver():
        raise RuntimeError("delivery exploded")

    suno_mock.app.state.scheduler.call_at(suno_mock.app.state.now() + 1, deliver)
    suno_mock.advance(5)
"""
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_crashes*",
            "suno_mock: 1 background action(s) crashed inside the mock (callback deliveries, timed state changes):",
            "  - RuntimeError: delivery exploded",
            "The tracebacks are in the captured log; please report mock crashes to suno-mockkit.",
            "(see docs/pytest-plugin.md)",
        ],
        consecutive=True,
    )


# configuration ------------------------------------------------------------------------------------
def test_markers_merge_closest_wins_over_options_and_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nsuno_provider = apibox\nsuno_seed = 5\n")
    pytester.makepyfile(
        """
import pytest

pytestmark = pytest.mark.suno(provider="sunoapi", credits=0)

def test_module(suno_mock):
    assert suno_mock.provider == "sunoapi" and suno_mock.app.settings.credits == 0
    assert suno_mock.app.settings.seed == 5 and suno_mock.virtual_clock

@pytest.mark.suno(provider="apikley", seed=None)
def test_function(suno_mock):
    assert suno_mock.provider == "apikley" and suno_mock.app.settings.credits == 0
    assert suno_mock.app.settings.seed is None
"""
    )
    pytester.makepyfile(test_other="def test_ini(suno_mock):\n    assert suno_mock.provider == 'apibox'\n")
    run(pytester).assert_outcomes(passed=3)
    run(pytester, "--suno-provider=kie", "test_other.py").assert_outcomes(failed=1)


def test_a_scaled_clock_moves_by_itself_and_refuses_advance(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        GENERATE
        + """
import pytest

@pytest.mark.suno(time_scale=2000)
def test_scaled(suno_mock):
    task_id = suno_mock.client.post("/api/v1/generate", json=GENERATE).json()["data"]["taskId"]
    assert suno_mock.wait_for_status(task_id, "SUCCESS", timeout=30) == "SUCCESS"
    with pytest.raises(RuntimeError, match="advance.. needs the virtual clock, but this mock runs at time_scale=2000"):
        suno_mock.advance(1)
"""
    )
    run(pytester).assert_outcomes(passed=1)


def test_bad_configuration_is_reported_with_what_to_use(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.mark.suno(provder="kie")
def test_typo(suno_mock):
    pass

@pytest.mark.suno(provider="suno")
def test_provider(suno_mock):
    pass

@pytest.mark.suno(faults={"code": 500})
def test_faults(suno_mock):
    pass
"""
    )
    result = run(pytester)
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.suno got unknown keyword(s) provder; allowed: *, provider, *",
            "suno provider 'suno' is unknown; use one of kie, sunoapi, apibox, apikley",
            "@pytest.mark.suno(faults=...) must be a list of rule dicts, got {'code': 500}",
        ]
    )
    usage = run(pytester, "--suno-time-scale=fast")
    assert usage.ret == pytest.ExitCode.USAGE_ERROR
    usage.stderr.fnmatch_lines(
        ["ERROR: --suno-time-scale=fast: use 'virtual' or a number of mock seconds per real second > 0"]
    )


def test_fault_rules_pass_through_to_the_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        GENERATE
        + """
import pytest

RULE = {"when": {"operation": "generate-music"}, "code": 402}

def details(mock):
    return mock.client.get("/api/v1/generate/record-info", params={"taskId": "t"}).json()["code"]

@pytest.mark.suno(faults=[RULE])
def test_marker(suno_mock):
    assert suno_mock.client.post("/api/v1/generate", json=GENERATE).json()["code"] == 402
    assert suno_mock.add_fault({"code": 455}, when={"operation": "get-music-details"}) is None
    assert details(suno_mock) == 455
    assert suno_mock.client.post("/api/v1/generate", json=GENERATE).json()["code"] == 402
"""
    )
    run(pytester).assert_outcomes(passed=1)


# suno_server ---------------------------------------------------------------------------------------
def test_suno_server_is_shared_by_the_session_and_reset_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        GENERATE
        + """
import json
import urllib.request

import pytest

URLS = []

def post(url, body, token):
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)

def test_first(suno_server):
    URLS.append(suno_server.url)
    assert suno_server.url.startswith("http://127.0.0.1:")
    task_id = post(suno_server.url + "/api/v1/generate", GENERATE, suno_server.token)["data"]["taskId"]
    suno_server.advance(150)
    assert suno_server.status(task_id) == "SUCCESS"

def test_second(suno_server):
    URLS.append(suno_server.url)
    assert URLS[0] == URLS[1]
    assert list(suno_server.requests) == [] and suno_server.app.state.store.tasks == {}

@pytest.mark.suno(provider="sunoapi")
def test_other_configuration_other_server(suno_server):
    assert suno_server.url != URLS[0] and suno_server.provider == "sunoapi"
    answer = suno_server.client.post("/api/v1/generate", json={"customMode": True})
    assert answer.json()["code"] == 422
"""
    )
    result = run(pytester)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_other_configuration_other_server*",
            "suno_server: the mock rejected 1 request(s) as malformed (code 422) and the test did not expect it:",
            "  - POST /api/v1/generate (generate-music): Validation error: *",
            "Fix the request, or declare it expected with @pytest.mark.suno(expect_rejections=True) "
            "or suno_server.expect_rejections().",
        ],
        consecutive=True,
    )


def test_a_served_mocks_fault_rules_end_with_their_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

def details(server):
    return server.client.get("/api/v1/generate/record-info", params={"taskId": "t"}).json()["code"]

@pytest.mark.suno(faults=[{"when": {"operation": "get-music-details"}, "code": 429}])
def test_with_rule(suno_server):
    assert details(suno_server) == 429

def test_after(suno_server):
    suno_server.add_fault(when={"operation": "get-music-details"}, code=455)
    assert details(suno_server) == 455

def test_clean(suno_server):
    assert details(suno_server) != 429 and details(suno_server) != 455
"""
    )
    run(pytester, "-p", "no:randomly").assert_outcomes(passed=3)


# suno_respx ---------------------------------------------------------------------------------------
def test_suno_respx_routes_the_real_base_url_and_checks_the_requests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        GENERATE
        + """
import httpx
import pytest

def test_routed(suno_respx, suno_mock, callback_receiver):
    with httpx.Client(base_url="https://api.kie.ai", headers={"Authorization": "Bearer k"}) as http:
        body = {**GENERATE, "callBackUrl": callback_receiver.url + "/cb"}
        task_id = http.post("/api/v1/generate", json=body).json()["data"]["taskId"]
    suno_mock.advance(20)  # the callback goes through respx to the loopback receiver
    assert callback_receiver.wait_for(task_id=task_id, stage="text").task_id == task_id
    assert suno_respx.operations_called == ["generate-music"]

def test_other_provider(suno_respx):
    with pytest.raises(AssertionError) as refused:
        httpx.post("https://api.sunoapi.org/api/v1/generate", json=GENERATE)
    assert str(refused.value) == (
        "suno_respx: POST https://api.sunoapi.org/api/v1/generate goes to sunoapi, but this test mocks kie; "
        "mark it @pytest.mark.suno(provider='sunoapi')"
    )

def test_swallowed_violation(suno_respx):
    try:
        httpx.post("https://api.kie.ai/api/v1/generate", json=GENERATE)  # no Authorization header
    except AssertionError:
        pass
"""
    )
    result = run(pytester)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_swallowed_violation*",
            "suno_respx: the client broke 1 documented request rule(s), recorded during the test "
            "(the client may have swallowed the first error):",
            "  - POST https://api.kie.ai/api/v1/generate (generate-music): Authorization*",
        ],
        consecutive=True,
    )


POLLING_CLIENT = (
    GENERATE
    + """
import httpx

def poll(reads=200):
    \"\"\"A plain polling client: generate, then read record-info until SUCCESS; no clock control, no sleep.\"\"\"
    with httpx.Client(base_url="https://api.kie.ai", headers={"Authorization": "Bearer k"}) as http:
        task_id = http.post("/api/v1/generate", json=GENERATE).json()["data"]["taskId"]
        seen = []
        for _ in range(reads):  # bounded by count, never by time
            seen.append(http.get("/api/v1/generate/record-info", params={"taskId": task_id}).json()["data"]["status"])
            if seen[-1] == "SUCCESS":
                break
        return seen
"""
)


def test_a_polling_client_finishes_under_suno_respx_and_poll_step_0_holds_the_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        POLLING_CLIENT
        + """
import pytest

def test_default_step(suno_respx, suno_mock):
    start = suno_mock.app.state.now()
    seen = poll()
    assert seen[-1] == "SUCCESS" and seen[0] == "PENDING"
    assert {"TEXT_SUCCESS", "FIRST_SUCCESS"} <= set(seen)  # each stage was seen on the way
    assert suno_respx.poll_step == 5.0
    assert suno_mock.app.state.now() - start == 5.0 * len(seen) == suno_respx.polled_s

@pytest.mark.suno(poll_step=0)
def test_no_step(suno_respx, suno_mock):
    start = suno_mock.app.state.now()
    assert poll(reads=50) == ["PENDING"] * 50
    assert suno_mock.app.state.now() == start and suno_respx.polled_s == 0

@pytest.mark.suno(poll_step=30)
def test_marker_step(suno_respx, suno_mock):
    seen = poll()
    assert seen[-1] == "SUCCESS" and suno_respx.poll_step == 30.0

@pytest.mark.suno(time_scale=1000)
def test_scaled_clock_moves_by_itself(suno_respx):
    assert suno_respx.poll_step == 0
"""
    )
    run(pytester).assert_outcomes(passed=4)


def test_the_poll_step_option_and_ini_key_take_effect_and_are_validated(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        POLLING_CLIENT
        + """
import os
import pytest

def test_step(suno_respx, suno_mock):
    expected = float(os.environ["EXPECTED_POLL_STEP"])  # what the outer test configured
    assert suno_respx.poll_step == expected
    seen = poll(reads=40)
    if expected:
        assert seen[-1] == "SUCCESS" and suno_respx.polled_s == expected * len(seen)
    else:
        assert seen == ["PENDING"] * 40

@pytest.mark.suno(poll_step=5, time_scale=1000)
def test_step_on_a_scaled_clock(suno_respx):
    pass
"""
    )
    pytester.makeini("[pytest]\nsuno_poll_step = 20\n")
    for args, expected in (
        (("-k", "test_step and not scaled"), "20"),  # the ini key
        (("-k", "test_step and not scaled", "--suno-poll-step=0"), "0"),  # the option wins over it
        (("-k", "test_step and not scaled", "--suno-poll-step=7.5"), "7.5"),
    ):
        monkeypatch.setenv("EXPECTED_POLL_STEP", expected)
        run(pytester, *args).assert_outcomes(passed=1)
    scaled = run(pytester, "-k", "scaled")
    scaled.assert_outcomes(errors=1)
    scaled.stdout.fnmatch_lines(
        [
            "@pytest.mark.suno(poll_step=5) needs the virtual clock, but this test runs at time_scale=1000 "
            "(time moves by itself); drop poll_step or time_scale"
        ]
    )
    rule = "use a number of mock seconds >= 0 that each details read moves the virtual clock on (0: never)"
    bad_values: tuple[tuple[tuple[str, ...], str], ...] = (
        (("--suno-poll-step=-1",), "--suno-poll-step=-1"),
        (("--suno-poll-step=fast",), "--suno-poll-step=fast"),
        (("-o", "suno_poll_step=soon"), "suno_poll_step=soon"),
    )
    for bad, shown in bad_values:
        usage = run(pytester, *bad)
        assert usage.ret == pytest.ExitCode.USAGE_ERROR
        usage.stderr.fnmatch_lines([f"ERROR: {shown}: {rule}"])


def test_callback_receiver_is_emptied_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import httpx

def test_one(callback_receiver):
    callback_receiver.status = 500
    assert httpx.post(callback_receiver.url + "/x", json={"data": {"taskId": "t"}}).status_code == 500
    assert [c.task_id for c in callback_receiver.received] == ["t"]

def test_two(callback_receiver):
    assert callback_receiver.received == [] and callback_receiver.status == 200
"""
    )
    run(pytester).assert_outcomes(passed=2)


# live mode ----------------------------------------------------------------------------------------
@dataclass
class StandIn:
    url: str
    app: MockApp


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    """A loopback mock standing in for the real endpoint; it accepts only the key 'live-key'."""
    app = create_app("kie", tokens=frozenset({"live-key"}), virtual_clock=True)
    with ThreadedServer(app) as server:
        yield StandIn(server.url, app)


def test_live_mode_proxies_marked_tests_and_guards_spending(pytester: pytest.Pytester, stand_in: StandIn) -> None:
    pytester.makepyfile(
        GENERATE
        + """
import pytest

@pytest.mark.suno_live
def test_spends(suno_server):
    assert not suno_server.is_mock and suno_server.url != suno_server.upstream
    assert suno_server.client.post("/api/v1/generate", json=GENERATE).json()["code"] == 200
    refused = suno_server.client.post("/api/v1/generate", json=GENERATE).json()
    assert refused["code"] == 402 and refused["msg"].startswith("suno-mockkit spend guard:")
    assert suno_server.spent == 1

@pytest.mark.suno_live
def test_controls_are_absent(suno_server):
    with pytest.raises(AttributeError, match="suno_server.advance is a mock control, but this test runs against"):
        suno_server.advance(1)

def test_unmarked_uses_the_mock(suno_server):
    assert suno_server.is_mock

@pytest.mark.suno_live
def test_no_in_process_mock(suno_mock):
    pass
"""
    )
    result = run(
        pytester,
        f"--suno-base-url={stand_in.url}",
        "--suno-token=live-key",
        "--suno-spend-budget=1",
        "-p",
        "no:randomly",
    )
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_spends*",
            f"suno_server: refused 1 creating call(s) to {stand_in.url}: --suno-spend-budget=1 is used up (1 sent):",
            "  - POST /api/v1/generate",
            "Each creating call costs credits; raise --suno-spend-budget to allow more.",
        ],
        consecutive=True,
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_no_in_process_mock*",
            "suno_mock is always the in-process mock; a test marked suno_live runs against --suno-base-url "
            "through suno_server only",
        ],
        consecutive=True,
    )
    assert [(r.operation_id, r.code) for r in stand_in.app.requests] == [("generate-music", 200)]


def test_without_a_base_url_live_tests_use_the_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "import pytest\n\n@pytest.mark.suno_live\ndef test_live(suno_server):\n    assert suno_server.is_mock\n"
    )
    run(pytester).assert_outcomes(passed=1)


# pytest-xdist -------------------------------------------------------------------------------------
def test_each_xdist_worker_has_its_own_state_and_port(pytester: pytest.Pytester) -> None:
    tests = "\n".join(
        f"""
def test_{n}(suno_server, suno_mock, worker_id):
    assert list(suno_server.requests) == [] and list(suno_mock.requests) == []
    suno_server.client.get("/api/v1/generate/record-info", params={{"taskId": "t{n}"}})
    with open({str(pytester.path / "ports.txt")!r}, "a") as f:
        f.write(worker_id + " " + suno_server.url + "\\n")
"""
        for n in range(6)
    )
    pytester.makepyfile(tests)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=6)
    lines = (pytester.path / "ports.txt").read_text().split()
    pairs = set(zip(lines[::2], lines[1::2], strict=True))
    workers = {worker for worker, _ in pairs}
    assert workers == {"gw0", "gw1"}
    assert len({url for _, url in pairs}) == 2, pairs


def test_xdist_workers_split_the_spend_budget(pytester: pytest.Pytester, stand_in: StandIn) -> None:
    tests = "".join(
        f"""
@pytest.mark.suno_live
def test_{n}(suno_server):
    suno_server.client.post("/api/v1/generate", json=GENERATE)
"""
        for n in range(4)
    )
    pytester.makepyfile(GENERATE + "import pytest\n" + tests)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        f"--suno-base-url={stand_in.url}",
        "--suno-token=live-key",
        "--suno-spend-budget=1",
    )
    result.assert_outcomes(passed=4, errors=3)
    assert [r.operation_id for r in stand_in.app.requests] == ["generate-music"]


# the documentation ---------------------------------------------------------------------------------
def test_every_python_example_in_the_docs_passes(pytester: pytest.Pytester) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 6, "one example per fixture, the marker, teardown checks and live mode"
    for number, block in enumerate(blocks):
        pytester.makepyfile(**{f"test_doc_{number}": block})
    expected = sum(len(re.findall(r"^(?:async )?def test_", block, re.MULTILINE)) for block in blocks)
    run(pytester, "-p", "asyncio").assert_outcomes(passed=expected)
