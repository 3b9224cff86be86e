"""Hypothesis strategies for every documented answer and callback of the Suno reseller API.

Use them to property-test the code that *reads* the API: response parsers, pollers and callback
handlers. Each strategy draws from everything the bundled documents allow, including the
documented real-world quirks (suno-api.md 2.3, 4.2, 4.3, 8):

- ``createTime`` as the documented ``"YYYY-MM-DD HH:MM:SS"`` string **or** epoch milliseconds
  as an integer (a real api.box callback);
- the ``text`` callback stage with ``data.data`` as ``[]`` or ``null``;
- error callbacks with ``data: null`` (sunoapi), ``data: []`` (older kie docs) or an ``error``
  string (kie replace-section);
- the ``first`` stage listing the unfinished second track (``audio_url: ""``, no duration);
- ``source_*`` URLs present or absent; ``record-info.type`` as ``"GENERATE"`` or ``chirp-*``;
  a failed task's ``response.errorMessage`` beside ``data.errorMessage``;
- for the families with their own details endpoint (lyrics, WAV, stem separation, MIDI, music
  video, cover image) and the synchronous helpers (persona, boost style): each family's states,
  its provider keys and its callback quirks (see :mod:`contract._family_answers`), through
  :func:`responses`, :func:`details_data` and :func:`callback_payloads`.

The enums (codes, task states, callback codes, ``operationType``) are read from the bundled
OpenAPI document of the provider, so the strategies follow the documents when they change.
Every drawn value validates against the provider's schema (``tests/test_contract_client.py``
checks this property-based with jsonschema).

Besides the strategies, :func:`build_response`, :func:`build_record_info` and
:func:`build_details` make one deterministic, spec-valid answer; the client router uses them to
answer a forced code or state.

Example::

    from hypothesis import given
    from contract.strategies import callback_payloads, responses

    @given(callback_payloads("generate"))
    def test_handler_accepts_every_callback(payload):
        my_app.handle_suno_callback(payload)          # must not raise

    @given(responses("kie", "generate-music"))
    def test_parser(answer):
        result = my_client.parse_generate(answer.to_httpx())
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from hypothesis import strategies as st

from mockserver import openapi

from . import _families as families
from . import _family_answers as _answers
from ._drawing import T0 as _T0
from ._drawing import CreateTimeStyle, create_times
from ._drawing import audio_ids as _audio_ids
from ._drawing import durations as _durations
from ._drawing import format_time as _format_time
from ._drawing import task_ids as _task_ids
from ._drawing import texts as _texts
from ._drawing import urls as _urls

__all__ = [
    "CALLBACK_STAGES",
    "FAILURE_STATUSES",
    "OPERATION_IDS",
    "CreateTimeStyle",
    "SpecResponse",
    "build_details",
    "build_record_info",
    "build_response",
    "callback_codes",
    "callback_payloads",
    "create_times",
    "details_data",
    "documented_codes",
    "record_info_data",
    "responses",
    "task_statuses",
]


def _music() -> tuple[families.Status, str]:
    music = families.family("music")
    if music.status is None or music.details is None:
        raise RuntimeError("the contract's table lacks the music family's status or details operation")
    return music.status, music.details.id


_MUSIC_STATUS, _MUSIC_DETAILS = _music()

#: The operationIds of the contract's table that every bundled document serves.
OPERATION_IDS: tuple[str, ...] = tuple(
    op_id
    for op_id in families.OPERATIONS
    if all(op_id in families.declared(openapi.load_spec(p)) for p in openapi.PROVIDERS)
)
#: Terminal task states that mean a music task failed (suno-api.md 3.1).
FAILURE_STATUSES: tuple[str, ...] = tuple(_MUSIC_STATUS.failures)
#: Callback stages per family of the table (suno-api.md 4.2-4.4), ``error`` last.
CALLBACK_STAGES: dict[str, tuple[str, ...]] = {
    f.name: (*f.callbacks.stages, "error") for f in families.FAMILIES if f.callbacks is not None
}

#: Music states whose details list tracks (4.2: the first track is done at FIRST_SUCCESS).
_WITH_TRACKS = _MUSIC_STATUS.order[_MUSIC_STATUS.order.index("FIRST_SUCCESS") :]
#: Short names users may pass to :func:`callback_payloads`.
_ALIASES = {
    "generate": "generate-music",
    "extend": "extend-music",
    "replace": "replace-section",
    "lyrics": "generate-lyrics",
    "wav": "convert-to-wav",
    "separation": "separate-vocals",
    "midi": "generate-midi",
    "video": "create-music-video",
    "cover": "generate-cover-image",
}
#: The families whose callbacks the strategies draw: music and replace here, the others per family.
_DRAWN_CALLBACKS = frozenset({"music", "replace", *_answers.CALLBACKS})
#: The details operations of the table (Get Music Details and one per family with its own).
_DETAILS_IDS: tuple[str, ...] = (_MUSIC_DETAILS, *_answers.DETAILS)

# Messages the documents and real payloads show (suno-api.md 1.3, 4.2, 4.3).
_STAGE_MSGS: dict[str, tuple[str, ...]] = {
    "text": ("Text generation complete.", "文本生成完成。", "success"),
    "first": ("First audio generated successfully.", "First track generated successfully."),
    "complete": ("All generated successfully.", "success"),
    "error": ("Audio generation failed.", "Music generation failed", "Lyrics contain copyrighted content"),
}
_CODE_MSGS: dict[int, str] = {
    401: "Unauthorized: credentials missing or invalid",
    402: "Insufficient credits",
    404: "Not found: resource or endpoint does not exist",
    408: "Upstream timeout: no result returned for over 10 minutes",
    409: "Conflict: record already exists",
    422: "Validation error: request parameters failed validation",
    429: "Rate limit exceeded",
    451: "Failed to fetch the upstream resource",
    455: "Service unavailable: system maintenance",
    500: "Server error",
    501: "Generation failed",
    505: "Feature disabled",
}


# --------------------------------------------------------------------------------------------
# What the bundled documents say
# --------------------------------------------------------------------------------------------


@functools.cache
def _spec(provider: str) -> dict[str, Any]:
    return openapi.load_spec(provider)


def _deref(node: Any, root: dict[str, Any]) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


@functools.cache
def _operation(provider: str, operation_id: str) -> tuple[str, str, Mapping[str, Any]]:
    spec = _spec(provider)
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return method.upper(), path, op
    raise ValueError(f"{provider} documents no operation {operation_id!r}; use one of {', '.join(OPERATION_IDS)}")


def _response_schema(provider: str, operation_id: str, http_status: int) -> Mapping[str, Any] | None:
    spec = _spec(provider)
    _, _, op = _operation(provider, operation_id)
    response = _deref(op.get("responses", {}).get(str(http_status)), spec)
    if not isinstance(response, dict):
        return None
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    resolved = _deref(schema, spec)
    return resolved if isinstance(resolved, dict) else None


def _code_enum(provider: str, operation_id: str, http_status: int) -> tuple[int, ...]:
    schema = _response_schema(provider, operation_id, http_status)
    if schema is None:
        return ()
    code = _deref(schema.get("properties", {}).get("code", {}), _spec(provider))
    return tuple(int(c) for c in code.get("enum", ()))


@functools.cache
def documented_codes(provider: str, operation_id: str) -> tuple[tuple[int, int], ...]:
    """Every documented ``(HTTP status, body code)`` pair of an operation, 200 first.

    The HTTP-200 answers carry the outcome in ``code`` (suno-api.md 1.2); the documented HTTP 500
    answer carries 402/408/422/500/501/505 (suno-api.md 1.3).
    """
    pairs = [(200, code) for code in _code_enum(provider, operation_id, 200)]
    pairs += [(500, code) for code in _code_enum(provider, operation_id, 500)]
    if not pairs:
        raise ValueError(f"{provider} {operation_id}: the document lists no response codes")
    return tuple(sorted(pairs, key=lambda p: (p != (200, 200), p)))


@functools.cache
def task_statuses(provider: str = "kie") -> tuple[str, ...]:
    """The ``record-info`` ``status`` enum of the provider's document."""
    return tuple(_spec(provider)["components"]["schemas"]["TaskStatus"]["enum"])


