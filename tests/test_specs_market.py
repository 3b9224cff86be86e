"""The kie Market family (``openapi/kie-market.yaml``, included by kie.yaml): createTask and recordInfo.

Checked with jsonschema (Draft 2020-12, the vendor keywords added) on the bundled kie document: it is
valid OpenAPI with both operations and no ``x-include`` left; every named request example fits
MarketCreateTask, every response and callback example its schema, and each parsed ``resultJson`` the
schema ``x-result-schemas`` names; the documented required fields and conditionals hold; the request
schema keeps to the keywords the mock compiles; and the mock serves both operations from the spec.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver import create_app, openapi

from .support import AUTH, SpecChecker, spec_client

ROOT = Path(__file__).resolve().parents[1]
CREATE, DETAILS = "/api/v1/jobs/createTask", "/api/v1/jobs/recordInfo"
SCHEMAS = "#/components/schemas/"
#: model id -> the fields kie-market.md section 2 lists as required ("R"), as encoded.
REQUIRED: dict[str, set[str]] = {
    "ai-music-api/generate": {"custom_mode", "instrumental", "model"},
    "ai-music-api/extend": {"audio_id", "model"},
    "ai-music-api/upload-and-cover-audio": {"instrumental", "model", "upload_url"},
    "ai-music-api/upload-and-extend-audio": {"model", "upload_url"},
    "ai-music-api/add-instrumental": {"upload_url", "title", "negative_tags", "tags"},
    "ai-music-api/add-vocals": {"negative_tags", "style", "title", "upload_url"},
    "ai-music-api/mashup": {"model", "style", "title", "upload_url_list"},
    "ai-music-api/replace-section": {"prompt", "tags", "title", "infill_start_s", "infill_end_s", "full_lyrics"},
    "ai-music-api/sounds": {"model", "prompt"},
    "ai-music-api/generate-lyrics": {"prompt"},
    "ai-music-api/timeStamped-lyrics": {"audio_id", "task_id"},
    "ai-music-api/boost-music-style": {"content"},
    "ai-music-api/cover-generate": {"task_id"},
    "ai-music-api/generate-persona": {"audio_id", "description", "name", "task_id"},
    "ai-music-api/convert-to-wav-format": {"audio_id", "task_id"},
    "ai-music-api/separate-vocals": set(),  # a source union and a type-dependent stem_name instead
    "ai-music-api/generate-midi-from-audio": {"task_id"},
    "ai-music-api/create-music-video": {"task_id", "audio_id"},
    "ai-music-api/suno-recovery-audio": {"task_id"},
    "ai-music-api/validation-phrase": {"vocal_end_s", "vocal_start_s", "voice_url"},
    "ai-music-api/regenerate-phrase": {"task_id"},
    "ai-music-api/create-voice": {"task_id", "verify_url"},
    "ai-music-api/check-voice": {"task_id"},
}
#: What the mock's compiled request validator understands, plus annotations.
COMPILED = {
    "type", "properties", "required", "enum", "const", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "pattern", "format", "allOf", "if", "then", "else",
    "minItems", "maxItems", "items", "x-decimal-places", "x-interval",
    "$ref", "description", "default", "examples",
}  # fmt: skip


# --------------------------------------------------------------------------------------------
# A validator that knows the vendor keywords (read from the document, not from the mock's code)
# --------------------------------------------------------------------------------------------


def _x_decimal_places(validator: Any, places: int, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        exponent = Decimal(repr(instance)).as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            yield ValidationError(f"{instance} has more than {places} decimal places")


def _x_interval(validator: Any, rule: Mapping[str, Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    bounds = [instance.get(rule["start"]), instance.get(rule["end"])]
    numbers = [v for v in bounds if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) == 2 and numbers[0] >= numbers[1]:
        yield ValidationError(f"{rule['end']} must be greater than {rule['start']}", path=[rule["end"]])


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

DOC = openapi.load_spec("kie")
_REGISTRY = Registry().with_resource("urn:spec", Resource.from_contents(DOC, DRAFT202012))


def _errors(pointer: str, instance: Any) -> list[ValidationError]:
    validator = _Validator({"$ref": f"urn:spec{pointer}"}, registry=_REGISTRY, format_checker=_FORMATS)
    return list(validator.iter_errors(instance))


def _body_errors(body: Any) -> list[ValidationError]:
    return _errors(SCHEMAS + "MarketCreateTask", body)


def _resolve(ref: str) -> Any:
    node: Any = DOC
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _op(path: str, method: str) -> dict[str, Any]:
    op: dict[str, Any] = DOC["paths"][path][method]
    return op


def _named_examples() -> dict[str, Any]:
    examples: dict[str, Any] = _op(CREATE, "post")["requestBody"]["content"]["application/json"]["examples"]
    return {name: example["value"] for name, example in examples.items()}


EXAMPLES = _named_examples()


def _example(model: str) -> dict[str, Any]:
    (name,) = [name for name, body in EXAMPLES.items() if body["model"] == model and not name.endswith("-upload")]
    return copy.deepcopy(EXAMPLES[name])


def _with(model_id: str, /, **changes: Any) -> dict[str, Any]:
    """The model's example with ``input`` fields changed (``None`` removes one)."""
    body = _example(model_id)
    for key, value in changes.items():
        if value is None:
            body["input"].pop(key, None)
        else:
            body["input"][key] = value
    return body


