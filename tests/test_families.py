"""A flow per family through the served app, with a real loopback receiver and the virtual clock.

Every answer is checked against the bundled spec by the client hook, and every callback
against the schema its creating operation declares (tests/support.py reads the documents
with jsonschema; it does not use the mock's validation).
"""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from mockserver import MockApp, create_app, openapi
from mockserver._serving import CallbackReceiver

from .support import AUTH, SpecChecker, mp4_info


def providers_with(operation_id: str) -> list[str]:
    """The profiles whose bundled document declares ``operation_id``."""
    found = []
    for provider in openapi.PROVIDERS:
        spec = openapi.load_spec(provider)
        ops = {op.get("operationId") for item in spec["paths"].values() for op in item.values() if isinstance(op, dict)}
        if operation_id in ops:
            found.append(provider)
    return found


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as receiver:
        yield receiver


class Flow:
    """A served app on the virtual clock, a spec-checking client, and the receiver."""

    def __init__(self, provider: str, receiver: CallbackReceiver, **options: Any) -> None:
        self.provider = provider
        self.app: MockApp = create_app(provider, seed=5, virtual_clock=True, **options)
        self.checker = SpecChecker(provider)
        self.receiver = receiver

        async def check(response: httpx.Response) -> None:
            await response.aread()
            self.checker.check_response(response)

        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://mock",
            headers=AUTH,
            event_hooks={"response": [check]},
        )

    @property
    def callback_url(self) -> str:
        return f"{self.receiver.url}/cb"

    def path(self, operation_id: str) -> str:
        return self.checker.operation(operation_id)[0]

    async def call(self, operation_id: str, body: dict[str, Any] | None = None, **query: str) -> dict[str, Any]:
        path, method, _ = self.checker.operation(operation_id)
        if method == "get":
            answer = await self.client.get(path, params=query)
        else:
            answer = await self.client.post(path, json=body or {})
        result: dict[str, Any] = answer.json()
        return result

    async def create(self, operation_id: str, body: dict[str, Any]) -> str:
        answer = await self.call(operation_id, {**body, "callBackUrl": self.callback_url})
        assert answer["code"] == 200, answer
        task_id: str = answer["data"]["taskId"]
        return task_id

    async def details(self, operation_id: str, task_id: str) -> dict[str, Any]:
        answer = await self.call(operation_id, taskId=task_id)
        assert answer["code"] == 200, answer
        data: dict[str, Any] = answer["data"]
        return data

    async def callbacks(self, task_id: str, operation_id: str, count: int = 1) -> list[dict[str, Any]]:
        """The task's callbacks once ``count`` arrived, each checked against the operation's schema."""
        for _ in range(1000):  # deliveries run on this event loop: let them finish (bounded, not timed)
            got = [r.json() for r in self.receiver.received if r.task_id == task_id]
            if len(got) >= count:
                break
            await asyncio.sleep(0.01)
        for payload in got:
            self.checker.check_operation_callback(operation_id, payload)
        return got

    def music(self, durations: tuple[float, ...] = (180.0, 150.0)) -> tuple[str, list[str]]:
        task = self.app.seed_task(durations, base_url="http://mock")
        return task.id, [t.id for t in task.tracks]

    async def file(self, url: str) -> bytes:
        answer = await self.client.get(url)
        assert answer.status_code == 200, (url, answer.text[:200])
        return answer.content

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.app.aclose()


@pytest.fixture
async def flows(receiver: CallbackReceiver) -> AsyncIterator[Any]:
    made: list[Flow] = []

    def make(provider: str, **options: Any) -> Flow:
        flow = Flow(provider, receiver, **options)
        made.append(flow)
        return flow

    yield make
    for flow in made:
        await flow.aclose()


# WAV ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", providers_with("convert-to-wav"))
async def test_wav_conversion_reaches_success_with_a_real_wav_file_and_one_callback(flows: Any, provider: str) -> None:
    flow = flows(provider)
    music, tracks = flow.music()
    task_id = await flow.create("convert-to-wav", {"taskId": music, "audioId": tracks[0]})
    pending = await flow.details("get-wav-details", task_id)
    assert pending["successFlag"] == "PENDING" and pending["response"] is None
    await flow.app.advance(120)
    done = await flow.details("get-wav-details", task_id)
    assert done["successFlag"] == "SUCCESS" and done["musicId"] == tracks[0]
    (callback,) = await flow.callbacks(task_id, "convert-to-wav")
    assert callback["code"] == 200 and callback["data"]["audioWavUrl"] == done["response"]["audioWavUrl"]
    with wave.open(io.BytesIO(await flow.file(done["response"]["audioWavUrl"]))) as wav:
        assert abs(wav.getnframes() / wav.getframerate() - 180.0) < 0.05
    again = await flow.call("convert-to-wav", {"taskId": music, "audioId": tracks[0], "callBackUrl": flow.callback_url})
    assert again["code"] == 409 and task_id in again["msg"]


