"""The details ``data`` of the families with their own details endpoint: a builder and a drawer each.

:data:`DETAILS` maps each details operationId to its family's :class:`Shape`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from .. import _families as families
from .._drawing import T0, CreateTimeStyle, audio_ids, format_time, task_ids, texts, urls
from .common import (
    ALL_STEMS,
    CALLBACK_URL,
    SPLIT_STEMS,
    TWO_STEMS,
    camel,
    details_times,
    error_fields,
    family_states,
    family_status,
    is_ended,
)

__all__ = ["DETAILS", "Shape", "lyric", "midi_data"]


# -- details ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One family's details ``data``: a deterministic builder and a strategy, both per state."""

    family: str
    #: (provider, task id, state or None for success, createTime style) -> data
    build: Callable[[str, str, Any, CreateTimeStyle], dict[str, Any]]
    #: (provider, state or None for every state) -> strategy of data
    draw: Callable[[str, Any], st.SearchStrategy[dict[str, Any]]]


def _pick(provider: str, family: str, state: Any) -> Any:
    status = family_status(family, provider)
    if state is None:
        return status.success
    if status.rank(state) == -1:
        documented = ", ".join(map(str, (*status.order, *status.failures)))
        raise ValueError(f"{family} state {state!r} is not documented on {provider}; use one of {documented}")
    return state


def _state_strategy(provider: str, family: str, state: Any) -> st.SearchStrategy[Any]:
    return (
        st.just(_pick(provider, family, state))
        if state is not None
        else st.sampled_from(family_states(family, provider))
    )


def _base(task_id: str, created: str | int, complete: str | int | None) -> dict[str, Any]:
    return {"taskId": task_id, "callbackUrl": CALLBACK_URL, "createTime": created, "completeTime": complete}


def lyric(text: str, title: str, *, kie: bool, failed: bool = False) -> dict[str, Any]:
    key = "error_message" if kie else "errorMessage"
    return {"text": text, "title": title, "status": "failed" if failed else "complete", key: ""}


# lyrics (api-family.md 2.3 #16: response {taskId, data[]}, status, type LYRICS)


def _build_lyrics(provider: str, task_id: str, state: Any, style: CreateTimeStyle) -> dict[str, Any]:
    state = _pick(provider, "lyrics", state)
    status = family_status("lyrics", provider)
    variants = [
        lyric("[Verse]\nNeon rain on the harbour\n[Chorus]\nHold the light", "Harbour Lights", kie=False),
        lyric("[Verse]\nLanterns on the water\n[Chorus]\nThe tide will bring you home", "Lanterns", kie=False),
    ]
    failed = state in status.failures
    return {
        "taskId": task_id,
        "param": json.dumps({"prompt": "A song about the harbour at night", "callBackUrl": CALLBACK_URL}),
        "response": {"taskId": task_id, "data": variants} if state == status.success else None,
        "status": state,
        "type": "LYRICS",
        "errorCode": 501 if failed else None,
        "errorMessage": f"Task ended in {state}" if failed else None,
    }


@st.composite
def _lyrics_variant(draw: st.DrawFn, failed: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "text": draw(texts(200)),
        "title": draw(texts(80)),
        "status": "failed" if failed else "complete",
    }
    key = draw(st.sampled_from(["errorMessage", "error_message", None]))
    if key is not None:
        item[key] = draw(st.one_of(st.none(), st.just(""), texts()))
    return item


@st.composite
def _draw_lyrics(draw: st.DrawFn, provider: str, state: Any) -> dict[str, Any]:
    status = family_status("lyrics", provider)
    value = draw(_state_strategy(provider, "lyrics", state))
    task_id = draw(task_ids())
    failed = value in status.failures
    if value == status.success:
        done = draw(st.lists(_lyrics_variant(False), min_size=1, max_size=3))
        more = draw(st.lists(_lyrics_variant(True), max_size=1))
        response: Any = {"taskId": task_id, "data": [*done, *more]}
    elif value == "CALLBACK_EXCEPTION":  # the lyrics may be done though the callback failed
        response = draw(
            st.one_of(st.none(), st.lists(_lyrics_variant(False), min_size=1, max_size=2).map(lambda d: {"data": d}))
        )
        if response is not None:
            response["taskId"] = task_id
    else:
        response = draw(st.sampled_from([None, {"taskId": task_id, "data": []}]))
    code, message = error_fields(draw, failed)
    return {
        "taskId": task_id,
        "param": json.dumps({"prompt": draw(texts()), "callBackUrl": CALLBACK_URL}, ensure_ascii=draw(st.booleans())),
        "response": response,
        "status": value,
        "type": "LYRICS",
        "errorCode": code,
        "errorMessage": message,
    }