@functools.cache
def callback_codes(provider: str = "kie") -> tuple[int, ...]:
    """The callback ``code`` enum of the provider's document (200 and the failure codes)."""
    return tuple(_spec(provider)["components"]["schemas"]["CallbackCode"]["enum"])


@functools.cache
def _record_enum(provider: str, name: str) -> tuple[Any, ...]:
    return tuple(_spec(provider)["components"]["schemas"]["RecordInfo"]["properties"][name]["enum"])


def _known_provider(provider: str) -> str:
    if provider not in openapi.PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}: choose one of {', '.join(openapi.PROVIDERS)}")
    return provider


# --------------------------------------------------------------------------------------------
# Deterministic builders (used by the client router to answer forced outcomes)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecResponse:
    """One documented answer: the HTTP status and the JSON envelope ``{code, msg, data}``."""

    http_status: int
    body: dict[str, Any]

    @property
    def code(self) -> int:
        """The outcome in the body (``body["code"]``)."""
        return int(self.body["code"])

    def to_httpx(self, request: httpx.Request | None = None) -> httpx.Response:
        """The answer as an ``httpx.Response`` (JSON body), e.g. to feed a response parser."""
        return httpx.Response(self.http_status, json=self.body, request=request)


def _record_track(audio_id: str, index: int, *, complete: bool, created: str | int, duration: float) -> dict[str, Any]:
    return {
        "id": audio_id,
        "audioUrl": f"https://cdn.mock.invalid/{audio_id}.mp3" if complete else "",
        "streamAudioUrl": f"https://stream.mock.invalid/{audio_id}",
        "imageUrl": f"https://cdn.mock.invalid/{audio_id}.jpeg",
        "prompt": "[Verse]\nNeon rain on the harbour",
        "modelName": "chirp-v4",
        "title": f"Harbour Lights {index + 1}",
        "tags": "synthwave",
        "createTime": created,
        "duration": duration if complete else None,
    }


