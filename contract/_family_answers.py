"""Answers and callbacks of the families with their own details endpoint, and of the synchronous helpers.

:mod:`contract.strategies` dispatches here for lyrics, WAV, stem separation, MIDI, music video
and cover image (their details ``data`` and callback payloads), and for Generate Persona and
Boost Music Style. Each shape follows the bundled documents (``openapi/common.yaml``:
``LyricsDetails``, ``WavDetails``, ``SeparationDetails``, ``MidiDetails``, ``VideoDetails``,
``CoverDetails``, ``Persona``, ``BoostStyle`` and the ``*Callback`` schemas); states come from the
contract's table (:mod:`contract._families`). Quirks drawn, as the reference notes give them:

- lyrics callbacks name the task ``data.taskId`` (sunoapi, api.box) or ``data.task_id`` (kie,
  apikley), with items carrying ``errorMessage`` or ``error_message`` (api-family.md 2.3 #15);
- WAV callbacks carry ``audioWavUrl``, or ``audio_wav_url`` as an older kie CN page did (#17);
- separation callbacks put the stems under ``vocal_removal_info`` (sunoapi, api.box) or
  ``vocal_separation_info`` (kie, apikley); an advanced split lists ``origin_data`` (#19);
- MIDI callbacks carry ``task_id`` beside ``code`` (pages) or ``data.taskId`` (a client, #21);
- details times as a date-time string or epoch milliseconds (the documented examples, #20);
- cover ``successFlag`` as integers (sunoapi, kie) or apikley's strings (#26).

Every drawn value validates against the provider's document (``tests/test_contract_client.py``)
and, at each state, shows what the contract's table says that state shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from . import _families as families
from ._drawing import T0, CreateTimeStyle, audio_ids, create_times, format_time, task_ids, texts, urls

__all__ = [
    "CALLBACKS",
    "CREATED_KEY",
    "DETAILS",
    "SYNC",
    "Shape",
    "build_sync",
    "draw_callback",
    "draw_sync",
    "top_level",
]

_KIE_KEYS = frozenset({"kie", "apikley"})  # the providers whose callbacks follow kie's pages
_CALLBACK_URL = "https://example.com/callback"

#: Snake-case stem names of callbacks (StemFiles) and their camelCase names in details (SeparationFiles).
_TWO_STEMS = ("origin", "instrumental", "vocal")
_SPLIT_STEMS = (
    "origin",
    "vocal",
    "backing_vocals",
    "drums",
    "bass",
    "guitar",
    "keyboard",
    "percussion",
    "strings",
    "synth",
    "fx",
    "brass",
    "woodwinds",
)
_ALL_STEMS = (*_SPLIT_STEMS, "instrumental")


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _status(family: str, provider: str) -> families.Status:
    status = families.family(family).status_for(provider)
    if status is None:
        raise RuntimeError(f"the contract's table gives the {family} family no status")
    return status


def _states(family: str, provider: str) -> tuple[Any, ...]:
    status = _status(family, provider)
    return (*status.order, *status.failures)


def _times() -> st.SearchStrategy[str | int]:
    # Details times: typed date-time, shown as epoch ms in the documented examples (api-family.md #20).
    return create_times()


def _ended(status: families.Status, state: Any) -> bool:
    return status.is_terminal(state)


def _error_fields(draw: st.DrawFn, failed: bool) -> tuple[int | None, str | None]:
    if not failed:
        return None, None
    code = draw(st.one_of(st.none(), st.sampled_from([400, 408, 413, 451, 500, 501, 531])))
    return code, draw(st.one_of(st.none(), texts().filter(bool)))


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
    status = _status(family, provider)
    if state is None:
        return status.success
    if status.rank(state) == -1:
        documented = ", ".join(map(str, (*status.order, *status.failures)))
        raise ValueError(f"{family} state {state!r} is not documented on {provider}; use one of {documented}")
    return state


def _state_strategy(provider: str, family: str, state: Any) -> st.SearchStrategy[Any]:
    return st.just(_pick(provider, family, state)) if state is not None else st.sampled_from(_states(family, provider))


def _base(task_id: str, created: str | int, complete: str | int | None) -> dict[str, Any]:
    return {"taskId": task_id, "callbackUrl": _CALLBACK_URL, "createTime": created, "completeTime": complete}


def _lyric(text: str, title: str, *, kie: bool, failed: bool = False) -> dict[str, Any]:
    key = "error_message" if kie else "errorMessage"
    return {"text": text, "title": title, "status": "failed" if failed else "complete", key: ""}


# lyrics (api-family.md 2.3 #16: response {taskId, data[]}, status, type LYRICS)


def _build_lyrics(provider: str, task_id: str, state: Any, style: CreateTimeStyle) -> dict[str, Any]:
    state = _pick(provider, "lyrics", state)
    status = _status("lyrics", provider)
    variants = [
        _lyric("[Verse]\nNeon rain on the harbour\n[Chorus]\nHold the light", "Harbour Lights", kie=False),
        _lyric("[Verse]\nLanterns on the water\n[Chorus]\nThe tide will bring you home", "Lanterns", kie=False),
    ]
    failed = state in status.failures
    return {
        "taskId": task_id,
        "param": json.dumps({"prompt": "A song about the harbour at night", "callBackUrl": _CALLBACK_URL}),
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
    status = _status("lyrics", provider)
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
    code, message = _error_fields(draw, failed)
    return {
        "taskId": task_id,
        "param": json.dumps({"prompt": draw(texts()), "callBackUrl": _CALLBACK_URL}, ensure_ascii=draw(st.booleans())),
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
        status = _status(family, provider)
        audio_id = f"{task_id[:8]:0<8}-0000-4000-8000-000000000000"
        failed = state in status.failures
        ended = _ended(status, state)
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
        status = _status(family, provider)
        value = draw(_state_strategy(provider, family, state))
        failed = value in status.failures
        if value == status.success:
            response: Any = {key: draw(urls(kind))}
        elif failed:
            response = draw(st.sampled_from([None, {key: None}]))
        else:
            response = None
        code, message = _error_fields(draw, failed)
        data = {
            **_base(draw(task_ids()), draw(_times()), draw(_times()) if _ended(status, value) else None),
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
        data["response"] = {_camel(f"{stem}_url"): f"{base}-{stem}.mp3" for stem in _TWO_STEMS}
    data["musicIndex"] = 0
    return data


@st.composite
def _separation_files(draw: st.DrawFn) -> dict[str, Any]:
    split = draw(st.sampled_from(["separate_vocal", "split_stem"]))
    made = _TWO_STEMS if split == "separate_vocal" else _SPLIT_STEMS
    files: dict[str, Any] = {}
    for stem in (*_ALL_STEMS, "piano"):
        name = _camel(f"{stem}_url")
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
    status = _status("separation", provider)
    value = draw(_state_strategy(provider, "separation", state))
    failed = value in status.failures
    code, message = _error_fields(draw, failed)
    data = {
        **_base(draw(task_ids()), draw(_times()), draw(_times()) if _ended(status, value) else None),
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


def _midi_data(draw: st.DrawFn | None = None) -> Any:
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
    status = _status("midi", provider)
    failed = state in status.failures
    return {
        **_base(task_id, format_time(T0, style), format_time(T0 + 30, style) if _ended(status, state) else None),
        "recordTaskId": -1,
        "audioId": "",
        "midiData": _midi_data() if state == status.success else None,
        "successFlag": state,
        "errorCode": 500 if failed else None,
        "errorMessage": f"Task ended in successFlag {state}" if failed else None,
    }


@st.composite
def _draw_midi(draw: st.DrawFn, provider: str, state: Any) -> dict[str, Any]:
    status = _status("midi", provider)
    value = draw(_state_strategy(provider, "midi", state))
    failed = value in status.failures
    code, message = _error_fields(draw, failed)
    return {
        **_base(draw(task_ids()), draw(_times()), draw(_times()) if _ended(status, value) else None),
        "recordTaskId": -1,
        "audioId": draw(st.one_of(st.none(), st.just(""), audio_ids())),
        "midiData": _midi_data(draw) if value == status.success else None,
        "successFlag": value,
        "errorCode": code,
        "errorMessage": message,
    }


# cover image (api-family.md 2.3 #26: parentTaskId, response {images[]}, successFlag per provider)


def _build_cover(provider: str, task_id: str, state: Any, style: CreateTimeStyle) -> dict[str, Any]:
    state = _pick(provider, "cover", state)
    status = _status("cover", provider)
    failed = state in status.failures
    images = [f"https://cdn.mock.invalid/{task_id}-{i}.png" for i in range(2)]
    return {
        **_base(task_id, format_time(T0, style), format_time(T0 + 20, style) if _ended(status, state) else None),
        "parentTaskId": "2fac5d1e9b8a4c7f8e6d5c4b3a2f9f72",
        "response": {"images": images} if state == status.success else None,
        "successFlag": state,
        "errorCode": 500 if failed else None,
        "errorMessage": f"Task ended in successFlag {state}" if failed else None,
    }


@st.composite
def _draw_cover(draw: st.DrawFn, provider: str, state: Any) -> dict[str, Any]:
    status = _status("cover", provider)
    value = draw(_state_strategy(provider, "cover", state))
    failed = value in status.failures
    if value == status.success:
        response: Any = {"images": draw(st.lists(urls("png"), min_size=1, max_size=2))}
    elif failed:
        response = draw(st.sampled_from([None, {"images": None}]))
    else:
        response = None
    return {
        **_base(draw(task_ids()), draw(_times()), draw(_times()) if _ended(status, value) else None),
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
        failed = state in _status(family, provider).failures
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
        failed = value in _status(family, provider).failures
        code, message = _error_fields(draw, failed)
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


# -- synchronous helpers ------------------------------------------------------------------------------


def _persona() -> st.SearchStrategy[dict[str, Any]]:
    # suno-api.md 2.15: data {personaId, name, description}.
    return st.fixed_dictionaries({"personaId": task_ids(), "name": texts(60), "description": texts(200)})


@st.composite
def _boost(draw: st.DrawFn) -> dict[str, Any]:
    # suno-api.md 2.16: creditsConsumed "<= 5 digits, <= 2 decimals"; successFlag "0" / "1" / "2".
    flag = draw(st.sampled_from(["0", "1", "2"]))
    content = draw(texts())
    return {
        "taskId": draw(task_ids()),
        "param": json.dumps({"content": content}, ensure_ascii=draw(st.booleans())),
        "result": draw(texts(300).filter(bool)) if flag == "1" else draw(st.sampled_from(["", content])),
        "creditsConsumed": draw(st.integers(0, 9_999_999).map(lambda c: c / 100)),
        "creditsRemaining": draw(st.one_of(st.integers(0, 10**7), st.integers(0, 10**9).map(lambda c: c / 100))),
        "successFlag": flag,
        "errorCode": draw(st.sampled_from([500, 501, None])) if flag == "2" else None,
        "errorMessage": draw(st.one_of(st.none(), texts().filter(bool))) if flag == "2" else None,
        "createTime": draw(_times()),
    }


_SYNC_ANSWERS: dict[str, Any] = {
    "generate-persona": {
        "personaId": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "name": "Harbour Voice",
        "description": "A warm, breathy alto",
    },
    "boost-music-style": {
        "taskId": "3b1f0c2d4e5f60718293a4b5c6d7e8f9",
        "param": '{"content": "Pop, Mysterious"}',
        "result": "Dreamy pop with hushed vocals, shimmering synths and a mysterious minor-key hook",
        "creditsConsumed": 0.5,
        "creditsRemaining": 99.5,
        "successFlag": "1",
        "errorCode": None,
        "errorMessage": None,
        "createTime": "2026-03-14 10:22:31",
    },
}
_RECOVERED = {
    "id": "e231a6f0-5b3c-4d7e-9f1a-2b3c4d5e6f70",
    "audio_url": "https://cdn.mock.invalid/e231a6f0-5b3c-4d7e-9f1a-2b3c4d5e6f70.mp3",
    "title": "Harbour Lights",
    "status": "success",
    "error": None,
}
_UPLOADED = {
    "fileName": "hello.txt",
    "filePath": "suno/uploads/hello.txt",
    "downloadUrl": "https://cdn.mock.invalid/uploads/hello.txt",
    "fileSize": 12,
    "mimeType": "text/plain",
    "uploadedAt": "2026-01-01T00:00:00.000Z",
}
_SYNC_ANSWERS.update(
    {
        # recovery details (api-family.md 2.3 #28): the tracks in data; task_id at the top level (top_level)
        "get-recovery-details": [_RECOVERED],
        "check-voice": {"isAvailable": True},  # api-family.md 2.4 #34 (field name: secondary)
        # api-family.md 2.5 #35-38
        "upload-file-base64": _UPLOADED,
        "upload-file-stream": _UPLOADED,
        "upload-file-url": _UPLOADED,
        "get-download-url": "https://cdn.mock.invalid/e231a6f0-5b3c-4d7e-9f1a-2b3c4d5e6f70.mp3?expires=1767226800",
    }
)
_RECOVERY_ERRORS = (
    "no_audio_id_mappings",
    "account_missing",
    "get_tokens_failed",
    "feed_failed",
    "clip_error",
    "clip_not_complete",
    "mango_transfer_failed",
)


@st.composite
def _recovered_track(draw: st.DrawFn, ok: bool) -> dict[str, Any]:
    return {
        "id": draw(audio_ids()),
        "audio_url": draw(st.one_of(urls("mp3"), urls("m4a"))) if ok else None,
        "title": draw(texts(80)),
        "status": "success" if ok else "failed",
        "error": None if ok else draw(st.sampled_from(_RECOVERY_ERRORS)),
    }


def _recovered(some: bool) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Tracks of a recovery: at least one recovered (``some``) or every one failed."""
    if not some:
        return st.lists(_recovered_track(False), min_size=1, max_size=2)
    return st.tuples(_recovered_track(True), st.lists(st.booleans().flatmap(_recovered_track), max_size=1)).map(
        lambda pair: [pair[0], *pair[1]]
    )


