"""Music tasks, read through Get Music Details: generate, extend, the upload and add operations, mashup, sounds.

Facts: ``shared/reference/suno-api.md`` 2.1-2.3, 2.6-2.9, 2.17, 2.19, 3.1, 4.1, 4.2 and
``api-family.md`` 2.1-2.2 (cited by section and source key). Lifecycle ``PENDING -> TEXT_SUCCESS ->
FIRST_SUCCESS -> SUCCESS`` (failures ``CREATE_TASK_FAILED``, ``GENERATE_AUDIO_FAILED``,
``CALLBACK_EXCEPTION``, ``SENSITIVE_WORD_ERROR``); callbacks ``text -> first -> complete`` ("some
cases may skip text and first"), or ``error``; the receiver has 15 s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from ._model import (
    CALLBACK,
    DROP,
    UNKNOWN_AUDIO,
    Callbacks,
    Family,
    Field,
    LimitFn,
    Mode,
    Operation,
    Probe,
    Ref,
    Source,
    Status,
    Track,
    When,
    changed,
)

__all__ = [
    "DETAILS",
    "FAMILY",
    "STATUS",
    "models",
    "prompt_limit",
    "record_stage",
    "style_limit",
    "title_limit",
    "tracks_of",
]

# -- per-profile facts (suno-api.md 0.1, 2.1, 2.2) --------------------------------------------------

# 0.1 / 2.1: G3 enum for kie [KIE-GEN] and sunoapi [SA-GEN]; apikley's page lists V4..V5
# [APK-GEN]; api.box follows its G1 quickstart [BOX-QS]: V3_5..V5.
_MODELS: dict[str, tuple[str, ...]] = {
    "kie": ("V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5", "V5_5"),
    "sunoapi": ("V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5", "V5_5"),
    "apikley": ("V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5"),
    "apibox": ("V3_5", "V4", "V4_5", "V4_5PLUS", "V5"),
}
# 2.6: upload-cover lists V5_5 on kie and apikley ("V5_5 & V5 | 1000 | 100 | 5000" [KIE-UC],
# [APK-UC]); api-family 6.10: apikley pages not seen (upload-extend, mashup) are taken to mirror kie.
_UPLOAD_MODELS = {**_MODELS, "apikley": _MODELS["kie"]}
# api-family 2.1 #7: mashup models K V4..V5_5, S V4..V5 (no V5_5, F:56945751550).
_MASHUP_MODELS = {**_UPLOAD_MODELS, "sunoapi": ("V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5")}
_UPLOADS = frozenset({"upload-cover", "upload-extend"})
# 2.8 / 2.9: add-instrumental and add-vocals: V4_5PLUS (default) | V5, kie and S-CN add V5_5.
_ADD_MODELS = ("V4_5PLUS", "V5", "V5_5")
# 2.19 / api-family #9: sounds: S-CN enum V5 only (clients also send V5_5; unverified).
_SOUNDS_MODELS = ("V5",)
# 2.1: "V4 <= 3000 ... V4_5+ <= 5000" for custom prompts, "V4 <= 200, V4_5+ <= 1000" for
# style [SA-GEN], [KIE-GEN]; G1 puts V3_5 with V4 [SA-v1].
_SHORT_MODELS = frozenset({"V3_5", "V4"})
# 2.1 title on generate (and mashup, api-family #7): kie/apikley 80 for all models [KIE-GEN],
# [APK-GEN]; sunoapi 80 for V4 and V4_5ALL, 100 otherwise [SA-GEN]; api.box (G1) 80 [SA-v1].
# 2.2 title on extend (and upload-cover 2.6, upload-extend 2.7): V4 and V4_5ALL 80, others 100
# [KIE-3P], [KIE-UC]; G1 (api.box): V3_5/V4 80.
_TITLE80_GENERATE: dict[str, frozenset[str] | None] = {
    "kie": None,  # None: 80 for every model
    "apikley": None,
    "apibox": None,
    "sunoapi": frozenset({"V4", "V4_5ALL"}),
}
_TITLE80_EXTEND: dict[str, frozenset[str]] = {
    "kie": frozenset({"V4", "V4_5ALL"}),
    "apikley": frozenset({"V4", "V4_5ALL"}),
    "sunoapi": frozenset({"V4", "V4_5ALL"}),
    "apibox": frozenset({"V3_5", "V4"}),
}
_EXTEND_TITLES = frozenset({"extend-music", "upload-cover", "upload-extend"})


def models(provider: str) -> tuple[str, ...]:
    """The model enum of ``provider`` (suno-api.md 0.1, 2.1)."""
    return _MODELS[provider]


def title_limit(provider: str, operation_id: str, model: str) -> int:
    """The documented maximum title length for a model (suno-api.md 2.1, 2.2, 2.6)."""
    if operation_id in _EXTEND_TITLES:
        return 80 if model in _TITLE80_EXTEND[provider] else 100
    short = _TITLE80_GENERATE[provider]
    return 80 if short is None or model in short else 100


def prompt_limit(model: str, custom: bool) -> int:
    """Prompt length: 500 outside custom mode, else 3000 (V3_5/V4) or 5000 (suno-api.md 2.1)."""
    if not custom:
        return 500
    return 3000 if model in _SHORT_MODELS else 5000


def style_limit(model: str) -> int:
    """Style length: 200 for V3_5/V4, else 1000 (suno-api.md 2.1)."""
    return 200 if model in _SHORT_MODELS else 1000


def _model_of(body: Mapping[str, Any], allowed: tuple[str, ...]) -> str | None:
    model = body.get("model")
    return model if isinstance(model, str) and model in allowed else None


def _prompt(operation_id: str, mode_field: str | None) -> LimitFn:
    """A prompt limit that follows the model and, when ``mode_field`` is given, custom mode."""

    def limit(provider: str, body: Mapping[str, Any]) -> int | None:
        custom = True if mode_field is None else body.get(mode_field)
        model = _model_of(body, _models_for(operation_id, provider))
        if model is None:
            return 500 if custom is False else None
        return prompt_limit(model, custom is not False)

    return limit


def _models_for(operation_id: str, provider: str) -> tuple[str, ...]:
    if operation_id == "generate-mashup":
        return _MASHUP_MODELS[provider]
    if operation_id in _UPLOADS:
        return _UPLOAD_MODELS[provider]
    return _MODELS[provider]


def _style_limit(operation_id: str) -> LimitFn:
    def limit(provider: str, body: Mapping[str, Any]) -> int | None:
        model = _model_of(body, _models_for(operation_id, provider))
        return None if model is None else style_limit(model)

    return limit


def _title_limit(operation_id: str) -> LimitFn:
    def limit(provider: str, body: Mapping[str, Any]) -> int | None:
        model = _model_of(body, _models_for(operation_id, provider))
        return None if model is None else title_limit(provider, operation_id, model)

    return limit


# -- fields ------------------------------------------------------------------------------------------

_CB = Field("callBackUrl", "uri", required=True, example=CALLBACK)  # 2.1: required in every version
_WEIGHTS = tuple(
    # 2.1: styleWeight / weirdnessConstraint / audioWeight are 0-1, multipleOf 0.01.
    Field(name, "number", minimum=0, maximum=1, places=2, example=0.5)
    for name in ("styleWeight", "weirdnessConstraint", "audioWeight")
)
_GENDER = Field("vocalGender", "string", enum=("m", "f"), example="f")  # 2.1 vocalGender
# 2.1 / 2.2 optional fields shared by generate, extend and the upload operations.
_PERSONA = (
    Field("personaId", "string", example="persona-1"),
    Field("personaModel", "string", enum=("style_persona", "voice_persona"), example="style_persona"),
)
_OPTIONAL = (Field("negativeTags", "string", example="rock"), _GENDER, *_WEIGHTS, *_PERSONA)

_CUSTOM = When({"customMode": True})
_CUSTOM_VOCAL = When({"customMode": True, "instrumental": False})
_NON_CUSTOM = When({"customMode": False})
_FLAG = When({"defaultParamFlag": True})


def _mode_fields(operation_id: str) -> tuple[Field, ...]:
    """customMode, instrumental, model, and the mode-dependent prompt, style and title (2.1, 2.6)."""
    return (
        Field("customMode", "boolean", required=True, example=True),
        Field("instrumental", "boolean", required=True, example=False),
        Field("model", "string", required=True, enum=lambda p: _models_for(operation_id, p), example="V4_5"),
        _CB,
        *_OPTIONAL,
        # "Custom mode: instrumental:true needs style and title; instrumental:false needs style,
        # prompt and title. Non-custom mode needs only prompt" [SA-GEN], [KIE-GEN].
        Field(
            "prompt",
            "string",
            when=(_CUSTOM_VOCAL, _NON_CUSTOM),
            max_length=_prompt(operation_id, "customMode"),
            example="[Verse]\nNeon rain",
        ),
        Field("style", "string", when=(_CUSTOM,), max_length=_style_limit(operation_id), example="synthwave"),
        Field("title", "string", when=(_CUSTOM,), max_length=_title_limit(operation_id), example="Harbour Lights"),
    )


_CUSTOM_MODES = (
    Mode("custom, vocal", {}),
    Mode("custom, instrumental", {"instrumental": True, "prompt": DROP}),
    Mode("non-custom", {"customMode": False, "style": DROP, "title": DROP}),
)


#: 2.7 [SA-v1] says "defaultParamFlag false: only uploadUrl is needed"; api-family.md 2.1 #4 quotes
#: the newer sunoapi page "only uploadUrl and prompt" [SA-CN:upload-and-extend-audio]. No kie,
#: api.box or apikley page settles it.
_UPLOAD_EXTEND_PROMPT = "sunoapi's newer page needs prompt when defaultParamFlag is false; its G1 page does not"


def _extend_fields(operation_id: str, source_field: Field) -> tuple[Field, ...]:
    """2.2 / 2.7: defaultParamFlag and the custom parameters it requires."""
    upload = operation_id == "upload-extend"
    custom_prompt = When({"defaultParamFlag": True, "instrumental": False}) if upload else _FLAG
    optional = _OPTIONAL
    if upload:
        # 2.7 lists personaId (G3) but no personaModel among the optional fields; api.box follows
        # that G1 page, so personaModel is an unknown field there.
        optional = tuple(
            replace(f, providers=frozenset(_MODELS) - {"apibox"}) if f.name == "personaModel" else f for f in _OPTIONAL
        )
    return (
        Field("defaultParamFlag", "boolean", required=True, example=False),
        source_field,
        Field("model", "string", required=True, enum=lambda p: _models_for(operation_id, p), example="V4_5"),
        _CB,
        *optional,
        Field("instrumental", "boolean", example=False),
        # "true = use custom params (then continueAt, prompt, style, title are required)" [SA-v1];
        # "continueAt > 0 and < total duration of the source audio"; seconds with 2 decimals.
        Field("continueAt", "number", when=(_FLAG,), exclusive_minimum=0, places=2, example=30.5),
        Field(
            "prompt",
            "string",
            when=(custom_prompt,),
            max_length=_prompt(operation_id, None),
            example="p",
            disputed_when=(When({"defaultParamFlag": False}),) if upload else (),
            dispute=_UPLOAD_EXTEND_PROMPT if upload else "",
        ),
        Field("style", "string", when=(_FLAG,), max_length=_style_limit(operation_id), example="s"),
        Field("title", "string", when=(_FLAG,), max_length=_title_limit(operation_id), example="t"),
    )


_EXTEND_MODES = (
    Mode(
        "custom parameters", {"defaultParamFlag": True, "continueAt": 30.5, "prompt": "p", "style": "s", "title": "t"}
    ),
)


def _track(source: Source | None) -> Track | None:
    return source.tracks[0] if source and source.tracks else None


def _upload_url(source: Source | None, index: int = 0) -> str:
    """A source track's audio URL (the mock serves it), else a documented-looking example."""
    if source and len(source.tracks) > index and source.tracks[index].url:
        return source.tracks[index].url
    return f"https://example.com/source-{index + 1}.mp3"