def build_record_info(
    provider: str,
    task_id: str,
    status: str = "SUCCESS",
    *,
    create_time: CreateTimeStyle = "string",
    durations: tuple[float, ...] = (180.0, 176.5),
    error_code: int | None = None,
    error_message: str | None = None,
) -> dict[str, Any]:
    """The ``data`` of Get Music Details for a task in ``status`` (deterministic, spec-valid).

    Tracks are listed as the state implies: none before ``FIRST_SUCCESS`` and in failure states,
    the first complete and the rest streaming at ``FIRST_SUCCESS``, all complete at ``SUCCESS``.
    A failure state gets ``error_code`` (default 501) and an ``error_message``.
    """
    if status not in task_statuses(_known_provider(provider)):
        raise ValueError(f"status {status!r} is not documented; use one of {', '.join(task_statuses(provider))}")
    created = _format_time(_T0, create_time)
    tracks: list[dict[str, Any]] = []
    if status in _WITH_TRACKS:
        tracks = [
            _record_track(
                f"{task_id[:8]:0<8}-0000-4000-8000-{i:012d}",
                i,
                complete=status == _MUSIC_STATUS.success or i == 0,
                created=created,
                duration=d,
            )
            for i, d in enumerate(durations)
        ]
    failed = status in FAILURE_STATUSES
    return {
        "taskId": task_id,
        "parentMusicId": "",
        "param": json.dumps({"prompt": "Neon rain on the harbour", "model": "V4_5", "customMode": False}),
        "response": {"taskId": task_id, "sunoData": tracks},
        "status": status,
        "type": "GENERATE",
        "operationType": "generate",
        "errorCode": (error_code if error_code is not None else 501) if failed else None,
        "errorMessage": (error_message or f"Task ended in {status}") if failed else None,
    }


