"""contract._rules: the hand-written oracle of the documented request rules, at its boundaries."""

from __future__ import annotations

import ast
import pathlib
from typing import Any

import pytest

from contract import _families as families
from contract import _market as market_checks
from contract import _rules as rules
from contract._requests import derived_probes
from contract._rules import MISSING, Violation, replace_section_violations, request_violations
from mockserver import openapi

CB = "https://example.com/cb"


def _fields(violations: list[Violation]) -> set[str]:
    return {v.field for v in violations}


def generate(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"customMode": False, "instrumental": False, "model": "V4_5", "callBackUrl": CB}
    body["prompt"] = "a song"
    body.update(fields)
    return {k: v for k, v in body.items() if v is not MISSING}


def replace(provider: str, start: float = 10.0, end: float | str = 20.0, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "taskId": "t" * 32,
        "prompt": "p",
        "tags": "jazz",
        "title": "x",
        "infillStartS": start,
        "infillEndS": end,
    }
    if rules.track_selector(provider) == "audioId":
        body["audioId"] = "a"
    else:
        body["musicIndex"] = 0
    body.update(fields)
    return {k: v for k, v in body.items() if v is not MISSING}


def test_violation_str_names_field_rule_and_value() -> None:
    assert str(Violation("infillEndS", 5.999, "must have at most 2 decimal places")) == (
        "infillEndS: must have at most 2 decimal places (got 5.999)"
    )


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_operations_match_the_bundled_documents(provider: str) -> None:
    spec = openapi.load_spec(provider)
    documented = {
        op["operationId"]: (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op and "x-market" not in op
    }
    # every documented classic operation has a table entry, at the table's method and path
    assert rules.OPERATIONS[provider] == documented
    # kie's Market pair is judged by its own section, at the documented paths
    market = {path for path, item in spec["paths"].items() for op in item.values() if "x-market" in op}
    assert market == ({market_checks.CREATE, market_checks.RECORD} if provider == "kie" else set())


def _marked(provider: str, keyword: str) -> dict[str, str]:
    spec = openapi.load_spec(provider)
    return {
        op["operationId"]: op[keyword]
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and keyword in op
    }


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_the_table_agrees_with_the_job_kinds_the_documents_declare(provider: str) -> None:
    kinds = _marked(provider, "x-job-kind")
    served = rules.OPERATIONS[provider]
    assert set(kinds) == {op for op in served if op in rules.CREATING}
    # operations of one job kind belong to one contract family, and different kinds to different families
    for kind in set(kinds.values()):
        ops = [op for op, k in kinds.items() if k == kind]
        assert len({families.family_of(op).name for op in ops}) == 1, (kind, ops)
    assert len({families.family_of(op).name for op in kinds}) == len(set(kinds.values()))
    # a details operation reads the tasks of the family whose kind it names
    for details, kind in _marked(provider, "x-details-of").items():
        readers = {f.name for f in families.reading(details)}
        assert {families.family_of(op).name for op, k in kinds.items() if k == kind} <= readers, details


def test_every_family_entry_is_complete() -> None:
    for entry in families.FAMILIES:
        for op in entry.creating:
            assert op.creates and op.valid is not None, op.id
        if entry.creating:
            assert entry.details is not None and entry.callbacks is not None, entry.name
            assert entry.callbacks.stages[-1] == "complete", entry.name
            status = entry.status
            assert status is not None and not set(status.order) & set(status.failures), entry.name
        for op in entry.operations:
            if op.needs is not None:
                families.family(op.needs)
            assert op.source, op.id


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_every_valid_body_of_the_table_keeps_every_rule(provider: str) -> None:
    source = families.Source("f" * 32, (families.Track("a" * 8, 0, 120.0, "https://example.com/a.mp3"),))
    for op in families.OPERATIONS.values():
        if op.valid is None:
            continue
        body = op.valid(provider, source, "https://example.com/cb")
        assert request_violations(provider, op.id, body) == [], (op.id, body)
        assert rules.stateful_violations(provider, op.id, body, 120.0) == [], op.id


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_every_required_field_dropped_alone_is_a_violation(provider: str) -> None:
    for op in families.OPERATIONS.values():
        if op.valid is None:
            continue
        body = op.valid(provider, None, "https://example.com/cb")
        assert rules.disputed_violations(provider, op.id, body) == [], (op.id, body)
        for field in op.fields(provider):
            if field.is_required(provider):
                without = {k: v for k, v in body.items() if k != field.name}
                found = request_violations(provider, op.id, without)
                disputed = rules.disputed_violations(provider, op.id, without)
                expected = [Violation(field.name, MISSING, "is required")]
                # a requirement the documents disagree on is reported apart (either answer is right)
                assert (disputed, found) == ((expected, []) if field.is_disputed(provider) else ([], expected)), (
                    op.id,
                    field.name,
                )


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_add_instrumental_title_limit_is_sunoapis(provider: str) -> None:
    # api-family.md 2.1 #5: title <= 100 on sunoapi's page (api.box shares it); kie states none.
    body = families.operation("add-instrumental").valid
    assert body is not None
    found = request_violations(provider, "add-instrumental", {**body(provider, None, CB), "title": "t" * 101})
    assert _fields(found) == ({"title"} if provider in ("sunoapi", "apibox") else set())


def test_sounds_tempo_may_be_null() -> None:
    # api-family.md 2.1 #9: soundTempo is "int | null".
    body = {"prompt": "rain", "model": "V5", "callBackUrl": CB}
    assert request_violations("kie", "generate-sounds", {**body, "soundTempo": None}) == []
    assert _fields(request_violations("kie", "generate-sounds", {**body, "soundTempo": 1.5})) == {"soundTempo"}
    assert _fields(request_violations("kie", "generate-sounds", {**body, "soundTempo": 301})) == {"soundTempo"}


@pytest.mark.parametrize("provider", ["kie", "sunoapi", "apibox", "apikley"])
def test_upload_extend_prompt_without_custom_parameters_is_disputed(provider: str) -> None:
    # suno-api.md 2.7 [SA-v1]: "only uploadUrl"; api-family.md 2.1 #4: the newer page "uploadUrl and prompt".
    body = {"uploadUrl": "https://example.com/a.mp3", "defaultParamFlag": False, "model": "V4_5", "callBackUrl": CB}
    assert request_violations(provider, "upload-extend", body) == []
    assert _fields(rules.disputed_violations(provider, "upload-extend", body)) == {"prompt"}
    assert rules.disputed_violations(provider, "upload-extend", {**body, "prompt": "p"}) == []
    # with the custom parameters the requirement is firm
    custom = {**body, "defaultParamFlag": True, "style": "s", "title": "t", "continueAt": 10, "instrumental": False}
    assert _fields(request_violations(provider, "upload-extend", custom)) == {"prompt"}


def test_upload_models_per_provider() -> None:
    # suno-api.md 2.6: apikley's upload-cover page lists V5_5 [APK-UC]; its generate page stops at V5.
    cover = {"uploadUrl": "https://example.com/a.mp3", "customMode": False, "instrumental": False, "prompt": "p"}
    assert request_violations("apikley", "upload-cover", {**cover, "model": "V5_5", "callBackUrl": CB}) == []
    assert _fields(request_violations("apikley", "generate-music", generate(model="V5_5"))) == {"model"}
    # 2.7 (G1, which api.box follows) lists no personaModel for upload-extend: an unknown field there
    extend = {"uploadUrl": "https://example.com/a.mp3", "defaultParamFlag": False, "model": "V4_5", "callBackUrl": CB}
    assert request_violations("apibox", "upload-extend", {**extend, "personaModel": 7}) == []
    assert _fields(request_violations("kie", "upload-extend", {**extend, "personaModel": 7})) == {"personaModel"}


def test_timestamped_lyrics_on_sunoapi_is_disputed() -> None:
    # the newest sunoapi page requires audioId; its G1 page takes audioId or musicIndex (api-family.md 2.2 #11)
    assert request_violations("sunoapi", "get-timestamped-lyrics", {"taskId": "t", "musicIndex": "x"}) == []
    disputed = rules.disputed_violations("sunoapi", "get-timestamped-lyrics", {"taskId": "t", "musicIndex": "x"})
    assert _fields(disputed) == {"audioId", "musicIndex"}
    assert _fields(request_violations("apibox", "get-timestamped-lyrics", {"taskId": "t", "musicIndex": "x"})) == {
        "musicIndex"
    }
    assert _fields(request_violations("kie", "get-timestamped-lyrics", {"taskId": "t"})) == {"audioId"}


def test_once_only_operations_and_their_repeat_answers() -> None:
    # 2.18 cover: once per music task, 400 or 409; 2.15 persona: once per audioId, 409; 2.11 WAV: 409 inferred
    once = {op.id: (op.once, op.repeat_codes) for op in families.OPERATIONS.values() if op.once}
    assert once == {
        "convert-to-wav": ("track", (200, 402, 409)),
        "generate-cover-image": ("task", (400, 409)),
        "generate-persona": ("track", (409,)),
    }


def test_conditional_requirements_of_new_families() -> None:
    body = {"taskId": "t", "audioId": "a", "callBackUrl": CB, "type": "split_stem_advanced"}
    assert request_violations("kie", "separate-vocals", body) == [
        Violation("stemName", MISSING, "is required when type is split_stem_advanced")
    ]
    assert request_violations("kie", "separate-vocals", {**body, "type": "split_stem"}) == []
    mashup = {"uploadUrlList": ["https://e.example/1.mp3"], "customMode": False, "model": "V4", "callBackUrl": CB}
    assert _fields(request_violations("sunoapi", "generate-mashup", mashup)) == {"uploadUrlList", "prompt"}
    assert request_violations(
        "kie",
        "generate-persona",
        {"taskId": "t", "audioId": "a", "name": "n", "description": "d", "vocalStart": 0, "vocalEnd": 31},
    ) == [Violation("vocalEnd - vocalStart", 31, "the analysed segment must be 10 to 30 seconds long")]


#: The mock's rule code: a contract check that used it would judge the mock by the mock.
MOCK_RULE_CODE = {
    "validation",
    "operations",
    "providers",
    "lifecycle",
    "payloads",
    "views",
    "spec",
    "state",
    "kind",
    "families",
    "tasks",
}
#: Modules that may start or answer from the mock (they judge nothing); every other module judges.
#: Named by concept: the first part of the path under ``contract/``, without ``_`` or ``.py``.
ANSWERERS = {
    "client",
    "readiness",
    "pytest_plugin",
    "setup",
    "pool",
    "handles",
    "live",
    "pytest_suite",
    "selftest",
    "runner",
}
#: What both sides use, not mock code: the bundled documents (the single source of truth for shapes),
#: the contract branch of the kit's one error tree (mockserver/_errors.py) and the one loopback test
#: (which targets the server suite may spend on freely; it judges nothing).
SHARED_WITH_THE_MOCK = {"mockserver.openapi", "mockserver._errors.ContractError", "mockserver._allowlist.is_loopback"}


def concept(name: str) -> str:
    """``_server`` and ``server.py`` and ``_server/run.py`` all name the concept ``server``."""
    return name.removesuffix(".py").lstrip("_")


def test_contract_package_never_imports_the_mock_rule_code() -> None:
    package = pathlib.Path(rules.__file__).parent
    modules = sorted(package.rglob("*.py"))
    concepts = {path: concept(path.relative_to(package).parts[0]) for path in modules}
    judges = [m for m in modules if concepts[m] not in ANSWERERS]
    # the scan covers the judging modules named in the README and the table, strategies included
    assert {"rules", "checks", "requests", "server", "strategies", "cli", "families"} <= {concepts[m] for m in judges}
    for path in modules:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [f"{node.module}.{a.name}" for a in node.names]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            mock = [n for n in names if n.split(".")[0] == "mockserver" and n not in SHARED_WITH_THE_MOCK]
            if path in judges:
                assert not mock, f"{path.name} judges servers or clients but imports {mock}"
            for name in mock:
                # the answering app and its plumbing may be used; its rules may not (private or not)
                parts = {concept(part) for part in name.split(".")[1:]}
                assert not parts & MOCK_RULE_CODE, f"{path.name} imports the mock's rules: {name}"


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_valid_generate_has_no_violations(provider: str) -> None:
    assert request_violations(provider, "generate-music", generate()) == []
    custom = generate(customMode=True, style="s", title="t" * 80, prompt="l" * 3000, model="V4")
    assert request_violations(provider, "generate-music", custom) == []


def test_generate_required_and_types() -> None:
    found = request_violations("kie", "generate-music", {"customMode": "yes"})
    assert _fields(found) >= {"instrumental", "model", "callBackUrl", "customMode"}
    assert Violation("model", MISSING, "is required") in found
    assert _fields(request_violations("kie", "generate-music", generate(prompt=MISSING))) == {"prompt"}
    assert _fields(request_violations("kie", "generate-music", generate(customMode=True))) == {"style", "title"}
    instrumental = generate(customMode=True, instrumental=True, style="s", title="t", prompt=MISSING)
    assert request_violations("kie", "generate-music", instrumental) == []


@pytest.mark.parametrize(
    ("provider", "model", "limit"),
    [("kie", "V5_5", 80), ("apikley", "V5", 80), ("apibox", "V5", 80), ("sunoapi", "V5", 100), ("sunoapi", "V4", 80)],
)
def test_title_limit_depends_on_provider_and_model(provider: str, model: str, limit: int) -> None:
    ok = generate(customMode=True, instrumental=True, style="s", model=model, title="t" * limit)
    assert request_violations(provider, "generate-music", ok) == []
    bad = {**ok, "title": "t" * (limit + 1)}
    assert request_violations(provider, "generate-music", bad) == [
        Violation("title", "t" * (limit + 1), f"must be at most {limit} characters long")
    ]


@pytest.mark.parametrize(("model", "prompt", "style"), [("V4", 3000, 200), ("V4_5", 5000, 1000), ("V5", 5000, 1000)])
def test_custom_lengths_depend_on_model(model: str, prompt: int, style: int) -> None:
    ok = generate(customMode=True, model=model, title="t", prompt="p" * prompt, style="s" * style)
    assert request_violations("kie", "generate-music", ok) == []
    bad = {**ok, "prompt": "p" * (prompt + 1), "style": "s" * (style + 1)}
    assert _fields(request_violations("kie", "generate-music", bad)) == {"prompt", "style"}


def test_non_custom_prompt_is_500() -> None:
    assert request_violations("kie", "generate-music", generate(prompt="p" * 500)) == []
    assert _fields(request_violations("kie", "generate-music", generate(prompt="p" * 501))) == {"prompt"}


@pytest.mark.parametrize(
    ("provider", "model", "ok"),
    [("kie", "V5_5", True), ("apikley", "V5_5", False), ("apibox", "V3_5", True), ("kie", "V3_5", False)],
)
def test_model_enum_per_provider(provider: str, model: str, ok: bool) -> None:
    assert (request_violations(provider, "generate-music", generate(model=model)) == []) is ok


@pytest.mark.parametrize(
    ("value", "ok"), [(0, True), (1, True), (0.01, True), (0.99, True), (-0.01, False), (1.01, False), (0.123, False)]
)
def test_weights_are_0_to_1_with_2_decimals(value: float, ok: bool) -> None:
    assert (request_violations("kie", "generate-music", generate(styleWeight=value)) == []) is ok


@pytest.mark.parametrize("url", ["ftp://x.example", "not a url", "http://", "https://a b.example", 7])
def test_callback_url_must_be_http_uri(url: object) -> None:
    assert _fields(request_violations("kie", "generate-music", generate(callBackUrl=url))) == {"callBackUrl"}


def test_extend_rules() -> None:
    base = {"defaultParamFlag": False, "audioId": "a", "model": "V4_5", "callBackUrl": CB}
    assert request_violations("kie", "extend-music", base) == []
    flagged = {**base, "defaultParamFlag": True}
    assert _fields(request_violations("kie", "extend-music", flagged)) == {"continueAt", "prompt", "style", "title"}
    full = {**flagged, "continueAt": 60.25, "prompt": "p", "style": "s", "title": "t" * 100}
    assert request_violations("kie", "extend-music", full) == []
    assert _fields(request_violations("kie", "extend-music", {**full, "model": "V4_5ALL"})) == {"title"}
    assert _fields(request_violations("kie", "extend-music", {**full, "continueAt": 0})) == {"continueAt"}
    assert _fields(request_violations("kie", "extend-music", {**full, "continueAt": 1.005})) == {"continueAt"}


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_replace_section_times(provider: str) -> None:
    assert request_violations(provider, "replace-section", replace(provider)) == []
    assert _fields(request_violations(provider, "replace-section", replace(provider, 10.0, 20.001))) == {"infillEndS"}
    assert _fields(request_violations(provider, "replace-section", replace(provider, -0.01, 10))) == {"infillStartS"}
    assert _fields(request_violations(provider, "replace-section", replace(provider, 20, 20))) == {"infillEndS"}
    assert _fields(request_violations(provider, "replace-section", replace(provider, 20, "30"))) == {"infillEndS"}


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_interval_rule_per_provider(provider: str) -> None:
    has_rule = provider in ("apikley", "sunoapi")
    assert (rules.interval_rule(provider) is not None) is has_rule
    for start, end, ok in [(10, 16, True), (10, 15.99, False), (10, 70, True), (10, 70.01, False), (0, 5.99, False)]:
        found = request_violations(provider, "replace-section", replace(provider, start, end))
        assert (found == []) is (ok or not has_rule), (start, end, found)
        if found:
            assert found[0].field == "infillEndS - infillStartS"
            assert "between 6 and 60 seconds" in found[0].rule


def test_track_selector() -> None:
    assert rules.track_selector("apibox") == "musicIndex"
    found = request_violations("apibox", "replace-section", replace("apibox", musicIndex=MISSING, audioId="a"))
    assert found == [Violation("musicIndex", MISSING, "is required (did you mean musicIndex instead of audioId?)")]
    sent_style = {k: v for k, v in replace("kie").items() if k != "tags"} | {"style": "jazz"}
    assert request_violations("kie", "replace-section", sent_style) == [
        Violation("tags", MISSING, "is required (did you mean tags instead of style?)")
    ]
    assert _fields(request_violations("apibox", "replace-section", replace("apibox", musicIndex=-1))) == {"musicIndex"}
    assert _fields(request_violations("apibox", "replace-section", replace("apibox", musicIndex="0"))) == {"musicIndex"}
    assert _fields(request_violations("kie", "replace-section", replace("kie", audioId=MISSING))) == {"audioId"}


@pytest.mark.parametrize(
    ("provider", "typed"), [("kie", True), ("apikley", True), ("sunoapi", False), ("apibox", False)]
)
def test_full_lyrics_typed_where_documented(provider: str, typed: bool) -> None:
    found = request_violations(provider, "replace-section", replace(provider, fullLyrics=5))
    assert (found != []) is typed


def test_unknown_fields_and_non_objects() -> None:
    assert request_violations("kie", "generate-music", generate(somethingElse=[1, 2])) == []
    assert request_violations("kie", "generate-music", None) == [
        Violation("body", MISSING, "is required (a JSON object)")
    ]
    not_an_object: Any = [1]
    assert request_violations("kie", "generate-music", not_an_object) == [
        Violation("body", [1], "must be a JSON object")
    ]


def test_queries() -> None:
    assert request_violations("kie", "get-music-details", query={"taskId": "abc"}) == []
    assert _fields(request_violations("kie", "get-music-details", query={})) == {"taskId"}
    assert _fields(request_violations("kie", "get-music-details", query={"taskId": ""})) == {"taskId"}
    assert request_violations("kie", "get-remaining-credits") == []


def test_timestamped_lyrics_selector() -> None:
    assert _fields(request_violations("kie", "get-timestamped-lyrics", {"taskId": "t"})) == {"audioId"}
    assert request_violations("sunoapi", "get-timestamped-lyrics", {"taskId": "t"}) == []
    assert _fields(request_violations("apibox", "get-timestamped-lyrics", {"taskId": "t", "musicIndex": 2})) == {
        "musicIndex"
    }


def test_replace_section_stateful_rules() -> None:
    body = replace("kie", 10.0, 70.0)
    assert replace_section_violations("kie", body, 120.0) == []
    over = replace_section_violations("kie", replace("kie", 10.0, 70.01), 120.0)
    assert [v.field for v in over] == ["infillEndS - infillStartS"]
    assert "50%" in over[0].rule
    outside = replace_section_violations("kie", replace("kie", 90.0, 100.01), 100.0)
    assert [v.field for v in outside] == ["infillEndS"]


def test_unknown_provider_and_operation_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        request_violations("suno", "generate-music", {})
    with pytest.raises(ValueError, match="unknown operationId"):
        request_violations("kie", "lyrics", {})


def _without_family(spec: dict[str, Any], *operation_ids: str) -> dict[str, Any]:
    """A copy of ``spec`` whose paths declare none of ``operation_ids``."""
    out = dict(spec)
    out["paths"] = {
        path: item
        for path, item in spec["paths"].items()
        if not any(isinstance(op, dict) and op.get("operationId") in operation_ids for op in item.values())
    }
    return out


def test_a_family_a_spec_declares_is_planned_without_code_changes() -> None:
    # A spec without Convert to WAV plans nothing of the family ...
    wav_ids = ("convert-to-wav", "get-wav-details")
    spec = _without_family(openapi.load_spec("kie"), *wav_ids)
    assert not set(wav_ids) & set(families.served(spec))
    assert set(families.served(openapi.load_spec("kie"))) - set(families.served(spec)) == set(wav_ids)
    # ... and one that declares it, with nothing but the operation ids, gets it from the table alone.
    spec["paths"]["/api/v1/wav/generate"] = {"post": {"operationId": "convert-to-wav", "x-job-kind": "wav"}}
    spec["paths"]["/api/v1/wav/record-info"] = {"get": {"operationId": "get-wav-details", "x-details-of": "wav"}}
    served = families.served(spec)
    assert {"convert-to-wav", "get-wav-details"} <= set(served)
    wav = families.family_of("convert-to-wav")
    assert wav.details is not None and wav.details.id == "get-wav-details"
    status = wav.status_for("kie")
    assert status is not None and (status.field, status.success) == ("successFlag", "SUCCESS")
    assert status.is_terminal("GENERATE_WAV_FAILED") and not status.is_terminal("PENDING")
    assert wav.callbacks is not None and wav.callbacks.stage({"code": 200, "msg": "success", "data": {}}) == "complete"
    probes = derived_probes("kie", "convert-to-wav", None)
    assert {"convert-to-wav: taskId is required", "convert-to-wav: audioId is required"} <= {p.rule for p in probes}
    assert [p.rule for p in derived_probes("kie", "get-wav-details", None)][:2] == [
        "get-wav-details: a valid query is accepted",
        "get-wav-details: taskId is required",
    ]
    # the operations' own rules come with them: once per track, a repeat answers 409 (or converts again)
    convert = families.operation("convert-to-wav")
    assert convert.once == "track" and 409 in convert.repeat_codes


def test_status_flavours_and_orders() -> None:
    cover = families.family("cover")
    sunoapi, apikley = cover.status_for("sunoapi"), cover.status_for("apikley")
    assert sunoapi is not None and sunoapi.flavour == "integer" and sunoapi.success == 1
    assert sunoapi.rank(2) < sunoapi.rank(1)  # 0 pending -> 2 generating -> 1 success
    assert apikley is not None and apikley.flavour == "string"
    midi = families.family("midi").status_for("kie")
    assert midi is not None and midi.terminal == (1, 2, 3) and midi.rank(True) == -1  # True is not the integer 1
