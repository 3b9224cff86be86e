"""Callback delivery (dispatcher, attempt journal, allow-list, signing) against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver._allowlist import is_allowed, is_loopback
from mockserver._callback_journal import Attempt, CallbackJournal, CallbackWaitTimeout
from mockserver._callbacks import CallbackDispatcher, CallbackPolicy
from mockserver._clock import ScaledClock, VirtualClock
from mockserver._config import Settings
from mockserver._lifecycle import Stage
from mockserver._providers import get_profile
from mockserver._scheduler import Scheduler
from mockserver._signing import sign
from mockserver._state import MockState

pytestmark = pytest.mark.timeout(60)

START = 1_700_000_000.0
FAST = CallbackPolicy(timeout_s=0.3)  # 3 attempts, gaps 2 s then 4 s of mock time
SLOW_ANSWER_S = 5.0  # how long the "slow" receiver sleeps; far beyond FAST.timeout_s


@dataclass(frozen=True)
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: Any


class Receiver:
    """A Starlette app served by uvicorn on 127.0.0.1 (free port) in a background thread.

    Each request consumes the next answer from ``script`` ("ok", "error" for
    HTTP 500, "slow" to sleep past the client timeout), then ``default``.
    """

    def __init__(self) -> None:
        self.default = "ok"
        self.script: deque[str] = deque()
        self.requests: list[Received] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/hook"
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test receiver did not start within 10 s")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def reset(self, default: str = "ok", *script: str) -> None:
        self.default = default
        self.script = deque(script)
        self.requests = []

    async def _hook(self, request: Request) -> Response:
        self.requests.append(Received(dict(request.headers), await request.json()))
        answer = self.script.popleft() if self.script else self.default
        if answer == "error":
            return JSONResponse({"error": "boom"}, status_code=500)
        if answer == "slow":
            await asyncio.sleep(SLOW_ANSWER_S)
        return JSONResponse({"code": 200, "msg": "success"})


def closed_port_url() -> str:
    """Return a loopback URL on which nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.fixture(scope="module")
def server() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver(server: Receiver) -> Receiver:
    server.reset()
    return server


@dataclass
class Harness:
    """A dispatcher on a virtual clock, plus what it reported through on_final."""

    scheduler: Scheduler
    journal: CallbackJournal
    dispatcher: CallbackDispatcher
    finals: list[bool] = field(default_factory=list)

    def dispatch(self, url: str, task_id: str = "task-1", stage: Stage = Stage.COMPLETE) -> None:
        payload = {
            "code": 200,
            "msg": "ok",
            "data": {"callbackType": str(stage), "task_id": task_id},
        }
        self.dispatcher.dispatch(task_id, stage, url, payload, policy=FAST, on_final=self.finals.append)


MakeHarness = Callable[..., Harness]


@pytest_asyncio.fixture
async def make() -> AsyncIterator[MakeHarness]:
    harnesses: list[Harness] = []

    def factory(clock: ScaledClock | VirtualClock | None = None, **options: Any) -> Harness:
        scheduler = Scheduler(clock or VirtualClock(START))
        journal = CallbackJournal()
        harness = Harness(scheduler, journal, CallbackDispatcher(scheduler, journal, **options))
        harnesses.append(harness)
        return harness

    yield factory
    for harness in harnesses:
        await harness.scheduler.stop()
        await harness.dispatcher.aclose()
        assert harness.scheduler.errors == [], "a background callback action crashed"


def gaps(attempts: list[Attempt]) -> list[float]:
    return [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]