# WAV and video (api-family.md 2.3 #18, #24: musicId, response {audioWavUrl} / {videoUrl}, successFlag)


def _file_builder(family: str, key: str, kind: str) -> Callable[[str, str, Any, CreateTimeStyle], dict[str, Any]]:
    def build(provider: str, task_id: str, state: Any, style: CreateTimeStyle) -> dict[str, Any]:
        state = _pick(provider, family, state)
        status = family_status(family, provider)
        audio_id = f"{task_id[:8]:0<8}-0000-4000-8000-000000000000"
        failed = state in status.failures
        ended = is_ended(status, state)
        return {
            **_base(task_id, format_time(T0, style), format_time(T0 + 45, style) if ended else None),
            "musicId": audio_id,
            "response": {key: f"https://cdn.mock.invalid/{audio_id}.{kind}"} if state == status.success else None,
            "successFlag": state,
            "errorCode": 500 if failed else None,
            "errorMessage": f"Task ended in {state}" if failed else None,
        }

    return build


def _file_drawer(family: str, key: str, kind: str) -> Callable[[str, Any], st.SearchStrategy[dict[str, Any]]]:
    @st.composite
    def draw_data(draw: st.DrawFn, provider: str, state: Any) -> dict[str, Any]:
        status = family_status(family, provider)
        value = draw(_state_strategy(provider, family, state))
        failed = value in status.failures
        if value == status.success:
            response: Any = {key: draw(urls(kind))}
        elif failed:
            response = draw(st.sampled_from([None, {key: None}]))
        else:
            response = None
        code, message = error_fields(draw, failed)
        data = {
            **_base(
                draw(task_ids()), draw(details_times()), draw(details_times()) if is_ended(status, value) else None
            ),
            "musicId": draw(audio_ids()),
            "response": response,
            "successFlag": value,
            "errorCode": code,
            "errorMessage": message,
        }
        if draw(st.booleans()):  # musicIndex: kie's pages (WAV), every video page
            data["musicIndex"] = draw(st.integers(0, 1))
        return data

    return lambda provider, state: draw_data(provider, state)


# stem separation (api-family.md 2.3 #20: response {originUrl, ..., originData (kie)})


def _build_separation(provider: str, task_id: str, state: Any, style: CreateTimeStyle) -> dict[str, Any]:
    data = _file_builder("separation", "originUrl", "mp3")(provider, task_id, state, style)
    if data["response"] is not None:
        base = f"https://cdn.mock.invalid/{data['musicId']}"
        data["response"] = {camel(f"{stem}_url"): f"{base}-{stem}.mp3" for stem in TWO_STEMS}
    data["musicIndex"] = 0
    return data


@st.composite
def _separation_files(draw: st.DrawFn) -> dict[str, Any]:
    split = draw(st.sampled_from(["separate_vocal", "split_stem"]))
    made = TWO_STEMS if split == "separate_vocal" else SPLIT_STEMS
    files: dict[str, Any] = {}
    for stem in (*ALL_STEMS, "piano"):
        name = camel(f"{stem}_url")
        if stem in made:
            files[name] = draw(urls("mp3"))
        elif draw(st.booleans()):  # a file the type does not make: null, or left out
            files[name] = None
    if draw(st.booleans()):  # kie's page lists originData (its ids are Generate MIDI's audioId)
        item = st.fixed_dictionaries(
            {
                "id": audio_ids(),
                "audio_url": urls("mp3"),
                "duration": st.integers(100, 48_000).map(lambda cs: cs / 100),
                "stem_type_group_name": st.sampled_from(["Vocals", "Drums", "Bass", "Piano", "Guitar"]),
            }
        )
        files["originData"] = draw(st.one_of(st.none(), st.lists(item, max_size=3)))
    return files


