"""The SQLite store: a real ``suno-mock serve`` on 127.0.0.1, stopped and started again, and several on one file.

Time moves only through ``POST /_mock/clock/advance`` (virtual clock kept in the store), so nothing
here waits on wall time; the callback receiver is a real loopback server in the test process.
"""

from __future__ import annotations

import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver._app import create_app
from mockserver._errors import ConfigError
from mockserver._serving import CallbackReceiver
from mockserver._stores.sqlite import SCHEMA_VERSION

EXE = shutil.which("suno-mock") or ""
AUTH = {"Authorization": "Bearer k1"}
STAGES = ("text", "first", "complete")


def _command(*args: str) -> list[str]:
    return [EXE, *args] if EXE else [sys.executable, "-m", "mockserver", *args]


class Served:
    """One ``suno-mock serve`` process and its URL."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            _command("serve", "--port", "0", "--virtual-clock", *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+)", line)
        if match is None:
            self.process.kill()
            raise AssertionError(f"unexpected first line {line!r}; stderr: {self.process.communicate()[1]}")
        self.url = match.group(1)
        self.client = httpx.Client(base_url=self.url, timeout=30, headers=AUTH)

    def stop(self, sig: signal.Signals) -> str:
        self.client.close()
        self.process.send_signal(sig)
        _, err = self.process.communicate(timeout=30)
        return err

    def kill(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()  # waits, and closes the pipes


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


def _serve(started: list[Served], *args: str) -> Served:
    server = Served(*args)
    started.append(server)
    return server


def _generate(server: Served | httpx.Client, url: str, prompt: str = "a calm piano") -> str:
    client = server.client if isinstance(server, Served) else server
    body = {"customMode": False, "instrumental": False, "model": "V4_5", "prompt": prompt, "callBackUrl": url}
    answer = client.post("/api/v1/generate", json=body).json()
    assert answer["code"] == 200, answer
    task_id: str = answer["data"]["taskId"]
    return task_id


def _details(client: httpx.Client, task_id: str) -> dict[str, Any]:
    answer = client.get("/api/v1/generate/record-info", params={"taskId": task_id}).json()
    assert answer["code"] == 200, answer
    data: dict[str, Any] = answer["data"]
    return data


def _advance(client: httpx.Client, seconds: float) -> None:
    answer = client.post("/_mock/clock/advance", json={"seconds": seconds}).json()
    assert answer["code"] == 200, answer


def _arrived(receiver: CallbackReceiver) -> Counter[tuple[str | None, str | None]]:
    return Counter((r.task_id, r.stage) for r in receiver.received)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_restarted_mock_answers_every_task_and_delivers_every_due_callback_once(
    tmp_path: Path, receiver: CallbackReceiver, started: list[Served], sig: signal.Signals
) -> None:
    store = f"sqlite:{tmp_path / 'mock.db'}"
    first = _serve(started, "--store", store, "--seed", "3")
    tasks = [_generate(first, receiver.url + "/cb", f"song {i}") for i in range(4)]
    _advance(first.client, 20)  # some callbacks delivered before the stop, the rest still pending
    before = {task_id: _details(first.client, task_id) for task_id in tasks}
    delivered_before = _arrived(receiver)
    assert delivered_before and all(n == 1 for n in delivered_before.values())
    assert any(data["status"] != "SUCCESS" for data in before.values())
    if sig is signal.SIGKILL:
        first.process.kill()
        first.process.communicate()
        first.client.close()
    else:
        err = first.stop(sig)
        assert first.process.returncode == 0 and "Traceback" not in err

    second = _serve(started, "--store", store, "--seed", "3")
    after = {task_id: _details(second.client, task_id) for task_id in tasks}
    assert after == before  # the clock is the store's too: nothing moved while the mock was down
    _advance(second.client, 600)
    for task_id in tasks:
        assert _details(second.client, task_id)["status"] == "SUCCESS"
    arrived = _arrived(receiver)
    assert arrived == Counter({(task_id, stage): 1 for task_id in tasks for stage in STAGES})
    journal = second.client.get("/_mock/callbacks").json()["data"]["callbacks"]
    assert Counter((a["task_id"], a["stage"]) for a in journal if a["delivered"]) == arrived
    # a new task after the restart does not reuse an id of the seeded sequence
    assert _generate(second, receiver.url + "/cb") not in tasks


def test_three_instances_on_one_file_share_tasks_callbacks_faults_and_balances(
    tmp_path: Path, receiver: CallbackReceiver, started: list[Served]
) -> None:
    store = f"sqlite:{tmp_path / 'shared.db'}"
    servers = [_serve(started, "--store", store, "--credits", "5") for _ in range(3)]
    a, b, c = servers
    source = a.client.post("/_mock/tasks", json={"durations": [120.0]}).json()["data"]
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
    made = [_generate(server, receiver.url + "/cb") for server in servers]
    for server in servers:  # each task is read through every instance
        for task_id in made:
            assert _details(server.client, task_id)["taskId"] == task_id
        assert _details(server.client, replaced["data"]["taskId"])["taskId"] == replaced["data"]["taskId"]
    _advance(c.client, 600)  # advanced through a third instance: the clock is one
    for server in servers:
        assert all(_details(server.client, task_id)["status"] == "SUCCESS" for task_id in made)
    arrived = _arrived(receiver)
    assert arrived == Counter({(t, s): 1 for t in made for s in STAGES} | {(replaced["data"]["taskId"], "complete"): 1})
    # one balance for the key: 5 credits, 4 spent above, 1 left for whichever instance asks
    assert _generate(c, receiver.url + "/cb")
    body = {"customMode": False, "instrumental": False, "model": "V4_5", "prompt": "x", "callBackUrl": receiver.url}
    refused = a.client.post("/api/v1/generate", json=body).json()
    assert "Insufficient credits: the balance of this API key is 0" in refused["msg"], refused
    # a fault rule set through one instance applies to every instance
    rule = {"name": "busy", "when": {"operation": "get-music-details"}, "code": 455}
    assert b.client.post("/_mock/faults", json=rule).json()["code"] == 200
    for server in servers:
        assert server.client.get("/api/v1/generate/record-info", params={"taskId": made[0]}).json()["code"] == 455
    assert c.client.delete("/_mock/faults", params={"name": "busy"}).json()["code"] == 200
    for server in servers:
        assert _details(server.client, made[0])["status"] == "SUCCESS"


def test_workers_share_one_file_and_deliver_each_callback_once(
    tmp_path: Path, receiver: CallbackReceiver, started: list[Served]
) -> None:
    store = f"sqlite:{tmp_path / 'workers.db'}"
    served = _serve(started, "--store", store, "--workers", "3")
    made = []
    for i in range(9):  # a new connection each time: the kernel hands them to the workers in turn
        with httpx.Client(base_url=served.url, timeout=30, headers=AUTH) as fresh:
            made.append(_generate(fresh, receiver.url + "/cb", f"song {i}"))
    for task_id in made:
        with httpx.Client(base_url=served.url, timeout=30, headers=AUTH) as fresh:
            assert _details(fresh, task_id)["taskId"] == task_id
    _advance(served.client, 600)
    assert _arrived(receiver) == Counter({(t, s): 1 for t in made for s in STAGES})
    err = served.stop(signal.SIGTERM)
    assert served.process.returncode == 0, err
    assert "Traceback" not in err


def test_the_memory_store_refuses_more_than_one_worker_naming_the_stores() -> None:
    result = subprocess.run(_command("serve", "--workers", "2"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--workers 2 needs a store every worker shares" in result.stderr
    assert "sqlite:PATH" in result.stderr


def test_a_wrong_store_url_is_refused_at_start_up_with_the_forms() -> None:
    result = subprocess.run(
        _command("serve", "--store", "postgres://db/mock"), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "store 'postgres://db/mock' is not a store URL; use memory" in result.stderr
    with pytest.raises(ConfigError, match="does not exist"):
        create_app(store="sqlite:/no/such/dir/mock.db")


def test_a_file_of_a_newer_schema_or_another_provider_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mock.db"
    create_app(store=f"sqlite:{path}").state.close()
    with pytest.raises(ConfigError, match="holds the tasks of provider 'kie', not 'sunoapi'"):
        create_app("sunoapi", store=f"sqlite:{path}")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (str(SCHEMA_VERSION + 1).encode(),))
    result = subprocess.run(_command("serve", "--store", f"sqlite:{path}"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"written by a newer suno-mockkit (schema {SCHEMA_VERSION + 1}" in result.stderr
    assert "upgrade suno-mockkit, or point --store at a new file" in result.stderr
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConfigError, match="cannot be opened as a suno-mock SQLite store"):
        create_app(store=f"sqlite:{tmp_path / 'junk.db'}")


def test_the_environment_variable_chooses_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNO_MOCK_STORE", f"sqlite:{tmp_path / 'env.db'}")
    app = create_app()
    try:
        assert app.state.store.shared is not None and app.state.store.shared.url.endswith("env.db")
    finally:
        app.state.close()
    monkeypatch.delenv("SUNO_MOCK_STORE")
    assert create_app().state.store.shared is None


pytest_plugins = ["pytester"]


def test_the_pytest_ini_key_puts_the_plugin_s_mock_on_the_store(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the inner run has no pytest-xdist, but inherits this worker's name when the outer run has it
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    path = tmp_path / "plugin-main.db"  # {worker}: "main" without pytest-xdist
    pytester.makeini(f"[pytest]\nsuno_mock_store = sqlite:{tmp_path}/plugin-{{worker}}.db\n")
    pytester.makepyfile(
        "def test_on_sqlite(suno_mock):\n"
        "    shared = suno_mock.app.state.store.shared\n"
        f"    assert shared is not None and shared.url == 'sqlite:{path}'\n"
        "    assert suno_mock.app.seed_task().id in suno_mock.app.state.store.tasks\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")
    assert result.ret == 0, result.stdout.str()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM tasks").fetchone()[0] >= 1


async def test_on_a_scaled_clock_the_store_s_deliveries_are_sent_in_the_background(tmp_path: Path) -> None:
    app = create_app(store=f"sqlite:{tmp_path / 'scaled.db'}", time_scale=2000.0)
    try:
        with CallbackReceiver() as receiver:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=AUTH) as client:
                body = {"customMode": False, "instrumental": False, "model": "V4_5", "prompt": "x"}
                answer = (await client.post("/api/v1/generate", json={**body, "callBackUrl": receiver.url})).json()
                task_id = answer["data"]["taskId"]
                attempt = await app.wait_for_callback(task_id, "complete", timeout=60)
                assert attempt.delivered and attempt.attempt == 1
                assert {r.stage for r in receiver.received if r.task_id == task_id} == set(STAGES)
                assert app.status(task_id) == "SUCCESS"
    finally:
        await app.aclose()