def test_policies_and_backoff() -> None:
    driver = MockState(get_profile("kie"), Settings()).driver
    music, replace = driver.policy("music"), driver.policy("replace")
    assert (music.timeout_s, replace.timeout_s) == (15.0, 10.0)  # the documented receiver timeouts
    assert [music.backoff(n) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    with pytest.raises(ValueError, match="attempts"):
        CallbackPolicy(attempts=0)


@pytest.mark.parametrize(
    ("url", "allow", "expected"),
    [
        ("http://localhost:8000/cb", frozenset(), True),
        ("http://LOCALHOST/cb", frozenset(), True),
        ("https://127.0.0.1/cb", frozenset(), True),
        ("http://127.9.9.9:1/cb", frozenset(), True),
        ("http://[::1]:8000/cb", frozenset(), True),
        ("http://[::ffff:127.0.0.1]/cb", frozenset(), True),
        ("http://10.0.0.5/cb", frozenset(), False),
        ("http://10.0.0.5/cb", frozenset({"10.0.0.0/8"}), True),
        ("http://10.0.0.5/cb", frozenset({"10.0.0.5"}), True),
        ("http://example.com/cb", frozenset(), False),
        ("http://example.com/cb", frozenset({"Example.COM"}), True),
        ("http://localhost@example.com/cb", frozenset(), False),
        ("http://localhost.example.com/cb", frozenset(), False),
        ("ftp://localhost/cb", frozenset(), False),
        ("not a url", frozenset(), False),
        ("http://[::1/cb", frozenset(), False),
    ],
)
def test_is_allowed(url: str, allow: frozenset[str], expected: bool) -> None:
    assert is_allowed(url, allow) is expected


def test_is_loopback_takes_a_bare_host_as_serve_host_and_the_server_suite_give_it() -> None:
    loopback = ["localhost", "LocalHost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1"]
    remote = ["0.0.0.0", "::", "192.0.2.1", "example.com", "localhost.example.com", ""]
    assert [is_loopback(host) for host in loopback + remote] == [True] * len(loopback) + [False] * len(remote)


def test_sign_uses_task_id_then_task_id_camel_case() -> None:
    expected = base64.b64encode(hmac.new(b"key", b"abc.1700000000", hashlib.sha256).digest()).decode()
    for data in ({"task_id": "abc", "taskId": "other"}, {"taskId": "abc"}):
        headers = sign({"data": data}, "key", 1_700_000_000)
        assert headers == {
            "X-Webhook-Timestamp": "1700000000",
            "X-Webhook-Signature": expected,
        }
    with pytest.raises(ValueError, match="task_id"):
        sign({"data": {}}, "key", 1)


@pytest.mark.asyncio
async def test_delivered_at_first_attempt(receiver: Receiver, make: MakeHarness) -> None:
    harness = make()
    harness.dispatch(receiver.url)
    assert harness.journal.attempts() == []  # dispatch only schedules
    await harness.scheduler.advance(60)

    [attempt] = harness.journal.attempts("task-1")
    assert (attempt.attempt, attempt.status_code, attempt.error) == (1, 200, None)
    assert attempt.delivered
    assert attempt.final
    assert attempt.at == START
    assert harness.finals == [True]
    [request] = receiver.requests
    assert (
        request.body
        == attempt.payload
        == {
            "code": 200,
            "msg": "ok",
            "data": {"callbackType": "complete", "task_id": "task-1"},
        }
    )
    assert request.headers["content-type"] == "application/json"
    assert "x-webhook-signature" not in request.headers
    assert attempt.as_dict() == {
        "task_id": "task-1",
        "stage": "complete",
        "attempt": 1,
        "url": attempt.url,
        "payload": request.body,
        "at": START,
        "status_code": 200,
        "error": None,
        "duration_ms": attempt.duration_ms,
        "delivered": True,
        "final": True,
    }


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("down", "ConnectError"),
        ("slow", "no answer within 0.3 s"),
        ("error", "HTTP 500"),
    ],
)
@pytest.mark.asyncio
async def test_failing_receiver_gets_three_attempts_with_growing_gaps(
    receiver: Receiver, make: MakeHarness, answer: str, error: str
) -> None:
    receiver.reset(answer)
    harness = make()
    harness.dispatch(closed_port_url() if answer == "down" else receiver.url)

    await harness.scheduler.advance(0)
    assert len(harness.journal.attempts()) == 1
    await harness.scheduler.advance(2)
    assert len(harness.journal.attempts()) == 2
    await harness.scheduler.advance(1_000)

    attempts = harness.journal.attempts("task-1")
    assert [a.attempt for a in attempts] == [1, 2, 3]
    assert gaps(attempts) == [2.0, 4.0]
    assert all(error in (a.error or "") and not a.delivered for a in attempts)
    assert [a.final for a in attempts] == [False, False, True]
    assert harness.finals == [False]
    assert len(receiver.requests) == (0 if answer == "down" else 3)


@pytest.mark.asyncio
async def test_retry_that_succeeds_stops_retrying(receiver: Receiver, make: MakeHarness) -> None:
    receiver.reset("ok", "error")
    harness = make()
    harness.dispatch(receiver.url)
    await harness.scheduler.advance(1_000)
    assert [(a.attempt, a.status_code, a.delivered) for a in harness.journal.attempts()] == [
        (1, 500, False),
        (2, 200, True),
    ]
    assert harness.finals == [True]
    first, second = harness.journal.attempts()
    assert first.compressed_body is second.compressed_body  # one stored body per delivery
    assert first.payload == second.payload == receiver.requests[-1].body
    assert first.body == json.dumps(first.payload, separators=(",", ":")).encode()  # the exact bytes sent


@pytest.mark.asyncio
async def test_signature_headers_verify(receiver: Receiver, make: MakeHarness) -> None:
    harness = make(signing_key="s3cret")
    harness.dispatch(receiver.url, task_id="abc123")
    await harness.scheduler.advance(10)

    [request] = receiver.requests
    timestamp = request.headers["x-webhook-timestamp"]
    assert timestamp == str(int(START))
    expected = hmac.new(b"s3cret", f"abc123.{timestamp}".encode(), hashlib.sha256).digest()
    assert base64.b64decode(request.headers["x-webhook-signature"]) == expected


@pytest.mark.asyncio
async def test_signing_needs_a_task_id_in_the_payload(make: MakeHarness) -> None:
    harness = make(signing_key="s3cret")
    with pytest.raises(ValueError, match="task_id"):
        harness.dispatcher.dispatch("t", Stage.TEXT, "http://127.0.0.1/cb", {"data": {}}, policy=FAST)
    with pytest.raises(TypeError):
        harness.dispatcher.dispatch("t", Stage.TEXT, "http://127.0.0.1/cb", {"data": object()}, policy=FAST)


