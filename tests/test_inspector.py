"""The inspector's admin API: tasks paginated and filtered, one task's story, the live feed, YAML rules, the token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver._app import MockApp, create_app
from mockserver._events import key_tag
from mockserver._serving import CallbackReceiver, ThreadedServer
from tests.support import GENERATE_BODY

pytestmark = pytest.mark.timeout(120)

KEY = "sk-inspect-0123456789abcdef01234567"
ADMIN = "admin-secret-42"


@pytest.fixture
async def mock() -> AsyncIterator[tuple[MockApp, httpx.AsyncClient]]:
    app = create_app("kie", virtual_clock=True, seed=3)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        yield app, client
    await app.aclose()


async def _create(client: httpx.AsyncClient, key: str = KEY, **fields: Any) -> str:
    body = {**GENERATE_BODY, "callBackUrl": "http://127.0.0.1:9/cb", **fields}
    answer = (await client.post("/api/v1/generate", json=body, headers={"Authorization": f"Bearer {key}"})).json()
    assert answer["code"] == 200, answer
    task_id: str = answer["data"]["taskId"]
    return task_id


async def test_tasks_are_listed_newest_first_in_pages_with_filters(mock: tuple[MockApp, httpx.AsyncClient]) -> None:
    app, client = mock
    seeded = [app.seed_task([30.0]).id for _ in range(120)]
    made = [await _create(client), await _create(client, key="other-key-123")]
    page = (await client.get("/_mock/tasks", params={"limit": 50, "offset": 0})).json()["data"]
    assert page["total"] == 122 and [t["taskId"] for t in page["tasks"][:2]] == made[::-1]
    assert len(page["tasks"]) == 50 and page["tasks"][0]["status"] == "PENDING"
    last = (await client.get("/_mock/tasks", params={"limit": 50, "offset": 100})).json()["data"]
    assert [t["taskId"] for t in last["tasks"]] == seeded[:22][::-1]
    mine = (await client.get("/_mock/tasks", params={"key": key_tag(KEY)})).json()["data"]
    assert [t["taskId"] for t in mine["tasks"]] == [made[0]] and mine["total"] == 1
    pending = (await client.get("/_mock/tasks", params={"status": "PENDING", "limit": 1})).json()["data"]
    assert pending["total"] == 2 and [t["taskId"] for t in pending["tasks"]] == [made[1]]
    done = (await client.get("/_mock/tasks", params={"status": "SUCCESS", "operation": "generate-music"})).json()
    assert done["data"]["total"] == 120
    assert "generate-music" in page["operations"] and "SUCCESS" in page["statuses"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "limit: must be an integer from 1 to 500 (got '0')"),
        ({"limit": "501"}, "limit: must be an integer from 1 to 500 (got '501')"),
        ({"offset": "-1"}, "offset: must be an integer from 0 to 1000000000 (got '-1')"),
        ({"limit": "ten"}, "limit: must be an integer from 1 to 500 (got 'ten')"),
    ],
)
async def test_bad_pages_are_refused_naming_field_value_and_rule(
    mock: tuple[MockApp, httpx.AsyncClient], params: dict[str, str], message: str
) -> None:
    _, client = mock
    for path in ("/_mock/tasks", "/_mock/requests"):
        answer = (await client.get(path, params=params)).json()
        assert answer == {"code": 422, "msg": f"Validation error: {message}", "data": None}


async def test_a_task_s_story_stages_callbacks_tracks_and_curl(mock: tuple[MockApp, httpx.AsyncClient]) -> None:
    app, client = mock
    with CallbackReceiver() as receiver:
        body = {"callBackUrl": f"{receiver.url}/cb", "title": f"title with {KEY} inside"}
        task_id = await _create(client, **body)
        await app.advance(150)
    story = (await client.get(f"/_mock/tasks/{task_id}")).json()["data"]
    assert [(s["status"], s["stage"], s["reached"]) for s in story["stages"]] == [
        ("created", None, True),
        ("TEXT_SUCCESS", "text", True),
        ("FIRST_SUCCESS", "first", True),
        ("SUCCESS", "complete", True),
    ]
    assert [s["at"] - story["createdAt"] for s in story["stages"]] == [0, 20, 35, 150]
    assert [(a["stage"], a["status_code"], a["delivered"]) for a in story["callbacks"]] == [
        ("text", 200, True),
        ("first", 200, True),
        ("complete", 200, True),
    ]
    assert story["callbacks"][2]["payload"]["data"]["callbackType"] == "complete"
    assert story["status"] == "SUCCESS" and story["key"] == key_tag(KEY)
    track = story["tracks"][0]
    audio = await client.get(track["audio"])
    assert audio.status_code == 200 and audio.headers["content-type"].startswith("audio/")
    assert story["curl"].startswith('curl -X POST http://mock/api/v1/generate -H "Authorization: Bearer $SUNO_API_KEY"')
    assert KEY not in json.dumps(story) and f"<key {KEY[:4]}" in story["curl"], "the key in the title is redacted"
    missing = (await client.get("/_mock/tasks/nope")).json()
    assert missing["code"] == 404 and "taskId: no such task ('nope')" in missing["msg"]


async def test_a_task_s_own_files_are_listed(mock: tuple[MockApp, httpx.AsyncClient]) -> None:
    app, client = mock
    music = app.seed_task([30.0])
    wav = app.seed_operation("convert-to-wav", {"taskId": music.id, "audioId": music.tracks[0].id})
    story = (await client.get(f"/_mock/tasks/{wav['taskId']}")).json()["data"]
    assert story["files"] == [f"/_mock/files/{wav['taskId']}/audio.wav"]
    assert (await client.get(story["files"][0])).status_code == 200


async def test_requests_are_paginated_newest_first_and_filtered(mock: tuple[MockApp, httpx.AsyncClient]) -> None:
    _, client = mock
    await _create(client)
    await client.post("/api/v1/generate", json={"customMode": "yes"}, headers={"Authorization": f"Bearer {KEY}"})
    everything = (await client.get("/_mock/requests")).json()["data"]
    assert [r["code"] for r in everything["requests"]] == [200, 422], "no query: the whole journal, oldest first"
    refused = (await client.get("/_mock/requests", params={"code": "422"})).json()["data"]
    assert refused["total"] == 1 and refused["requests"][0]["msg"].startswith("Validation error: ")
    text = (await client.get("/_mock/requests", params={"q": "customMode", "limit": 10})).json()["data"]
    assert [r["code"] for r in text["requests"]] == [422]


async def test_fault_rules_in_yaml_get_the_rule_file_s_validation(mock: tuple[MockApp, httpx.AsyncClient]) -> None:
    _, client = mock
    yaml_type = {"Content-Type": "application/yaml"}
    bad = "name: broke\nwhen: {operation: generate-music}\ncode: 999\n"
    as_yaml = (await client.post("/_mock/faults", content=bad, headers=yaml_type)).json()
    as_json = (
        await client.post("/_mock/faults", json={"name": "broke", "when": {"operation": "generate-music"}, "code": 999})
    ).json()
    assert as_yaml == as_json and as_yaml["code"] == 422 and "code: 999 is not documented" in as_yaml["msg"]
    broken = (await client.post("/_mock/faults", content="when: [", headers=yaml_type)).json()
    assert broken["code"] == 422 and broken["msg"].startswith("Validation error: body: is not valid YAML at line 1")
    good = "name: broke\nwhen: {operation: generate-music}\ncode: 402\n"
    added = (await client.post("/_mock/faults", content=good, headers=yaml_type)).json()
    assert [r["name"] for r in added["data"]["rules"]] == ["broke"]
    body = {**GENERATE_BODY, "callBackUrl": "http://127.0.0.1:9/cb"}
    answer = await client.post("/api/v1/generate", json=body, headers={"Authorization": "Bearer k-12345"})
    assert answer.json()["code"] == 402


async def test_the_admin_token_closes_the_admin_api_but_not_the_api_files_or_page() -> None:
    app = create_app("kie", virtual_clock=True, admin_token=ADMIN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
        for path in ("/_mock/health", "/_mock/tasks", "/_mock/requests", "/_mock/events", "/_mock/faults"):
            refused = await client.get(path)
            assert refused.status_code == 401 and refused.json()["code"] == 401, path
            assert "no admin token was sent" in refused.json()["msg"]
        wrong = (await client.get("/_mock/health", headers={"X-Mock-Admin-Token": "guess"})).json()
        assert "a wrong admin token was sent" in wrong["msg"] and "guess" not in wrong["msg"]
        assert ADMIN not in wrong["msg"]
        for header in ({"Authorization": f"Bearer {ADMIN}"}, {"X-Mock-Admin-Token": ADMIN}):
            assert (await client.get("/_mock/health", headers=header)).json()["code"] == 200
        assert (await client.get("/_mock/ui")).status_code == 200, "the page holds no data: it asks for the token"
        task_id = await _create(client)
        track = app.state.store.tasks[task_id].tracks[0]
        assert (await client.get(f"/_mock/stream/{track.id}")).status_code in (200, 404)
        assert (await client.post("/_mock/reset")).status_code == 401
        assert len(app.state.store.tasks) == 1
    await app.aclose()


def test_the_live_feed_streams_events_and_ends_when_closed() -> None:
    app = create_app("kie", virtual_clock=True, admin_token=ADMIN)
    with ThreadedServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        headers = {"Authorization": f"Bearer {ADMIN}"}
        with client.stream("GET", "/_mock/events", headers=headers) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            assert next(lines) == "retry: 1000" and next(lines) == ": connected"  # subscribed from here on
            body = {**GENERATE_BODY, "callBackUrl": "http://127.0.0.1:9/cb"}
            created = client.post("/api/v1/generate", json=body, headers={"Authorization": f"Bearer {KEY}"}).json()
            client.post("/_mock/clock/advance", json={"seconds": 20}, headers=headers)
            frames: list[tuple[str, dict[str, Any]]] = []
            name = ""
            for line in lines:
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    frames.append((name, json.loads(line[6:])))
                    if name == "clock":
                        break
            app.inspector.feed.close()
            assert [line for line in lines if line] == [], "the stream ended"
        kinds = [name for name, _ in frames]
        assert kinds[0] == "request" and "stage" in kinds and kinds[-1] == "clock"
        assert frames[0][1]["task_id"] == created["data"]["taskId"] and frames[0][1]["key"] == key_tag(KEY)
        assert app.inspector.feed.clients == 0
        assert KEY not in json.dumps(frames)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    command = [sys.executable, "-m", "mockserver", "serve", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=root, env=env, timeout=60, check=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "::"])
def test_serve_refuses_a_non_loopback_host_without_an_admin_token(host: str) -> None:
    done = _cli("--host", host, "--port", "0")
    assert done.returncode == 2
    assert f"--host {host} is not loopback" in done.stderr and "--admin-token T, or --admin-open" in done.stderr