@st.composite
def _draw_separation(draw: st.DrawFn, provider: str, state: Any) -> dict[str, Any]:
    status = family_status("separation", provider)
    value = draw(_state_strategy(provider, "separation", state))
    failed = value in status.failures
    code, message = error_fields(draw, failed)
    data = {
        **_base(draw(task_ids()), draw(details_times()), draw(details_times()) if is_ended(status, value) else None),
        "musicId": draw(audio_ids()),
        "response": draw(_separation_files()) if value == status.success else None,
        "successFlag": value,
        "errorCode": code,
        "errorMessage": message,
    }
    selector = draw(st.sampled_from(["musicIndex", "audioId", "both"]))  # sunoapi's page, kie's page
    if selector in ("musicIndex", "both"):
        data["musicIndex"] = draw(st.integers(0, 1))
    if selector in ("audioId", "both"):
        data["audioId"] = data["musicId"]
    return data


# MIDI (api-family.md 2.3 #22: recordTaskId -1, midiData {state, instruments}, integer successFlag)


def midi_data(draw: st.DrawFn | None = None) -> Any:
    if draw is None:
        fixed = {"pitch": 60, "start": 0.5, "end": 1.0, "velocity": 0.8}
        return {"state": "complete", "instruments": [{"name": "Piano", "notes": [fixed]}]}
    seconds = st.integers(0, 48_000).map(lambda cs: cs / 100)
    moment = st.one_of(seconds, seconds.map(str))  # "start/end may be a number or a string"
    note = st.fixed_dictionaries(
        {
            "pitch": st.integers(0, 127),
            "start": moment,
            "end": moment,
            "velocity": st.one_of(st.integers(0, 127), st.floats(0, 1, allow_nan=False)),
        }
    )
    instrument = st.fixed_dictionaries(
        {"name": st.sampled_from(["Piano", "Drums", "Bass", "Vocals"]), "notes": st.lists(note, max_size=4)}
    )
    # "midiData may be empty after split_stem": no instruments at all.
    return {"state": "complete", "instruments": draw(st.lists(instrument, max_size=3))}


def _build_midi(provider: str, task_id: str, state: Any, style: CreateTimeStyle) -> dict[str, Any]:
    state = _pick(provider, "midi", state)
    status = family_status("midi", provider)
    failed = state in status.failures
    return {
        **_base(task_id, format_time(T0, style), format_time(T0 + 30, style) if is_ended(status, state) else None),
        "recordTaskId": -1,
        "audioId": "",
        "midiData": midi_data() if state == status.success else None,
        "successFlag": state,
        "errorCode": 500 if failed else None,
        "errorMessage": f"Task ended in successFlag {state}" if failed else None,
    }


@st.composite
def _draw_midi(draw: st.DrawFn, provider: str, state: Any) -> dict[str, Any]:
    status = family_status("midi", provider)
    value = draw(_state_strategy(provider, "midi", state))
    failed = value in status.failures
    code, message = error_fields(draw, failed)
    return {
        **_base(draw(task_ids()), draw(details_times()), draw(details_times()) if is_ended(status, value) else None),
        "recordTaskId": -1,
        "audioId": draw(st.one_of(st.none(), st.just(""), audio_ids())),
        "midiData": midi_data(draw) if value == status.success else None,
        "successFlag": value,
        "errorCode": code,
        "errorMessage": message,
    }


# cover image (api-family.md 2.3 #26: parentTaskId, response {images[]}, successFlag per provider)


def _build_cover(provider: str, task_id: str, state: Any, style: CreateTimeStyle) -> dict[str, Any]:
    state = _pick(provider, "cover", state)
    status = family_status("cover", provider)
    failed = state in status.failures
    images = [f"https://cdn.mock.invalid/{task_id}-{i}.png" for i in range(2)]
    return {
        **_base(task_id, format_time(T0, style), format_time(T0 + 20, style) if is_ended(status, state) else None),
        "parentTaskId": "2fac5d1e9b8a4c7f8e6d5c4b3a2f9f72",
        "response": {"images": images} if state == status.success else None,
        "successFlag": state,
        "errorCode": 500 if failed else None,
        "errorMessage": f"Task ended in successFlag {state}" if failed else None,
    }


