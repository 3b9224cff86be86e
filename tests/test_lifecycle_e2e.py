"""Jobs move through their documented states on the mock clock and call back as providers do."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any, Self

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver import MockApp, create_app
from mockserver._faults import TaskFaults
from mockserver._lifecycle import Stage
from mockserver._serving import CallbackReceiver, ThreadedServer

from .support import AUTH, GENERATE_BODY, SpecChecker

GENERATE = GENERATE_BODY


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as receiver:
        yield receiver


def virtual(provider: str = "kie", **options: Any) -> MockApp:
    return create_app(provider, seed=3, virtual_clock=True, **options)


@pytest.fixture
async def client_for() -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    def make(app: MockApp) -> httpx.AsyncClient:
        checker = SpecChecker(app.provider)

        async def check(response: httpx.Response) -> None:
            await response.aread()
            checker.check_response(response)

        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://mock",
            headers=AUTH,
            event_hooks={"response": [check]},
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def record(client: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    body = (await client.get("/api/v1/generate/record-info", params={"taskId": task_id})).json()
    assert body["code"] == 200, body
    data: dict[str, Any] = body["data"]
    return data


async def test_generate_moves_through_every_state_and_calls_back_in_order(
    client_for: Any, receiver: CallbackReceiver
) -> None:
    app = virtual()
    client = client_for(app)
    body = {**GENERATE, "callBackUrl": f"{receiver.url}/cb"}
    task_id = (await client.post("/api/v1/generate", json=body)).json()["data"]["taskId"]

    seen = [(await record(client, task_id))["status"]]
    for step in (20, 15, 115):
        await app.advance(step)
        seen.append((await record(client, task_id))["status"])
    assert seen == ["PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS"]

    checker = SpecChecker("kie")
    stages = [r.stage for r in receiver.received]
    assert stages == ["text", "first", "complete"]
    for callback in receiver.received:
        checker.check_callback("Music", callback.json())
        assert callback.task_id == task_id
    text, first, complete = (r.json()["data"]["data"] for r in receiver.received)
    assert text == []
    assert first[0]["audio_url"] and first[0]["duration"] > 0
    assert first[1]["audio_url"] == "" and first[1]["duration"] is None and first[1]["stream_audio_url"]
    assert all(t["audio_url"] and t["duration"] for t in complete)


async def test_record_info_shows_each_stage_as_the_real_api(client_for: Any) -> None:
    app = virtual()
    client = client_for(app)
    body = {**GENERATE, "callBackUrl": "http://127.0.0.1:9/cb"}
    task_id = (await client.post("/api/v1/generate", json=body)).json()["data"]["taskId"]
    pending = await record(client, task_id)
    assert pending["response"]["sunoData"] == []
    assert json.loads(pending["param"]) == body, "param echoes the request"
    await app.advance(35)
    first = (await record(client, task_id))["response"]["sunoData"]
    assert [bool(t["audioUrl"]) for t in first] == [True, False]
    assert first[0]["duration"] > 0 and first[1]["duration"] is None
    assert all(t["streamAudioUrl"] for t in first)
    await app.advance(115)
    done = (await record(client, task_id))["response"]["sunoData"]
    assert all(t["audioUrl"] and t["duration"] for t in done)


async def test_replace_section_on_a_generated_track_calls_back_complete_only(
    client_for: Any, receiver: CallbackReceiver
) -> None:
    app = virtual()
    client = client_for(app)
    task_id = (await client.post("/api/v1/generate", json={**GENERATE, "callBackUrl": "http://127.0.0.1:9/x"})).json()[
        "data"
    ]["taskId"]
    await app.advance(150)
    track = (await record(client, task_id))["response"]["sunoData"][0]
    replace = {
        "taskId": task_id,
        "audioId": track["id"],
        "prompt": "calm piano",
        "tags": "jazz",
        "title": "Calm",
        "infillStartS": 10.0,
        "infillEndS": 20.5,
        "callBackUrl": f"{receiver.url}/replace",
    }
    new_id = (await client.post("/api/v1/generate/replace-section", json=replace)).json()["data"]["taskId"]
    assert (await record(client, new_id))["status"] == "PENDING"
    await app.advance(60)
    info = await record(client, new_id)
    assert info["status"] == "SUCCESS"
    assert info["response"]["sunoData"][0]["duration"] == track["duration"]
    (callback,) = receiver.received
    assert callback.stage == "complete" and callback.task_id == new_id
    SpecChecker("kie").check_callback("Replace", callback.json())
    assert "source_audio_url" not in callback.json()["data"]["data"][0]


async def test_extend_sets_parent_music_id(client_for: Any) -> None:
    app = virtual()
    client = client_for(app)
    seeded = app.seed_task([120.0])
    body = {
        "defaultParamFlag": False,
        "audioId": seeded.tracks[0].id,
        "model": "V4_5",
        "callBackUrl": "http://127.0.0.1:9/x",
    }
    task_id = (await client.post("/api/v1/generate/extend", json=body)).json()["data"]["taskId"]
    info = await record(client, task_id)
    assert info["parentMusicId"] == seeded.tracks[0].id
    assert info["operationType"] == "extend"


@pytest.mark.parametrize(
    ("provider", "flow", "status", "stage", "kind"),
    [
        ("kie", "music", "GENERATE_AUDIO_FAILED", "first", "Music"),
        ("sunoapi", "music", "SENSITIVE_WORD_ERROR", "text", "Music"),
        ("kie", "music", "CREATE_TASK_FAILED", "text", "Music"),
        ("kie", "replace", "GENERATE_AUDIO_FAILED", "complete", "Replace"),
        ("sunoapi", "replace", "GENERATE_AUDIO_FAILED", "complete", "Replace"),
        ("apibox", "replace", "GENERATE_AUDIO_FAILED", "complete", "Replace"),
    ],
)
async def test_failure_states_are_real_states_with_documented_error_callbacks(
    client_for: Any, receiver: CallbackReceiver, provider: str, flow: str, status: str, stage: str, kind: str
) -> None:
    app = virtual(provider)
    client = client_for(app)
    tasks = app.state.tasks
    task = tasks.new_task("generate-music", param={}, base_url="http://mock", token=None)
    task.callback_url = f"{receiver.url}/cb"
    task.tracks = [tasks.new_track(task.id, 0, duration=100.0)]
    job = app.state.kinds[flow]
    failure = job.failure(status)
    tasks.start(task, flow, TaskFaults(replace(failure, at_stage=Stage(stage))))
    await app.advance(200)
    info = await record(client, task.id)
    assert info["status"] == status
    assert info["errorCode"] in (400, 500, 501) and info["errorMessage"]
    assert info["response"]["sunoData"] == []
    error = receiver.wait_for(task_id=task.id, stage="error", timeout=5)
    SpecChecker(provider).check_callback(kind, error.json())
    assert error.json()["code"] == info["errorCode"]
    assert [r.stage for r in receiver.received].count("error") == 1
    if kind == "Replace" and provider == "kie":
        # seed 003: msg "Audio generation failed." and a separate detail in `error`
        assert error.json()["msg"] == info["errorMessage"]
        assert error.json()["data"]["error"] == "Generation failed due to technical issues"


@pytest.mark.parametrize("behaviour", ["down", "slow", "500"])
async def test_failing_receiver_gets_exactly_three_attempts_with_growing_gaps(behaviour: str, client_for: Any) -> None:
    with CallbackReceiver(status=500 if behaviour == "500" else 200, delay_s=1.0 if behaviour == "slow" else 0) as rx:
        url = f"{rx.url}/cb"
        app = virtual("kie", callback_timeout_s=0.3)
        client = client_for(app)
        if behaviour == "down":
            rx.stop()
        body = {**GENERATE, "callBackUrl": url}
        task_id = (await client.post("/api/v1/generate", json=body)).json()["data"]["taskId"]
        await app.advance(20 + 2 + 4)  # the text stage and both backoff gaps
        attempts = [a for a in app.callbacks.attempts(task_id) if a.stage == "text"]
        assert [a.attempt for a in attempts] == [1, 2, 3]
        assert not any(a.delivered for a in attempts)
        assert all(a.error for a in attempts)
        gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
        assert gaps == [2.0, 4.0]
        await app.advance(100)
        assert len([a for a in app.callbacks.attempts(task_id) if a.stage == "text"]) == 3, "no fourth attempt"


class HeldReceiver:
    """A callback receiver that hangs: it records each arrival and answers only once ``release`` is set."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self._server = ThreadedServer(Starlette(routes=[Route("/{path:path}", self._receive, methods=["POST"])]))

    async def _receive(self, request: Request) -> Response:
        await request.body()
        self.arrived.set()
        await asyncio.to_thread(self.release.wait, 30)
        return JSONResponse({"code": 200, "msg": "success"})

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> Self:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.stop()