@st.composite
def _uploaded(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(["a.mp3", "voice.wav", "notes.txt"]))
    path = draw(st.sampled_from(["suno", "suno/uploads"]))
    return {
        "fileName": name,
        "filePath": f"{path}/{name}",
        "downloadUrl": draw(urls("mp3")),
        "fileSize": draw(st.integers(0, 10**8)),
        "mimeType": draw(st.sampled_from(["audio/mpeg", "audio/wav", "text/plain"])),
        "uploadedAt": "2026-01-01T00:00:00.000Z",
    }


_SYNC_DRAWN: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
    "generate-persona": _persona,
    "boost-music-style": _boost,
    "get-recovery-details": lambda: _recovered(True),
    "check-voice": lambda: st.fixed_dictionaries({"isAvailable": st.booleans()}),
    "upload-file-base64": _uploaded,
    "upload-file-stream": _uploaded,
    "upload-file-url": _uploaded,
    "get-download-url": lambda: urls("mp3"),
}
#: creating operationId -> the key of its task id in the answer's data (Recovery: snake case).
CREATED_KEY: dict[str, str] = {"recover-audio": "task_id"}
_UPLOADS = frozenset({"upload-file-base64", "upload-file-stream", "upload-file-url"})


def top_level(operation_id: str, code: int, task_id: str) -> dict[str, Any]:
    """Fields an answer carries beside code, msg and data: recovery details' task_id, the uploads' success."""
    if operation_id == "get-recovery-details" and code in (200, 201):
        return {"task_id": task_id}
    if operation_id in _UPLOADS:
        return {"success": code == 200}
    return {}