@st.composite
def _draw_cover(draw: st.DrawFn, provider: str, state: Any) -> dict[str, Any]:
    status = family_status("cover", provider)
    value = draw(_state_strategy(provider, "cover", state))
    failed = value in status.failures
    if value == status.success:
        response: Any = {"images": draw(st.lists(urls("png"), min_size=1, max_size=2))}
    elif failed:
        response = draw(st.sampled_from([None, {"images": None}]))
    else:
        response = None
    return {
        **_base(draw(task_ids()), draw(details_times()), draw(details_times()) if is_ended(status, value) else None),
        "parentTaskId": draw(task_ids()),
        "response": response,
        "successFlag": value,
        # sunoapi lists errorCode 200 and 500
        "errorCode": draw(st.sampled_from([500, None])) if failed else draw(st.sampled_from([None, 200])),
        "errorMessage": draw(st.one_of(st.none(), texts().filter(bool))) if failed else None,
    }


# Suno Voice (api-family.md 2.4 #30, #33): {taskId, validateInfo | voiceId, status, errorCode, errorMessage}
_PHRASE = "amber rivers carry the morning light over seven quiet hills"
_VOICE_ENDS = {"voice-phrase": ("validateInfo", "wait_validating"), "voice": ("voiceId", "success")}


def _voice_builder(family: str) -> Callable[[str, str, Any, CreateTimeStyle], dict[str, Any]]:
    key, ready = _VOICE_ENDS[family]

    def build(provider: str, task_id: str, state: Any, style: CreateTimeStyle) -> dict[str, Any]:
        state = _pick(provider, family, state)
        failed = state in family_status(family, provider).failures
        value = (_PHRASE if key == "validateInfo" else "voice_5f3a9c1e7b2d4a6c") if state == ready else ""
        return {
            "taskId": task_id,
            key: value,
            "status": state,
            "errorCode": 500 if failed else 0,
            "errorMessage": f"Task ended in {state}" if failed else "",
        }

    return build


def _voice_drawer(family: str) -> Callable[[str, Any], st.SearchStrategy[dict[str, Any]]]:
    key, ready = _VOICE_ENDS[family]

    @st.composite
    def draw_data(draw: st.DrawFn, provider: str, state: Any) -> dict[str, Any]:
        value = draw(_state_strategy(provider, family, state))
        failed = value in family_status(family, provider).failures
        code, message = error_fields(draw, failed)
        return {
            "taskId": draw(task_ids()),
            key: draw(texts(120).filter(bool)) if value == ready else "",
            "status": value,
            "errorCode": code if failed else draw(st.sampled_from([0, None])),
            "errorMessage": message if failed else draw(st.sampled_from(["", None])),
        }

    return lambda provider, state: draw_data(provider, state)


#: details operationId -> its family's shape.
DETAILS: dict[str, Shape] = {}
for _shape in (
    Shape("voice-phrase", _voice_builder("voice-phrase"), _voice_drawer("voice-phrase")),
    Shape("voice", _voice_builder("voice"), _voice_drawer("voice")),
    Shape("lyrics", _build_lyrics, lambda p, s: _draw_lyrics(p, s)),
    Shape("wav", _file_builder("wav", "audioWavUrl", "wav"), _file_drawer("wav", "audioWavUrl", "wav")),
    Shape("separation", _build_separation, lambda p, s: _draw_separation(p, s)),
    Shape("midi", _build_midi, lambda p, s: _draw_midi(p, s)),
    Shape("video", _file_builder("video", "videoUrl", "mp4"), _file_drawer("video", "videoUrl", "mp4")),
    Shape("cover", _build_cover, lambda p, s: _draw_cover(p, s)),
):
    _details = families.family(_shape.family).details
    assert _details is not None
    DETAILS[_details.id] = _shape
