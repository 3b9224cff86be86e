"""The classic operation family in the bundled documents.

Checked here, for every provider document: it is valid OpenAPI; every example (request, response,
callback) fits its schema, vendor keywords included; each operationId is served by exactly the
providers below; every task-creating operation names its job kind and every details operation the
kind it reads; and the documented request rules hold. The checks read the documents with
jsonschema only, not with the mock's validation code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver import openapi

ROOT = Path(__file__).resolve().parents[1]
ALL = frozenset(openapi.PROVIDERS)
NOT_APIBOX = ALL - {"apibox"}
#: Recovery: sunoapi and api.box pages, kie's old-model menu (recovery.yaml); Suno Voice: sunoapi pages,
#: kie's old-model menu and classic URLs (voice.yaml).
RECOVERY = frozenset({"kie", "sunoapi", "apibox"})
VOICE = frozenset({"kie", "sunoapi"})
#: The file-upload API: kie and sunoapi pages (file-upload.yaml).
UPLOADS = frozenset({"kie", "sunoapi"})

#: operationId -> the providers whose document serves it (api-family.md 2; api.box: its quickstart).
PROVIDERS_OF: dict[str, frozenset[str]] = {
    "generate-music": ALL,
    "extend-music": ALL,
    "get-music-details": ALL,
    "replace-section": ALL,
    "get-remaining-credits": ALL,
    "get-timestamped-lyrics": ALL,
    "upload-cover": ALL,
    "upload-extend": ALL,
    "add-instrumental": ALL,
    "add-vocals": ALL,
    "generate-mashup": NOT_APIBOX,
    "generate-sounds": NOT_APIBOX,
    "generate-lyrics": ALL,
    "get-lyrics-details": ALL,
    "convert-to-wav": ALL,
    "get-wav-details": ALL,
    "separate-vocals": ALL,
    "get-vocal-separation-details": ALL,
    "generate-midi": NOT_APIBOX,
    "get-midi-details": NOT_APIBOX,
    "create-music-video": ALL,
    "get-music-video-details": ALL,
    "generate-cover-image": NOT_APIBOX,
    "get-cover-image-details": NOT_APIBOX,
    "generate-persona": NOT_APIBOX,
    "boost-music-style": NOT_APIBOX,
    "recover-audio": RECOVERY,
    "get-recovery-details": RECOVERY,
    "validate-voice": VOICE,
    "get-voice-phrase": VOICE,
    "regenerate-voice-phrase": VOICE,
    "create-voice": VOICE,
    "get-voice-details": VOICE,
    "check-voice": VOICE,
    "upload-file-base64": UPLOADS,
    "upload-file-stream": UPLOADS,
    "upload-file-url": UPLOADS,
    "get-download-url": frozenset({"kie"}),
    # the kie Market family (kie-market.yaml; tests/test_specs_market.py)
    "create-market-task": frozenset({"kie"}),
    "get-market-task-details": frozenset({"kie"}),
}
#: operationId -> x-job-kind (task-creating operations).
JOB_KINDS: dict[str, str] = {
    "generate-music": "music",
    "extend-music": "music",
    "replace-section": "replace",
    "upload-cover": "music",
    "upload-extend": "music",
    "add-instrumental": "music",
    "add-vocals": "music",
    "generate-mashup": "music",
    "generate-sounds": "music",
    "generate-lyrics": "lyrics",
    "convert-to-wav": "wav",
    "separate-vocals": "separation",
    "generate-midi": "midi",
    "create-music-video": "video",
    "generate-cover-image": "cover",
    "recover-audio": "recovery",
    "validate-voice": "voice-phrase",
    "regenerate-voice-phrase": "voice-phrase",
    "create-voice": "voice",
}
#: operationId -> x-details-of (details operations).
DETAILS_OF: dict[str, str] = {
    "get-music-details": "music",
    "get-lyrics-details": "lyrics",
    "get-wav-details": "wav",
    "get-vocal-separation-details": "separation",
    "get-midi-details": "midi",
    "get-music-video-details": "video",
    "get-cover-image-details": "cover",
    "get-recovery-details": "recovery",
    "get-voice-phrase": "voice-phrase",
    "get-voice-details": "voice",
}
KINDS = frozenset(
    {"music", "replace", "lyrics", "wav", "separation", "midi", "video", "cover", "recovery", "voice-phrase", "voice"}
)
#: Answers with fields of their own beside code/msg/data (recovery details: top-level task_id).
TOP_LEVEL = {
    "get-recovery-details": {"task_id"},
    **{f"upload-file-{way}": {"success"} for way in ("base64", "stream", "url")},
}
#: Operations with a code list of their own (the file-upload pages; kie's Common API download-url).
OWN_CODES = {"upload-file-base64", "upload-file-stream", "upload-file-url", "get-download-url"}
#: Kinds whose tasks are read through another kind's details operation.
READ_THROUGH = {"replace": "music"}
NEW_CODES = frozenset({200, 401, 402, 404, 409, 422, 429, 451, 455, 500})
OLD_CODES = frozenset({200, 400, 401, 404, 405, 413, 429, 430, 455, 500})
_METHODS = ("get", "post", "put", "patch", "delete")


# --------------------------------------------------------------------------------------------
# Helpers: operations, JSON pointers and a validator that knows the vendor keywords
# --------------------------------------------------------------------------------------------


def _operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in _METHODS:
            if method in item:
                yield path, method, item[method]


def _by_id(spec: Mapping[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {op["operationId"]: (path, method, op) for path, method, op in _operations(spec)}


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _resolve(spec: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _x_decimal_places(validator: Any, places: int, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        exponent = Decimal(repr(instance)).as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            yield ValidationError(f"{instance} has more than {places} decimal places")


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _x_interval(validator: Any, rule: Mapping[str, Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    start, end = instance.get(rule["start"]), instance.get(rule["end"])
    if not (_number(start) and _number(end)):
        return
    if start >= end:
        yield ValidationError(f"{rule['end']} must be greater than {rule['start']}")
        return
    span = Decimal(repr(end)) - Decimal(repr(start))
    low, high = rule.get("minSeconds"), rule.get("maxSeconds")
    if (low is not None and span < Decimal(repr(low))) or (high is not None and span > Decimal(repr(high))):
        yield ValidationError(f"{rule['end']} - {rule['start']} = {span} is outside [{low}, {high}]")


_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.path))


_Validator = validators.extend(  # type: ignore[no-untyped-call]  # unannotated in types-jsonschema
    Draft202012Validator, {"x-decimal-places": _x_decimal_places, "x-interval": _x_interval}
)


class Spec:
    """One bundled document and validators for pointers into it."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.doc = openapi.load_spec(provider)
        self._registry = Registry().with_resource("urn:spec", Resource.from_contents(self.doc, DRAFT202012))

    def validator(self, pointer: str) -> Any:
        return _Validator({"$ref": f"urn:spec#{pointer}"}, registry=self._registry, format_checker=_FORMATS)

    def errors(self, pointer: str, instance: Any) -> list[str]:
        return [e.message for e in self.validator(pointer).iter_errors(instance)]

    def request_pointer(self, operation_id: str) -> str:
        path, method, op = _by_id(self.doc)[operation_id]
        body = op["requestBody"]
        inline = "/" + "/".join(map(_escape, ("paths", path, method, "requestBody")))
        base = body["$ref"][1:] if "$ref" in body else inline
        return base + "/content/application~1json/schema"

    def request_errors(self, operation_id: str, body: Any) -> list[str]:
        return self.errors(self.request_pointer(operation_id), body)

    def operation(self, operation_id: str) -> dict[str, Any]:
        return _by_id(self.doc)[operation_id][2]

    def ok_response(self, operation_id: str) -> dict[str, Any]:
        response: dict[str, Any] = _resolve(self.doc, self.operation(operation_id)["responses"]["200"])
        return response