# --------------------------------------------------------------------------------------------
# The documents
# --------------------------------------------------------------------------------------------


def test_kie_document_is_valid_openapi_with_the_market_family() -> None:
    validate(openapi.load_spec("kie"))
    spec, base_uri = read_from_filename(str(ROOT / "openapi" / "kie-market.yaml"))
    validate(spec, base_uri=base_uri)  # the included file stands alone as well


def test_bundle_has_both_operations_and_no_include_key() -> None:
    assert "x-include" not in DOC
    assert "common.yaml" not in str(DOC) and "kie-market.yaml" not in str(DOC)
    create, details = _op(CREATE, "post"), _op(DETAILS, "get")
    assert (create["operationId"], create["x-market"]) == ("create-market-task", "create")
    assert (details["operationId"], details["x-market"]) == ("get-market-task-details", "details")
    (parameter,) = (_resolve(p["$ref"]) if "$ref" in p else p for p in details["parameters"])
    assert (parameter["name"], parameter["in"], parameter["required"]) == ("taskId", "query", True)
    # the classic operations are all still there
    assert {"/api/v1/generate", "/api/v1/generate/record-info", "/api/v1/chat/credit"} <= set(DOC["paths"])


@pytest.mark.parametrize("provider", ["sunoapi", "apibox", "apikley"])
def test_other_providers_have_no_market_family(provider: str) -> None:
    assert not any(path.startswith("/api/v1/jobs/") for path in openapi.load_spec(provider)["paths"])


def test_the_bundler_refuses_an_included_name_that_is_already_taken() -> None:
    target: dict[str, Any] = {"schemas": {"Code": {"type": "integer"}}}
    with pytest.raises(ValueError, match=r"kie-market.yaml: components/schemas/Code is already defined"):
        openapi._merge_components(target, {"schemas": {"Code": {"type": "string"}}}, "kie-market.yaml")
    openapi._merge_components(target, {"schemas": {"Code": {"$ref": "common.yaml#/components/schemas/Code"}}}, "x")
    assert target["schemas"]["Code"] == {"type": "integer"}  # a re-export is not a clash
    for names in (["../kie.yaml"], ["common.yaml"], ["missing.yaml"], "kie-market.yaml"):
        with pytest.raises(ValueError, match="x-include"):
            openapi._includes("kie", names)


