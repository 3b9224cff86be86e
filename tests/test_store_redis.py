"""The Redis store: a real ``redis-server`` on a loopback port, two ``suno-mock serve`` processes on it.

Time moves only through ``POST /_mock/clock/advance`` (the virtual clock is a Redis key); the
callback receiver is a real loopback server in the test process.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver._app import create_app
from mockserver._errors import ConfigError
from mockserver._serving import CallbackReceiver
from mockserver._stores.redis import SCHEMA_VERSION
from tests.test_store_sqlite import AUTH, STAGES, Served, _advance, _arrived, _details, _generate

REDIS = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of its own on 127.0.0.1, with no persistence, for the whole session."""
    assert REDIS is not None, "these tests start a real redis-server: apt-get install -y redis-server"
    folder = tmp_path_factory.mktemp("redis")
    port = _free_port()
    args = [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.05)
    client.close()
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)


_databases = iter(range(1, 16))


@pytest.fixture
def store(redis_server: str) -> str:
    """A database of its own for each test (the server has 16)."""
    import redis

    url = f"{redis_server}/{next(_databases)}"
    with redis.Redis.from_url(url) as db:
        db.flushdb()
    return url


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as running:
        yield running


@pytest.fixture
def started() -> Iterator[list[Served]]:
    servers: list[Served] = []
    yield servers
    for server in servers:
        server.kill()


def test_two_instances_on_one_redis_share_tasks_clock_callbacks_faults_and_rate_limits(
    store: str, receiver: CallbackReceiver, started: list[Served]
) -> None:
    a = Served("--store", store, "--rate-limits")
    started.append(a)
    b = Served("--store", store, "--rate-limits")
    started.append(b)
    source = a.client.post("/_mock/tasks", json={"durations": [120.0]}).json()["data"]
    made = _generate(a, receiver.url + "/cb")
    assert _details(b.client, made)["taskId"] == made  # created through one, read through the other
    replace = {
        "taskId": source["taskId"],
        "audioId": source["tracks"][0]["id"],
        "prompt": "A calm piano",
        "tags": "jazz",
        "title": "Calm",
        "infillStartS": 10.0,
        "infillEndS": 16.0,
        "callBackUrl": receiver.url + "/cb",
    }
    replaced = b.client.post("/api/v1/generate/replace-section", json=replace).json()
    assert replaced["code"] == 200, replaced
    replaced_id = replaced["data"]["taskId"]
    _advance(b.client, 600)  # advanced through the other one: one clock
    assert _details(a.client, made)["status"] == "SUCCESS"
    assert _details(a.client, replaced_id)["status"] == "SUCCESS"
    assert _arrived(receiver) == Counter({(made, s): 1 for s in STAGES} | {(replaced_id, "complete"): 1})
    journal = a.client.get("/_mock/callbacks").json()["data"]["callbacks"]
    assert len(journal) == 4 and all(attempt["delivered"] for attempt in journal)

    # a fault rule set through one applies to the other
    rule = {"name": "busy", "when": {"operation": "get-music-details"}, "code": 455}
    assert a.client.post("/_mock/faults", json=rule).json()["code"] == 200
    assert b.client.get("/api/v1/generate/record-info", params={"taskId": made}).json()["code"] == 455
    assert b.client.delete("/_mock/faults").json()["code"] == 200
    assert a.client.get("/api/v1/generate/record-info", params={"taskId": made}).json()["code"] == 200

    # the documented 20 creating calls per 10 s per key count across both instances
    for i in range(20):  # the calls above are 600 mock seconds old: out of the window
        _generate(a if i % 2 else b, receiver.url + "/cb", f"song {i}")
    body = {"customMode": False, "instrumental": False, "model": "V4_5", "prompt": "x", "callBackUrl": receiver.url}
    assert a.client.post("/api/v1/generate", json=body).json()["code"] == 429
    assert b.client.post("/api/v1/generate", json=body).json()["code"] == 429


def test_a_restarted_instance_on_redis_answers_and_delivers_once(
    store: str, receiver: CallbackReceiver, started: list[Served]
) -> None:
    first = Served("--store", store)
    started.append(first)
    tasks = [_generate(first, receiver.url + "/cb", f"song {i}") for i in range(3)]
    _advance(first.client, 20)
    before = {t: _details(first.client, t) for t in tasks}
    first.process.kill()
    first.process.communicate()
    second = Served("--store", store)
    started.append(second)
    assert {t: _details(second.client, t) for t in tasks} == before
    _advance(second.client, 600)
    assert _arrived(receiver) == Counter({(t, s): 1 for t in tasks for s in STAGES})


