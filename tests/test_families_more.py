"""Recovery, Suno Voice, the file-upload API and kie's download-url through the served app.

As in tests/test_families.py: a real loopback receiver, the virtual clock, every answer checked
against the bundled spec by the client hook and every callback against the schema its creating
operation declares (jsonschema over the documents, not the mock's validation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver._errors import ConfigError
from mockserver._families import files
from mockserver._providers import get_profile

from . import test_families
from .test_families import Flow, providers_with

# the receiver and the app factory of the family flows (fixtures, found by name)
receiver = test_families.receiver
flows = test_families.flows

UNKNOWN = "0" * 32


# Recovery ----------------------------------------------------------------------------------------
async def _recover(flow: Flow, source: str) -> str:
    answer = await flow.call("recover-audio", {"sunoTaskId": source, "callBackUrl": flow.callback_url})
    assert answer["code"] == 200, answer
    task_id: str = answer["data"]["task_id"]
    return task_id


async def _recovery(flow: Flow, task_id: str) -> dict[str, Any]:
    return await flow.call("get-recovery-details", task_id=task_id)


@pytest.mark.parametrize("provider", providers_with("recover-audio"))
async def test_recovery_answers_201_while_running_then_200_with_every_track(flows: Any, provider: str) -> None:
    flow: Flow = flows(provider)
    music, tracks = flow.music()
    task_id = await _recover(flow, music)
    running = await _recovery(flow, task_id)
    assert running == {"code": 201, "task_id": task_id, "msg": "running", "data": None}
    await flow.app.advance(60)
    done = await _recovery(flow, task_id)
    assert done["code"] == 200 and done["task_id"] == task_id
    assert [t["id"] for t in done["data"]] == tracks  # the source's order
    assert {t["status"] for t in done["data"]} == {"success"}
    for track in done["data"]:
        assert len(await flow.file(track["audio_url"])) > 1000
    (callback,) = await flow.callbacks(task_id, "recover-audio")
    assert callback["code"] == 200 and callback["task_id"] == task_id and callback["data"] == done["data"]


@pytest.mark.parametrize("provider", providers_with("recover-audio"))
async def test_recovery_of_an_unfinished_task_fails_every_track_with_500(flows: Any, provider: str) -> None:
    flow: Flow = flows(provider)
    music = await flow.create(
        "generate-music", {"customMode": False, "instrumental": False, "model": "V4_5", "prompt": "rain"}
    )
    task_id = await _recover(flow, music)
    await flow.app.advance(20)
    done = await _recovery(flow, task_id)
    assert done["code"] == 500
    assert [(t["status"], t["error"], t["audio_url"]) for t in done["data"]] == [
        ("failed", "clip_not_complete", None)
    ] * 2
    (callback,) = await flow.callbacks(task_id, "recover-audio")
    assert callback["code"] == 500 and all(t["status"] == "failed" for t in callback["data"])


@pytest.mark.parametrize("provider", providers_with("recover-audio"))
async def test_recovery_refusals_name_the_field(flows: Any, provider: str) -> None:
    flow: Flow = flows(provider)
    unknown = await flow.call("recover-audio", {"sunoTaskId": UNKNOWN, "callBackUrl": flow.callback_url})
    assert unknown["code"] == 404 and "sunoTaskId" in unknown["msg"] and unknown["data"] is None
    missing = await flow.call("recover-audio", {"callBackUrl": flow.callback_url})
    assert missing["code"] == 422 and "sunoTaskId" in missing["msg"]
    no_callback = await flow.call("recover-audio", {"sunoTaskId": UNKNOWN})
    assert no_callback["code"] == 422 and "callBackUrl" in no_callback["msg"]
    details = await _recovery(flow, UNKNOWN)
    assert details["code"] == 404 and "task_id" in details["msg"] and "task_id" not in details
    camel = await flow.call("get-recovery-details", taskId=UNKNOWN)
    assert camel["code"] == 422 and "task_id" in camel["msg"]
    music, tracks = flow.music()
    wav = await flow.create("convert-to-wav", {"taskId": music, "audioId": tracks[0]})
    not_music = await flow.call("recover-audio", {"sunoTaskId": wav, "callBackUrl": flow.callback_url})
    assert not_music["code"] == 422 and "wav task" in not_music["msg"]
    read_elsewhere = await _recovery(flow, wav)
    assert read_elsewhere["code"] == 404 and "wav task" in read_elsewhere["msg"]


@pytest.mark.parametrize("provider", providers_with("recover-audio"))
async def test_recovery_failure_injected_as_an_outcome(flows: Any, provider: str) -> None:
    flow: Flow = flows(provider)
    music, _ = flow.music()
    answer = await flow.client.post(
        flow.path("recover-audio"),
        json={"sunoTaskId": music, "callBackUrl": flow.callback_url},
        headers={"X-Mock-Outcome": "RECOVERY_FAILED"},
    )
    task_id = answer.json()["data"]["task_id"]
    await flow.app.advance(60)
    done = await _recovery(flow, task_id)
    assert done["code"] == 500 and {t["error"] for t in done["data"]} == {"clip_error"}
    (callback,) = await flow.callbacks(task_id, "recover-audio")
    assert callback["code"] == 500


# Suno Voice --------------------------------------------------------------------------------------
VOICE_SAMPLE = {"voiceUrl": "https://example.com/me.mp3", "vocalStartS": 0, "vocalEndS": 20, "language": "en"}


async def _phrase(flow: Flow) -> str:
    return await flow.create("validate-voice", VOICE_SAMPLE)


@pytest.mark.parametrize("provider", providers_with("validate-voice"))
async def test_voice_flow_phrase_regenerate_voice_and_check(flows: Any, provider: str) -> None:
    flow: Flow = flows(provider)
    phrase_task = await _phrase(flow)
    waiting = await flow.details("get-voice-phrase", phrase_task)
    assert waiting["status"] == "wait_processing" and waiting["validateInfo"] == ""
    await flow.app.advance(5)
    assert (await flow.details("get-voice-phrase", phrase_task))["status"] == "processing_validate"
    early = await flow.call("create-voice", {"taskId": phrase_task, "verifyUrl": "https://example.com/r.mp3"})
    assert early["code"] == 422 and "processing_validate" in early["msg"] and "taskId" in early["msg"]
    await flow.app.advance(30)
    ready = await flow.details("get-voice-phrase", phrase_task)
    assert ready["status"] == "wait_validating" and len(ready["validateInfo"].split()) == 10
    (phrase_callback,) = await flow.callbacks(phrase_task, "validate-voice")
    assert phrase_callback["code"] == 200 and phrase_callback["data"]["validateInfo"] == ready["validateInfo"]

    again = await flow.call("regenerate-voice-phrase", {"taskId": phrase_task, "calBackUrl": flow.callback_url})
    assert again["code"] == 200, again
    second = again["data"]["taskId"]
    await flow.app.advance(30)
    other = await flow.details("get-voice-phrase", second)
    assert other["status"] == "wait_validating" and other["validateInfo"] != ready["validateInfo"]
    (regenerated,) = await flow.callbacks(second, "regenerate-voice-phrase")
    assert regenerated["data"]["taskId"] == second

    voice_task = await flow.create("create-voice", {"taskId": second, "verifyUrl": "https://example.com/r.mp3"})
    assert (await flow.details("get-voice-details", voice_task))["voiceId"] == ""
    check = await flow.call("check-voice", {"task_id": voice_task})
    assert check == {"code": 200, "msg": "success", "data": {"isAvailable": False}}
    await flow.app.advance(120)
    record = await flow.details("get-voice-details", voice_task)
    assert record["status"] == "success" and record["voiceId"].startswith("voice_")
    (voice_callback,) = await flow.callbacks(voice_task, "create-voice")
    assert voice_callback["data"]["voiceId"] == record["voiceId"]
    assert (await flow.call("check-voice", {"task_id": voice_task}))["data"] == {"isAvailable": True}


@pytest.mark.parametrize("provider", providers_with("validate-voice"))
async def test_voice_refusals_name_the_field(flows: Any, provider: str) -> None:
    flow: Flow = flows(provider)
    backwards = await flow.call("validate-voice", {**VOICE_SAMPLE, "vocalStartS": 20, "vocalEndS": 5})
    assert backwards["code"] == 422 and "vocalEndS" in backwards["msg"]
    for field in ("voiceUrl", "vocalStartS", "vocalEndS"):
        dropped = {k: v for k, v in VOICE_SAMPLE.items() if k != field}
        answer = await flow.call("validate-voice", dropped)
        assert answer["code"] == 422 and field in answer["msg"], (field, answer)
    language = await flow.call("validate-voice", {**VOICE_SAMPLE, "language": "xx"})
    assert language["code"] == 422 and "language" in language["msg"]
    no_query = await flow.call("get-voice-phrase")
    assert no_query["code"] == 422 and "taskId" in no_query["msg"]
    assert (await flow.call("get-voice-phrase", taskId=UNKNOWN))["code"] == 404
    assert (await flow.call("get-voice-details", taskId=UNKNOWN))["code"] == 404
    unknown = await flow.call("check-voice", {"task_id": UNKNOWN})
    assert unknown["code"] == 404 and "task_id" in unknown["msg"]
    camel = await flow.call("check-voice", {"taskId": UNKNOWN})
    assert camel["code"] == 422 and "task_id" in camel["msg"]
    one_l = await flow.call("regenerate-voice-phrase", {"taskId": UNKNOWN, "callBackUrl": flow.callback_url})
    assert one_l["code"] == 422 and "calBackUrl" in one_l["msg"]
    music, _ = flow.music()
    wrong = await flow.call("create-voice", {"taskId": music, "verifyUrl": "https://example.com/r.mp3"})
    assert wrong["code"] == 422 and "music task" in wrong["msg"]
    phrase_task = await _phrase(flow)
    running = await flow.call("regenerate-voice-phrase", {"taskId": phrase_task, "calBackUrl": flow.callback_url})
    assert running["code"] == 422 and "not ended" in running["msg"]
    assert (await flow.call("check-voice", {"task_id": phrase_task}))["code"] == 422


@pytest.mark.parametrize("provider", providers_with("validate-voice"))
async def test_voice_failures_injected_as_outcomes(flows: Any, provider: str) -> None:
    flow: Flow = flows(provider)
    answer = await flow.client.post(
        flow.path("validate-voice"),
        json={**VOICE_SAMPLE, "callBackUrl": flow.callback_url},
        headers={"X-Mock-Outcome": "processing_validate_fail"},
    )
    failed = answer.json()["data"]["taskId"]
    await flow.app.advance(30)
    record = await flow.details("get-voice-phrase", failed)
    assert record["status"] == "processing_validate_fail" and record["errorCode"] == 500
    (callback,) = await flow.callbacks(failed, "validate-voice")
    assert callback["code"] == 400 and callback["data"]["status"] == "processing_validate_fail"

    phrase_task = await _phrase(flow)
    await flow.app.advance(30)
    answer = await flow.client.post(
        flow.path("create-voice"),
        json={"taskId": phrase_task, "verifyUrl": "https://example.com/r.mp3", "callBackUrl": flow.callback_url},
        headers={"X-Mock-Outcome": "fail"},
    )
    voice_task = answer.json()["data"]["taskId"]
    await flow.app.advance(120)
    assert (await flow.details("get-voice-details", voice_task))["status"] == "fail"
    (voice_callback,) = await flow.callbacks(voice_task, "create-voice")
    assert voice_callback["code"] == 400 and voice_callback["data"]["voiceId"] == ""
    assert (await flow.call("check-voice", {"task_id": voice_task}))["data"] == {"isAvailable": False}


# kie's Market models of these families -----------------------------------------------------------
MARKET_CREATE = "create-market-task"


async def _market(flow: Flow, model: str, given: dict[str, Any]) -> str:
    answer = await flow.call(MARKET_CREATE, {"model": model, "callBackUrl": flow.callback_url, "input": given})
    assert answer["code"] == 200, answer
    task_id: str = answer["data"]["taskId"]
    return task_id


async def _market_done(flow: Flow, task_id: str) -> dict[str, Any]:
    """The finished record, its resultJson checked against the schema the document names for its model."""
    record = await flow.details("get-market-task-details", task_id)
    assert record["state"] == "success", record
    result: dict[str, Any] = json.loads(record["resultJson"])
    schemas = flow.checker.resolve("/components/schemas/MarketRecord")["x-result-schemas"]
    errors = list(flow.checker.validator(schemas[record["model"]][1:]).iter_errors(result))
    assert not errors, (record["model"], result, errors[0].message if errors else None)
    return result


async def test_market_recovery_and_voice_models_run_in_order(flows: Any) -> None:
    flow: Flow = flows("kie")
    music, tracks = flow.music()
    recovery = await _market(flow, "ai-music-api/suno-recovery-audio", {"task_id": music})
    first = await flow.details("get-market-task-details", recovery)
    assert first["state"] in ("waiting", "queuing")
    sample = {"voice_url": "https://example.com/me.mp3", "vocal_start_s": 0, "vocal_end_s": 20}
    phrase = await _market(flow, "ai-music-api/validation-phrase", sample)
    await flow.app.advance(60)
    result = await _market_done(flow, recovery)
    assert [t["id"] for t in result["resultObject"]["data"]] == tracks
    phrase_result = await _market_done(flow, phrase)
    assert phrase_result["resultObject"]["status"] == "wait_validating"
    again = await _market(flow, "ai-music-api/regenerate-phrase", {"task_id": phrase})
    await flow.app.advance(60)
    other = await _market_done(flow, again)
    assert other["resultObject"]["validateInfo"] != phrase_result["resultObject"]["validateInfo"]
    voice = await _market(
        flow, "ai-music-api/create-voice", {"task_id": again, "verify_url": "https://example.com/r.mp3"}
    )
    await flow.app.advance(120)
    made = await _market_done(flow, voice)
    assert made["resultObject"]["voiceId"].startswith("voice_")
    check = await _market(flow, "ai-music-api/check-voice", {"task_id": voice})
    await flow.app.advance(10)
    assert (await _market_done(flow, check)) == {"resultObject": {"isAvailable": True}}
    for task_id in (recovery, phrase, again, voice, check):
        assert await flow.callbacks(task_id, MARKET_CREATE)  # each checked against createTask's callback schema


async def test_market_recovery_and_voice_refusals_name_the_input_field(flows: Any) -> None:
    flow: Flow = flows("kie")
    unknown = await flow.call(
        MARKET_CREATE, {"model": "ai-music-api/suno-recovery-audio", "input": {"task_id": UNKNOWN}}
    )
    assert unknown["code"] == 404 and "input.task_id" in unknown["msg"]
    for model, given, field in (
        ("ai-music-api/suno-recovery-audio", {}, "task_id"),
        ("ai-music-api/validation-phrase", {"vocal_start_s": 0, "vocal_end_s": 20}, "voice_url"),
        ("ai-music-api/regenerate-phrase", {}, "task_id"),
        ("ai-music-api/create-voice", {"task_id": UNKNOWN}, "verify_url"),
        ("ai-music-api/check-voice", {}, "task_id"),
    ):
        answer = await flow.call(MARKET_CREATE, {"model": model, "input": given})
        assert answer["code"] == 422 and f"input.{field}" in answer["msg"], (model, answer)
    not_voice = await flow.call(MARKET_CREATE, {"model": "ai-music-api/check-voice", "input": {"task_id": UNKNOWN}})
    assert not_voice["code"] == 404 and "input.task_id" in not_voice["msg"]


# The file-upload API and kie's download-url --------------------------------------------------------
WAV_BYTES = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 4


@pytest.fixture
def file_host() -> Iterator[str]:
    """A loopback HTTP server with one file, /song.wav (200), and /missing (404)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/song.wav":
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Length", str(len(WAV_BYTES)))
                self.end_headers()
                self.wfile.write(WAV_BYTES)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _uploaded(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["code"] == 200 and answer["success"] is True and answer["msg"] == "File uploaded successfully", answer
    data: dict[str, Any] = answer["data"]
    return data


@pytest.mark.parametrize("provider", providers_with("upload-file-base64"))
async def test_base64_upload_serves_the_file_with_ranges_and_overwrites_by_name(flows: Any, provider: str) -> None:
    flow: Flow = flows(provider)
    encoded = base64.b64encode(WAV_BYTES).decode()
    data = _uploaded(await flow.call("upload-file-base64", {"base64Data": encoded, "uploadPath": "suno/in"}))
    assert data["mimeType"] == "audio/wav" and data["fileSize"] == len(WAV_BYTES) and data["fileName"].endswith(".wav")
    assert data["filePath"] == f"suno/in/{data['fileName']}"
    assert await flow.file(data["downloadUrl"]) == WAV_BYTES
    part = await flow.client.get(data["downloadUrl"], headers={"Range": "bytes=4-11"})
    assert part.status_code == 206 and part.content == WAV_BYTES[4:12]
    text = _uploaded(
        await flow.call(
            "upload-file-base64",
            {"base64Data": "data:text/plain;base64,SGVsbG8=", "uploadPath": "notes", "fileName": "a.txt"},
        )
    )
    assert text["mimeType"] == "text/plain" and await flow.file(text["downloadUrl"]) == b"Hello"
    again = _uploaded(
        await flow.call(
            "upload-file-base64",
            {"base64Data": base64.b64encode(b"Bye").decode(), "uploadPath": "notes", "fileName": "a.txt"},
        )
    )
    assert await flow.file(again["downloadUrl"]) == b"Bye"
    gone = (await flow.client.get(text["downloadUrl"])).json()  # overwritten: the old URL is gone
    assert gone["code"] == 404 and gone["data"] is None


@pytest.mark.parametrize("provider", providers_with("upload-file-base64"))
async def test_upload_refusals_name_the_field_with_422_or_the_pages_400(flows: Any, provider: str) -> None:
    default: Flow = flows(provider)
    assert (await default.call("upload-file-base64", {"uploadPath": "a"}))["code"] == 422
    flow: Flow = flows(provider, profile_overrides={"code_set": "old"})
    for body, field in (
        ({"base64Data": "not base64!", "uploadPath": "a"}, "base64Data"),
        ({"base64Data": "SGVsbG8=", "uploadPath": "/a/"}, "uploadPath"),
        ({"uploadPath": "a"}, "base64Data"),
        ({"base64Data": "SGVsbG8="}, "uploadPath"),
    ):
        answer = await flow.call("upload-file-base64", body)
        assert answer["code"] == 400 and field in answer["msg"] and answer["data"] is None, (body, answer)
    for body, field in (({"uploadPath": "a"}, "fileUrl"), ({"fileUrl": "ftp://x/y", "uploadPath": "a"}, "fileUrl")):
        answer = await flow.call("upload-file-url", body)
        assert answer["code"] == 400 and field in answer["msg"], answer
    outside = await flow.call("upload-file-url", {"fileUrl": "https://example.com/a.mp3", "uploadPath": "a"})
    assert outside["code"] == 400 and "example.com" in outside["msg"] and "--callback-allow" in outside["msg"]
    no_file = await flow.client.post(
        flow.path("upload-file-stream"), data={"uploadPath": "a"}, files={"x": ("x", b"1")}
    )
    assert no_file.json()["code"] == 400 and "file" in no_file.json()["msg"]
    json_sent = await flow.call("upload-file-stream", {"uploadPath": "a"})
    assert json_sent["code"] == 400 and "multipart/form-data" in json_sent["msg"]


@pytest.mark.parametrize("provider", providers_with("upload-file-stream"))
async def test_stream_upload_keeps_the_bytes_exactly(flows: Any, provider: str) -> None:
    flow: Flow = flows(provider)
    blob = bytes(range(256)) * 64 + b"\r\n--boundary\r\n"
    answer = await flow.client.post(
        flow.path("upload-file-stream"),
        data={"uploadPath": "suno/raw", "fileName": "blob.bin"},
        files={"file": ("ignored.bin", blob, "application/octet-stream")},
    )
    data = _uploaded(answer.json())
    assert data["fileName"] == "blob.bin" and data["fileSize"] == len(blob)
    assert data["mimeType"] == "application/octet-stream"
    assert await flow.file(data["downloadUrl"]) == blob


@pytest.mark.parametrize("provider", providers_with("upload-file-url"))
async def test_url_upload_fetches_from_loopback_and_the_mock_itself(flows: Any, provider: str, file_host: str) -> None:
    flow: Flow = flows(provider)
    data = _uploaded(await flow.call("upload-file-url", {"fileUrl": f"{file_host}/song.wav", "uploadPath": "in"}))
    assert data["fileName"] == "song.wav" and data["mimeType"] == "audio/wav"
    assert await flow.file(data["downloadUrl"]) == WAV_BYTES
    copy = _uploaded(
        await flow.call("upload-file-url", {"fileUrl": data["downloadUrl"], "uploadPath": "copy", "fileName": "c.wav"})
    )
    assert await flow.file(copy["downloadUrl"]) == WAV_BYTES
    missing = await flow.call("upload-file-url", {"fileUrl": f"{file_host}/missing", "uploadPath": "in"})
    assert missing["code"] == 422 and "HTTP 404" in missing["msg"]
    music, tracks = flow.music()  # the mock's own files, read from the mock (its host is not loopback here)
    track = _uploaded(
        await flow.call("upload-file-url", {"fileUrl": f"http://mock/_mock/files/{tracks[0]}.mp3", "uploadPath": "t"})
    )
    assert await flow.file(track["downloadUrl"]) == await flow.file(f"http://mock/_mock/files/{tracks[0]}.mp3")
    wav = await flow.create("convert-to-wav", {"taskId": music, "audioId": tracks[1]})
    await flow.app.advance(60)
    wav_url = (await flow.details("get-wav-details", wav))["response"]["audioWavUrl"]
    copied = _uploaded(await flow.call("upload-file-url", {"fileUrl": wav_url, "uploadPath": "t"}))
    assert copied["mimeType"] == "audio/wav" and await flow.file(copied["downloadUrl"]) == await flow.file(wav_url)
    foreign = await flow.call(
        "upload-file-url", {"fileUrl": f"http://other/_mock/files/{tracks[0]}.mp3", "uploadPath": "t"}
    )
    assert foreign["code"] == 422 and "'other'" in foreign["msg"]


async def test_url_upload_reaches_a_host_only_when_callback_allow_lists_it(
    receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[str] = []

    async def fetch(url: str) -> tuple[bytes, str | None]:  # no network: record what would be fetched
        fetched.append(url)
        return WAV_BYTES, "audio/wav"

    monkeypatch.setattr(files, "_fetch", fetch)
    body = {"fileUrl": "https://files.example/song.wav", "uploadPath": "in"}
    plain = Flow("kie", receiver)
    allowed = Flow("kie", receiver, callback_allow={"files.example"})
    try:
        refused = await plain.call("upload-file-url", body)
        assert refused["code"] == 422 and "files.example" in refused["msg"] and fetched == []
        data = _uploaded(await allowed.call("upload-file-url", body))
        assert fetched == [body["fileUrl"]] and data["fileName"] == "song.wav"
    finally:
        await plain.aclose()
        await allowed.aclose()


async def test_download_url_accepts_only_files_the_mock_made(flows: Any) -> None:
    flow: Flow = flows("kie")
    music, tracks = flow.music()
    wav = await flow.create("convert-to-wav", {"taskId": music, "audioId": tracks[0]})
    await flow.app.advance(60)
    file = (await flow.details("get-wav-details", wav))["response"]["audioWavUrl"]
    track = f"http://mock/_mock/files/{tracks[1]}.mp3"
    for url in (file, track, f"http://mock/_mock/stream/{tracks[0]}"):
        answer = await flow.call("get-download-url", {"url": url})
        assert answer["code"] == 200 and answer["data"].startswith(url.split("?")[0] + "?expires="), answer
        assert int(answer["data"].rsplit("=", 1)[1]) == int(flow.app.state.now()) + 1200
    link = (await flow.call("get-download-url", {"url": file}))["data"]
    assert len(await flow.file(link)) > 44
    for url in ("https://example.com/a.mp3", f"http://mock/_mock/files/{UNKNOWN}/audio.wav"):
        refused = await flow.call("get-download-url", {"url": url})
        assert refused["code"] == 422 and "url" in refused["msg"], refused
    assert (await flow.call("get-download-url", {}))["code"] == 422


# sunoapi's OLD code set (profile switch code_set) -------------------------------------------------
async def test_old_code_set_on_the_pages_that_document_it(receiver: Any) -> None:
    old = Flow("sunoapi", receiver, profile_overrides={"code_set": "old"}, rate_limits=True)
    broke = Flow("sunoapi", receiver, profile_overrides={"code_set": "old"}, credits=0)
    new = Flow("sunoapi", receiver)
    try:
        music, tracks = old.music()
        missing = {"taskId": music, "callBackUrl": old.callback_url}
        assert (await new.call("convert-to-wav", missing))["code"] == 422
        invalid = await old.call("convert-to-wav", missing)
        assert invalid["code"] == 400 and "audioId" in invalid["msg"]  # OLD: 400 invalid parameters
        assert (await old.call("get-recovery-details", taskId=UNKNOWN))["code"] == 400
        assert (await old.call("get-timestamped-lyrics", {"taskId": music}))["code"] == 400
        assert (await old.call("generate-music", {"customMode": False}))["code"] == 422  # a NEW-code page
        poor_music, poor_tracks = broke.music()
        poor = await broke.call(
            "convert-to-wav", {"taskId": poor_music, "audioId": poor_tracks[0], "callBackUrl": broke.callback_url}
        )
        assert poor["code"] == 429 and "credits" in poor["msg"].lower()  # OLD: 429 insufficient credits
        valid = {**missing, "audioId": tracks[0]}
        asked = await old.client.post(old.path("convert-to-wav"), json=valid, headers={"X-Mock-Code": "422"})
        assert asked.json()["code"] == 422  # a code asked for is answered as asked
        answers = [
            await old.call("recover-audio", {"sunoTaskId": music, "callBackUrl": old.callback_url}) for _ in range(21)
        ]
        codes = [a["code"] for a in answers]
        assert codes[:20] == [200] * 20 and codes[20] == 430  # OLD: 430 call frequency too high
    finally:
        for flow in (old, broke, new):
            await flow.aclose()


async def test_recovery_callbacks_are_signed_with_the_top_level_task_id(receiver: Any) -> None:
    flow = Flow("kie", receiver, webhook_key="hook-key")
    try:
        music, _ = flow.music()
        task_id = await _recover(flow, music)
        await flow.app.advance(60)
        await flow.callbacks(task_id, "recover-audio")
        (received,) = [r for r in receiver.received if r.task_id == task_id]
        timestamp = received.headers["x-webhook-timestamp"]
        expected = hmac.new(b"hook-key", f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
        assert received.headers["x-webhook-signature"] == base64.b64encode(expected).decode()
    finally:
        await flow.aclose()


async def test_admin_seeding_makes_finished_recovery_and_voice_tasks(flows: Any) -> None:
    flow: Flow = flows("sunoapi")
    music, tracks = flow.music()
    seeded = flow.app.seed_operation("recover-audio", {"sunoTaskId": music}, base_url="http://mock")
    assert seeded["kind"] == "recovery" and seeded["status"] == "SUCCESS"
    done = await _recovery(flow, seeded["taskId"])
    assert done["code"] == 200 and [t["id"] for t in done["data"]] == tracks
    phrase = flow.app.seed_operation("validate-voice", VOICE_SAMPLE)
    assert phrase["kind"] == "voice-phrase" and phrase["status"] == "WAIT_VALIDATING"
    voice = await flow.create("create-voice", {"taskId": phrase["taskId"], "verifyUrl": "https://example.com/r.mp3"})
    assert voice


@pytest.mark.parametrize("days", [None, 1.0])
async def test_an_upload_is_gone_after_the_upload_retention_while_songs_stay(receiver: Any, days: float | None) -> None:
    overrides = {} if days is None else {"upload_retention_days": str(days)}
    flow = Flow("kie", receiver, profile_overrides=overrides)
    kept_s = (days if days is not None else 3.0) * 86400  # the upload pages: "Files are temporary: 3 days"
    try:
        encoded = base64.b64encode(WAV_BYTES).decode()
        data = _uploaded(await flow.call("upload-file-base64", {"base64Data": encoded, "uploadPath": "a"}))
        _, tracks = flow.music()
        song = f"http://mock/_mock/files/{tracks[0]}.mp3"
        await flow.app.advance(kept_s - 1)
        assert await flow.file(data["downloadUrl"]) == WAV_BYTES
        await flow.app.advance(2)
        gone = (await flow.client.get(data["downloadUrl"])).json()
        assert gone["code"] == 404 and "expired" in gone["msg"] and f"{kept_s / 86400:g} days" in gone["msg"], gone
        assert len(await flow.file(song)) > 1000  # music keeps the profile's 14 days
        link = await flow.call("get-download-url", {"url": data["downloadUrl"]})
        assert link["code"] == 422 and "url" in link["msg"], link
        copy = await flow.call("upload-file-url", {"fileUrl": data["downloadUrl"], "uploadPath": "b"})
        assert copy["code"] == 422 and "fileUrl" in copy["msg"] and "retention" in copy["msg"], copy
    finally:
        await flow.aclose()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [({"code_set": "old", "old_rate_limit_code": "405"}, 405), ({"code_set": "old"}, 430), ({}, 429)],
)
async def test_the_old_rate_limit_code_is_a_switch(receiver: Any, overrides: dict[str, str], expected: int) -> None:
    flow = Flow("sunoapi", receiver, profile_overrides=overrides, rate_limits=True)
    try:
        music, _ = flow.music()
        body = {"sunoTaskId": music, "callBackUrl": flow.callback_url}
        answers = [await flow.client.post(flow.path("recover-audio"), json=body) for _ in range(21)]
        codes = [a.json()["code"] for a in answers]
        assert codes[:20] == [200] * 20 and codes[20] == expected, codes
        assert "Rate limit exceeded" in answers[20].json()["msg"] and "Retry-After" in answers[20].headers
        generate = {
            "customMode": False,
            "instrumental": True,
            "model": "V4_5",
            "prompt": "calm",
            "callBackUrl": flow.callback_url,
        }
        new_page = [(await flow.call("generate-music", generate))["code"] for _ in range(2)]
        assert new_page[-1] == 429  # the window is per key, and generate's page lists the NEW set
    finally:
        await flow.aclose()


def test_old_rate_limit_code_takes_only_the_two_old_codes() -> None:
    with pytest.raises(ConfigError, match="old_rate_limit_code=429 is not allowed; use one of 430, 405"):
        get_profile("sunoapi", {"old_rate_limit_code": "429"})


# sources past the profile's retention ------------------------------------------------------------
def _past_retention(answer: dict[str, Any], field: str, value: str, days: float) -> None:
    """The documented refusal of a source past its retention: 422 naming the field, the value and the rule."""
    assert answer["code"] == 422 and answer["data"] is None, answer
    msg = answer["msg"]
    assert msg.startswith(f"Validation error: {field}: ") and value[:30] in msg, msg  # long values are cut
    assert f"have expired (kept {days:g} days)" in msg and "make a new task" in msg, msg


async def _beyond(flow: Flow, days: float) -> None:
    await flow.app.advance(days * 86400 + 1)


@pytest.mark.parametrize("provider", providers_with("generate-cover-image"))
async def test_cover_image_of_music_past_its_retention_is_expired_not_already_existing(
    flows: Any, provider: str
) -> None:
    flow: Flow = flows(provider)
    days = flow.app.profile.retention("music")
    music, _ = flow.music()
    fresh, _ = flow.music()
    await flow.create("generate-cover-image", {"taskId": music})
    await flow.app.advance(days * 86400 - 1)
    kept = await flow.call("generate-cover-image", {"taskId": music, "callBackUrl": flow.callback_url})
    assert kept["code"] == 409, kept  # within the retention: the one cover already exists
    await flow.app.advance(2)
    for task_id in (music, fresh):  # with a cover already made or not: expired comes first
        answer = await flow.call("generate-cover-image", {"taskId": task_id, "callBackUrl": flow.callback_url})
        _past_retention(answer, "taskId", task_id, days)


@pytest.mark.parametrize("provider", providers_with("generate-midi"))
async def test_midi_from_a_separation_past_its_retention_is_refused(flows: Any, provider: str) -> None:
    flow: Flow = flows(provider)
    days = flow.app.profile.retention("separation")
    music, tracks = flow.music((20.0,))
    separation = await flow.create("separate-vocals", {"taskId": music, "audioId": tracks[0]})
    await flow.app.advance(days * 86400 - 1)
    await flow.create("generate-midi", {"taskId": separation})  # within the retention: still made
    await flow.app.advance(2)
    answer = await flow.call("generate-midi", {"taskId": separation, "callBackUrl": flow.callback_url})
    _past_retention(answer, "taskId", separation, days)


@pytest.mark.parametrize("provider", providers_with("validate-voice"))
async def test_voice_operations_on_tasks_past_their_retention_are_refused(flows: Any, provider: str) -> None:
    flow: Flow = flows(provider)
    days = flow.app.profile.retention("voice")
    phrase = await _phrase(flow)
    await flow.app.advance(60)
    voice = await flow.create("create-voice", {"taskId": phrase, "verifyUrl": "https://example.com/r.mp3"})
    await flow.app.advance(120)
    assert (await flow.call("check-voice", {"task_id": voice}))["data"] == {"isAvailable": True}
    await _beyond(flow, days)
    again = await flow.call("regenerate-voice-phrase", {"taskId": phrase, "calBackUrl": flow.callback_url})
    _past_retention(again, "taskId", phrase, days)
    body = {"taskId": phrase, "verifyUrl": "https://example.com/r.mp3", "callBackUrl": flow.callback_url}
    _past_retention(await flow.call("create-voice", body), "taskId", phrase, days)
    _past_retention(await flow.call("check-voice", {"task_id": voice}), "task_id", voice, days)


async def test_download_url_of_a_file_past_its_retention_is_refused(flows: Any) -> None:
    flow: Flow = flows("kie")
    days = flow.app.profile.retention("music")
    music, tracks = flow.music()
    wav = await flow.create("convert-to-wav", {"taskId": music, "audioId": tracks[0]})
    await flow.app.advance(60)
    file = (await flow.details("get-wav-details", wav))["response"]["audioWavUrl"]
    urls = (file, f"http://mock/_mock/files/{tracks[1]}.mp3", f"http://mock/_mock/stream/{tracks[0]}")
    await flow.app.advance(days * 86400 - 120)
    for url in urls:
        assert (await flow.call("get-download-url", {"url": url}))["code"] == 200
    await flow.app.advance(120)
    for url in urls:
        _past_retention(await flow.call("get-download-url", {"url": url}), "url", url, days)


@pytest.mark.parametrize("provider", providers_with("upload-cover"))
async def test_an_upload_url_of_a_track_past_its_retention_is_refused(flows: Any, provider: str) -> None:
    flow: Flow = flows(provider)
    days = flow.app.profile.retention("music")
    _, tracks = flow.music((100.0,))
    url = f"http://mock/_mock/files/{tracks[0]}.mp3"
    body = {"uploadUrl": url, "customMode": False, "instrumental": False, "model": "V4_5", "prompt": "a calm cover"}
    await flow.app.advance(days * 86400 - 1)
    await flow.create("upload-cover", body)
    await flow.app.advance(2)
    answer = await flow.call("upload-cover", {**body, "callBackUrl": flow.callback_url})
    _past_retention(answer, "uploadUrl", url, days)