def test_market_file_has_no_key_that_reads_as_null() -> None:
    text = openapi.documents().joinpath("kie-market.yaml").read_text(encoding="utf-8")

    def walk(node: yaml.Node, path: str) -> list[str]:
        if isinstance(node, yaml.MappingNode):
            found = []
            for key, value in node.value:
                if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null") and value.value == "":
                    found.append(f"{path}/{key.value}")
                found += walk(value, f"{path}/{key.value}")
            return found
        if isinstance(node, yaml.SequenceNode):
            return [p for item in node.value for p in walk(item, path)]
        return []

    root = yaml.compose(text)
    assert root is not None and walk(root, "") == []


def test_market_file_ships_inside_the_wheel(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)]
    subprocess.run([*command, str(ROOT)], check=True)
    (wheel,) = tmp_path.glob("suno_mockkit-*.whl")
    assert "mockserver/_specs/kie-market.yaml" in zipfile.ZipFile(wheel).namelist()


# --------------------------------------------------------------------------------------------
# createTask: models, examples, required fields
# --------------------------------------------------------------------------------------------


def _input_schemas() -> dict[str, str]:
    """model id -> the MarketInput_<Name> its link of the chain selects."""
    found: dict[str, str] = {}
    (first,) = DOC["components"]["schemas"]["MarketCreateTask"]["allOf"]
    link: Any = first
    while link is not None:
        node = _resolve(link["$ref"])
        found[node["if"]["properties"]["model"]["const"]] = node["then"]["properties"]["input"]["$ref"]
        link = node.get("else")
    return found


def test_every_model_selects_its_own_input_schema() -> None:
    models = DOC["components"]["schemas"]["MarketModelId"]["enum"]
    selected = _input_schemas()
    assert list(selected) == models and set(models) == set(REQUIRED)
    assert len(set(selected.values())) == 23
    for model, ref in selected.items():
        assert set(_resolve(ref).get("required", [])) == REQUIRED[model], model


def test_there_is_a_named_example_for_every_model() -> None:
    assert {body["model"] for body in EXAMPLES.values()} == set(REQUIRED)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_named_example_fits_the_request_schema(name: str) -> None:
    assert [e.message for e in _body_errors(EXAMPLES[name])] == []


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("ai-music-api/generate", "custom_mode"),
        ("ai-music-api/generate", "model"),
        ("ai-music-api/extend", "audio_id"),
        ("ai-music-api/add-instrumental", "tags"),
        ("ai-music-api/replace-section", "full_lyrics"),
        ("ai-music-api/replace-section", "infill_start_s"),
        ("ai-music-api/generate-persona", "name"),
        ("ai-music-api/validation-phrase", "voice_url"),
        ("ai-music-api/create-voice", "verify_url"),
    ],
)
def test_a_missing_required_input_field_fails_naming_it(model: str, field: str) -> None:
    (error,) = _body_errors(_with(model, **{field: None}))
    assert list(error.absolute_path) == ["input"] and error.validator == "required"
    assert f"'{field}' is a required property" in error.message


def test_the_envelope_needs_model_and_input_and_a_known_model() -> None:
    assert _body_errors({"input": {}})
    assert _body_errors({"model": "ai-music-api/generate"})
    (error,) = _body_errors({"model": "ai-music-api/no-such-model", "input": {}})
    assert list(error.absolute_path) == ["model"]
    (error,) = _body_errors({**_example("ai-music-api/check-voice"), "callBackUrl": "ftp://example.com/cb"})
    assert list(error.absolute_path) == ["callBackUrl"]


def _fields(body: dict[str, Any]) -> list[tuple[str, ...]]:
    """The fields with an error, each as a path: a missing field's, or the offending value's."""
    found = set()
    for error in _body_errors(body):
        path = tuple(str(p) for p in error.absolute_path)
        if error.validator == "required":
            path += (error.message.split("'")[1],)
        found.add(path)
    return sorted(found)