async def test_api_keeps_answering_while_deliveries_hang(client_for: Any) -> None:
    with HeldReceiver() as receiver:
        # the virtual clock, and a receiver held until the test releases it: no race with real time
        app = virtual(callback_timeout_s=60)
        client = client_for(app)
        task_id = (
            await client.post("/api/v1/generate", json={**GENERATE, "callBackUrl": f"{receiver.url}/cb"})
        ).json()["data"]["taskId"]
        advancing = asyncio.create_task(app.advance(20))  # the text stage falls due: its delivery starts
        # the first delivery reached the receiver, which now holds it
        assert await asyncio.to_thread(receiver.arrived.wait, 10)
        answered = 0
        for _ in range(20):
            response = await client.get("/api/v1/generate/record-info", params={"taskId": task_id})
            answered += response.json()["code"] == 200
        assert answered == 20
        in_flight = [a for a in app.callbacks.attempts(task_id) if a.stage == "text"]
        assert in_flight == [], "the hanging attempt has not finished, yet the API answered"
        receiver.release.set()
        await advancing
        delivered = await app.wait_for_callback(task_id, "text", timeout=10)
        assert delivered.delivered and delivered.attempt == 1
        await app.aclose()


async def test_signed_callbacks_carry_a_verifiable_hmac(client_for: Any, receiver: CallbackReceiver) -> None:
    app = virtual("kie", webhook_key="s3cret")
    client = client_for(app)
    task_id = (await client.post("/api/v1/generate", json={**GENERATE, "callBackUrl": f"{receiver.url}/cb"})).json()[
        "data"
    ]["taskId"]
    await app.advance(20)
    (callback,) = receiver.received
    timestamp = callback.headers["x-webhook-timestamp"]
    expected = base64.b64encode(hmac.new(b"s3cret", f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest())
    assert callback.headers["x-webhook-signature"] == expected.decode()


async def test_callbacks_only_go_to_allowed_hosts(client_for: Any) -> None:
    app = virtual()
    client = client_for(app)
    body = {**GENERATE, "callBackUrl": "https://hooks.example.com/suno"}
    task_id = (await client.post("/api/v1/generate", json=body)).json()["data"]["taskId"]
    await app.advance(20)
    (attempt,) = app.callbacks.attempts(task_id)
    assert not attempt.delivered and attempt.status_code is None
    assert "hooks.example.com" in (attempt.error or "") and "--callback-allow" in (attempt.error or "")
    listed = (await client.get("/_mock/callbacks", params={"taskId": task_id})).json()["data"]["callbacks"]
    assert listed[0]["error"] == attempt.error


async def test_results_expire_after_the_profiles_retention(client_for: Any) -> None:
    app = virtual("sunoapi")
    client = client_for(app)
    task = app.seed_task([120.0])
    body = {
        "taskId": task.id,
        "audioId": task.tracks[0].id,
        "prompt": "p",
        "tags": "t",
        "title": "x",
        "infillStartS": 0,
        "infillEndS": 10,
    }
    await app.advance(14 * 86400)
    assert (await client.post("/api/v1/generate/replace-section", json=body)).json()["code"] == 200
    await app.advance(1 * 86400 + 1)  # sunoapi keeps music 15 days
    result = (await client.post("/api/v1/generate/replace-section", json=body)).json()
    assert result["code"] == 422 and "expired (kept 15 days)" in result["msg"]
    assert (await record(client, task.id))["status"] == "SUCCESS", "the record itself stays readable"


async def test_clock_advance_over_http_needs_the_virtual_clock(client_for: Any) -> None:
    scaled = client_for(create_app("kie"))
    refused = (await scaled.post("/_mock/clock/advance", json={"seconds": 5})).json()
    assert refused["code"] == 422 and "--virtual-clock" in refused["msg"]
    app = virtual()
    moved = (await client_for(app).post("/_mock/clock/advance", json={"seconds": 5})).json()
    assert moved["code"] == 200 and moved["data"]["time"] == app.state.now()


async def test_scaled_clock_completes_a_song_in_real_time(receiver: CallbackReceiver, client_for: Any) -> None:
    app = create_app("kie", time_scale=500.0)
    client = client_for(app)
    task_id = (await client.post("/api/v1/generate", json={**GENERATE, "callBackUrl": f"{receiver.url}/cb"})).json()[
        "data"
    ]["taskId"]
    assert await app.wait_for_status(task_id, "SUCCESS", timeout=10) == "SUCCESS"
    await asyncio.to_thread(receiver.wait_for, task_id=task_id, stage="complete", timeout=10)
    assert [r.stage for r in receiver.received] == ["text", "first", "complete"]
    await app.aclose()


async def test_a_tasks_callbacks_arrive_in_stage_order_on_a_fast_clock(client_for: Any) -> None:
    # stages 0.75 ms apart in real time: without per-task ordering they overtake each other
    with CallbackReceiver(delay_s=0.05) as receiver:
        app = create_app("kie", time_scale=20000.0)
        client = client_for(app)
        body = {**GENERATE, "callBackUrl": f"{receiver.url}/cb"}
        ids = [(await client.post("/api/v1/generate", json=body)).json()["data"]["taskId"] for _ in range(5)]
        for task_id in ids:
            await asyncio.to_thread(receiver.wait_for, task_id=task_id, stage="complete", timeout=20)
        for task_id in ids:
            assert [r.stage for r in receiver.received if r.task_id == task_id] == ["text", "first", "complete"]
        await app.aclose()


def test_a_webhook_key_needs_a_profile_that_signs() -> None:
    from mockserver import ConfigError

    with pytest.raises(ConfigError, match=r"sunoapi documents no webhook signing; .* --set webhook_signing=true"):
        create_app("sunoapi", webhook_key="k")
    signed = create_app("sunoapi", webhook_key="k", profile_overrides={"webhook_signing": "true"})
    assert signed.profile.webhook_signing


async def test_tasks_made_from_equal_requests_hold_one_copy_of_their_strings(client_for: Any) -> None:
    app = virtual()
    client = client_for(app)
    body = {**GENERATE, "title": "", "callBackUrl": "http://127.0.0.1:9/cb"}
    ids = [(await client.post("/api/v1/generate", json=body)).json()["data"]["taskId"] for _ in range(2)]
    first, second = (app.state.store.tasks[task_id] for task_id in ids)
    for name in ("param", "base_url", "callback_url", "token"):
        assert getattr(first, name) == getattr(second, name)
        assert getattr(first, name) is getattr(second, name), name
    tracks = [*first.tracks, *second.tracks]
    for name in ("title", "tags", "prompt"):
        assert len({id(getattr(track, name)) for track in tracks}) == 1, name
    assert first.tracks[0].title == "[Verse] Neon rain"  # made from the prompt for each track
