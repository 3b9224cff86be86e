"""kie's Market jobs: every model through createTask and recordInfo, and a whole flow.

Answers are checked against the bundled kie document by the client hook, callbacks against
the schema createTask declares, and each parsed ``resultJson`` against the result schemas the
document names (tests/support.py reads the document with jsonschema, not the mock's code).
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import wave
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from mockserver import MockApp, create_app, openapi
from mockserver._serving import CallbackReceiver

from .support import AUTH, SpecChecker, mp4_info

CREATE = "/api/v1/jobs/createTask"
RECORD = "/api/v1/jobs/recordInfo"
SPEC = openapi.load_spec("kie")
_BODY = SPEC["paths"][CREATE]["post"]["requestBody"]["content"]["application/json"]
#: One valid createTask body per example name (a model or two: replace-section from an upload too).
EXAMPLES: dict[str, dict[str, Any]] = {name: example["value"] for name, example in _BODY.get("examples", {}).items()}
#: The Suno Voice models need a phrase or a voice task first: tests/test_families_more.py runs them in order.
_CHAINED = {"validation-phrase", "regenerate-phrase", "create-voice", "check-voice"}
#: Examples of the models whose sources with_sources() can make.
SERVED = sorted(name for name, body in EXAMPLES.items() if body["model"].split("/")[1] not in _CHAINED)


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = SPEC["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def input_schema(model: str) -> dict[str, Any]:
    """The document's input schema of ``model``: walk createTask's if/then/else chain over ``model``."""
    branches = [_resolve(b) for b in SPEC["components"]["schemas"]["MarketCreateTask"].get("allOf", [])]
    while branches:
        branch = branches.pop()
        if branch.get("if", {}).get("properties", {}).get("model", {}).get("const") == model:
            found: dict[str, Any] = _resolve(branch["then"]["properties"]["input"])
            return found
        if "else" in branch:
            branches.append(_resolve(branch["else"]))
    raise KeyError(model)


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as receiver:
        yield receiver


class Market:
    """The kie mock on the virtual clock with a spec-checking client."""

    def __init__(self, receiver: CallbackReceiver, **options: Any) -> None:
        self.app: MockApp = create_app("kie", seed=9, virtual_clock=True, **options)
        self.checker = SpecChecker("kie")
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

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = (await self.client.post(CREATE, json=body)).json()
        return answer

    async def record(self, task_id: str) -> dict[str, Any]:
        answer = (await self.client.get(RECORD, params={"taskId": task_id})).json()
        assert answer["code"] == 200, answer
        data: dict[str, Any] = answer["data"]
        return data

    async def callbacks(self, task_id: str, count: int) -> list[dict[str, Any]]:
        for _ in range(1000):  # deliveries run on this event loop: let them finish (bounded, not timed)
            got = [r.json() for r in self.receiver.received if r.task_id == task_id]
            if len(got) >= count:
                break
            await asyncio.sleep(0.01)
        for payload in got:
            self.checker.check_operation_callback("create-market-task", payload)
        return got

    def with_sources(self, body: dict[str, Any]) -> dict[str, Any]:
        """The example body with ids of real finished tasks and files the mock serves."""
        body = copy.deepcopy(body)
        body["callBackUrl"] = f"{self.receiver.url}/cb"
        music = self.app.seed_task((120.0, 100.0), base_url="http://mock")
        given = body["input"]
        if "audio_id" in given:
            given["audio_id"] = music.tracks[0].id
        if "task_id" in given:
            given["task_id"] = music.id
        if body["model"] == "ai-music-api/generate-midi-from-audio":
            separation = self.app.seed_operation(
                "separate-vocals", {"taskId": music.id, "audioId": music.tracks[0].id}, base_url="http://mock"
            )
            given["task_id"] = separation["taskId"]
        url = f"http://mock/_mock/files/{music.tracks[1].id}.mp3"
        if "upload_url" in given:
            given["upload_url"] = url
        if "upload_url_list" in given:
            given["upload_url_list"] = [url, f"http://mock/_mock/files/{music.tracks[0].id}.mp3"]
        if "infill_end_s" in given:
            given["infill_start_s"], given["infill_end_s"] = 10.0, 30.5
        return body

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.app.aclose()


@pytest.fixture
async def market(receiver: CallbackReceiver) -> AsyncIterator[Market]:
    made = Market(receiver)
    yield made
    await made.aclose()


def test_the_document_gives_a_valid_example_for_every_model() -> None:
    models = _resolve(SPEC["components"]["schemas"]["MarketCreateTask"]["properties"]["model"])["enum"]
    assert sorted({body["model"] for body in EXAMPLES.values()}) == sorted(models) and len(models) == 23


@pytest.mark.parametrize("example", SERVED)
async def test_every_model_runs_to_success_with_its_record_and_callback_valid(market: Market, example: str) -> None:
    sent = market.with_sources(EXAMPLES[example])
    model = sent["model"]
    answer = await market.create(sent)
    assert answer["code"] == 200, answer
    task_id = answer["data"]["taskId"]
    first = await market.record(task_id)
    assert first["state"] in ("waiting", "queuing") and first["resultJson"] == "" and first["model"] == model
    assert json.loads(first["param"]) == sent  # param echoes the whole createTask body
    await market.app.advance(400)
    done = await market.record(task_id)
    assert done["state"] == "success", done
    assert done["failCode"] == "" and done["completeTime"] >= done["createTime"]
    result = json.loads(done["resultJson"])
    pointer = SPEC["components"]["schemas"]["MarketRecord"]["x-result-schemas"][model][1:]
    errors = list(market.checker.validator(pointer).iter_errors(result))
    assert not errors, (model, result, errors[0].message if errors else None)
    callbacks = await market.callbacks(task_id, 1)
    assert callbacks


@pytest.mark.parametrize("example", SERVED)
async def test_each_required_input_dropped_alone_is_named(market: Market, example: str) -> None:
    body = market.with_sources(EXAMPLES[example])
    model = body["model"]
    for field in input_schema(model).get("required", []):
        given = {k: v for k, v in body["input"].items() if k != field}
        answer = await market.create({**body, "input": given})
        assert answer["code"] == 422 and f"input.{field}" in answer["msg"], (model, field, answer)


async def test_unknown_model_missing_input_and_unknown_task_get_the_documented_codes(market: Market) -> None:
    unknown = await market.create({"model": "ai-music-api/nope", "input": {}})
    assert unknown["code"] == 422 and "model" in unknown["msg"]
    missing = await market.create({"model": "ai-music-api/generate"})
    assert missing["code"] == 422 and "input" in missing["msg"]
    nothing = (await market.client.get(RECORD, params={"taskId": "0" * 32})).json()
    assert nothing["code"] == 404 and "recordInfo is null" in nothing["msg"]


async def test_a_classic_error_names_the_field_as_the_market_client_spelled_it(market: Market) -> None:
    body = market.with_sources(EXAMPLES["convert-to-wav-format"])
    body["input"]["audio_id"] = "00000000-0000-4000-8000-000000000000"
    answer = await market.create(body)
    assert answer["code"] == 404 and "input.audio_id" in answer["msg"]


async def test_generate_replace_then_wav_and_video_through_market_jobs(market: Market) -> None:
    callback = f"{market.receiver.url}/cb"
    generate = {
        "model": "ai-music-api/generate",
        "callBackUrl": callback,
        "input": {
            "custom_mode": True,
            "instrumental": False,
            "model": "V6",
            "title": "Harbour",
            "style": "synthwave",
            "lyrics": "[Verse]\nneon",
        },
    }
    task_id = (await market.create(generate))["data"]["taskId"]
    states = []
    for step in (0.5, 10, 30, 40, 100):
        await market.app.advance(step)
        states.append((await market.record(task_id))["state"])
    order = ["waiting", "queuing", "generating", "success"]
    assert [order.index(s) for s in states] == sorted(order.index(s) for s in states)
    assert states[0] == "waiting" and states[-1] == "success" and "generating" in states
    songs = json.loads((await market.record(task_id))["resultJson"])["data"]
    assert len(songs) == 2 and all(s["audio_url"] and s["duration"] for s in songs)
    audio = await market.client.get(songs[0]["audio_url"])
    assert audio.status_code == 200 and len(audio.content) > 1000
    stages = [c["data"]["callbackType"] for c in await market.callbacks(task_id, 3)]
    assert stages == ["text", "first", "complete"]

    replace: dict[str, Any] = {
        "model": "ai-music-api/replace-section",
        "callBackUrl": callback,
        "input": {
            "task_id": task_id,
            "audio_id": songs[0]["id"],
            "prompt": "calm piano",
            "tags": "jazz",
            "title": "Calm",
            "infill_start_s": 10.0,
            "infill_end_s": 20.5,
            "full_lyrics": "[Verse]\nneon",
        },
    }
    too_long = {**replace, "input": {**replace["input"], "infill_end_s": songs[0]["duration"]}}
    refused = await market.create(too_long)
    assert refused["code"] == 422 and "input.infill_end_s" in refused["msg"]
    replaced = (await market.create(replace))["data"]["taskId"]
    await market.app.advance(100)
    new_song = json.loads((await market.record(replaced))["resultJson"])["data"][0]

    wav = await market.create(
        {"model": "ai-music-api/convert-to-wav-format", "input": {"task_id": replaced, "audio_id": new_song["id"]}}
    )
    video = await market.create(
        {"model": "ai-music-api/create-music-video", "input": {"task_id": replaced, "audio_id": new_song["id"]}}
    )
    await market.app.advance(100)
    (wav_url,) = json.loads((await market.record(wav["data"]["taskId"]))["resultJson"])["resultUrls"]
    (video_url,) = json.loads((await market.record(video["data"]["taskId"]))["resultJson"])["resultUrls"]
    with wave.open(io.BytesIO((await market.client.get(wav_url)).content)) as file:
        assert abs(file.getnframes() / file.getframerate() - new_song["duration"]) < 0.05
    mp4 = (await market.client.get(video_url)).content
    assert abs(mp4_info(mp4).length - new_song["duration"]) < 0.05


async def test_record_callbacks_carry_the_record_on_completion_only(receiver: CallbackReceiver) -> None:
    market = Market(receiver, profile_overrides={"market_callback": "record"})
    try:
        body = market.with_sources(EXAMPLES["generate"])
        task_id = (await market.create(body))["data"]["taskId"]
        await market.app.advance(400)
        (callback,) = await market.callbacks(task_id, 1)
        assert callback["data"]["state"] == "success" and callback["data"]["taskId"] == task_id
        assert callback["data"]["resultJson"] == (await market.record(task_id))["resultJson"]
    finally:
        await market.aclose()


async def test_an_injected_failure_reads_fail_with_its_code(market: Market) -> None:
    body = market.with_sources(EXAMPLES["generate"])
    answer = await market.client.post(CREATE, json=body, headers={"X-Mock-Outcome": "GENERATE_AUDIO_FAILED"})
    task_id = answer.json()["data"]["taskId"]
    await market.app.advance(400)
    done = await market.record(task_id)
    assert done["state"] == "fail" and done["failCode"] == "501" and done["failMsg"] and done["resultJson"] == ""
    wrong = await market.client.post(CREATE, json=body, headers={"X-Mock-Outcome": "GENERATE_WAV_FAILED"})
    assert wrong.json()["code"] == 422 and "GENERATE_WAV_FAILED" in wrong.json()["msg"]


async def test_a_conflict_message_keeps_its_words_and_names_the_sent_field(market: Market) -> None:
    body = market.with_sources(EXAMPLES["convert-to-wav-format"])
    assert (await market.create(body))["code"] == 200
    again = await market.create(body)
    assert again["code"] == 409 and "read it with that taskId" in again["msg"] and "input.read" not in again["msg"]
    assert f"audioId {body['input']['audio_id']}" in again["msg"]


async def test_separate_vocals_from_the_audio_url_of_a_track_the_mock_made(market: Market) -> None:
    music = market.app.seed_task((120.0, 100.0), base_url="http://mock")
    track = music.tracks[1]
    audio_url = f"http://mock/_mock/files/{track.id}.mp3"
    body: dict[str, Any] = {
        "model": "ai-music-api/separate-vocals",
        "callBackUrl": f"{market.receiver.url}/cb",
        "input": {"audio_url": audio_url, "type": "separate_vocal"},
    }
    task_id = (await market.create(body))["data"]["taskId"]
    await market.app.advance(100)
    record = await market.record(task_id)
    assert record["state"] == "success" and json.loads(record["param"]) == body
    stems = json.loads(record["resultJson"])["resultObject"]
    # the source is that track: its audio is the separation's origin, byte for byte
    origin = (await market.client.get(stems["originUrl"])).content
    assert origin == (await market.client.get(audio_url)).content
    for url in (stems["vocalUrl"], stems["instrumentalUrl"]):
        assert (await market.client.get(url)).status_code == 200
    (callback,) = await market.callbacks(task_id, 1)
    assert callback["data"]["task_id"] == task_id


async def test_separate_vocals_refuses_an_audio_url_the_mock_did_not_make(market: Market) -> None:
    for url in ("https://cdn.example.com/song.mp3", "http://mock/_mock/files/00000000-0000-4000-8000-000000000000.mp3"):
        answer = await market.create({"model": "ai-music-api/separate-vocals", "input": {"audio_url": url}})
        assert answer["code"] == 422, answer
        message = answer["msg"]
        assert "input.audio_url" in message and url[:32] in message and "task_id and audio_id" in message