@pytest.mark.parametrize("provider", providers_with("convert-to-wav"))
async def test_wav_of_an_unknown_or_foreign_track_is_refused_naming_the_field(flows: Any, provider: str) -> None:
    flow = flows(provider)
    music, _ = flow.music()
    other, other_tracks = flow.music((120.0,))
    body = {"taskId": music, "audioId": other_tracks[0], "callBackUrl": flow.callback_url}
    foreign = await flow.call("convert-to-wav", body)
    assert foreign["code"] == 422 and "audioId" in foreign["msg"] and other in foreign["msg"]
    unknown = await flow.call("convert-to-wav", {**body, "taskId": "f" * 32})
    assert unknown["code"] == 404 and "taskId" in unknown["msg"]


@pytest.mark.parametrize("provider", providers_with("convert-to-wav"))
async def test_an_injected_wav_failure_is_a_real_state_with_its_error_callback(flows: Any, provider: str) -> None:
    flow = flows(provider)
    music, tracks = flow.music()
    answer = await flow.client.post(
        flow.path("convert-to-wav"),
        json={"taskId": music, "audioId": tracks[1], "callBackUrl": flow.callback_url},
        headers={"X-Mock-Outcome": "GENERATE_WAV_FAILED"},
    )
    task_id = answer.json()["data"]["taskId"]
    await flow.app.advance(120)
    done = await flow.details("get-wav-details", task_id)
    assert done["successFlag"] == "GENERATE_WAV_FAILED" and done["errorCode"] and done["errorMessage"]
    (callback,) = await flow.callbacks(task_id, "convert-to-wav")
    assert callback["data"]["audioWavUrl"] is None and callback["code"] == done["errorCode"]


# vocal separation and MIDI ------------------------------------------------------------------------
@pytest.mark.parametrize("provider", providers_with("separate-vocals"))
@pytest.mark.parametrize(("kind", "count"), [("separate_vocal", 2), ("split_stem", 12)])
async def test_separation_gives_stems_that_sum_to_the_source(flows: Any, provider: str, kind: str, count: int) -> None:
    flow = flows(provider)
    music, tracks = flow.music((30.0,))
    task_id = await flow.create("separate-vocals", {"taskId": music, "audioId": tracks[0], "type": kind})
    await flow.app.advance(120)
    done = await flow.details("get-vocal-separation-details", task_id)
    assert done["successFlag"] == "SUCCESS"
    urls = [url for key, url in done["response"].items() if key != "originUrl" and isinstance(url, str)]
    assert len(urls) == count
    (callback,) = await flow.callbacks(task_id, "separate-vocals")
    info = callback["data"][flow.app.profile.stems_key]
    assert sorted(v for k, v in info.items() if k != "origin_url") == sorted(urls)
    for url in urls:
        assert len(await flow.file(url)) > 1000
    # the stems as the mock renders them add back up to the source, sample for sample
    from mockserver._families.separation import stems_of

    task = flow.app.state.store.tasks[task_id]
    track = flow.app.state.store.tracks[tracks[0]]
    source = flow.app.media.pcm(track)
    stems = stems_of(source, track.seed, task.detail)
    total = [sum(samples) for samples in zip(*(stem.samples for stem in stems.values()), strict=True)]
    assert total == list(source.samples)