SPECS = {provider: Spec(provider) for provider in openapi.PROVIDERS}


def _media_with_examples(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every (pointer to a media type's schema, its example) in the document."""
    if isinstance(node, dict):
        if "schema" in node and "example" in node and pointer.rsplit("/", 2)[-2] == "content":
            yield pointer + "/schema", node["example"]
        for key, value in node.items():
            yield from _media_with_examples(value, f"{pointer}/{_escape(str(key))}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _media_with_examples(item, f"{pointer}/{index}")


# --------------------------------------------------------------------------------------------
# The documents
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["common", *openapi.PROVIDERS])
def test_source_file_is_valid_openapi(name: str) -> None:
    spec, base_uri = read_from_filename(str(ROOT / "openapi" / f"{name}.yaml"))
    validate(spec, base_uri=base_uri)


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_bundle_inlines_every_path_item(provider: str) -> None:
    doc = SPECS[provider].doc
    assert "pathItems" not in doc["components"]
    for path, item in doc["paths"].items():
        assert set(item) <= set(_METHODS), f"{path}: {sorted(set(item) - set(_METHODS))} beside the operations"


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_no_provider_component_shadows_a_common_one(provider: str) -> None:
    """A shared part refers to its siblings by local name: a provider part of the same name would swap them."""
    common = yaml.safe_load(openapi.spec_text("common"))["components"]
    own = yaml.safe_load(openapi.spec_text(provider)).get("components", {})
    for kind, entries in own.items():
        for name, value in entries.items():
            if name in common.get(kind, {}):
                assert value == {"$ref": f"common.yaml#/components/{kind}/{name}"}, f"{kind}/{name}"


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_every_example_fits_its_schema(provider: str) -> None:
    spec = SPECS[provider]
    found = list(_media_with_examples(spec.doc))
    assert found
    problems = [f"{pointer}: {error}" for pointer, example in found for error in spec.errors(pointer, example)]
    assert problems == []


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_each_operation_is_on_the_documented_providers(provider: str) -> None:
    served = set(_by_id(SPECS[provider].doc))
    expected = {op for op, providers in PROVIDERS_OF.items() if provider in providers}
    assert served == expected


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_every_operation_has_a_full_example(provider: str) -> None:
    spec = SPECS[provider]
    for operation_id, (_, _, op) in _by_id(spec.doc).items():
        example = spec.ok_response(operation_id)["content"]["application/json"].get("example")
        assert isinstance(example, dict), f"{operation_id}: no 200 example"
        assert set(example) == {"code", "msg", "data", *TOP_LEVEL.get(operation_id, ())}, operation_id
        assert example["code"] == 200, operation_id
        body = op.get("requestBody")
        if body is not None and "application/json" in _resolve(spec.doc, body)["content"]:  # not the form upload
            media = _resolve(spec.doc, body)["content"]["application/json"]
            # createTask has one named example per model (`examples`, exclusive of `example`)
            assert "example" in media or "examples" in media, f"{operation_id}: no request example"


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_job_kinds_and_details_kinds(provider: str) -> None:
    operations = _by_id(SPECS[provider].doc)
    creating = {op_id: op["x-job-kind"] for op_id, (_, _, op) in operations.items() if "x-job-kind" in op}
    details = {op_id: op["x-details-of"] for op_id, (_, _, op) in operations.items() if "x-details-of" in op}
    assert creating == {op_id: kind for op_id, kind in JOB_KINDS.items() if op_id in operations}
    assert details == {op_id: kind for op_id, kind in DETAILS_OF.items() if op_id in operations}
    assert set(creating.values()) <= KINDS
    # a details operation reads a kind some creating operation makes, and every kind can be read
    assert set(details.values()) <= set(creating.values())
    assert {READ_THROUGH.get(kind, kind) for kind in creating.values()} <= set(details.values())
    for op_id, (_, _, op) in operations.items():
        creates = op_id in creating or op.get("x-market") == "create"  # no job kind for Market tasks yet
        assert ("callbacks" in op) is creates, f"{op_id}: a callback if and only if it creates a task"
        assert not ("x-job-kind" in op and "x-details-of" in op), op_id


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_code_enums_take_the_new_set(provider: str) -> None:
    spec = SPECS[provider]
    for operation_id in _by_id(spec.doc):
        if operation_id in {"get-music-details", "get-remaining-credits", "get-timestamped-lyrics"} | OWN_CODES:
            continue  # the first six operations keep the codes their pages list; so do uploads and download-url
        if "x-market" in spec.operation(operation_id):
            continue  # the Market code list (tests/test_specs_market.py)
        schema = _resolve(spec.doc, spec.ok_response(operation_id)["content"]["application/json"]["schema"])
        codes = set(_resolve(spec.doc, schema["properties"]["code"])["enum"])
        assert codes >= NEW_CODES, f"{operation_id}: {sorted(NEW_CODES - codes)} missing"


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_callbacks_state_the_receiver_timeout(provider: str) -> None:
    doc = SPECS[provider].doc
    for name, callback in doc["components"]["callbacks"].items():
        (item,) = callback.values()
        text = item["post"]["responses"]["200"]["description"]
        assert "within 10 s" in text or "within 15 s" in text, name


# --------------------------------------------------------------------------------------------
# Documented request rules
# --------------------------------------------------------------------------------------------


def _request_example(provider: str, operation_id: str) -> dict[str, Any]:
    spec = SPECS[provider]
    body = _resolve(spec.doc, spec.operation(operation_id)["requestBody"])
    example: dict[str, Any] = dict(body["content"]["application/json"]["example"])
    return example


def _valid(provider: str, operation_id: str, **changes: Any) -> bool:
    body = {**_request_example(provider, operation_id), **changes}
    body = {key: value for key, value in body.items() if value is not _DROP}
    return not SPECS[provider].request_errors(operation_id, body)


_DROP: Any = object()


def _served(operation_id: str) -> list[str]:
    return sorted(PROVIDERS_OF[operation_id])


@pytest.mark.parametrize("provider", _served("generate-mashup"))
def test_mashup_takes_exactly_two_uploads(provider: str) -> None:
    urls = ["https://example.com/a.mp3", "https://example.com/b.mp3", "https://example.com/c.mp3"]
    assert _valid(provider, "generate-mashup", uploadUrlList=urls[:2])
    assert not _valid(provider, "generate-mashup", uploadUrlList=urls[:1])
    assert not _valid(provider, "generate-mashup", uploadUrlList=urls)
    assert not _valid(provider, "generate-mashup", uploadUrlList=["https://example.com/a.mp3", "not a url"])


def test_mashup_differs_between_kie_and_sunoapi() -> None:
    assert _valid("kie", "generate-mashup", model="V5_5", prompt=_DROP)
    assert not _valid("sunoapi", "generate-mashup", model="V5_5")
    assert not _valid("sunoapi", "generate-mashup", prompt=_DROP)
    assert not _valid("kie", "generate-mashup", model="V5", title="t" * 81)
    assert _valid("sunoapi", "generate-mashup", model="V5", title="t" * 100)
    assert not _valid("sunoapi", "generate-mashup", model="V4_5ALL", title="t" * 81)


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_upload_extend_without_custom_parameters(provider: str) -> None:
    body = {"defaultParamFlag": False, "style": _DROP, "title": _DROP, "continueAt": _DROP}
    assert _valid(provider, "upload-extend", **body)
    # kie and sunoapi: "only uploadUrl and prompt"; api.box's G1 pages: only uploadUrl
    assert _valid(provider, "upload-extend", **body, prompt=_DROP) is (provider == "apibox")
    assert not _valid(provider, "upload-extend", continueAt=0)
    assert not _valid(provider, "upload-extend", continueAt=10.125)


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_upload_cover_limits_follow_the_model(provider: str) -> None:
    assert _valid(provider, "upload-cover", model="V4_5", title="t" * 100)
    assert not _valid(provider, "upload-cover", model="V4_5", title="t" * 101)
    assert not _valid(provider, "upload-cover", model="V4", title="t" * 81)
    assert not _valid(provider, "upload-cover", customMode=False, prompt="p" * 501)
    assert not _valid(provider, "upload-cover", uploadUrl="ftp://example.com/a.mp3")
    assert _valid(provider, "upload-cover", model="V3_5") is (provider == "apibox")


def test_add_instrumental_title_limit_is_sunoapis() -> None:
    assert _valid("kie", "add-instrumental", title="t" * 101)
    assert not _valid("sunoapi", "add-instrumental", title="t" * 101)
    assert not _valid("apibox", "add-instrumental", title="t" * 101)


@pytest.mark.parametrize("provider", _served("generate-sounds"))
def test_sounds_request(provider: str) -> None:
    assert _valid(provider, "generate-sounds", soundTempo=None, callBackUrl=_DROP)
    assert not _valid(provider, "generate-sounds", prompt="p" * 501)
    assert not _valid(provider, "generate-sounds", model="V5_5")
    assert not _valid(provider, "generate-sounds", soundTempo=0)
    assert not _valid(provider, "generate-sounds", soundKey="H")


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_record_info_operation_types(provider: str) -> None:
    enum = SPECS[provider].doc["components"]["schemas"]["RecordInfo"]["properties"]["operationType"]["enum"]
    assert {"generate", "extend", "upload_cover", "upload_extend", "add_instrumental", "add_vocals"} <= set(enum)


def _callback_errors(provider: str, name: str, payload: Any) -> list[str]:
    pointer = "/" + "/".join(
        _escape(p)
        for p in (
            "components",
            "callbacks",
            name,
            "{$request.body#/callBackUrl}",
            "post",
            "requestBody",
            "content",
            "application/json",
            "schema",
        )
    )
    return SPECS[provider].errors(pointer, payload)


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_lyrics_prompt_is_at_most_200_words(provider: str) -> None:
    assert _valid(provider, "generate-lyrics", prompt=" ".join(["word"] * 200) + "\n")
    assert not _valid(provider, "generate-lyrics", prompt=" ".join(["word"] * 201))


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_lyrics_callback_names_the_task_one_way(provider: str) -> None:
    item = {"text": "[Verse]\nNeon rain", "title": "Harbour Lights", "status": "complete"}
    sunoapi = {"callbackType": "complete", "taskId": "t1", "data": [{**item, "errorMessage": ""}]}
    kie = {"callbackType": "complete", "task_id": "t1", "data": [{**item, "error_message": ""}]}
    for data in (sunoapi, kie):
        assert _callback_errors(provider, "Lyrics", {"code": 200, "msg": "success", "data": data}) == []
    both = {**sunoapi, "task_id": "t1"}
    neither = {"callbackType": "complete", "data": [item]}
    for data in (both, neither):
        assert _callback_errors(provider, "Lyrics", {"code": 200, "msg": "success", "data": data})
    error = {"code": 400, "msg": "failed", "data": {"callbackType": "error", "taskId": "t1", "data": None}}
    assert _callback_errors(provider, "Lyrics", error) == []
    assert _callback_errors(provider, "Lyrics", {**error, "code": 200})


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_wav_callback_takes_either_file_key(provider: str) -> None:
    url = "https://example.com/a.wav"
    for key in ("audioWavUrl", "audio_wav_url"):
        ok = {"code": 200, "msg": "success", "data": {"task_id": "t1", key: url}}
        assert _callback_errors(provider, "Wav", ok) == []
        assert (
            _callback_errors(provider, "Wav", {"code": 400, "msg": "failed", "data": {"task_id": "t1", key: None}})
            == []
        )
        assert _callback_errors(provider, "Wav", {"code": 400, "msg": "failed", "data": {"task_id": "t1", key: url}})
    both = {"task_id": "t1", "audioWavUrl": url, "audio_wav_url": url}
    assert _callback_errors(provider, "Wav", {"code": 200, "msg": "success", "data": both})


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_details_status_enums(provider: str) -> None:
    schemas = SPECS[provider].doc["components"]["schemas"]
    assert "GENERATE_WAV_FAILED" in schemas["WavStatus"]["enum"]
    assert "GENERATE_LYRICS_FAILED" in schemas["LyricsStatus"]["enum"]
    for name in ("LyricsDetails", "WavDetails"):
        assert {"errorCode", "errorMessage"} <= set(schemas[name]["required"]), name
        assert "null" in schemas[name]["properties"]["errorCode"]["type"], name


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_advanced_split_needs_a_stem_name(provider: str) -> None:
    assert _valid(provider, "separate-vocals", type="split_stem")
    assert _valid(provider, "separate-vocals", type=_DROP)
    assert not _valid(provider, "separate-vocals", type="split_stem_advanced")
    assert _valid(provider, "separate-vocals", type="split_stem_advanced", stemName="Drum Kit")
    assert not _valid(provider, "separate-vocals", type="karaoke")


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_stems_callback_takes_either_info_key(provider: str) -> None:
    files = {"origin_url": "https://example.com/o.mp3", "vocal_url": "https://example.com/v.mp3"}
    for key in ("vocal_removal_info", "vocal_separation_info"):
        assert (
            _callback_errors(provider, "Separation", {"code": 200, "msg": "ok", "data": {"task_id": "t", key: files}})
            == []
        )
        assert (
            _callback_errors(provider, "Separation", {"code": 400, "msg": "no", "data": {"task_id": "t", key: None}})
            == []
        )
        assert _callback_errors(provider, "Separation", {"code": 200, "msg": "ok", "data": {"task_id": "t", key: None}})
    both = {"task_id": "t", "vocal_removal_info": files, "vocal_separation_info": files}
    assert _callback_errors(provider, "Separation", {"code": 200, "msg": "ok", "data": both})


@pytest.mark.parametrize("provider", _served("generate-midi"))
def test_midi_callback_task_id_beside_code_or_in_data(provider: str) -> None:
    data = {
        "state": "complete",
        "instruments": [{"name": "Bass", "notes": [{"pitch": 40, "start": "0.0", "end": 0.5, "velocity": 90}]}],
    }
    assert _callback_errors(provider, "Midi", {"task_id": "t", "code": 200, "msg": "ok", "data": data}) == []
    assert _callback_errors(provider, "Midi", {"code": 200, "msg": "ok", "data": {**data, "taskId": "t"}}) == []
    assert _callback_errors(provider, "Midi", {"code": 200, "msg": "ok", "data": data})
    assert _callback_errors(
        provider, "Midi", {"task_id": "t", "code": 200, "msg": "ok", "data": {**data, "taskId": "t"}}
    )
    assert _callback_errors(provider, "Midi", {"task_id": "t", "code": 500, "msg": "failed", "data": None}) == []
    details = SPECS[provider].doc["components"]["schemas"]["MidiDetails"]["properties"]["successFlag"]
    assert _resolve(SPECS[provider].doc, details)["enum"] == [0, 1, 2, 3]


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_music_video_author_and_domain_limits(provider: str) -> None:
    assert _valid(provider, "create-music-video", author="a" * 50, domainName="d" * 50)
    assert not _valid(provider, "create-music-video", author="a" * 51)
    assert not _valid(provider, "create-music-video", domainName="d" * 51)
    assert _valid(provider, "create-music-video", author=_DROP, domainName=_DROP)
    assert not _valid(provider, "create-music-video", audioId=_DROP)


@pytest.mark.parametrize("provider", _served("get-cover-image-details"))
def test_cover_success_flag_per_provider(provider: str) -> None:
    example = SPECS[provider].ok_response("get-cover-image-details")["content"]["application/json"]["example"]
    flag = example["data"]["successFlag"]
    assert flag == ("SUCCESS" if provider == "apikley" else 1)
    schema = SPECS[provider].doc["components"]["schemas"]["CoverDetails"]
    pointer = "/components/schemas/CoverDetails"
    for other in (0, 3, "PENDING", "GENERATE_COVER_FAILED"):
        pending = {**example["data"], "successFlag": other, "response": None}
        assert SPECS[provider].errors(pointer, pending) == [], other
    assert SPECS[provider].errors(pointer, {**example["data"], "successFlag": 1, "response": None})
    assert SPECS[provider].errors(pointer, {**example["data"], "successFlag": "1"})
    assert "successFlag" in schema["required"]


@pytest.mark.parametrize("provider", _served("generate-cover-image"))
def test_a_repeated_cover_may_name_the_existing_task(provider: str) -> None:
    spec = SPECS[provider]
    pointer = "/components/schemas/CoverTaskCreated"
    assert spec.errors(pointer, {"code": 400, "msg": "Cover already generated", "data": {"taskId": "t"}}) == []
    assert spec.errors(pointer, {"code": 409, "msg": "Cover record already exists", "data": None}) == []
    assert spec.errors(pointer, {"code": 409, "msg": "Cover record already exists", "data": {"taskId": "t"}})
    assert spec.errors(pointer, {"code": 200, "msg": "success", "data": None})


@pytest.mark.parametrize("provider", _served("generate-persona"))
def test_persona_vocal_segment_is_10_to_30_seconds(provider: str) -> None:
    assert _valid(provider, "generate-persona", vocalStart=_DROP, vocalEnd=_DROP)
    assert _valid(provider, "generate-persona", vocalStart=5, vocalEnd=15)
    assert _valid(provider, "generate-persona", vocalStart=5, vocalEnd=35)
    assert not _valid(provider, "generate-persona", vocalStart=5, vocalEnd=14.99)
    assert not _valid(provider, "generate-persona", vocalStart=5, vocalEnd=35.01)
    assert not _valid(provider, "generate-persona", vocalStart=20, vocalEnd=10)
    assert not _valid(provider, "generate-persona", vocalStart=-1, vocalEnd=10)
    assert not _valid(provider, "generate-persona", vocalStart=1.125, vocalEnd=20)
    # one of them omitted: its default (0 or 30) applies
    assert _valid(provider, "generate-persona", vocalStart=20, vocalEnd=_DROP)
    assert not _valid(provider, "generate-persona", vocalStart=20.5, vocalEnd=_DROP)
    assert _valid(provider, "generate-persona", vocalStart=_DROP, vocalEnd=10)
    assert not _valid(provider, "generate-persona", vocalStart=_DROP, vocalEnd=9)
    assert not _valid(provider, "generate-persona", vocalStart=_DROP, vocalEnd=31)
    assert not _valid(provider, "generate-persona", name=_DROP)


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_timestamped_lyrics_request(provider: str) -> None:
    # newest kie and sunoapi pages (apikley mirrors kie): audioId required; api.box: audioId or musicIndex
    assert _valid(provider, "get-timestamped-lyrics", audioId=_DROP) is (provider == "apibox")
    assert _valid(provider, "get-timestamped-lyrics", audioId=_DROP, musicIndex=1) is (provider == "apibox")


@pytest.mark.parametrize("provider", _served("boost-music-style"))
def test_boost_answers_inline(provider: str) -> None:
    assert not _valid(provider, "boost-music-style", content=_DROP)
    example = SPECS[provider].ok_response("boost-music-style")["content"]["application/json"]["example"]
    assert example["data"]["successFlag"] in {"0", "1", "2"}
    assert "x-job-kind" not in SPECS[provider].operation("boost-music-style")


# --------------------------------------------------------------------------------------------
# Recovery, Suno Voice, the file-upload API and download-url (files of their own, x-include)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["recovery", "voice", "file-upload", "kie-download"])
def test_included_family_file_is_valid_openapi(name: str) -> None:
    spec, base_uri = read_from_filename(str(ROOT / "openapi" / f"{name}.yaml"))
    validate(spec, base_uri=base_uri)


@pytest.mark.parametrize("provider", _served("recover-audio"))
def test_recovery_reads_task_id_and_answers_at_the_top_level(provider: str) -> None:
    spec = SPECS[provider]
    (param,) = spec.operation("get-recovery-details")["parameters"]
    assert param["name"] == "task_id" and param["in"] == "query" and param["required"]
    pointer = "/components/schemas/RecoveryDetailsResponse"
    assert not spec.errors(pointer, {"code": 201, "task_id": "t", "msg": "running", "data": None})
    assert spec.errors(pointer, {"code": 201, "task_id": "t", "msg": "running", "data": []})
    assert spec.errors(pointer, {"code": 200, "msg": "success", "data": []})  # task_id, and a track at least
    failed = {"id": "a", "audio_url": None, "title": "t", "status": "failed", "error": "clip_error"}
    assert not spec.errors(pointer, {"code": 500, "task_id": "t", "msg": "failed", "data": [failed]})
    assert spec.errors(pointer, {"code": 500, "task_id": "t", "msg": "x", "data": [{**failed, "error": "oops"}]})
    created = spec.ok_response("recover-audio")["content"]["application/json"]["schema"]["$ref"][1:]
    assert not spec.errors(created, {"code": 200, "msg": "success", "data": {"task_id": "t"}})
    assert spec.errors(created, {"code": 200, "msg": "success", "data": {"taskId": "t"}})  # snake case only
    assert not _valid(provider, "recover-audio", sunoTaskId=_DROP)
    assert spec.operation("recover-audio")["x-code-set"] == "old"


@pytest.mark.parametrize("provider", _served("validate-voice"))
def test_voice_keeps_its_spelling_traps(provider: str) -> None:
    assert not _valid(provider, "validate-voice", vocalEndS=0)  # end must be after start
    assert not _valid(provider, "validate-voice", language="xx")
    assert _valid(provider, "regenerate-voice-phrase")
    assert not _valid(provider, "regenerate-voice-phrase", calBackUrl=_DROP, callBackUrl="https://e.com/cb")
    assert _valid(provider, "check-voice") and not _valid(provider, "check-voice", task_id=_DROP, taskId="t")
    (param,) = SPECS[provider].operation("get-voice-phrase")["parameters"]
    assert param["name"] == "taskId" and not param.get("required")  # optional in the page's schema
    callback = _resolve(
        SPECS[provider].doc, SPECS[provider].operation("regenerate-voice-phrase")["callbacks"]["phraseReady"]
    )
    assert list(callback) == ["{$request.body#/calBackUrl}"]


@pytest.mark.parametrize("provider", _served("upload-file-base64"))
def test_uploads_use_their_own_codes_and_path_rules(provider: str) -> None:
    spec = SPECS[provider]
    for way in ("base64", "stream", "url"):
        assert spec.operation(f"upload-file-{way}")["x-code-set"] == "old"
    assert not _valid(provider, "upload-file-base64", uploadPath="/leading")
    assert not _valid(provider, "upload-file-base64", uploadPath="trailing/")
    assert _valid(provider, "upload-file-base64", uploadPath="a/b/c")
    assert not _valid(provider, "upload-file-url", fileUrl="ftp://example.com/a.mp3")
    form = _resolve(spec.doc, spec.operation("upload-file-stream")["requestBody"])["content"]
    assert list(form) == ["multipart/form-data"]
