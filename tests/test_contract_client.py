"""The client conformance kit: router (contract._client), strategies, ready check.

The sloppy example client must be caught for each of its mistakes; the correct one must pass.
Response and callback strategies are checked, property-based, against the bundled documents
with jsonschema (not with any code of the kit or the mock).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import warnings
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from contract import _families as families
from contract import _rules as rules
from contract._client import BASE_URLS, DEFAULT_POLL_STEP, suno_router
from contract._readiness import Verdict, check_client
from contract._violations import ContractViolation, NoRequestSeen, RequestBudgetExceeded
from contract.strategies import (
    FAILURE_STATUSES,
    build_details,
    build_response,
    callback_payloads,
    details_data,
    documented_codes,
    record_info_data,
    responses,
)
from mockserver import create_app, openapi
from mockserver._errors import ConfigError
from tests import examples_clients as ex

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Searching for a failing example: no shrinking (slow on large payloads), no example database.
NO_SHRINK = settings(max_examples=300, deadline=None, database=None, phases=[Phase.generate])

# ------------------------------------------------------------------------------------------------
# A validator straight from the bundled documents
# ------------------------------------------------------------------------------------------------

_VALIDATORS: dict[tuple[str, str], Draft202012Validator] = {}


def _validator(provider: str, pointer: str) -> Draft202012Validator:
    key = (provider, pointer)
    if key not in _VALIDATORS:
        spec = openapi.load_spec(provider)
        registry = Registry().with_resource("urn:spec", Resource.from_contents(spec, DRAFT202012))
        _VALIDATORS[key] = Draft202012Validator({"$ref": f"urn:spec#{pointer}"}, registry=registry)
    return _VALIDATORS[key]


def _response_pointer(provider: str, operation_id: str, http_status: int) -> str:
    spec = openapi.load_spec(provider)
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                response = op["responses"][str(http_status)]
                if "$ref" in response:
                    return str(response["$ref"][1:]) + "/content/application~1json/schema"
                escaped = path.replace("~", "~0").replace("/", "~1")
                return f"/paths/{escaped}/{method}/responses/{http_status}/content/application~1json/schema"
    raise AssertionError(f"{provider} has no {operation_id}")


def assert_valid(provider: str, pointer: str, instance: Any) -> None:
    errors = sorted(_validator(provider, pointer).iter_errors(instance), key=str)
    assert not errors, f"{pointer}: {errors[0].message} at {list(errors[0].absolute_path)} in {instance!r}"


#: Every operation each bundled document serves, with both documented HTTP answers.
CASES = [(p, op, status) for p in openapi.PROVIDERS for op in rules.OPERATIONS[p] for status in (200, 500)]


def _callback_pointer(provider: str, operation_id: str) -> str:
    """The body schema of the callback the creating operation declares, found in the document itself."""
    spec = openapi.load_spec(provider)
    for item in spec["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                node = next(iter(op["callbacks"].values()))
                ref = node["$ref"]
                expression = next(iter(spec["components"]["callbacks"][ref.rsplit("/", 1)[1]]))
                escaped = expression.replace("~", "~0").replace("/", "~1")
                return f"{ref[1:]}/{escaped}/post/requestBody/content/application~1json/schema"
    raise AssertionError(f"{provider} has no {operation_id}")


#: Every creating operation each document serves, whose callbacks the strategies draw.
CALLBACK_CASES = [(p, op) for p in openapi.PROVIDERS for op in rules.OPERATIONS[p] if op in rules.CREATING]
#: Every details operation each document serves, with each state its family documents there.
DETAILS_CASES = [
    (p, op, state)
    for p in openapi.PROVIDERS
    for op in rules.OPERATIONS[p]
    for family in families.reading(op)[:1]
    for status in [family.status_for(p)]
    if status is not None and not status.in_code  # Recovery's status is the top-level code (its own tests)
    for state in (*status.order, *status.failures)
]

# ------------------------------------------------------------------------------------------------
# Strategies
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "operation_id", "http_status"), CASES)
def test_every_drawn_response_validates_against_the_spec(provider: str, operation_id: str, http_status: int) -> None:
    pointer = _response_pointer(provider, operation_id, http_status)

    @PROPERTY
    @given(responses(provider, operation_id, http_status=http_status))
    def check(answer: Any) -> None:
        assert answer.http_status == http_status
        assert_valid(provider, pointer, answer.body)
        assert answer.to_httpx().json() == answer.body

    check()


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_every_documented_code_has_a_valid_deterministic_answer(provider: str) -> None:
    for operation_id in rules.OPERATIONS[provider]:
        for http_status, code in documented_codes(provider, operation_id):
            answer = build_response(provider, operation_id, code, http_status=http_status)
            assert (answer.http_status, answer.code) == (http_status, code)
            assert_valid(provider, _response_pointer(provider, operation_id, http_status), answer.body)


def test_responses_cover_each_documented_code() -> None:
    seen: set[tuple[int, int]] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(responses("kie", "generate-music"))
    def collect(answer: Any) -> None:
        seen.add((answer.http_status, answer.code))

    collect()
    assert seen == set(documented_codes("kie", "generate-music"))


def test_responses_refuse_an_undocumented_code() -> None:
    with pytest.raises(ValueError, match="409"):
        responses("kie", "get-music-details", code=409)  # record-info documents no 409
    with pytest.raises(ValueError, match="no documented answer with code 402 in HTTP 200"):
        responses("kie", "get-music-details", code=402, http_status=200)  # 402 only in its HTTP 500 answer


@pytest.mark.parametrize("status", [*FAILURE_STATUSES, "PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS"])
def test_record_info_data_validates_and_follows_the_state(status: str) -> None:
    @PROPERTY
    @given(record_info_data("kie", status))
    def check(data: dict[str, Any]) -> None:
        assert_valid("kie", "/components/schemas/RecordInfo", data)
        assert data["status"] == status
        tracks = data["response"]["sunoData"]
        if status == "SUCCESS":
            assert tracks and all(t["audioUrl"] and t["duration"] is not None for t in tracks)
        elif status == "FIRST_SUCCESS":
            assert tracks[0]["audioUrl"] and all(t["audioUrl"] == "" for t in tracks[1:])
        elif status in ("PENDING", "TEXT_SUCCESS"):
            assert tracks == []
        if status not in FAILURE_STATUSES:
            assert data["errorCode"] is None

    check()


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
@pytest.mark.parametrize(
    ("operation", "pointer"),
    [("generate", "/components/schemas/MusicCallback"), ("replace-section", "/components/schemas/ReplaceCallback")],
)
def test_every_callback_payload_validates(provider: str, operation: str, pointer: str) -> None:
    @settings(max_examples=150, deadline=None)
    @given(callback_payloads(operation, provider=provider))
    def check(payload: dict[str, Any]) -> None:
        assert_valid(provider, pointer, payload)

    check()


@pytest.mark.parametrize(("provider", "operation_id"), CALLBACK_CASES)
def test_every_callback_of_every_family_validates(provider: str, operation_id: str) -> None:
    pointer = _callback_pointer(provider, operation_id)
    family = families.family_of(operation_id)
    callbacks = family.callbacks
    assert callbacks is not None

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(callback_payloads(operation_id, provider=provider))
    def check(payload: dict[str, Any]) -> None:
        assert_valid(provider, pointer, payload)
        # the contract's table reads the stage and (on the documented key) the task id
        assert callbacks.stage(payload) in (*callbacks.stages, "error")
        if family.name != "midi":  # MIDI: task_id beside code (pages) or data.taskId (a client)
            assert isinstance(callbacks.task_id(payload, provider), str), payload

    check()


@pytest.mark.parametrize(("provider", "operation_id", "state"), DETAILS_CASES)
def test_details_of_every_family_validate_and_show_their_state(provider: str, operation_id: str, state: Any) -> None:
    family = families.reading(operation_id)[0]
    status = family.status_for(provider)
    assert status is not None
    pointer = _response_pointer(provider, operation_id, 200)

    def judge(data: dict[str, Any]) -> None:
        assert_valid(provider, pointer, {"code": 200, "msg": "success", "data": data})
        assert data[status.field] == state
        if family.record_check is not None:  # what the contract's table says the state shows
            assert family.record_check(data, state, None) is None, data

    judge(build_details(provider, operation_id, "5c79b2e8a1f34d6b9c0e7a1d2f3b4e8e", state))

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(details_data(provider, operation_id, state))
    def check(data: dict[str, Any]) -> None:
        judge(data)

    check()


def test_details_data_refuses_an_undocumented_state() -> None:
    with pytest.raises(ValueError, match="not documented"):
        details_data("kie", "get-wav-details", "GENERATE_AUDIO_FAILED")  # separation's, not WAV's
    with pytest.raises(ValueError, match="not documented"):
        details_data("apikley", "get-cover-image-details", 1)  # apikley's page lists strings
    with pytest.raises(ValueError, match="not a details operation"):
        details_data("kie", "convert-to-wav")


@pytest.mark.parametrize(
    ("operation", "provider", "quirk"),
    [
        ("lyrics", "sunoapi", lambda p: "taskId" in p["data"] and "task_id" not in p["data"]),
        ("lyrics", "kie", lambda p: p["code"] == 200 and "error_message" in p["data"]["data"][0]),
        ("wav", "kie", lambda p: "audio_wav_url" in p["data"]),
        ("wav", "sunoapi", lambda p: p["code"] != 200 and p["data"]["audioWavUrl"] is None),
        ("separation", "sunoapi", lambda p: p["code"] == 200 and "vocal_removal_info" in p["data"]),
        ("separation", "kie", lambda p: p["code"] == 200 and "vocal_separation_info" in p["data"]),
        ("separation", "kie", lambda p: "origin_data" in (p["data"].get("vocal_removal_info") or {})),
        ("midi", "kie", lambda p: "task_id" in p),
        ("midi", "kie", lambda p: "task_id" not in p and "taskId" in p["data"]),
        ("video", "kie", lambda p: p["code"] != 200 and p["data"]["video_url"] is None),
        ("cover", "sunoapi", lambda p: p["code"] == 501 and p["data"]["images"] is None),
    ],
)
def test_family_callbacks_reach_the_documented_quirks(operation: str, provider: str, quirk: Any) -> None:
    assert _reaches(callback_payloads(operation, provider=provider), quirk)


def test_details_reach_epoch_ms_and_provider_flags() -> None:
    assert _reaches(details_data("kie", "get-wav-details", "SUCCESS"), lambda d: isinstance(d["createTime"], int))
    assert _reaches(details_data("kie", "get-midi-details", 1), lambda d: d["midiData"]["instruments"] == [])
    assert _reaches(
        details_data("kie", "get-midi-details", 1),
        lambda d: any(isinstance(n["start"], str) for i in d["midiData"]["instruments"] for n in i["notes"]),
    )
    assert _reaches(details_data("apikley", "get-cover-image-details"), lambda d: d["successFlag"] == "PENDING")
    assert _reaches(details_data("sunoapi", "get-cover-image-details"), lambda d: d["successFlag"] == 2)


class _Found(Exception):
    pass


def _reaches(strategy: st.SearchStrategy[Any], predicate: Any) -> bool:
    """Whether the strategy draws a value with the property (stops at the first one, no shrinking)."""

    @NO_SHRINK
    @given(strategy)
    def search(value: Any) -> None:
        if predicate(value):
            raise _Found

    try:
        search()
    except _Found:
        return True
    return False


@pytest.mark.parametrize(
    ("stage", "quirk"),
    [
        ("text", lambda p: p["data"]["data"] is None),
        ("text", lambda p: p["data"]["data"] == []),
        ("first", lambda p: isinstance(p["data"]["data"][0]["createTime"], int)),
        ("first", lambda p: len(p["data"]["data"]) == 2 and p["data"]["data"][1]["audio_url"] == ""),
        ("complete", lambda p: isinstance(p["data"]["data"][0]["createTime"], str)),
        ("complete", lambda p: "source_audio_url" not in p["data"]["data"][0]),
        ("error", lambda p: "error" in p["data"] and "data" not in p["data"]),
        ("error", lambda p: p["data"].get("data", 0) is None),
        ("error", lambda p: p["data"].get("data") == []),
    ],
)
def test_callback_strategies_reach_the_documented_quirks(stage: str, quirk: Any) -> None:
    assert _reaches(callback_payloads("generate", stage), quirk)


def test_record_info_reaches_epoch_ms_and_null_error_fields() -> None:
    assert _reaches(
        record_info_data("kie", "SUCCESS"), lambda d: isinstance(d["response"]["sunoData"][0]["createTime"], int)
    )
    assert _reaches(record_info_data("kie", "GENERATE_AUDIO_FAILED"), lambda d: d["errorCode"] is None)


def test_callback_payloads_refuse_unknown_stage_and_operation() -> None:
    with pytest.raises(ValueError, match="complete, error"):
        callback_payloads("replace-section", "text")
    with pytest.raises(ValueError, match="no documented callbacks"):
        callback_payloads("get-music-details")


# ------------------------------------------------------------------------------------------------
# Property tests of handlers: the correct parsers pass, the sloppy ones are caught
# ------------------------------------------------------------------------------------------------


@PROPERTY
@given(record_info_data("kie", "SUCCESS"))
def test_correct_parser_reads_every_documented_success(data: dict[str, Any]) -> None:
    tracks = ex.parse_tracks(data)
    assert [t.audio_url for t in tracks] == [t["audioUrl"] for t in data["response"]["sunoData"]]
    assert all(isinstance(t.created, dt.datetime) for t in tracks)


@PROPERTY
@given(callback_payloads("generate"))
def test_correct_callback_handler_accepts_every_payload(payload: dict[str, Any]) -> None:
    if payload["code"] != 200:
        with pytest.raises(ex.SunoError):
            ex.handle_callback(payload)
    else:
        assert all(url for url in ex.handle_callback(payload))


def test_strategies_catch_the_sloppy_parser_crashing_on_epoch_ms() -> None:
    @NO_SHRINK
    @given(record_info_data("kie", "SUCCESS"))
    def check(data: dict[str, Any]) -> None:
        ex.sloppy_parse_tracks(data)

    with pytest.raises(TypeError, match="strptime"):
        check()


def test_strategies_catch_the_sloppy_parser_reading_snake_case() -> None:
    @NO_SHRINK
    @given(
        record_info_data("kie", "SUCCESS").filter(
            lambda d: all(isinstance(t["createTime"], str) for t in d["response"]["sunoData"])
        )
    )
    def check(data: dict[str, Any]) -> None:
        tracks = ex.sloppy_parse_tracks(data)
        assert [t.audio_url for t in tracks] == [t["audioUrl"] for t in data["response"]["sunoData"]]

    with pytest.raises(AssertionError):
        check()


def test_strategies_catch_the_sloppy_callback_handler() -> None:
    @NO_SHRINK
    @given(callback_payloads("generate"))
    def check(payload: dict[str, Any]) -> None:
        ex.sloppy_handle_callback(payload)

    with pytest.raises((TypeError, KeyError)):
        check()


# ------------------------------------------------------------------------------------------------
# The router
# ------------------------------------------------------------------------------------------------


def _raised(excinfo: pytest.ExceptionInfo[ContractViolation]) -> set[tuple[str, Any]]:
    return {(v.field, v.value) for v in excinfo.value.violations}


def test_correct_client_passes_the_router_end_to_end() -> None:
    with suno_router("kie", create_app("kie", seed=1)) as router:
        client = ex.CorrectClient("test-key")
        task = router.seed_task([120.0, 100.0])
        task_id = client.generate("neon rain")
        assert len(task_id) == 32
        with router.forced(status=["PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS"]):
            tracks = client.wait(task_id)
        assert len(tracks) == 2
        assert client.replace_section(task.id, task.tracks[0].id, 10.004, 40.0, "new words")
        assert client.credits() >= 0
    assert router.violations == []
    assert router.operations_called[:2] == ["generate-music", "get-music-details"]


async def test_async_client_passes_the_router() -> None:
    async with suno_router("kie") as router:
        client = ex.AsyncCorrectClient("test-key")
        async with client.http:
            task_id = await client.generate("neon rain")
            with router.forced(status=["PENDING", "SUCCESS"], create_time="epoch_ms"):
                tracks = await client.wait(task_id)
    assert len(tracks) == 2
    assert router.violations == []


async def test_async_client_violation_raises_at_the_call() -> None:
    async with suno_router("kie") as router:
        async with httpx.AsyncClient() as http:
            with pytest.raises(ContractViolation) as excinfo:
                await http.get(f"{BASE_URLS['kie']}/api/v1/chat/credit")
        router.violations.clear()
    assert _raised(excinfo) == {("Authorization", rules.MISSING)}


def test_sloppy_replace_section_string_and_three_decimals_are_caught_at_the_call() -> None:
    with suno_router("kie") as router:
        task = router.seed_task([120.0, 100.0])
        client = ex.SloppyClient("test-key")
        with pytest.raises(ContractViolation) as excinfo:
            client.replace_section(task.id, task.tracks[0].id, 10.5, 40.123, "new words")
        router.violations.clear()
    found = {v.field: v for v in excinfo.value.violations}
    assert found["infillStartS"].value == "10.5"
    assert found["infillStartS"].rule == "must be a number"
    assert found["infillEndS"].value == 40.123
    assert "2 decimal places" in found["infillEndS"].rule
    assert "infillStartS: must be a number (got '10.5')" in str(excinfo.value)


def test_sloppy_missing_authorization_is_caught() -> None:
    with suno_router("kie") as router:
        with pytest.raises(ContractViolation) as excinfo:
            ex.SloppyClient("test-key").details("5c79b2e8a1f34d6b9c0e7a1d2f3b4e8e")
        router.violations.clear()
    assert _raised(excinfo) == {("Authorization", rules.MISSING)}
    assert "Bearer <API key>" in str(excinfo.value)


def test_sloppy_audio_id_on_apibox_is_caught() -> None:
    with suno_router("apibox") as router:
        task = router.seed_task([120.0, 100.0])
        client = ex.SloppyClient("test-key", BASE_URLS["apibox"], provider="apibox")
        with pytest.raises(ContractViolation) as excinfo:
            client.replace_section(task.id, task.tracks[0].id, 10.0, 40.0, "new words")
        router.violations.clear()
    assert ("musicIndex", rules.MISSING) in _raised(excinfo)


def test_correct_client_on_apibox_uses_music_index() -> None:
    with suno_router("apibox") as router:
        task = router.seed_task([120.0, 100.0])
        client = ex.CorrectClient("test-key", BASE_URLS["apibox"], provider="apibox")
        assert client.replace_section(task.id, 1, 10.0, 40.0, "new words")
        assert client.credits() >= 0
    assert router.violations == []


def test_replace_section_fifty_percent_rule_uses_the_known_duration() -> None:
    with suno_router("kie") as router:
        task = router.seed_task([120.0, 100.0])
        client = ex.CorrectClient("test-key")
        with pytest.raises(ContractViolation) as excinfo:
            client.replace_section(task.id, task.tracks[1].id, 10.0, 70.0, "too long")  # 60 s of 100 s
        router.violations.clear()
    assert [v.field for v in excinfo.value.violations] == ["infillEndS - infillStartS"]
    assert "50%" in excinfo.value.violations[0].rule


def test_durations_are_learned_from_record_info_answers() -> None:
    with suno_router("kie") as router:
        client = ex.CorrectClient("test-key")
        with router.forced(status="SUCCESS"):
            details = client.details("5c79b2e8a1f34d6b9c0e7a1d2f3b4e8e")
        audio_id = details["response"]["sunoData"][0]["id"]
        with pytest.raises(ContractViolation, match="within the track's duration"):
            client.replace_section(details["taskId"], audio_id, 150.0, 190.0, "past the end")  # 180 s track
        router.violations.clear()


def test_swallowed_violation_fails_at_teardown() -> None:
    client = ex.SloppyClient("test-key")
    # a client that hides every error: the violation still fails the test when the router exits
    with (
        pytest.raises(ContractViolation, match="recorded during the test") as excinfo,
        suno_router("kie"),
        contextlib.suppress(Exception),
    ):
        client.details("5c79b2e8a1f34d6b9c0e7a1d2f3b4e8e")
    assert _raised(excinfo) == {("Authorization", rules.MISSING)}


def test_non_strict_router_lets_the_mock_answer_and_fails_at_teardown() -> None:
    answers = []
    with pytest.raises(ContractViolation) as excinfo, suno_router("kie", strict=False):  # noqa: PT012
        http = httpx.Client(base_url=BASE_URLS["kie"], headers={"Authorization": "Bearer k"})
        answers.append(http.post("/api/v1/generate", json={"customMode": False}).json())
    assert answers[0]["code"] == 422  # the mock's own answer
    assert {v.field for v in excinfo.value.violations} >= {"instrumental", "model", "callBackUrl", "prompt"}


def test_unknown_path_and_wrong_method_are_violations() -> None:
    with suno_router("kie") as router:
        http = httpx.Client(base_url=BASE_URLS["kie"], headers={"Authorization": "Bearer k"})
        with pytest.raises(ContractViolation, match="is not an operation of kie"):
            http.get("/api/v1/generate/credit")  # sunoapi's credits path
        with pytest.raises(ContractViolation, match="must be called with POST"):
            http.get("/api/v1/generate")
        router.violations.clear()


def test_wrong_auth_scheme_and_content_type_are_violations() -> None:
    with suno_router("kie") as router:
        http = httpx.Client(base_url=BASE_URLS["kie"], headers={"Authorization": "Token k"})
        with pytest.raises(ContractViolation) as excinfo:
            http.post(
                "/api/v1/generate/get-timestamped-lyrics", content=b"taskId=x", headers={"Content-Type": "text/plain"}
            )
        router.violations.clear()
    fields = {v.field for v in excinfo.value.violations}
    assert {"Authorization", "Content-Type", "body"} <= fields


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_forced_codes_are_documented_answers(provider: str) -> None:
    with suno_router(provider) as router:
        http = httpx.Client(base_url=BASE_URLS[provider], headers={"Authorization": "Bearer k"})
        for http_status, code in documented_codes(provider, "get-music-details"):
            with router.forced(code=code, http_status=http_status):
                answer = http.get("/api/v1/generate/record-info", params={"taskId": "abc"})
            assert answer.status_code == http_status
            assert answer.json()["code"] == code
            assert_valid(provider, _response_pointer(provider, "get-music-details", http_status), answer.json())


def test_force_times_and_status_sequence() -> None:
    with suno_router("kie") as router:
        http = httpx.Client(base_url=BASE_URLS["kie"], headers={"Authorization": "Bearer k"})
        router.force(code=429, times=1)
        assert http.get("/api/v1/chat/credit").json()["code"] == 429
        assert http.get("/api/v1/chat/credit").json()["code"] == 200  # the mock again
        router.force(status=["PENDING", "GENERATE_AUDIO_FAILED"])
        states = [http.get("/api/v1/generate/record-info", params={"taskId": "t1"}).json()["data"] for _ in range(3)]
        assert [d["status"] for d in states] == ["PENDING", "GENERATE_AUDIO_FAILED", "GENERATE_AUDIO_FAILED"]
        assert all(d["taskId"] == "t1" for d in states)
        router.clear_forces()


def test_force_refuses_undocumented_choices() -> None:
    with suno_router("kie", expect_requests=False) as router:
        with pytest.raises(ValueError, match="not documented"):
            router.force(code=409, operation="get-music-details")
        with pytest.raises(ValueError, match="not documented"):
            router.force(status="FAILED")
    with suno_router("apibox", expect_requests=False) as router, pytest.raises(ValueError, match="no operation"):
        router.force(code=402, operation="boost-music-style")  # in the table, not in api.box's document


@pytest.mark.parametrize(
    ("operation", "state"),
    [("get-wav-details", "GENERATE_WAV_FAILED"), ("get-cover-image-details", 3), ("get-lyrics-details", "SUCCESS")],
)
def test_forced_states_of_other_families_are_documented_answers(operation: str, state: Any) -> None:
    path = next(p for op, (_, p) in rules.OPERATIONS["kie"].items() if op == operation)
    with suno_router("kie") as router:
        http = httpx.Client(base_url=BASE_URLS["kie"], headers={"Authorization": "Bearer k"})
        with router.forced(status=state, operation=operation):
            answer = http.get(path, params={"taskId": "t1"}).json()
    assert_valid("kie", _response_pointer("kie", operation, 200), answer)
    family = families.reading(operation)[0]
    assert family.status is not None
    assert answer["data"][family.status.field] == state and answer["data"]["taskId"] == "t1"


def test_a_rule_the_documents_disagree_on_binds_the_client() -> None:
    # upload-extend without prompt (defaultParamFlag false): only one sunoapi page requires it, so a
    # server may accept it, but a client must send it to work against every reading.
    body = {"uploadUrl": "https://example.com/a.mp3", "defaultParamFlag": False, "model": "V4_5"}
    with suno_router("kie") as router:
        http = httpx.Client(base_url=BASE_URLS["kie"], headers={"Authorization": "Bearer k"})
        with pytest.raises(ContractViolation, match="the documents disagree"):
            http.post("/api/v1/generate/upload-extend", json={**body, "callBackUrl": "https://example.com/cb"})
        router.violations.clear()


def test_request_budget_stops_an_endless_poll() -> None:
    with suno_router("kie", max_requests=5) as router:
        client = ex.SloppyClient("test-key")
        client.http.headers["Authorization"] = "Bearer test-key"
        router.force(status="GENERATE_AUDIO_FAILED")
        with pytest.raises(RequestBudgetExceeded, match="more than 5 requests"):
            client.wait("5c79b2e8a1f34d6b9c0e7a1d2f3b4e8e")
    assert router.operations_called == ["get-music-details"] * 5


def test_other_hosts_are_not_let_through() -> None:
    with suno_router("kie", expect_requests=False), pytest.raises(Exception, match="not mocked"):
        httpx.get("https://example.com/")


def test_router_answers_from_a_given_app() -> None:
    app = create_app("sunoapi", seed=7, credits=3)
    with suno_router("sunoapi", app):
        http = httpx.Client(base_url=BASE_URLS["sunoapi"], headers={"Authorization": "Bearer k"})
        assert http.get("/api/v1/generate/credit").json()["data"] == 3


# ------------------------------------------------------------------------------------------------
# The poll step: a polling client's reads move a virtual clock
# ------------------------------------------------------------------------------------------------

SONG = {"customMode": False, "instrumental": True, "model": "V5", "prompt": "rain", "callBackUrl": "https://e.com/cb"}


def _poll(http: httpx.Client, task_id: str, reads: int = 200) -> list[str]:
    """A plain polling loop: record-info until SUCCESS, bounded by count (no clock control, no sleep)."""
    seen: list[str] = []
    for _ in range(reads):
        seen.append(http.get("/api/v1/generate/record-info", params={"taskId": task_id}).json()["data"]["status"])
        if seen[-1] == "SUCCESS":
            break
    return seen


def test_a_polling_client_finishes_under_the_default_router_each_read_moving_the_clock_after_its_answer() -> None:
    with suno_router("kie") as router:
        assert router.poll_step == DEFAULT_POLL_STEP == 5.0
        http = httpx.Client(base_url=router.base_url, headers={"Authorization": "Bearer k"})
        app: Any = router.app
        task_id = http.post("/api/v1/generate", json=SONG).json()["data"]["taskId"]
        start = app.state.now()
        seen = _poll(http, task_id)
        assert seen[0] == "PENDING" and seen[-1] == "SUCCESS"  # the first read answers before the clock moves
        assert {"TEXT_SUCCESS", "FIRST_SUCCESS"} <= set(seen)
        assert app.state.now() - start == router.polled_s == 5.0 * len(seen)
        assert app.status(task_id) == "SUCCESS"


async def test_an_async_polling_client_finishes_too_and_other_families_details_reads_move_the_clock() -> None:
    async with suno_router("kie") as router:
        app: Any = router.app
        async with httpx.AsyncClient(base_url=router.base_url, headers={"Authorization": "Bearer k"}) as http:
            task_id = (await http.post("/api/v1/generate", json=SONG)).json()["data"]["taskId"]
            for _ in range(200):
                record = await http.get("/api/v1/generate/record-info", params={"taskId": task_id})
                if record.json()["data"]["status"] == "SUCCESS":
                    break
            assert record.json()["data"]["status"] == "SUCCESS"
            before = app.state.now()
            wav = next(p for op, (_, p) in rules.OPERATIONS["kie"].items() if op == "get-wav-details")
            await http.get(wav, params={"taskId": task_id})  # another family's details read
            assert app.state.now() - before == 5.0
            await http.get("/api/v1/chat/credit")  # not a details read
            assert app.state.now() - before == 5.0


def test_poll_step_0_never_moves_the_clock_and_a_forced_read_does_not_either() -> None:
    with suno_router("kie", poll_step=0) as router:
        http = httpx.Client(base_url=router.base_url, headers={"Authorization": "Bearer k"})
        app: Any = router.app
        task_id = http.post("/api/v1/generate", json=SONG).json()["data"]["taskId"]
        start = app.state.now()
        assert _poll(http, task_id, reads=50) == ["PENDING"] * 50
        assert app.state.now() == start and router.polled_s == 0
    with suno_router("kie", poll_step=10) as router:
        http = httpx.Client(base_url=router.base_url, headers={"Authorization": "Bearer k"})
        app = router.app
        start = app.state.now()
        with router.forced(code=429, operation="get-music-details"):
            assert http.get("/api/v1/generate/record-info", params={"taskId": "t1"}).json()["code"] == 429
        assert app.state.now() == start


def test_a_poll_step_is_a_number_of_mock_seconds_on_a_virtual_clock() -> None:
    assert suno_router("kie", create_app("kie", time_scale=1000)).poll_step == 0  # time moves by itself there
    for bad in (-1, "soon", float("nan"), True):
        with pytest.raises(ConfigError, match=rf"poll_step={bad!r} is not allowed: use a number of mock seconds >= 0"):
            suno_router("kie", poll_step=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"poll_step=5 needs an app with a virtual clock.*pass poll_step=0"):
        suno_router("kie", create_app("kie", time_scale=1000), poll_step=5)


# ------------------------------------------------------------------------------------------------
# The ready check
# ------------------------------------------------------------------------------------------------


def test_ready_check_passes_the_correct_client() -> None:
    report = check_client(ex.correct_flow, "kie")
    report.assert_ready()
    names = set(report.verdicts())
    assert {"success", "createTime as epoch ms", "generate-music: code 402", "generate-music: code 429"} <= names
    assert "held at FIRST_SUCCESS" in names
    assert {f"task state {s}" for s in FAILURE_STATUSES} <= names
    assert "generate-music: code 501 in HTTP 500" in names
    # one scenario per documented failure code of each operation used, plus states and successes
    expected = (
        4
        + len(documented_codes("kie", "generate-music"))
        - 1
        + len(documented_codes("kie", "get-music-details"))
        - 1
        + 4
    )
    assert len(report.results) == expected


def test_ready_check_passes_the_async_correct_client() -> None:
    check_client(ex.async_correct_flow, "apikley").assert_ready()


def test_ready_check_catches_each_mistake_of_the_sloppy_client() -> None:
    report = check_client(ex.sloppy_flow, "kie")
    verdicts = report.verdicts()
    assert verdicts["generate-music: code 402"] is Verdict.FAILURE_AS_SUCCESS
    assert verdicts["generate-music: code 429"] is Verdict.FAILURE_AS_SUCCESS
    assert verdicts["generate-music: code 501 in HTTP 500"] is Verdict.FAILURE_AS_SUCCESS
    assert verdicts["createTime as epoch ms"] is Verdict.CRASHED
    for status in FAILURE_STATUSES:
        assert verdicts[f"task state {status}"] is Verdict.HUNG
    assert verdicts["get-music-details: code 401"] is Verdict.HUNG
    success = report.results[0]
    assert success.verdict is Verdict.HANDLED
    assert {(v.field, v.value) for v in success.violations} == {("Authorization", rules.MISSING)}
    assert not report.ok
    with pytest.raises(AssertionError, match="took failure for success"):
        report.assert_ready()


def test_ready_check_reports_a_blocked_function_as_hung() -> None:
    release = threading.Event()

    def blocked(base_url: str) -> None:
        release.wait()

    try:
        report = check_client(blocked, "kie", timeout=0.2)
    finally:
        release.set()
    assert [r.verdict for r in report.results] == [Verdict.HUNG] * len(report.results)
    assert "still running" in report.results[0].detail


def test_ready_check_failure_types_and_is_failure() -> None:
    def flow(base_url: str) -> Any:
        client = ex.CorrectClient("test-key", base_url)
        try:
            return client.wait(client.generate("rain"))
        except ex.SunoError:
            return "failed"

    strict = check_client(flow, "kie", is_failure=lambda r: r == "failed")
    strict.assert_ready()
    lenient = check_client(flow, "kie")  # "failed" is not a failure indicator by default
    assert lenient.verdicts()["generate-music: code 402"] is Verdict.FAILURE_AS_SUCCESS

    def raises_runtime(base_url: str) -> None:
        raise RuntimeError("boom")

    only_mine = check_client(raises_runtime, "kie", failure_types=(ex.SunoError,))
    assert {r.verdict for r in only_mine.results} == {Verdict.CRASHED}


def test_a_router_that_saw_no_request_says_so_at_teardown() -> None:
    with pytest.warns(NoRequestSeen, match="saw no request to https://api.kie.ai"), suno_router("kie"):
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with suno_router("kie", expect_requests=False):
            pass
        with suno_router("kie"):
            httpx.get(f"{BASE_URLS['kie']}/api/v1/chat/credit", headers={"Authorization": "Bearer k"})


def test_the_ready_check_says_each_broken_request_rule_once() -> None:
    report = check_client(ex.sloppy_flow, "kie")
    broken = report.broken_rules()
    rule, where = next((r, w) for r, w in broken.items() if r.startswith("get-music-details: Authorization"))
    assert where[0] == "success" and len(where) > 10  # seen in most scenarios, said once
    text = str(report)
    assert all(text.count(r) == 1 for r in broken)
    assert f"{rule} (in {len(where)} scenarios, first success)" in text


def test_a_router_refuses_a_real_provider_host_to_any_library() -> None:
    import socket
    import urllib.error
    import urllib.request

    import requests

    from contract._hostguard import RealHostBlocked, real_hosts

    original = socket.getaddrinfo
    assert {"api.kie.ai", "api.sunoapi.org", "api.api.box", "api.apikley.ru", "kieai.redpandaai.co"} <= real_hosts()
    with suno_router("kie", expect_requests=False):
        with pytest.raises(RealHostBlocked, match=r"api\.sunoapi\.org, a real provider host"):
            socket.getaddrinfo("api.sunoapi.org", 443)
        with pytest.raises(requests.ConnectionError, match="real provider host"):
            requests.get("https://api.sunoapi.org/api/v1/generate/credit", timeout=5)
        # the router's own base URL is answered by the mock, for requests as for httpx
        answer = requests.get("https://api.kie.ai/api/v1/chat/credit", headers={"Authorization": "Bearer k"}, timeout=5)
        assert answer.json()["code"] == 200
        with pytest.raises(urllib.error.URLError, match="real provider host"):
            urllib.request.urlopen("https://apibox.erweima.ai/api/v1/generate/credit", timeout=5)
        assert socket.getaddrinfo("127.0.0.1", 80)  # everything else resolves as before
    assert socket.getaddrinfo is original


def test_the_suno_mock_fixture_blocks_real_provider_hosts(suno_mock: Any) -> None:
    import socket

    from contract._hostguard import RealHostBlocked

    with pytest.raises(RealHostBlocked):
        socket.getaddrinfo("api.kie.ai", 443)


def test_a_client_that_stops_at_first_success_is_flagged() -> None:
    def early_flow(base_url: str) -> list[ex.Track]:
        client = ex.CorrectClient("test-key", base_url)
        task_id = client.generate("rain")
        for _ in range(20):
            details = client.details(task_id)
            if details["status"] in ("FIRST_SUCCESS", "SUCCESS"):  # the bug: the second track is not ready
                return ex.parse_tracks(details)
        raise ex.PollTimeout(task_id)

    report = check_client(early_flow, "kie")
    held = next(r for r in report.results if r.scenario.name == "held at FIRST_SUCCESS")
    assert held.verdict is Verdict.EARLY_SUCCESS, str(report)
    assert "the last FIRST_SUCCESS: the task had not reached SUCCESS" in held.detail
    assert report.verdicts()["success at once"] is Verdict.HANDLED
    with pytest.raises(AssertionError, match="reported a result before SUCCESS"):
        report.assert_ready()