# -- valid bodies ------------------------------------------------------------------------------------


def _generate_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {
        "customMode": True,
        "instrumental": False,
        "model": "V4_5",
        "prompt": "[Verse]\nNeon rain on the harbour",
        "style": "synthwave",
        "title": "Harbour Lights",
        "callBackUrl": callback,
    }


def _extend_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    track = _track(source)
    return {
        "defaultParamFlag": False,
        "audioId": track.id if track else UNKNOWN_AUDIO,
        "model": "V4_5",
        "callBackUrl": callback,
    }


def _upload_cover_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {
        "uploadUrl": _upload_url(source),
        "customMode": False,
        "instrumental": False,
        "model": "V4_5",
        "prompt": "A calm piano cover",
        "callBackUrl": callback,
    }


def _upload_extend_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    # prompt keeps both readings of defaultParamFlag false (see _UPLOAD_EXTEND_PROMPT).
    return {
        "uploadUrl": _upload_url(source),
        "defaultParamFlag": False,
        "model": "V4_5",
        "prompt": "Carry the melody into a bright chorus",
        "callBackUrl": callback,
    }


def _add_instrumental_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {
        "uploadUrl": _upload_url(source),
        "title": "Backing Track",
        "tags": "acoustic, warm",
        "negativeTags": "metal",
        "callBackUrl": callback,
    }