SYNC: frozenset[str] = frozenset(_SYNC_ANSWERS)


def build_sync(operation_id: str) -> Any:
    """The deterministic answer ``data`` of a synchronous helper (a fresh copy)."""
    return json.loads(json.dumps(_SYNC_ANSWERS[operation_id]))


def draw_sync(operation_id: str) -> st.SearchStrategy[Any]:
    return _SYNC_DRAWN[operation_id]()


# -- callbacks -----------------------------------------------------------------------------------------


@st.composite
def _lyrics_callback(draw: st.DrawFn, provider: str, stage: str, codes: tuple[int, ...]) -> dict[str, Any]:
    kie = provider in _KIE_KEYS
    inner: dict[str, Any] = {"callbackType": stage, ("task_id" if kie else "taskId"): draw(task_ids())}
    if stage == "complete":
        item = st.builds(
            lambda text, title, failed: _lyric(text, title, kie=kie, failed=failed),
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
    key = draw(st.sampled_from(["audioWavUrl", "audio_wav_url"])) if provider in _KIE_KEYS else "audioWavUrl"
    url = draw(urls("wav")) if stage == "complete" else None
    msg = "success" if stage == "complete" else draw(texts().filter(bool))
    return {"code": draw(_file_codes(stage)), "msg": msg, "data": {"task_id": draw(task_ids()), key: url}}


@st.composite
def _stem_files(draw: st.DrawFn) -> dict[str, Any]:
    split = draw(st.sampled_from(["separate_vocal", "split_stem", "split_stem_advanced"]))
    if split == "split_stem_advanced":  # "origin_data[{extract:{...}, remove:{...}}]" (a client)
        part = st.fixed_dictionaries({"audio_url": urls("mp3"), "name": st.sampled_from(["Piano", "Drums"])})
        return {"origin_data": draw(st.lists(st.fixed_dictionaries({"extract": part, "remove": part}), max_size=2))}
    made = _TWO_STEMS if split == "separate_vocal" else _SPLIT_STEMS
    files: dict[str, Any] = {}
    for stem in _ALL_STEMS:
        if stem in made:
            files[f"{stem}_url"] = draw(urls("mp3"))
        elif draw(st.booleans()):
            files[f"{stem}_url"] = None
    return files


@st.composite
def _separation_callback(draw: st.DrawFn, provider: str, stage: str, codes: tuple[int, ...]) -> dict[str, Any]:
    files = draw(_stem_files()) if stage == "complete" else None
    if provider in _KIE_KEYS:
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
        data: Any = _midi_data(draw)
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
        "data": draw(_recovered(ok)),
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