@pytest.mark.parametrize("provider", providers_with("generate-midi"))
async def test_midi_from_a_finished_separation_follows_the_track(flows: Any, provider: str) -> None:
    flow = flows(provider)
    music, tracks = flow.music((20.0,))
    separation = await flow.create("separate-vocals", {"taskId": music, "audioId": tracks[0]})
    early = await flow.call("generate-midi", {"taskId": separation, "callBackUrl": flow.callback_url})
    assert early["code"] == 422 and "not finished" in early["msg"]
    await flow.app.advance(120)
    task_id = await flow.create("generate-midi", {"taskId": separation})
    await flow.app.advance(120)
    done = await flow.details("get-midi-details", task_id)
    assert done["successFlag"] == 1
    notes = [note for inst in done["midiData"]["instruments"] for note in inst["notes"]]
    assert notes and all(0 <= n["start"] < n["end"] <= 20.0 + 1e-6 for n in notes)
    (callback,) = await flow.callbacks(task_id, "generate-midi")
    assert callback["task_id"] == task_id and callback["data"]["instruments"] == done["midiData"]["instruments"]


# music video ------------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", providers_with("create-music-video"))
async def test_music_video_is_an_mp4_of_the_tracks_length(flows: Any, provider: str) -> None:
    flow = flows(provider)
    music, tracks = flow.music((95.5,))
    task_id = await flow.create("create-music-video", {"taskId": music, "audioId": tracks[0], "author": "Ann"})
    await flow.app.advance(120)
    done = await flow.details("get-music-video-details", task_id)
    assert done["successFlag"] == "SUCCESS"
    body = await flow.file(done["response"]["videoUrl"])
    assert body[4:8] == b"ftyp" and b"moov" in body
    assert abs(mp4_info(body).length - 95.5) < 0.05
    (callback,) = await flow.callbacks(task_id, "create-music-video")
    assert callback["data"]["video_url"] == done["response"]["videoUrl"]


# cover image ------------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", providers_with("generate-cover-image"))
async def test_cover_image_is_made_once_per_music_task(flows: Any, provider: str) -> None:
    flow = flows(provider)
    music, _ = flow.music()
    task_id = await flow.create("generate-cover-image", {"taskId": music})
    flags = []
    for step in (0, 10, 60):
        await flow.app.advance(step)
        flags.append((await flow.details("get-cover-image-details", task_id))["successFlag"])
    integer = flow.app.profile.cover_flag == "integer"
    assert flags == ([0, 2, 1] if integer else ["PENDING", "PENDING", "SUCCESS"])
    done = await flow.details("get-cover-image-details", task_id)
    images = done["response"]["images"]
    assert len(images) == 2 and images[0] != images[1]
    bodies = [await flow.file(url) for url in images]
    assert all(b.startswith(b"\x89PNG\r\n\x1a\n") for b in bodies) and bodies[0] != bodies[1]
    (callback,) = await flow.callbacks(task_id, "generate-cover-image")
    assert callback["data"] == {"taskId": task_id, "images": images}
    again = await flow.call("generate-cover-image", {"taskId": music, "callBackUrl": flow.callback_url})
    assert again["code"] == 409 and task_id in again["msg"]


# lyrics -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", providers_with("generate-lyrics"))
async def test_lyrics_are_two_sectioned_variants_with_the_providers_callback_key(flows: Any, provider: str) -> None:
    flow = flows(provider)
    task_id = await flow.create("generate-lyrics", {"prompt": "a song about the harbour at night"})
    assert (await flow.details("get-lyrics-details", task_id))["status"] == "PENDING"
    await flow.app.advance(60)
    done = await flow.details("get-lyrics-details", task_id)
    assert done["status"] == "SUCCESS" and done["type"] == "LYRICS"
    items = done["response"]["data"]
    assert len(items) == 2 and all("[Verse" in item["text"] and item["title"] for item in items)
    (callback,) = await flow.callbacks(task_id, "generate-lyrics")
    key = flow.app.profile.lyrics_task_key
    assert callback["data"][key] == task_id
    assert [i["text"] for i in callback["data"]["data"]] == [i["text"] for i in items]


# synchronous --------------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", providers_with("get-timestamped-lyrics"))
async def test_timestamped_lyrics_fit_the_track_and_instrumentals_have_no_words(flows: Any, provider: str) -> None:
    flow = flows(provider)
    task = flow.app.seed_task((60.0,), base_url="http://mock", prompt="[Verse]\nNeon rain on the harbour\nlights")
    answer = await flow.call("get-timestamped-lyrics", {"taskId": task.id, "audioId": task.tracks[0].id})
    words = answer["data"]["alignedWords"]
    assert [w["word"].split()[-1] for w in words][-1] == "lights"
    assert all(0 <= w["startS"] < w["endS"] <= 60.0 for w in words)
    assert [w["startS"] for w in words] == sorted(w["startS"] for w in words)
    missing = await flow.call("get-timestamped-lyrics", {"taskId": "0" * 32, "audioId": task.tracks[0].id})
    assert missing["code"] == 404 and "taskId" in missing["msg"]


