"""A user's test file: their application's Suno client, tested with the plugin's fixtures.

``SongClient`` and ``AsyncSongClient`` stand for application code that knows nothing about the
kit: they talk to ``https://api.kie.ai`` unless told otherwise, and wait between polls with an
injectable ``sleep``. The same flow (generate -> poll -> replace a section, with callbacks) runs
against ``suno_mock`` (in-process), ``suno_server`` (real loopback HTTP) and ``suno_respx``
(the unmodified client, its calls to the real base URL routed into the mock).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mockserver._serving import CallbackReceiver

pytestmark = pytest.mark.suno(provider="kie")

FINISHED = {"SUCCESS", "CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION", "SENSITIVE_WORD_ERROR"}


class SunoError(Exception):
    """The API answered a code other than 200."""


def _data(response: httpx.Response) -> Any:
    body = response.json()
    if body.get("code") != 200:
        raise SunoError(f"{response.request.url.path}: {body.get('code')} {body.get('msg')}")
    return body["data"]


class SongClient:
    """Application code: generate a song, wait for it, replace a section of it."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://api.kie.ai",
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http or httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {api_key}"})
        self.sleep = sleep

    def generate(self, prompt: str, *, style: str, title: str, callback_url: str) -> str:
        body = {
            "customMode": True,
            "instrumental": False,
            "model": "V4_5",
            "prompt": prompt,
            "style": style,
            "title": title,
            "callBackUrl": callback_url,
        }
        return str(_data(self.http.post("/api/v1/generate", json=body))["taskId"])

    def record(self, task_id: str) -> dict[str, Any]:
        data: dict[str, Any] = _data(self.http.get("/api/v1/generate/record-info", params={"taskId": task_id}))
        return data

    def wait(self, task_id: str, *, interval: float = 10.0, polls: int = 60) -> dict[str, Any]:
        for _ in range(polls):
            record = self.record(task_id)
            if record["status"] in FINISHED:
                return record
            self.sleep(interval)
        raise TimeoutError(f"task {task_id} unfinished after {polls} polls")

    def replace_section(self, task_id: str, audio_id: str, start: float, end: float, *, callback_url: str) -> str:
        body = {
            "taskId": task_id,
            "audioId": audio_id,
            "prompt": "a calm piano bridge",
            "tags": "jazz, piano",
            "title": "Harbour Lights (bridge)",
            "infillStartS": start,
            "infillEndS": end,
            "callBackUrl": callback_url,
        }
        return str(_data(self.http.post("/api/v1/generate/replace-section", json=body))["taskId"])


class AsyncSongClient:
    """The same application code for asyncio."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://api.kie.ai",
        http: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.http = http or httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {api_key}"})
        self.sleep = sleep

    async def generate(self, prompt: str, *, callback_url: str) -> str:
        body = {
            "customMode": False,
            "instrumental": False,
            "model": "V5",
            "prompt": prompt,
            "callBackUrl": callback_url,
        }
        return str(_data(await self.http.post("/api/v1/generate", json=body))["taskId"])

    async def wait(self, task_id: str, *, interval: float = 10.0, polls: int = 60) -> dict[str, Any]:
        assert self.sleep is not None
        for _ in range(polls):
            response = await self.http.get("/api/v1/generate/record-info", params={"taskId": task_id})
            record: dict[str, Any] = _data(response)
            if record["status"] in FINISHED:
                return record
            await self.sleep(interval)
        raise TimeoutError(f"task {task_id} unfinished after {polls} polls")


@dataclass
class Setup:
    """The application's client wired to one fixture, and the mock's controls."""

    songs: SongClient
    mock: Any  # SunoMock or SunoServer: advance, requests, callbacks


@pytest.fixture(params=["suno_mock", "suno_server", "suno_respx"])
def setup(request: pytest.FixtureRequest) -> Iterator[Setup]:
    if request.param == "suno_mock":
        mock = request.getfixturevalue("suno_mock")
        yield Setup(SongClient("key", http=mock.client, sleep=mock.advance), mock)  # the fixture's client: it closes it
        return
    if request.param == "suno_server":
        server = request.getfixturevalue("suno_server")
        songs, target = SongClient(server.token, base_url=server.url, sleep=server.advance), server
    else:
        request.getfixturevalue("suno_respx")
        target = request.getfixturevalue("suno_mock")
        songs = SongClient("key", sleep=target.advance)  # the client as shipped: https://api.kie.ai
    with songs.http:  # a client of the test's own: closed here, not left to the collector
        yield Setup(songs, target)


def test_generate_poll_replace_section_with_callbacks(setup: Setup, callback_receiver: CallbackReceiver) -> None:
    songs = setup.songs
    hook = f"{callback_receiver.url}/suno/callback"

    task_id = songs.generate(
        "[Verse]\nNeon rain on the harbour", style="synthwave", title="Harbour Lights", callback_url=hook
    )
    record = songs.wait(task_id)
    assert record["status"] == "SUCCESS"
    first, second = record["response"]["sunoData"]
    assert first["duration"] > 40 and second["audioUrl"]

    new_id = songs.replace_section(task_id, first["id"], 10.0, 20.0, callback_url=hook)
    replaced = songs.wait(new_id)
    assert replaced["status"] == "SUCCESS"
    assert replaced["response"]["sunoData"][0]["duration"] == first["duration"]

    stages = [(c.task_id, c.stage) for c in callback_receiver.received]
    assert stages == [(task_id, "text"), (task_id, "first"), (task_id, "complete"), (new_id, "complete")]
    done = callback_receiver.wait_for(task_id=new_id, stage="complete")
    assert done.path == "/suno/callback" and done.json()["code"] == 200

    operations = [r.operation_id for r in setup.mock.requests]
    assert operations[0] == "generate-music" and "replace-section" in operations
    assert setup.mock.callbacks.attempts(new_id)[0].delivered


@pytest.mark.parametrize("fixture", ["suno_mock", "suno_server", "suno_respx"])
async def test_async_application_code_waits_without_blocking(
    fixture: str, request: pytest.FixtureRequest, callback_receiver: CallbackReceiver
) -> None:
    target = request.getfixturevalue(fixture)
    mock = request.getfixturevalue("suno_mock") if fixture == "suno_respx" else target
    if fixture == "suno_respx":
        songs = AsyncSongClient("key", sleep=mock.advance_async)
    elif fixture == "suno_server":
        songs = AsyncSongClient("key", base_url=target.url, sleep=mock.advance_async)
    else:
        songs = AsyncSongClient("key", http=mock.async_client, sleep=mock.advance_async)

    try:
        task_id = await songs.generate("a song about the sea", callback_url=f"{callback_receiver.url}/hook")
        record = await songs.wait(task_id)
    finally:
        if fixture != "suno_mock":  # the fixture's own client is closed by the fixture
            await songs.http.aclose()

    assert record["status"] == "SUCCESS"
    attempt = await mock.wait_for_callback_async(task_id, "complete")
    assert attempt.delivered
    assert [c.stage for c in callback_receiver.received] == ["text", "first", "complete"]