def _add_vocals_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {
        "uploadUrl": _upload_url(source),
        "prompt": "[Verse]\nA quiet harbour at night",
        "title": "Harbour Vocals",
        "style": "soul",
        "negativeTags": "metal",
        "callBackUrl": callback,
    }


def _mashup_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uploadUrlList": [_upload_url(source, 0), _upload_url(source, 1)],
        "customMode": False,
        "model": "V4_5",
        "callBackUrl": callback,
    }
    body["prompt"] = "A mashup of two songs"
    return body


def _sounds_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {"prompt": "Rain on a tin roof", "model": "V5", "callBackUrl": callback}


# -- drawn probes ------------------------------------------------------------------------------------

_WEIGHT_VALUES = st.sampled_from([0, 1, 0.0, 0.01, 0.5, 0.99, 1.0, 1.01, -0.01, 0.005, 0.999, 0.123])


def _generate_drawn(provider: str, source: Source | None) -> st.SearchStrategy[Probe]:
    base = _generate_body(provider, None, CALLBACK)

    @st.composite
    def build(draw: st.DrawFn) -> Probe:
        model = draw(st.sampled_from([*models(provider), "V3_5", "V5_5", "V6"]))
        custom = draw(st.booleans())
        body = changed(base, {"model": model, "customMode": custom})
        if custom:
            known = model if model in models(provider) else "V4_5"
            limit = title_limit(provider, "generate-music", known)
            body["title"] = "t" * draw(st.sampled_from([1, limit, limit + 1, 80, 81, 100, 101]))
            body["style"] = "s" * draw(st.sampled_from([1, 200, 201, 1000, 1001]))
        else:
            body = changed(body, {"style": DROP, "title": DROP, "prompt": "p" * draw(st.sampled_from([1, 500, 501]))})
        weight = draw(st.sampled_from(["styleWeight", "weirdnessConstraint", "audioWeight", None]))
        if weight:
            body[weight] = draw(_WEIGHT_VALUES)
        return Probe("generate-music", f"{model} custom={custom}", body, rule="generate-music: drawn boundaries")

    return build()


