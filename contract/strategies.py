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

Besides the strategies, this module offers the deterministic answers :func:`build_response`,
:func:`build_record_info` and :func:`build_details` (one spec-valid answer each; the client router
uses them to answer a forced code or state; defined in :mod:`contract._answers`) and the document
lookups :func:`documented_codes`, :func:`task_statuses` and :func:`callback_codes` (defined in
:mod:`contract._documents`).

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

import json
from typing import Any

from hypothesis import strategies as st

from . import _families as families
from . import _family_answers as family_answers
from ._answers import (
    CODE_MSGS,
    DETAILS_IDS,
    FAILURE_STATUSES,
    MUSIC_DETAILS,
    MUSIC_STATUS,
    WITH_TRACKS,
    SpecResponse,
    build_details,
    build_record_info,
    build_response,
)
from ._documents import OPERATION_IDS, callback_codes, documented_codes, known_provider, record_enum, task_statuses
from ._drawing import CreateTimeStyle, create_times
from ._drawing import audio_ids as _audio_ids
from ._drawing import durations as _durations
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


#: Callback stages per family of the table (suno-api.md 4.2-4.4), ``error`` last.
CALLBACK_STAGES: dict[str, tuple[str, ...]] = {
    f.name: (*f.callbacks.stages, "error") for f in families.FAMILIES if f.callbacks is not None
}

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
_DRAWN_CALLBACKS = frozenset({"music", "replace", *family_answers.CALLBACKS})

# Messages the documents and real payloads show (suno-api.md 1.3, 4.2, 4.3).
_STAGE_MSGS: dict[str, tuple[str, ...]] = {
    "text": ("Text generation complete.", "文本生成完成。", "success"),
    "first": ("First audio generated successfully.", "First track generated successfully."),
    "complete": ("All generated successfully.", "success"),
    "error": ("Audio generation failed.", "Music generation failed", "Lyrics contain copyrighted content"),
}


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
    if state in WITH_TRACKS:
        count = draw(st.integers(1, 2))
        tracks = [draw(_record_tracks(state == MUSIC_STATUS.success or i == 0, times)) for i in range(count)]
    elif state == "CALLBACK_EXCEPTION":
        # The music may be done even though the callback could not be delivered.
        tracks = draw(st.one_of(st.just([]), st.lists(_record_tracks(True, times), min_size=1, max_size=2)))
    else:
        tracks = []
    failed = state in FAILURE_STATUSES
    codes = tuple(c for c in record_enum(provider, "errorCode") if c is not None)
    operation_type = draw(st.sampled_from(record_enum(provider, "operationType")))
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
    if status is not None and status not in task_statuses(known_provider(provider)):
        raise ValueError(f"status {status!r} is not documented; use one of {', '.join(task_statuses(provider))}")
    return _record_info(known_provider(provider), status)


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
    if operation_id == MUSIC_DETAILS:
        return record_info_data(provider, status)
    shape = family_answers.DETAILS.get(operation_id)
    if shape is None:
        raise ValueError(f"{operation_id} is not a details operation; use one of {', '.join(DETAILS_IDS)}")
    if status is not None:
        shape.build(known_provider(provider), "0" * 32, status, "string")  # refuses an undocumented state
    return shape.draw(known_provider(provider), status)


def _success_strategy(provider: str, operation_id: str) -> st.SearchStrategy[Any]:
    sync: dict[str, st.SearchStrategy[Any]] = {
        "get-remaining-credits": st.integers(0, 10**9),
        "get-timestamped-lyrics": _timestamped_lyrics(),
    }
    if operation_id in DETAILS_IDS:
        return details_data(provider, operation_id)
    if operation_id in sync:
        return sync[operation_id]
    if operation_id in family_answers.SYNC:
        return family_answers.draw_sync(operation_id)
    if families.operation(operation_id).creates:
        return st.fixed_dictionaries({family_answers.CREATED_KEY.get(operation_id, "taskId"): _task_ids()})
    raise ValueError(f"{operation_id}: no strategy for its answers yet")


def _error_msgs(code: int) -> st.SearchStrategy[str]:
    return st.one_of(st.just(CODE_MSGS.get(code, "Error")), _texts().filter(bool))


def responses(
    provider: str, operation_id: str, code: int | None = None, *, http_status: int | None = None
) -> st.SearchStrategy[SpecResponse]:
    """Every documented answer of ``operation_id``: each code, and for 200 every success shape.

    ``code`` / ``http_status`` narrow the draw (e.g. ``code=402``; ``http_status=500`` for the
    documented server-error answers). Non-200 answers carry ``data: null``.
    """
    pairs = [
        p
        for p in documented_codes(known_provider(provider), operation_id)
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
            body = st.tuples(body, _task_ids()).map(
                lambda b: {**b[0], **family_answers.top_level(operation_id, value, b[1])}
            )
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
    known_provider(provider)
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
    if family in family_answers.CALLBACKS:
        codes = tuple(c for c in callback_codes(provider) if c != 200)
        stages = st.just(stage) if stage is not None else st.sampled_from(CALLBACK_STAGES[family])
        return stages.flatmap(lambda chosen: family_answers.draw_callback(family, provider, chosen, codes))
    return _callback(family, stage, provider)
