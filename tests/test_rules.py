"""Every documented request rule, per provider, at its boundaries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import MockApp, create_app, openapi
from mockserver._store import Task

from .support import AUTH, spec_client

REPLACE = "/api/v1/generate/replace-section"
INTERVAL_RULE = {"kie": False, "apikley": True, "apibox": False, "sunoapi": True}


@pytest.fixture(params=openapi.PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app(provider: str) -> MockApp:
    return create_app(provider, seed=7)


@pytest.fixture
def client(app: MockApp, provider: str) -> Iterator[TestClient]:
    with spec_client(app, provider) as client:
        yield client


@pytest.fixture
def task(app: MockApp) -> Task:
    return app.seed_task([120.0, 100.0])


def replace_body(provider: str, task: Task, index: int = 0, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "taskId": task.id,
        "prompt": "A calm piano",
        "tags": "jazz",
        "title": "Calm",
        "infillStartS": 10.0,
        "infillEndS": 30.0,
    }
    if provider == "apibox":
        body["musicIndex"] = index
    else:
        body["audioId"] = task.tracks[index].id
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def post(client: TestClient, path: str, body: Any) -> dict[str, Any]:
    response = client.post(path, json=body, headers=AUTH)
    assert response.status_code == 200, "the default mode answers HTTP 200 with the outcome in code"
    result: dict[str, Any] = response.json()
    return result


def assert_rejected(result: dict[str, Any], field: str, code: int = 422) -> None:
    assert result["code"] == code, result
    assert result["data"] is None
    assert f"{field}:" in result["msg"], f"message does not name {field!r}: {result['msg']}"


def test_valid_replace_section_creates_a_task(client: TestClient, provider: str, task: Task) -> None:
    result = post(client, REPLACE, replace_body(provider, task))
    assert result["code"] == 200 and result["msg"] == "success"
    task_id = result["data"]["taskId"]
    assert len(task_id) == 32 and int(task_id, 16) >= 0 and task_id == task_id.lower()


@pytest.mark.parametrize(("start", "end"), [(10.0, 16.0), (10.0, 70.0), (0, 6), (0.01, 6.01)])
def test_interval_of_6_to_60_seconds_is_accepted_everywhere(
    client: TestClient, provider: str, task: Task, start: float, end: float
) -> None:
    assert post(client, REPLACE, replace_body(provider, task, infillStartS=start, infillEndS=end))["code"] == 200


@pytest.mark.parametrize(("start", "end"), [(10.0, 15.99), (10.0, 70.01), (0, 5.99), (1.5, 1.51)])
def test_interval_outside_6_to_60_seconds_is_rejected_where_documented(
    client: TestClient, provider: str, task: Task, start: float, end: float
) -> None:
    task = client.app.seed_task([300.0])  # type: ignore[attr-defined]  # TestClient types .app as any ASGI app
    result = post(client, REPLACE, replace_body(provider, task, infillStartS=start, infillEndS=end))
    if INTERVAL_RULE[provider]:
        assert_rejected(result, "infillEndS - infillStartS")
        assert "between 6 and 60 seconds" in result["msg"]
    else:
        assert result["code"] == 200, result


@pytest.mark.parametrize(("field", "value"), [("infillStartS", 10.123), ("infillEndS", 30.001)])
def test_three_decimal_places_are_rejected(
    client: TestClient, provider: str, task: Task, field: str, value: float
) -> None:
    change: dict[str, Any] = {field: value}
    result = post(client, REPLACE, replace_body(provider, task, **change))
    assert_rejected(result, field)
    assert "at most 2 decimal places" in result["msg"] and str(value) in result["msg"]


def test_two_decimal_places_are_accepted(client: TestClient, provider: str, task: Task) -> None:
    assert post(client, REPLACE, replace_body(provider, task, infillStartS=10.25, infillEndS=30.75))["code"] == 200


@pytest.mark.parametrize(("start", "end"), [(20.0, 20.0), (30.0, 20.0)])
def test_start_not_before_end_is_rejected(
    client: TestClient, provider: str, task: Task, start: float, end: float
) -> None:
    result = post(client, REPLACE, replace_body(provider, task, infillStartS=start, infillEndS=end))
    assert_rejected(result, "infillEndS")
    assert "greater than infillStartS" in result["msg"]


def test_negative_time_is_rejected(client: TestClient, provider: str, task: Task) -> None:
    assert_rejected(post(client, REPLACE, replace_body(provider, task, infillStartS=-1.0)), "infillStartS")


def test_exactly_half_the_duration_is_accepted_and_just_over_rejected(
    client: TestClient, provider: str, task: Task
) -> None:
    # track 1 lasts 100 s; the spans stay inside every profile's 6-60 s rule
    assert post(client, REPLACE, replace_body(provider, task, 1, infillStartS=0, infillEndS=50))["code"] == 200
    result = post(client, REPLACE, replace_body(provider, task, 1, infillStartS=0.5, infillEndS=50.51))
    assert_rejected(result, "infillEndS - infillStartS")
    assert "50%" in result["msg"] and "100.0" in result["msg"]


def test_span_beyond_the_track_is_rejected(client: TestClient, provider: str, task: Task) -> None:
    result = post(client, REPLACE, replace_body(provider, task, index=1, infillStartS=90.0, infillEndS=100.01))
    assert_rejected(result, "infillEndS")
    assert "within the track's duration 100.0 s" in result["msg"]


def test_numbers_given_as_strings_are_rejected(client: TestClient, provider: str, task: Task) -> None:
    result = post(client, REPLACE, replace_body(provider, task, infillStartS="10.5"))
    assert_rejected(result, "infillStartS")
    assert "must be a number" in result["msg"] and "'10.5'" in result["msg"]


def test_every_missing_required_field_is_reported(client: TestClient, provider: str, task: Task) -> None:
    result = post(client, REPLACE, {"taskId": task.id})
    required = set(openapi.load_spec(provider)["components"]["schemas"]["ReplaceSectionRequest"]["required"])
    for field in required - {"taskId"}:
        assert f"{field}: is required" in result["msg"]
    assert result["code"] == 422


def test_audio_id_sent_to_apibox_is_ignored_and_music_index_reported(
    client: TestClient, provider: str, task: Task
) -> None:
    body = replace_body(provider, task)
    body.pop("musicIndex", None)
    body["audioId"] = task.tracks[0].id
    result = post(client, REPLACE, body)
    if provider == "apibox":
        assert_rejected(result, "musicIndex")
        assert "audioId" not in result["msg"]
    else:
        assert result["code"] == 200


def test_music_index_outside_apibox_is_ignored(client: TestClient, provider: str, task: Task) -> None:
    body = replace_body(provider, task)
    body.pop("audioId", None)
    body["musicIndex"] = 0
    result = post(client, REPLACE, body)
    if provider == "apibox":
        assert result["code"] == 200
    else:
        assert_rejected(result, "audioId")


@pytest.mark.parametrize("provider", ["apibox"])
@pytest.mark.parametrize("index", [2, 7])
def test_music_index_out_of_range_is_rejected(client: TestClient, provider: str, task: Task, index: int) -> None:
    body = replace_body(provider, task)
    body["musicIndex"] = index
    result = post(client, REPLACE, body)
    assert_rejected(result, "musicIndex")
    assert "between 0 and 1" in result["msg"]


@pytest.mark.parametrize("provider", ["apibox"])
def test_negative_music_index_is_rejected(client: TestClient, provider: str, task: Task) -> None:
    body = replace_body(provider, task)
    body["musicIndex"] = -1
    assert_rejected(post(client, REPLACE, body), "musicIndex")


def test_unknown_task_is_not_found(client: TestClient, provider: str, task: Task) -> None:
    result = post(client, REPLACE, replace_body(provider, task, taskId="0" * 32))
    assert_rejected(result, "taskId", code=404)


@pytest.mark.parametrize("provider", ["kie", "sunoapi", "apikley"])  # api.box selects by index
def test_track_of_another_task_is_rejected(client: TestClient, provider: str, task: Task, app: MockApp) -> None:
    other = app.seed_task([200.0])
    result = post(client, REPLACE, replace_body(provider, task, audioId=other.tracks[0].id))
    assert_rejected(result, "audioId")
    assert "belongs to task" in result["msg"]


@pytest.mark.parametrize("provider", ["kie", "sunoapi", "apikley"])  # api.box selects by index
def test_unknown_track_is_not_found(client: TestClient, provider: str, task: Task) -> None:
    result = post(client, REPLACE, replace_body(provider, task, audioId="00000000-0000-4000-8000-000000000000"))
    assert_rejected(result, "audioId", code=404)


def test_full_lyrics_is_accepted_where_documented_and_ignored_elsewhere(
    client: TestClient, provider: str, task: Task
) -> None:
    assert post(client, REPLACE, replace_body(provider, task, fullLyrics="[Verse]\nla"))["code"] == 200
    assert post(client, REPLACE, replace_body(provider, task, fullLyrics=42))["code"] == (
        422 if provider in ("kie", "apikley") else 200
    )


def test_several_problems_are_all_reported(client: TestClient, provider: str, task: Task) -> None:
    result = post(client, REPLACE, replace_body(provider, task, infillStartS=-1.001, title=None, tags=5))
    for fragment in (
        "infillStartS: must be >= 0",
        "infillStartS: must have at most 2 decimal places",
        "title: is required",
        "tags: must be a string",
    ):
        assert fragment in result["msg"]


# generate and extend ------------------------------------------------------------------------


def generate_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customMode": True,
        "instrumental": False,
        "model": "V4_5",
        "prompt": "[Verse]\nla la",
        "style": "pop",
        "title": "Song",
        "callBackUrl": "http://127.0.0.1:9/cb",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"customMode": False, "prompt": "x" * 501}, "prompt"),
        ({"model": "V4", "prompt": "x" * 3001}, "prompt"),
        ({"model": "V4", "style": "x" * 201}, "style"),
        ({"style": "x" * 1001}, "style"),
        ({"title": "x" * 101}, "title"),
        ({"title": None}, "title"),
        ({"customMode": False, "prompt": None}, "prompt"),
        ({"callBackUrl": None}, "callBackUrl"),
        ({"callBackUrl": "not a url"}, "callBackUrl"),
        ({"model": "V9"}, "model"),
        ({"styleWeight": 1.5}, "styleWeight"),
        ({"styleWeight": 0.555}, "styleWeight"),
        ({"vocalGender": "x"}, "vocalGender"),
        ({"instrumental": "false"}, "instrumental"),
    ],
)
def test_generate_rules(client: TestClient, fields: dict[str, Any], field: str) -> None:
    assert_rejected(post(client, "/api/v1/generate", generate_body(**fields)), field)


@pytest.mark.parametrize(
    "fields",
    [
        {"customMode": False, "prompt": "x" * 500, "style": None, "title": None},
        {"model": "V4", "prompt": "x" * 3000, "style": "x" * 200},
        {"instrumental": True, "prompt": None},
        {"styleWeight": 0.55, "weirdnessConstraint": 0, "audioWeight": 1},
        {"title": "x" * 80},
        {"unknownField": {"nested": True}},
    ],
)
def test_generate_accepts_the_documented_limits(client: TestClient, fields: dict[str, Any]) -> None:
    assert post(client, "/api/v1/generate", generate_body(**fields))["code"] == 200


def test_title_limit_follows_the_profile(client: TestClient, provider: str) -> None:
    # sunoapi: 100 for V4_5; kie, apikley, api.box: 80 for every model
    result = post(client, "/api/v1/generate", generate_body(title="x" * 90))
    assert result["code"] == (200 if provider == "sunoapi" else 422)


def test_model_enum_follows_the_profile(client: TestClient, provider: str) -> None:
    result = post(client, "/api/v1/generate", generate_body(model="V5_5"))
    assert result["code"] == (200 if provider in ("kie", "sunoapi") else 422)


def test_extend_rules(client: TestClient, task: Task) -> None:
    body = {
        "defaultParamFlag": True,
        "audioId": task.tracks[1].id,
        "model": "V4_5",
        "prompt": "more",
        "style": "pop",
        "title": "More",
        "continueAt": 99.99,
        "callBackUrl": "http://127.0.0.1:9/cb",
    }
    assert post(client, "/api/v1/generate/extend", body)["code"] == 200
    assert_rejected(post(client, "/api/v1/generate/extend", {**body, "continueAt": 100}), "continueAt")
    assert_rejected(post(client, "/api/v1/generate/extend", {**body, "continueAt": 0}), "continueAt")
    assert_rejected(post(client, "/api/v1/generate/extend", {**body, "title": None}), "title")
    assert_rejected(post(client, "/api/v1/generate/extend", {**body, "audioId": "nope"}), "audioId", code=404)
    reuse = {
        "defaultParamFlag": False,
        "audioId": task.tracks[0].id,
        "model": "V4_5",
        "callBackUrl": body["callBackUrl"],
    }
    assert post(client, "/api/v1/generate/extend", reuse)["code"] == 200


def test_interval_rule_is_a_profile_switch() -> None:
    app = create_app("kie", profile_overrides={"replace_interval": "10-"})
    task = app.seed_task([120.0])
    with spec_client(app, "kie") as client:
        result = post(client, REPLACE, replace_body("kie", task, infillStartS=0, infillEndS=9.99))
        assert_rejected(result, "infillEndS - infillStartS")
        assert "at least 10.0 seconds" in result["msg"]
        assert post(client, REPLACE, replace_body("kie", task, infillStartS=0, infillEndS=60))["code"] == 200
        served = client.get("/openapi.json").json()
        assert served["components"]["schemas"]["ReplaceSectionRequest"]["x-interval"]["minSeconds"] == 10.0