# -- details -----------------------------------------------------------------------------------------


def _seconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def record_stage(data: Mapping[str, Any], status: Any, expected_tracks: int | None) -> str | None:
    """What a Get Music Details ``data`` must show at its status (suno-api.md 2.3, 3.1, 4.2)."""
    response = data.get("response")
    tracks = response.get("sunoData") if isinstance(response, Mapping) else None
    if not isinstance(tracks, list):
        return None  # response_schema reports it
    done = [t for t in tracks if isinstance(t, Mapping) and t.get("audioUrl") and _seconds(t.get("duration"))]
    if status == "SUCCESS":
        if expected_tracks is not None and len(tracks) != expected_tracks:
            return f"status SUCCESS with {len(tracks)} tracks in sunoData; the task makes {expected_tracks}"
        if len(done) != len(tracks):
            return "status SUCCESS but not every track has an audioUrl and a duration"
    if status == "FIRST_SUCCESS" and not done:
        return "status FIRST_SUCCESS but no track is complete (audioUrl and duration)"
    if status in ("PENDING", "TEXT_SUCCESS") and done and len(done) == len(tracks) and tracks:
        return f"status {status} but every track is already complete"
    return None


def tracks_of(data: Mapping[str, Any]) -> list[Track]:
    """The finished tracks (with a duration) a Get Music Details ``data`` lists."""
    response = data.get("response")
    tracks = response.get("sunoData") if isinstance(response, Mapping) else None
    out = []
    for index, track in enumerate(tracks if isinstance(tracks, list) else []):
        if not isinstance(track, Mapping):
            continue
        duration = track.get("duration")
        if isinstance(duration, (int, float)) and not isinstance(duration, bool):
            url = track.get("audioUrl")
            out.append(Track(str(track.get("id")), index, float(duration), url if isinstance(url, str) else ""))
    return out