@pytest.mark.parametrize("provider", providers_with("generate-persona"))
async def test_a_persona_is_made_once_per_track(flows: Any, provider: str) -> None:
    flow = flows(provider)
    music, tracks = flow.music()
    body = {"taskId": music, "audioId": tracks[0], "name": "Ann", "description": "warm alto"}
    made = await flow.call("generate-persona", body)
    assert made["code"] == 200 and made["data"]["name"] == "Ann" and made["data"]["personaId"]
    again = await flow.call("generate-persona", body)
    assert again["code"] == 409 and made["data"]["personaId"] in again["msg"]
    short = await flow.call("generate-persona", {**body, "audioId": tracks[1], "vocalStart": 5, "vocalEnd": 10})
    assert short["code"] == 422 and "vocalEnd - vocalStart" in short["msg"]


@pytest.mark.parametrize("provider", providers_with("boost-music-style"))
async def test_boost_style_returns_a_richer_style_inline(flows: Any, provider: str) -> None:
    flow = flows(provider)
    answer = await flow.call("boost-music-style", {"content": "Pop, Mysterious"})
    assert answer["code"] == 200
    assert answer["data"]["result"].startswith("Pop, Mysterious, ") and answer["data"]["successFlag"] == "1"


# music tasks from uploads ------------------------------------------------------------------------
@pytest.mark.parametrize("provider", providers_with("upload-cover"))
async def test_upload_cover_of_a_mock_file_keeps_its_length_and_runs_the_music_lifecycle(
    flows: Any, provider: str
) -> None:
    flow = flows(provider)
    _, tracks = flow.music((100.0,))
    upload = f"http://mock/_mock/files/{tracks[0]}.mp3"
    body = {"uploadUrl": upload, "customMode": False, "instrumental": False, "model": "V4_5", "prompt": "a calm cover"}
    task_id = await flow.create("upload-cover", body)
    await flow.app.advance(200)
    answer = await flow.call("get-music-details", taskId=task_id)
    done = answer["data"]
    assert done["status"] == "SUCCESS" and done["operationType"] == "upload_cover"
    assert [t["duration"] for t in done["response"]["sunoData"]] == [100.0, 100.0]
    stages = [c["data"]["callbackType"] for c in await flow.callbacks(task_id, "upload-cover", 3)]
    assert stages == ["text", "first", "complete"]
    _, long_tracks = flow.music((500.0,))
    url = f"http://mock/_mock/files/{long_tracks[0]}.mp3"
    too_long = await flow.call("upload-cover", {**body, "uploadUrl": url, "callBackUrl": flow.callback_url})
    assert too_long["code"] == 422 and "uploadUrl" in too_long["msg"] and "at most 480 s" in too_long["msg"]


# admin seeding of any family ----------------------------------------------------------------------
@pytest.mark.parametrize("provider", providers_with("convert-to-wav"))
async def test_the_admin_api_seeds_a_finished_task_of_any_family(flows: Any, provider: str) -> None:
    flow = flows(provider)
    music, tracks = flow.music()
    seeded = await flow.client.post(
        "/_mock/tasks", json={"operation": "convert-to-wav", "body": {"taskId": music, "audioId": tracks[0]}}
    )
    data = seeded.json()["data"]
    assert data["kind"] == "wav" and data["status"] == "SUCCESS"
    done = await flow.details("get-wav-details", data["taskId"])
    assert done["successFlag"] == "SUCCESS" and done["response"]["audioWavUrl"]
    of_a_wav = {"operation": "convert-to-wav", "body": {"taskId": data["taskId"], "audioId": tracks[0]}}
    refused = (await flow.client.post("/_mock/tasks", json=of_a_wav)).json()
    assert refused["code"] == 422 and "is a wav task" in refused["msg"]
    bad = await flow.client.post("/_mock/tasks", json={"operation": "get-wav-details", "body": {}})
    assert bad.json()["code"] == 422 and "convert-to-wav" in bad.json()["msg"]
    assert [r for r in flow.receiver.received if r.task_id == data["taskId"]] == []