@pytest.mark.asyncio
async def test_disallowed_host_is_journaled_and_not_requested(
    make: MakeHarness,
) -> None:
    requested: list[httpx.Request] = []

    def transport(request: httpx.Request) -> httpx.Response:
        requested.append(request)
        return httpx.Response(200)

    harness = make(client_factory=lambda: httpx.AsyncClient(transport=httpx.MockTransport(transport)))
    harness.dispatch("http://example.com/hook")
    await harness.scheduler.advance(100)

    [attempt] = harness.journal.attempts()
    assert attempt.error == "host 'example.com' is not allowed; start the mock with --callback-allow example.com"
    assert attempt.status_code is None
    assert attempt.final
    assert not attempt.delivered
    assert harness.finals == [False]
    assert requested == []


@pytest.mark.asyncio
async def test_wait_for_returns_matching_attempt_and_explains_misses(receiver: Receiver, make: MakeHarness) -> None:
    harness = make()
    harness.dispatch(receiver.url, stage=Stage.TEXT)
    waiter = asyncio.create_task(harness.journal.wait_for("task-1", Stage.TEXT, timeout=10))
    await asyncio.sleep(0)
    await harness.scheduler.advance(1)
    assert (await waiter).delivered

    with pytest.raises(
        CallbackWaitTimeout,
        match=r"no delivered complete callback .* text attempt 1: delivered",
    ):
        await harness.journal.wait_for("task-1", Stage.COMPLETE, timeout=0.05)
    with pytest.raises(TimeoutError, match="no attempt at all"):
        await harness.journal.wait_for("nope", Stage.COMPLETE, timeout=0.01)

    harness.dispatch(closed_port_url(), task_id="task-2")
    await harness.scheduler.advance(100)
    failed = await harness.journal.wait_for("task-2", Stage.COMPLETE, delivered=False, timeout=1)
    assert (failed.attempt, failed.final) == (3, True)


def test_journal_is_bounded_and_counts_dropped() -> None:
    journal = CallbackJournal(max_attempts=2)
    for number in (1, 2, 3):
        journal.record(Attempt("t", Stage.TEXT, number, "u", zlib.compress(b"{}"), 0.0, None, "e", 0.0, False, False))
    assert [a.attempt for a in journal.attempts()] == [2, 3]
    assert journal.dropped == 1
    journal.clear()
    assert (journal.attempts(), journal.dropped) == ([], 0)


@pytest.mark.asyncio
async def test_concurrency_is_bounded(make: MakeHarness) -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200)

    harness = make(
        ScaledClock(1000.0, start=START),
        max_concurrency=3,
        client_factory=lambda: httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    harness.scheduler.start()
    for index in range(20):
        harness.dispatch("http://127.0.0.1/cb", task_id=f"task-{index}")
    for index in range(20):
        await harness.journal.wait_for(f"task-{index}", Stage.COMPLETE, timeout=10)
    assert peak == 3
    assert harness.finals == [True] * 20


@pytest.mark.asyncio
async def test_a_backlog_is_sent_in_due_order_one_request_at_a_time_per_task(make: MakeHarness) -> None:
    received: list[tuple[str, str]] = []
    busy: set[str] = set()
    overlapping: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        data = json.loads(request.content)["data"]
        task_id = data["task_id"]
        if task_id in busy:
            overlapping.append(task_id)
        busy.add(task_id)
        received.append((task_id, data["callbackType"]))
        await asyncio.sleep(0.005)
        busy.discard(task_id)
        return httpx.Response(200)

    harness = make(
        ScaledClock(1000.0, start=START),
        max_concurrency=4,
        client_factory=lambda: httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    harness.scheduler.start()
    tasks = [f"task-{index}" for index in range(10)]
    stages = (Stage.TEXT, Stage.FIRST, Stage.COMPLETE)
    for task_id in tasks:  # 30 callbacks due at once, far more than 4 can be sent together
        for stage in stages:
            harness.dispatch("http://127.0.0.1/cb", task_id=task_id, stage=stage)
    for task_id in tasks:
        await harness.journal.wait_for(task_id, Stage.COMPLETE, timeout=10)
    assert overlapping == []
    for task_id in tasks:
        assert [stage for tid, stage in received if tid == task_id] == [str(stage) for stage in stages]
    assert harness.finals == [True] * 30


@pytest.mark.asyncio
async def test_scaled_clock_retries_a_down_receiver_to_the_end(
    make: MakeHarness,
) -> None:
    harness = make(ScaledClock(1000.0))
    harness.scheduler.start()
    harness.dispatch(closed_port_url())
    failed = await harness.journal.wait_for("task-1", Stage.COMPLETE, delivered=False, timeout=10)
    assert failed.attempt == 3
    assert all(gap >= expected for gap, expected in zip(gaps(harness.journal.attempts()), [2.0, 4.0], strict=True))
    assert harness.finals == [False]