#: Answers of the synchronous operations (by operationId), deterministic.
_SYNC_ANSWERS: dict[str, Any] = {
    "get-remaining-credits": 100,
    "get-timestamped-lyrics": {
        "alignedWords": [{"word": "[Verse]\nNeon", "success": True, "startS": 1.36, "endS": 1.79, "palign": 0}],
        "waveformData": [0, 0.42, 0.87, 0.5],
        "hootCer": 0.38,
        "isStreamed": False,
    },
}


def build_details(
    provider: str,
    operation_id: str,
    task_id: str,
    status: Any = None,
    *,
    create_time: CreateTimeStyle = "string",
    **record: Any,
) -> dict[str, Any]:
    """The ``data`` of any details operation for a task in ``status`` (default: its family's success).

    Get Music Details goes to :func:`build_record_info` (``record`` holds its extra options); the
    other families' details show what their state implies (files at success, none before).
    """
    if operation_id == _MUSIC_DETAILS:
        options = dict(record, create_time=create_time)
        return build_record_info(provider, task_id, **({"status": status} if status is not None else {}), **options)
    shape = _answers.DETAILS.get(operation_id)
    if shape is None:
        raise ValueError(f"{operation_id} is not a details operation; use one of {', '.join(_DETAILS_IDS)}")
    return shape.build(_known_provider(provider), task_id, status, create_time)


def _success_data(provider: str, operation_id: str, task_id: str, **record: Any) -> Any:
    if operation_id in _DETAILS_IDS:
        return build_details(provider, operation_id, task_id, **record)
    if operation_id in _SYNC_ANSWERS:
        return json.loads(json.dumps(_SYNC_ANSWERS[operation_id]))
    if operation_id in _answers.SYNC:
        return _answers.build_sync(operation_id)
    if families.operation(operation_id).creates:
        return {_answers.CREATED_KEY.get(operation_id, "taskId"): task_id}
    raise ValueError(f"{operation_id}: no deterministic answer yet")


def build_response(
    provider: str,
    operation_id: str,
    code: int = 200,
    *,
    http_status: int | None = None,
    task_id: str = "5c79b2e8a1f34d6b9c0e7a1d2f3b4e8e",
    msg: str | None = None,
    **record: Any,
) -> SpecResponse:
    """One deterministic documented answer of ``operation_id`` with body ``code``.

    ``http_status`` defaults to 200 when the HTTP-200 schema documents ``code``, else 500 (the
    documented server-error answer, e.g. 501 or 505). For Get Music Details with code 200,
    ``record`` is passed to :func:`build_record_info` (``status=``, ``create_time=``, ...).
    """
    pairs = documented_codes(_known_provider(provider), operation_id)
    if http_status is None:
        http_status = 200 if (200, code) in pairs else 500
    if (http_status, code) not in pairs:
        listed = ", ".join(f"{c} (HTTP {h})" for h, c in pairs)
        raise ValueError(
            f"{provider} {operation_id}: code {code} with HTTP {http_status} is not documented; choose one of {listed}"
        )
    extra = _answers.top_level(operation_id, code, task_id) if http_status == 200 else {}
    if code == 200 and http_status == 200:
        data = _success_data(provider, operation_id, task_id, **record)
        return SpecResponse(200, {"code": 200, "msg": msg or "success", "data": data, **extra})
    body = {"code": code, "msg": msg or _CODE_MSGS.get(code, "Error"), "data": None, **extra}
    return SpecResponse(http_status, body)


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------


def _model_names() -> st.SearchStrategy[str]:
    return st.sampled_from(["chirp-v3-5", "chirp-v4", "chirp-auk", "chirp-bluejay", "chirp-crow", "chirp-fenix"])