#: 2.3 / 3.1: ``status`` strings; the bundled documents allow 1-64 characters for taskId.
STATUS = Status(
    field="status",
    order=("PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS"),
    failures=("CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION", "SENSITIVE_WORD_ERROR"),
)
_TASK_QUERY = (Field("taskId", "string", required=True, min_length=1, max_length=64),)

#: 2.3 Get Music Details: music, extend, upload, add, mashup and replace tasks are all read here.
DETAILS = Operation(
    id="get-music-details",
    method="GET",
    path="/api/v1/generate/record-info",
    source="suno-api.md 2.3 [SA-RI], [KIE-RI]; taskId 1-64 characters (bundled common.yaml)",
    query=_TASK_QUERY,
    refs=(Ref("taskId", "task"),),
    needs="music",
)

_AUDIO_ID = Field("audioId", "string", required=True, example=UNKNOWN_AUDIO)
_UPLOAD_URL = Field("uploadUrl", "uri", required=True, example="https://example.com/source.mp3")

GENERATE = Operation(
    id="generate-music",
    method="POST",
    path="/api/v1/generate",
    source="suno-api.md 2.1 [SA-GEN], [KIE-GEN], [APK-GEN]",
    body=_mode_fields("generate-music"),
    valid=_generate_body,
    creates=True,
    modes=_CUSTOM_MODES,
    drawn=_generate_drawn,
)

EXTEND = Operation(
    id="extend-music",
    method="POST",
    path="/api/v1/generate/extend",
    source="suno-api.md 2.2 [SA-v1], [KIE-3P]; api-family.md 2.1 #2",
    body=_extend_fields("extend-music", _AUDIO_ID),
    valid=_extend_body,
    creates=True,
    needs="music",
    refs=(Ref("audioId", "track"),),
    modes=_EXTEND_MODES,
)

UPLOAD_COVER = Operation(
    id="upload-cover",
    method="POST",
    path="/api/v1/generate/upload-cover",
    source="suno-api.md 2.6 [KIE-UC], [APK-UC], [SA-v1]; api-family.md 2.1 #3",
    body=(_UPLOAD_URL, *_mode_fields("upload-cover")),
    valid=_upload_cover_body,
    creates=True,
    needs="music",  # its uploadUrl is a finished track's audio when the suite has one
    modes=_CUSTOM_MODES,
)

UPLOAD_EXTEND = Operation(
    id="upload-extend",
    method="POST",
    path="/api/v1/generate/upload-extend",
    source="suno-api.md 2.7 [SA-v1]; api-family.md 2.1 #4 [SA-CN:upload-and-extend-audio]",
    body=_extend_fields("upload-extend", _UPLOAD_URL),
    valid=_upload_extend_body,
    creates=True,
    needs="music",
    modes=_EXTEND_MODES,
    # 2.7: "plus prompt if instrumental is false"; an absent instrumental is taken as false (assumption).
    defaults={"instrumental": False},
    documented_by=frozenset({"kie", "sunoapi", "apibox"}),
)

_ADD_OPTIONAL = (_GENDER, *_WEIGHTS, Field("model", "string", enum=_ADD_MODELS, example="V4_5PLUS"))

# api-family.md 2.1 #5: "title (<= 100, S)": sunoapi's page, which api.box follows (api-family
# 0.5: the same document set); no kie or apikley page states a limit.
_SUNOAPI_PAGES = frozenset({"sunoapi", "apibox"})


def _add_instrumental_title(provider: str, body: Mapping[str, Any]) -> int | None:
    return 100 if provider in _SUNOAPI_PAGES else None


ADD_INSTRUMENTAL = Operation(
    id="add-instrumental",
    method="POST",
    path="/api/v1/generate/add-instrumental",
    source="suno-api.md 2.8 [SA-v1], [KIE-3P]; api-family.md 2.1 #5 (title <= 100 on S)",
    body=(
        _UPLOAD_URL,
        Field("title", "string", required=True, max_length=_add_instrumental_title, example="Backing Track"),
        Field("tags", "string", required=True, example="acoustic"),
        Field("negativeTags", "string", required=True, example="metal"),
        _CB,
        *_ADD_OPTIONAL,
    ),
    valid=_add_instrumental_body,
    creates=True,
    needs="music",
    documented_by=frozenset({"kie", "sunoapi", "apibox"}),
)