def test_generate_custom_mode_needs_a_title_and_one_of_style_lyrics_negative_tags() -> None:
    model = "ai-music-api/generate"
    none_of_three = {"style": None, "lyrics": None, "negative_tags": None}
    assert _fields(_with(model, **none_of_three)) == [("input", "style")]
    for kept in ("style", "lyrics", "negative_tags"):
        assert _fields(_with(model, **{**none_of_three, kept: "x"})) == [], kept
    assert _fields(_with(model, title=None)) == [("input", "title")]
    assert _fields(_with(model, title="t" * 81)) == [("input", "title")]  # 80 on the generate page
    # non-custom mode: no title, style or lyrics needed
    assert _fields(_with(model, custom_mode=False, title=None, **none_of_three, prompt="a song")) == []


def test_v6_limits_and_the_deprecated_models() -> None:
    for model in ("V6", "V6_WILD", "V6_MINI", "V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5", "V5_5"):
        assert _fields(_with("ai-music-api/extend", model=model)) == [], model
    assert _fields(_with("ai-music-api/extend", model="V7")) == [("input", "model")]
    assert _fields(_with("ai-music-api/upload-and-extend-audio", style="s" * 1000, title="t" * 100)) == []
    assert _fields(_with("ai-music-api/upload-and-extend-audio", style="s" * 1001)) == [("input", "style")]
    assert _fields(_with("ai-music-api/upload-and-extend-audio", title="t" * 101)) == [("input", "title")]
    assert _fields(_with("ai-music-api/add-vocals", lyrics="l" * 5001)) == [("input", "lyrics")]
    assert _fields(_with("ai-music-api/extend", prompt="p" * 5001)) == [("input", "prompt")]
    assert _fields(_with("ai-music-api/sounds", prompt="p" * 501)) == [("input", "prompt")]


def test_replace_section_source_union_and_interval() -> None:
    model = "ai-music-api/replace-section"
    assert _fields(_with(model, task_id=None)) == [("input", "task_id")]
    assert _fields(_with(model, task_id=None, audio_id=None)) == [("input", "audio_id"), ("input", "task_id")]
    uploaded = _with(model, task_id=None, audio_id=None, upload_url="https://example.com/song.mp3")
    assert _fields(uploaded) == [("input", "model")]
    uploaded["input"]["model"] = "V6"
    assert _fields(uploaded) == []
    assert _fields(_with(model, infill_end_s=10.5)) == [("input", "infill_end_s")]  # not after the start
    assert _fields(_with(model, infill_end_s=20.755)) == [("input", "infill_end_s")]  # 2 decimals at most
    assert _fields(_with(model, infill_start_s=-1)) == [("input", "infill_start_s")]


def test_separate_vocals_stem_name_only_for_split_stem_advanced() -> None:
    model = "ai-music-api/separate-vocals"
    assert _fields(_with(model, stem_name=None)) == [("input", "stem_name")]
    assert _fields(_with(model, stem_name=None, type="split_stem")) == []
    assert _fields(_with(model, stem_name=None, type=None)) == []  # separate_vocal by default
    assert _fields(_with(model, type="stems")) == [("input", "type")]
    assert _fields(_with(model, task_id=None)) == [("input", "task_id")]
    assert _fields(_with(model, task_id=None, audio_id=None, audio_url="https://example.com/a.mp3")) == []


def test_other_documented_rules() -> None:
    one_url = ["https://example.com/a.mp3"]
    assert _fields(_with("ai-music-api/mashup", upload_url_list=one_url)) == [("input", "upload_url_list")]
    assert _fields(_with("ai-music-api/mashup", upload_url_list=one_url * 3)) == [("input", "upload_url_list")]
    assert _fields(_with("ai-music-api/create-music-video", author="a" * 51)) == [("input", "author")]
    assert _fields(_with("ai-music-api/create-music-video", domain_name="d" * 51)) == [("input", "domain_name")]
    assert _fields(_with("ai-music-api/validation-phrase", vocal_end_s=5)) == [("input", "vocal_end_s")]
    assert _fields(_with("ai-music-api/validation-phrase", language="xx")) == [("input", "language")]
    assert _fields(_with("ai-music-api/generate", audio_weight=0.555)) == [("input", "audio_weight")]
    assert _fields(_with("ai-music-api/generate", style_weight=1.5)) == [("input", "style_weight")]
    assert _fields(_with("ai-music-api/upload-and-cover-audio", upload_url="not a url")) == [("input", "upload_url")]


