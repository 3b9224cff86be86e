"""The callback payloads of the families with their own callbacks: a drawer per family (:data:`CALLBACKS`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from .._drawing import task_ids, texts, urls
from .common import ALL_STEMS, KIE_KEYS, SPLIT_STEMS, TWO_STEMS
from .details import lyric, midi_data
from .sync import recovered

__all__ = ["CALLBACKS", "CallbackDrawer", "draw_callback"]


# -- callbacks -----------------------------------------------------------------------------------------


@st.composite
def _lyrics_callback(draw: st.DrawFn, provider: str, stage: str, codes: tuple[int, ...]) -> dict[str, Any]:
    kie = provider in KIE_KEYS
    inner: dict[str, Any] = {"callbackType": stage, ("task_id" if kie else "taskId"): draw(task_ids())}
    if stage == "complete":
        item = st.builds(
            lambda text, title, failed: lyric(text, title, kie=kie, failed=failed),
            texts(200),
            texts(80),
            st.booleans(),
        )
        inner["data"] = draw(st.lists(item, min_size=1, max_size=3))
        return {"code": 200, "msg": draw(st.sampled_from(["All generated successfully.", "success"])), "data": inner}
    # sunoapi: {code: 400, data: {callbackType: "error", taskId, data: null}}
    inner["data"] = draw(st.sampled_from([None, []]))
    return {"code": draw(st.sampled_from(codes)), "msg": draw(texts().filter(bool)), "data": inner}


def _file_codes(stage: str) -> st.SearchStrategy[int]:
    # FileCallbackCode: 200 success; 400 the source cannot be processed; 451 download failed; 500.
    return st.just(200) if stage == "complete" else st.sampled_from([400, 451, 500])


@st.composite
def _wav_callback(draw: st.DrawFn, provider: str, stage: str, codes: tuple[int, ...]) -> dict[str, Any]:
    # An older kie CN page names the file audio_wav_url; current pages audioWavUrl.
    key = draw(st.sampled_from(["audioWavUrl", "audio_wav_url"])) if provider in KIE_KEYS else "audioWavUrl"
    url = draw(urls("wav")) if stage == "complete" else None
    msg = "success" if stage == "complete" else draw(texts().filter(bool))
    return {"code": draw(_file_codes(stage)), "msg": msg, "data": {"task_id": draw(task_ids()), key: url}}


@st.composite
def _stem_files(draw: st.DrawFn) -> dict[str, Any]:
    split = draw(st.sampled_from(["separate_vocal", "split_stem", "split_stem_advanced"]))
    if split == "split_stem_advanced":  # "origin_data[{extract:{...}, remove:{...}}]" (a client)
        part = st.fixed_dictionaries({"audio_url": urls("mp3"), "name": st.sampled_from(["Piano", "Drums"])})
        return {"origin_data": draw(st.lists(st.fixed_dictionaries({"extract": part, "remove": part}), max_size=2))}
    made = TWO_STEMS if split == "separate_vocal" else SPLIT_STEMS
    files: dict[str, Any] = {}
    for stem in ALL_STEMS:
        if stem in made:
            files[f"{stem}_url"] = draw(urls("mp3"))
        elif draw(st.booleans()):
            files[f"{stem}_url"] = None
    return files


@st.composite
def _separation_callback(draw: st.DrawFn, provider: str, stage: str, codes: tuple[int, ...]) -> dict[str, Any]:
    files = draw(_stem_files()) if stage == "complete" else None
    if provider in KIE_KEYS:
        # kie: vocal_separation_info; its advanced split answers vocal_removal_info.origin_data (a client)
        advanced = isinstance(files, dict) and "origin_data" in files
        key = "vocal_removal_info" if advanced else "vocal_separation_info"
        msg = "vocal separation generated successfully."
    else:
        key, msg = "vocal_removal_info", "vocal Removal generated successfully."
    if stage != "complete":
        msg = draw(texts().filter(bool))
    return {"code": draw(_file_codes(stage)), "msg": msg, "data": {"task_id": draw(task_ids()), key: files}}


@st.composite
def _midi_callback(draw: st.DrawFn, provider: str, stage: str, codes: tuple[int, ...]) -> dict[str, Any]:
    task_id = draw(task_ids())
    top = draw(st.sampled_from([True, True, False]))  # the pages: task_id beside code; a client: data.taskId
    if stage == "complete":
        data: Any = midi_data(draw)
        payload: dict[str, Any] = {"code": 200, "msg": "success"}
    else:
        data = None if top else {}
        payload = {"code": 500, "msg": draw(texts().filter(bool))}
    if top:
        payload["task_id"] = task_id
    else:
        data["taskId"] = task_id
    payload["data"] = data
    return payload


@st.composite
def _video_callback(draw: st.DrawFn, provider: str, stage: str, codes: tuple[int, ...]) -> dict[str, Any]:
    url = draw(urls("mp4")) if stage == "complete" else None
    msg = "MP4 generated successfully." if stage == "complete" else draw(texts().filter(bool))
    return {"code": draw(_file_codes(stage)), "msg": msg, "data": {"task_id": draw(task_ids()), "video_url": url}}


@st.composite
def _cover_callback(draw: st.DrawFn, provider: str, stage: str, codes: tuple[int, ...]) -> dict[str, Any]:
    # {code:200, data:{taskId, images:[url,url]}}; failure {code:501, data:{taskId, images:null}} (2.18)
    if stage == "complete":
        images: Any = draw(st.lists(urls("png"), min_size=1, max_size=2))
        code, msg = 200, "success"
    else:
        images, code, msg = None, draw(st.sampled_from([400, 408, 500, 501, 531])), draw(texts().filter(bool))
    return {"code": code, "msg": msg, "data": {"taskId": draw(task_ids()), "images": images}}


@st.composite
def _recovery_callback(draw: st.DrawFn, provider: str, stage: str, codes: tuple[int, ...]) -> dict[str, Any]:
    # {code: 200 | 500, msg, task_id, data: [tracks]}: 200 at least one recovered, 500 all failed (2.3 #27)
    ok = stage == "complete"
    return {
        "code": 200 if ok else 500,
        "msg": "success" if ok else draw(texts().filter(bool)),
        "task_id": draw(task_ids()),
        "data": draw(recovered(ok)),
    }


@st.composite
def _phrase_callback(draw: st.DrawFn, provider: str, stage: str, codes: tuple[int, ...]) -> dict[str, Any]:
    # ready: code 200, status wait_validating, errorCode 0; failure: code 400, processing_validate_fail (2.4 #29)
    if stage == "complete":
        data = {"validateInfo": draw(texts(120).filter(bool)), "status": "wait_validating", "errorCode": 0}
        return {"code": 200, "msg": "success", "data": {"taskId": draw(task_ids()), **data, "errorMessage": ""}}
    message = draw(texts().filter(bool))
    data = {"validateInfo": "", "status": "processing_validate_fail", "errorCode": 500, "errorMessage": message}
    return {"code": 400, "msg": message, "data": {"taskId": draw(task_ids()), **data}}


@st.composite
def _voice_callback(draw: st.DrawFn, provider: str, stage: str, codes: tuple[int, ...]) -> dict[str, Any]:
    # ready: code 200, status success, voiceId; failure: code 400, status fail, voiceId "" (2.4 #32)
    if stage == "complete":
        data = {"voiceId": draw(texts(40).filter(bool)), "status": "success", "errorCode": 0, "errorMessage": ""}
        return {"code": 200, "msg": "success", "data": {"taskId": draw(task_ids()), **data}}
    message = draw(texts().filter(bool))
    data = {"voiceId": "", "status": "fail", "errorCode": 500, "errorMessage": message}
    return {"code": 400, "msg": message, "data": {"taskId": draw(task_ids()), **data}}


CallbackDrawer = Callable[[str, str, tuple[int, ...]], st.SearchStrategy[dict[str, Any]]]
#: family -> (provider, stage, non-200 callback codes) -> strategy of payloads.
CALLBACKS: dict[str, CallbackDrawer] = {
    "lyrics": lambda p, s, c: _lyrics_callback(p, s, c),
    "wav": lambda p, s, c: _wav_callback(p, s, c),
    "separation": lambda p, s, c: _separation_callback(p, s, c),
    "midi": lambda p, s, c: _midi_callback(p, s, c),
    "video": lambda p, s, c: _video_callback(p, s, c),
    "cover": lambda p, s, c: _cover_callback(p, s, c),
    "recovery": lambda p, s, c: _recovery_callback(p, s, c),
    "voice-phrase": lambda p, s, c: _phrase_callback(p, s, c),
    "voice": lambda p, s, c: _voice_callback(p, s, c),
}


def draw_callback(family: str, provider: str, stage: str, codes: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return CALLBACKS[family](provider, stage, codes)
