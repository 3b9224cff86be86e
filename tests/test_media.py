"""Real audio and images behind the URLs the mock hands out."""

from __future__ import annotations

import io
import wave
from typing import Any

import httpx
import pytest

from mockserver import create_app
from mockserver._views import AUDIO_EXTENSION

from ._mp3 import mp3_duration
from .support import AUTH


async def _finished_generate(client: httpx.AsyncClient, app: Any) -> dict[str, Any]:
    body = {
        "customMode": False,
        "instrumental": True,
        "model": "V5",
        "prompt": "lofi",
        "callBackUrl": "http://127.0.0.1:9/x",
    }
    task_id = (await client.post("/api/v1/generate", json=body, headers=AUTH)).json()["data"]["taskId"]
    await app.advance(150)
    info = (await client.get("/api/v1/generate/record-info", params={"taskId": task_id}, headers=AUTH)).json()
    data: dict[str, Any] = info["data"]
    return data


@pytest.fixture
async def mock() -> Any:
    app = create_app("kie", seed=5, virtual_clock=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
        yield app, client


def _duration(body: bytes, content_type: str) -> float:
    if content_type == "audio/mpeg":
        return mp3_duration(body)
    with wave.open(io.BytesIO(body), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


async def test_audio_url_serves_decodable_audio_of_the_stated_duration(mock: Any) -> None:
    app, client = mock
    track = (await _finished_generate(client, app))["response"]["sunoData"][0]
    assert track["audioUrl"].endswith(f".{AUDIO_EXTENSION}")
    response = await client.get(track["audioUrl"])
    assert response.status_code == 200
    assert response.headers["content-type"] in ("audio/mpeg", "audio/wav")
    assert abs(_duration(response.content, response.headers["content-type"]) - track["duration"]) < 0.1
    stream = await client.get(track["streamAudioUrl"])
    assert stream.content == response.content


async def test_range_requests_work_on_audio(mock: Any) -> None:
    app, client = mock
    track = (await _finished_generate(client, app))["response"]["sunoData"][1]
    whole = (await client.get(track["audioUrl"])).content
    part = await client.get(track["audioUrl"], headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.content == whole[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(whole)}"
    beyond = await client.get(track["audioUrl"], headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416


async def test_image_url_serves_a_png(mock: Any) -> None:
    app, client = mock
    track = (await _finished_generate(client, app))["response"]["sunoData"][0]
    image = await client.get(track["imageUrl"])
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")


async def test_replace_section_audio_differs_only_inside_the_span(mock: Any) -> None:
    app, client = mock
    source = (await _finished_generate(client, app))["response"]["sunoData"][0]
    body = {
        "taskId": app.state.store.tracks[source["id"]].task_id,
        "audioId": source["id"],
        "prompt": "p",
        "tags": "t",
        "title": "x",
        "infillStartS": 12.5,
        "infillEndS": 40.25,
    }
    new_id = (await client.post("/api/v1/generate/replace-section", json=body, headers=AUTH)).json()["data"]["taskId"]
    await app.advance(60)
    new = app.state.store.tasks[new_id].tracks[0]
    before, after = app.media.pcm(app.state.store.tracks[source["id"]]), app.media.pcm(new)
    rate = before.sample_rate
    assert len(after.samples) == len(before.samples), "same total duration"
    start, end = int(12.5 * rate), int(40.25 * rate) + 1
    assert after.samples[:start] == before.samples[:start]
    assert after.samples[end:] == before.samples[end:]
    assert after.samples[start:end] != before.samples[start:end]
    assert app.media.pcm(new).samples == after.samples, "deterministic"
    served = await client.get(
        (await client.get("/api/v1/generate/record-info", params={"taskId": new_id}, headers=AUTH)).json()["data"][
            "response"
        ]["sunoData"][0]["audioUrl"]
    )
    assert abs(_duration(served.content, served.headers["content-type"]) - source["duration"]) < 0.1


async def test_unknown_and_expired_files_answer_not_found(mock: Any) -> None:
    app, client = mock
    missing = (await client.get("/_mock/files/nope.png")).json()
    assert missing["code"] == 404 and "no track 'nope'" in missing["msg"]
    track = (await _finished_generate(client, app))["response"]["sunoData"][0]
    await app.advance(15 * 86400)
    expired = (await client.get(track["audioUrl"])).json()
    assert expired["code"] == 404 and "expired (kept 14 days)" in expired["msg"]