def test_request_schema_uses_only_keywords_the_mock_compiles() -> None:
    seen: set[str] = set()

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            if node["$ref"] in seen:
                return
            seen.add(node["$ref"])
            walk(_resolve(node["$ref"]), node["$ref"])
        assert set(node) <= COMPILED, f"{where}: {sorted(set(node) - COMPILED)}"
        for key in ("if", "then", "else", "items"):
            walk(node.get(key), f"{where}/{key}")
        for index, sub in enumerate(node.get("allOf", [])):
            walk(sub, f"{where}/allOf/{index}")
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{where}/properties/{name}")

    walk({"$ref": SCHEMAS + "MarketCreateTask"}, "MarketCreateTask")
    assert len([ref for ref in seen if ref.startswith(SCHEMAS + "MarketInput_")]) == 23


# --------------------------------------------------------------------------------------------
# Answers, resultJson and the callback
# --------------------------------------------------------------------------------------------


def _ok_example(path: str, method: str) -> tuple[str, Any]:
    media = _op(path, method)["responses"]["200"]["content"]["application/json"]
    return media["schema"]["$ref"], media["example"]


def test_response_examples_fit_their_schemas() -> None:
    for path, method in ((CREATE, "post"), (DETAILS, "get")):
        ref, example = _ok_example(path, method)
        assert example["code"] == 200
        assert [e.message for e in _errors(ref, example)] == [], path
        assert _errors(ref, {**example, "data": None})  # data is null only when code is not 200
        assert [e.message for e in _errors(ref, {"code": 422, "msg": "recordInfo is null", "data": None})] == []


def test_code_lists() -> None:
    schemas = DOC["components"]["schemas"]
    assert schemas["MarketCode"]["enum"] == [200, 401, 402, 404, 409, 422, 429, 455, 500, 501, 505]
    assert schemas["MarketRecordCode"]["enum"] == [200, 401, 404, 422, 429, 455, 500, 501, 505]


def test_record_example_carries_a_parsable_param_and_result() -> None:
    _, example = _ok_example(DETAILS, "get")
    record = example["data"]
    assert [e.message for e in _body_errors(json.loads(record["param"]))] == []
    result_schema = DOC["components"]["schemas"]["MarketRecord"]["x-result-schemas"][record["model"]]
    assert [e.message for e in _errors(result_schema, json.loads(record["resultJson"]))] == []


def test_result_schemas_cover_every_model() -> None:
    mapping = DOC["components"]["schemas"]["MarketRecord"]["x-result-schemas"]
    assert set(mapping) == set(REQUIRED)
    for pointer in set(mapping.values()):
        assert isinstance(_resolve(pointer), dict), pointer
    songs = {"data": [json.loads(_ok_example(DETAILS, "get")[1]["data"]["resultJson"])["data"][0]]}
    cases = {
        "ai-music-api/generate": (songs, {"resultUrls": ["https://example.com/a.mp3"]}),
        "ai-music-api/create-music-video": ({"resultUrls": ["https://example.com/v.mp4"]}, {"resultUrls": []}),
        "ai-music-api/generate-lyrics": (
            {"resultObject": {"lyricsData": [{"text": "[Verse]", "title": "T", "status": "complete"}]}},
            {"resultObject": {}},
        ),
        "ai-music-api/check-voice": ({"resultObject": {"isAvailable": True}}, {"resultUrls": ["https://e.com/a"]}),
    }
    for model, (good, bad) in cases.items():
        assert [e.message for e in _errors(mapping[model], good)] == [], model
        assert _errors(mapping[model], bad), model