@st.composite
def _record_tracks(draw: st.DrawFn, complete: bool, create_time: st.SearchStrategy[str | int]) -> dict[str, Any]:
    return {
        "id": draw(_audio_ids()),
        "audioUrl": draw(_urls("mp3")) if complete else "",
        "streamAudioUrl": draw(_urls("mp3")),
        "imageUrl": draw(_urls("jpeg")),
        "prompt": draw(_texts()),
        "modelName": draw(_model_names()),
        "title": draw(_texts(80)),
        "tags": draw(_texts()),
        "createTime": draw(create_time),
        "duration": draw(_durations()) if complete else None,
    }


@st.composite
def _record_info(draw: st.DrawFn, provider: str, status: str | None) -> dict[str, Any]:
    state = status if status is not None else draw(st.sampled_from(task_statuses(provider)))
    times = create_times()
    if state in _WITH_TRACKS:
        count = draw(st.integers(1, 2))
        tracks = [draw(_record_tracks(state == _MUSIC_STATUS.success or i == 0, times)) for i in range(count)]
    elif state == "CALLBACK_EXCEPTION":
        # The music may be done even though the callback could not be delivered.
        tracks = draw(st.one_of(st.just([]), st.lists(_record_tracks(True, times), min_size=1, max_size=2)))
    else:
        tracks = []
    failed = state in FAILURE_STATUSES
    codes = tuple(c for c in _record_enum(provider, "errorCode") if c is not None)
    operation_type = draw(st.sampled_from(_record_enum(provider, "operationType")))
    task_id = draw(_task_ids())
    response: dict[str, Any] = {"taskId": task_id, "sunoData": tracks}
    error_message = draw(st.one_of(st.none(), _texts())) if failed else None
    if failed and draw(st.booleans()):
        # kie's quickstart failure example repeats the message inside ``response``.
        response["errorMessage"] = error_message or "Audio generation failed."
    param = {"prompt": draw(_texts()), "model": draw(st.sampled_from(["V4", "V4_5", "V5"])), "customMode": False}
    return {
        "taskId": task_id,
        "parentMusicId": draw(_audio_ids()) if operation_type == "extend" else "",
        "param": json.dumps(param, ensure_ascii=draw(st.booleans())),
        "response": response,
        "status": state,
        "type": draw(st.sampled_from(["GENERATE", "chirp-v3-5", "chirp-v4"])),
        "operationType": operation_type,
        "errorCode": draw(st.one_of(st.none(), st.sampled_from(codes))) if failed else None,
        "errorMessage": error_message,
    }