def test_a_delivery_held_by_a_killed_instance_is_delivered_by_another(
    store: str, started: list[Served], tmp_path: Path
) -> None:
    slow = CallbackReceiver(delay_s=30.0).start()  # holds the first attempt until its sender is gone
    try:
        a = Served("--store", store, "--callback-timeout", "3")  # a is killed well within its attempt
        started.append(a)
        b = Served("--store", store, "--callback-timeout", "3")
        started.append(b)
        body = {"customMode": False, "instrumental": False, "model": "V4_5", "prompt": "x", "callBackUrl": slow.url}
        task_id = a.client.post("/api/v1/generate", json=body).json()["data"]["taskId"]

        def advance_a() -> None:  # the advance waits for the slow receiver: sent from aside, its answer lost
            with contextlib.suppress(httpx.HTTPError), httpx.Client(base_url=a.url, timeout=60) as aside:
                aside.post("/_mock/clock/advance", json={"seconds": 20})

        advancing = threading.Thread(target=advance_a, daemon=True)
        advancing.start()
        try:
            slow.wait_for(task_id=task_id, stage="text", timeout=60)  # a is mid-delivery now
        except TimeoutError:
            a.process.kill()
            raise AssertionError(f"instance a sent nothing; its stderr: {a.process.communicate()[1]}") from None
        a.process.send_signal(signal.SIGKILL)
        a.process.wait()
        advancing.join(timeout=30)
        slow.delay_s = 0.0
        deadline = time.monotonic() + 60  # the lease (2 x 3 s + 2 s) runs out in real time
        while len([r for r in slow.received if r.stage == "text"]) < 2:
            assert time.monotonic() < deadline, "the other instance never took the delivery over"
            _advance(b.client, 0)
            time.sleep(0.2)
        attempts = b.client.get("/_mock/callbacks", params={"taskId": task_id}).json()["data"]["callbacks"]
        text = [x for x in attempts if x["stage"] == "text"]
        # the cut attempt counts: the other instance made attempt 2 (of the documented 3), and delivered it
        assert [(x["attempt"], x["delivered"]) for x in text] == [(2, True)]
        assert len([r for r in slow.received if r.stage == "text"]) == 2
    finally:
        slow.stop()


def test_an_unreachable_redis_a_bad_url_and_a_newer_schema_are_refused(store: str) -> None:
    closed = _free_port()
    with pytest.raises(ConfigError, match=r"cannot reach Redis .*start redis-server there, or fix --store"):
        create_app(store=f"redis://127.0.0.1:{closed}/0")
    with pytest.raises(ConfigError, match="is not a Redis URL"):
        create_app(store="redis://127.0.0.1:notaport/0")
    import redis

    with redis.Redis.from_url(store) as db:
        db.set("suno-mock:kie:value:schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(ConfigError, match=f"newer suno-mockkit \\(schema {SCHEMA_VERSION + 1}"):
        create_app(store=store)


def test_in_process_app_on_redis_reads_what_a_served_one_made(
    store: str, receiver: CallbackReceiver, started: list[Served]
) -> None:
    served = Served("--store", store)
    started.append(served)
    made = _generate(served, receiver.url + "/cb")
    app = create_app(store=store, virtual_clock=True)
    try:
        assert app.status(made) == "PENDING" or app.status(made).endswith("SUCCESS")
        with httpx.Client(base_url=served.url, headers=AUTH) as client:
            assert _details(client, made)["taskId"] == made
    finally:
        app.state.close()


def test_on_a_scaled_clock_task_keys_expire_after_retention_and_grace_in_real_time(store: str) -> None:
    import redis

    app = create_app(store=store, time_scale=50.0, profile_overrides={"retention_days": "1"}, retention_grace_s=3600.0)
    try:
        task = app.seed_task([30.0])
        expected = (86400 + 3600) / 50 + 60  # real seconds
        with redis.Redis.from_url(store) as client:
            assert expected - 5 < client.ttl(f"suno-mock:kie:task:{task.id}") <= expected
            assert expected - 5 < client.ttl(f"suno-mock:kie:track:{task.tracks[0].id}") <= expected
    finally:
        app.state.close()


def test_the_contract_server_suite_passes_on_a_redis_backed_mock(store: str) -> None:
    from contract._server import SuiteConfig, run_server_suite

    app = create_app("kie", seed=1, tokens=frozenset({"test-token"}), time_scale=60.0, store=store)
    try:
        config = SuiteConfig(
            provider="kie",
            token="test-token",
            app=app,
            max_examples=3,
            callback_wait=5.0,
            require_callbacks=True,
            schemathesis=False,  # the hand-written probes: every operation, rule, lifecycle and callback
        )
        result = run_server_suite(config)
        failed = [(o.check, o.operation, o.message) for o in result.outcomes.values() if o.failed]
        assert result.ok, failed
        assert {o.check for o in result.outcomes.values() if o.passed} >= {"lifecycle", "callbacks", "stateful_rules"}
    finally:
        app.state.close()