def test_record_states_and_their_fields() -> None:
    _, example = _ok_example(DETAILS, "get")
    record = example["data"]
    waiting = {**record, "state": "waiting", "resultJson": "", "costTime": None, "completeTime": None}
    assert [e.message for e in _errors(SCHEMAS + "MarketRecord", waiting)] == []
    assert _errors(SCHEMAS + "MarketRecord", {**waiting, "resultJson": record["resultJson"]})
    failed = {**waiting, "state": "fail", "failCode": "501", "failMsg": "generation failed"}
    assert [e.message for e in _errors(SCHEMAS + "MarketRecord", failed)] == []
    assert _errors(SCHEMAS + "MarketRecord", {**failed, "failCode": ""})
    assert _errors(SCHEMAS + "MarketRecord", {**record, "state": "SUCCESS"})
    assert _errors(SCHEMAS + "MarketRecord", {**record, "resultJson": ""})  # success carries the result


def test_callback_accepts_the_record_and_the_classic_bodies() -> None:
    checker = SpecChecker("kie")
    callback = _op(CREATE, "post")["callbacks"]["marketTask"]["{$request.body#/callBackUrl}"]["post"]
    assert "within 15 s" in callback["responses"]["200"]["description"]
    example = callback["requestBody"]["content"]["application/json"]["example"]
    _, record_answer = _ok_example(DETAILS, "get")
    classic = [
        {"code": 200, "msg": "success", "data": {"audioWavUrl": "https://example.com/a.wav", "task_id": "t"}},
        {"code": 200, "msg": "MP4 generated successfully.", "data": {"task_id": "t", "video_url": "https://e.com/v"}},
        {"code": 200, "msg": "success", "data": {"taskId": "t", "images": ["https://e.com/1", "https://e.com/2"]}},
        {"code": 200, "msg": "ok", "data": {"callbackType": "text", "task_id": "t", "data": []}},
    ]
    for payload in (example, record_answer, *classic):
        checker.check_operation_callback("create-market-task", payload)
    for payload in (
        {"code": 200, "msg": "success", "data": {"task_id": "t"}},  # neither a record nor a classic body
        {"code": 200, "msg": "success", "data": {**record_answer["data"], "state": "fail"}},
        {"code": 200, "msg": "success"},
    ):
        with pytest.raises(AssertionError, match="breaks its spec"):
            checker.check_operation_callback("create-market-task", payload)


# --------------------------------------------------------------------------------------------
# The mock builds both routes and the request validator from the spec
# --------------------------------------------------------------------------------------------


def test_the_mock_serves_both_operations_from_the_spec() -> None:
    app = create_app("kie", seed=1, virtual_clock=True)
    with spec_client(app, "kie") as client:  # every answer is checked against the kie document
        # (each model's example run to success with real ids is in tests/test_market.py)
        assert client.post(CREATE, json=EXAMPLES["generate"]).json()["code"] == 401  # no API key
        for model, field in (("ai-music-api/generate", "instrumental"), ("ai-music-api/create-voice", "verify_url")):
            answer = client.post(CREATE, json=_with(model, **{field: None}), headers=AUTH).json()
            assert answer["code"] == 422 and f"input.{field}: is required" in answer["msg"], answer
        no_style = _with("ai-music-api/generate", style=None, lyrics=None, negative_tags=None)
        answer = client.post(CREATE, json=no_style, headers=AUTH).json()
        assert answer["code"] == 422 and "input.style: is required" in answer["msg"], answer
        answer = client.post(CREATE, json=_with("ai-music-api/replace-section", infill_end_s=3), headers=AUTH).json()
        assert answer["code"] == 422 and "input.infill_end_s" in answer["msg"], answer
        record = client.get(DETAILS, params={"taskId": "5c79b2e8a1f34d6b9c0e7a1d2f3b4e8e"}, headers=AUTH).json()
        assert record["code"] == 404 and "recordInfo is null" in record["msg"]
        missing = client.get(DETAILS, headers=AUTH).json()
        assert missing["code"] == 422 and "taskId" in missing["msg"]