ADD_VOCALS = Operation(
    id="add-vocals",
    method="POST",
    path="/api/v1/generate/add-vocals",
    source="suno-api.md 2.9 [SA-v1]; api-family.md 2.1 #6",
    body=(
        _UPLOAD_URL,
        Field("prompt", "string", required=True, example="[Verse]\nA quiet harbour"),
        Field("title", "string", required=True, example="Harbour Vocals"),
        Field("style", "string", required=True, example="soul"),
        Field("negativeTags", "string", required=True, example="metal"),
        _CB,
        *_ADD_OPTIONAL,
    ),
    valid=_add_vocals_body,
    creates=True,
    needs="music",
    documented_by=frozenset({"kie", "sunoapi", "apibox"}),
)

MASHUP = Operation(
    id="generate-mashup",
    method="POST",
    path="/api/v1/generate/mashup",
    source="suno-api.md 2.17 [KIE-MASH]; api-family.md 2.1 #7 [SA-MD:generate-mashup] (prompt required on S)",
    body=(
        # "uploadUrlList (array of uri, minItems 2, maxItems 2)"
        Field("uploadUrlList", "uri-list", required=True, min_items=2, max_items=2),
        Field("customMode", "boolean", required=True, example=False),
        Field("model", "string", required=True, enum=lambda p: _MASHUP_MODELS[p], example="V4_5"),
        _CB,
        Field(
            "prompt",
            "string",
            required=frozenset({"sunoapi"}),
            max_length=_prompt("generate-mashup", "customMode"),
            example="A mashup",
        ),
        Field("style", "string", max_length=_style_limit("generate-mashup"), example="s"),
        Field("title", "string", max_length=_title_limit("generate-mashup"), example="t"),
        Field("instrumental", "boolean", example=False),
        _GENDER,
        *_WEIGHTS,
    ),
    valid=_mashup_body,
    creates=True,
    needs="music",
    modes=(Mode("custom", {"customMode": True, "style": "s", "title": "t"}), Mode("non-custom", {})),
    documented_by=frozenset({"kie", "sunoapi"}),
)

# 2.19 / api-family #9 (secondary for the ranges): soundKey "Any" or a minor or major key.
_KEYS = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
SOUNDS = Operation(
    id="generate-sounds",
    method="POST",
    path="/api/v1/generate/sounds",
    source="suno-api.md 2.19 (secondary); api-family.md 2.1 #9 [SA-CN:generate-sounds] (model V5 only)",
    body=(
        Field("prompt", "string", required=True, max_length=500, example="Rain on a tin roof"),
        Field("model", "string", required=True, enum=_SOUNDS_MODELS, example="V5"),
        Field("soundLoop", "boolean", example=False),
        # api-family.md 2.1 #9: "soundTempo (int | null; 1-300 per clients)".
        Field("soundTempo", "integer", minimum=1, maximum=300, example=90, nullable=True),
        Field("soundKey", "string", enum=("Any", *(f"{k}m" for k in _KEYS), *_KEYS), example="Any"),
        Field("grabLyrics", "boolean", example=False),
        Field("callBackUrl", "uri", example=CALLBACK),
    ),
    valid=_sounds_body,
    creates=True,
    # unverified: the callback shape and the model enum (secondary sources only).
    documented_by=frozenset({"kie", "sunoapi"}),
)

FAMILY = Family(
    name="music",
    source="suno-api.md 2.3, 3.1, 4.1, 4.2",
    creating=(GENERATE, EXTEND, UPLOAD_COVER, UPLOAD_EXTEND, ADD_INSTRUMENTAL, ADD_VOCALS, MASHUP, SOUNDS),
    details=DETAILS,
    status=STATUS,
    # 4.2: text -> first -> complete, or error; "Some cases may skip text and first" [KIE-GEN];
    # 4.1: 15 s to answer; sunoapi: "If 3 consecutive retries fail, the system will stop".
    callbacks=Callbacks(
        stages=("text", "first", "complete"),
        skippable=frozenset({"text", "first"}),
        timeout_s=15.0,
        attempts=3,
    ),
    results=2,  # 2.1: "Each request returns exactly 2 songs"
    record_check=record_stage,
    echoes_param=True,
    tracks=tracks_of,
)