def record_info_data(provider: str = "kie", status: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """The ``data`` of Get Music Details, for ``status`` (default: every documented state).

    Tracks follow the state (none before FIRST_SUCCESS; the second still streaming with
    ``audioUrl: ""`` and ``duration: null`` at FIRST_SUCCESS); failures carry ``errorCode``
    (or null) and ``errorMessage`` (or null); ``createTime`` is a string or epoch ms.
    """
    if status is not None and status not in task_statuses(_known_provider(provider)):
        raise ValueError(f"status {status!r} is not documented; use one of {', '.join(task_statuses(provider))}")
    return _record_info(_known_provider(provider), status)


def _timestamped_lyrics() -> st.SearchStrategy[dict[str, Any]]:
    seconds = st.integers(0, 48_000).map(lambda cs: cs / 100)
    word = st.fixed_dictionaries(
        {"word": _texts(20), "success": st.booleans(), "startS": seconds, "endS": seconds, "palign": st.integers(0, 5)}
    )
    return st.fixed_dictionaries(
        {
            # Instrumental tracks have no lyrics (suno-api.md 2.13).
            "alignedWords": st.lists(word, max_size=5),
            "waveformData": st.lists(st.floats(0, 1, allow_nan=False), max_size=8),
            "hootCer": st.floats(0, 1, allow_nan=False),
            "isStreamed": st.booleans(),
        }
    )


def details_data(provider: str, operation_id: str, status: Any = None) -> st.SearchStrategy[dict[str, Any]]:
    """The ``data`` of any details operation, for ``status`` (default: every state its family documents).

    Get Music Details is :func:`record_info_data`; the others (lyrics, WAV, separation, MIDI,
    video, cover image) follow their family: files only at success, times as strings or epoch
    ms, error fields on failures, and the documented provider quirks.
    """
    if operation_id == _MUSIC_DETAILS:
        return record_info_data(provider, status)
    shape = _answers.DETAILS.get(operation_id)
    if shape is None:
        raise ValueError(f"{operation_id} is not a details operation; use one of {', '.join(_DETAILS_IDS)}")
    if status is not None:
        shape.build(_known_provider(provider), "0" * 32, status, "string")  # refuses an undocumented state
    return shape.draw(_known_provider(provider), status)


def _success_strategy(provider: str, operation_id: str) -> st.SearchStrategy[Any]:
    sync: dict[str, st.SearchStrategy[Any]] = {
        "get-remaining-credits": st.integers(0, 10**9),
        "get-timestamped-lyrics": _timestamped_lyrics(),
    }
    if operation_id in _DETAILS_IDS:
        return details_data(provider, operation_id)
    if operation_id in sync:
        return sync[operation_id]
    if operation_id in _answers.SYNC:
        return _answers.draw_sync(operation_id)
    if families.operation(operation_id).creates:
        return st.fixed_dictionaries({_answers.CREATED_KEY.get(operation_id, "taskId"): _task_ids()})
    raise ValueError(f"{operation_id}: no strategy for its answers yet")


def _error_msgs(code: int) -> st.SearchStrategy[str]:
    return st.one_of(st.just(_CODE_MSGS.get(code, "Error")), _texts().filter(bool))


def responses(
    provider: str, operation_id: str, code: int | None = None, *, http_status: int | None = None
) -> st.SearchStrategy[SpecResponse]:
    """Every documented answer of ``operation_id``: each code, and for 200 every success shape.

    ``code`` / ``http_status`` narrow the draw (e.g. ``code=402``; ``http_status=500`` for the
    documented server-error answers). Non-200 answers carry ``data: null``.
    """
    pairs = [
        p
        for p in documented_codes(_known_provider(provider), operation_id)
        if (code is None or p[1] == code) and (http_status is None or p[0] == http_status)
    ]
    if not pairs:
        listed = ", ".join(f"{c} (HTTP {h})" for h, c in documented_codes(provider, operation_id))
        wanted = f"code {code}" if code is not None else "any code"
        if http_status is not None:
            wanted += f" in HTTP {http_status}"
        raise ValueError(f"{provider} {operation_id}: no documented answer with {wanted}; choose from {listed}")

    def one(pair: tuple[int, int]) -> st.SearchStrategy[SpecResponse]:
        status, value = pair
        if pair == (200, 200):
            body = st.fixed_dictionaries(
                {"code": st.just(200), "msg": st.just("success"), "data": _success_strategy(provider, operation_id)}
            )
        else:
            body = st.fixed_dictionaries({"code": st.just(value), "msg": _error_msgs(value), "data": st.none()})
        if status == 200:  # fields beside code/msg/data (recovery details' task_id, the uploads' success)
            body = st.tuples(body, _task_ids()).map(lambda b: {**b[0], **_answers.top_level(operation_id, value, b[1])})
        return body.map(lambda b: SpecResponse(status, b))

    return st.one_of(*(one(p) for p in pairs))


@st.composite
def _callback_tracks(
    draw: st.DrawFn, complete: bool, create_time: st.SearchStrategy[str | int], sources: bool
) -> dict[str, Any]:
    track: dict[str, Any] = {
        "id": draw(_audio_ids()),
        "audio_url": draw(_urls("mp3")) if complete else "",
        "stream_audio_url": draw(_urls("mp3")),
        "image_url": draw(_urls("jpeg")),
        "prompt": draw(_texts()),
        "model_name": draw(_model_names()),
        "title": draw(_texts(80)),
        "tags": draw(_texts()),
        "createTime": draw(create_time),
        "duration": draw(_durations()) if complete else None,
    }
    if sources:
        # source_* appear in sunoapi G1+ and kie G3, not in older kie examples (suno-api.md 4.2).
        track["source_audio_url"] = draw(_urls("mp3")) if complete else ""
        track["source_stream_audio_url"] = draw(_urls("mp3"))
        track["source_image_url"] = draw(_urls("jpeg"))
    return track


@st.composite
def _callback(draw: st.DrawFn, family: str, stage: str | None, provider: str) -> dict[str, Any]:
    chosen = stage if stage is not None else draw(st.sampled_from(CALLBACK_STAGES[family]))
    times = create_times()
    sources = family == "music" and draw(st.booleans())
    inner: dict[str, Any] = {"callbackType": chosen, "task_id": draw(_task_ids())}
    if chosen == "error":
        code = draw(st.sampled_from([c for c in callback_codes(provider) if c != 200]))
        # sunoapi: data null; older kie docs: data []; kie replace-section: an ``error`` string.
        style = draw(st.sampled_from(["null", "empty", "error", "error+null"]))
        if style in ("null", "error+null"):
            inner["data"] = None
        elif style == "empty":
            inner["data"] = []
        if style.startswith("error"):
            inner["error"] = draw(_texts().filter(bool))
        msg = draw(st.one_of(st.sampled_from(_STAGE_MSGS["error"]), _texts()))
        return {"code": code, "msg": msg, "data": inner}
    if chosen == "text":
        inner["data"] = draw(st.sampled_from([[], None]))  # documented [], a guide shows null
    elif chosen == "first":
        first = draw(_callback_tracks(True, times, sources))
        rest = draw(st.lists(_callback_tracks(False, times, sources), max_size=1))
        inner["data"] = [first, *rest]
    else:
        count = 1 if families.family(family).results == 1 else draw(st.integers(1, 2))
        inner["data"] = [draw(_callback_tracks(True, times, sources)) for _ in range(count)]
    return {"code": 200, "msg": draw(st.sampled_from(_STAGE_MSGS[chosen])), "data": inner}


def callback_payloads(
    operation: str = "generate", stage: str | None = None, provider: str = "kie"
) -> st.SearchStrategy[dict[str, Any]]:
    """Every documented callback body POSTed to ``callBackUrl`` for ``operation``.

    ``operation``: ``"generate"``/``"extend"`` (or any music operationId) for music callbacks with
    stages text, first, complete, error; ``"replace-section"`` for complete and error; and the
    creating operation (or the family name: ``"lyrics"``, ``"wav"``, ``"separation"``,
    ``"midi"``, ``"video"``, ``"cover"``) of every other family, each with one ``complete`` or
    ``error`` callback. ``stage`` narrows the draw. Music payloads are snake_case inside
    (``task_id``, ``audio_url``) except ``callbackType`` and ``createTime``, as documented; the
    other families carry their provider's keys (e.g. lyrics ``data.taskId`` on sunoapi and
    ``data.task_id`` on kie).
    """
    _known_provider(provider)
    op_id = _ALIASES.get(operation, operation)
    entry = families.OPERATIONS.get(op_id)
    family = families.family_of(op_id).name if entry is not None and entry.creates else None
    if family not in _DRAWN_CALLBACKS:
        raise ValueError(
            f"operation {operation!r} has no documented callbacks the strategies draw; use a creating operation "
            f"or one of {', '.join(_ALIASES)}"
        )
    assert family is not None
    if stage is not None and stage not in CALLBACK_STAGES[family]:
        raise ValueError(
            f"{operation} callbacks have no stage {stage!r}; use one of {', '.join(CALLBACK_STAGES[family])}"
        )
    if family in _answers.CALLBACKS:
        codes = tuple(c for c in callback_codes(provider) if c != 200)
        stages = st.just(stage) if stage is not None else st.sampled_from(CALLBACK_STAGES[family])
        return stages.flatmap(lambda chosen: _answers.draw_callback(family, provider, chosen, codes))
    return _callback(family, stage, provider)
