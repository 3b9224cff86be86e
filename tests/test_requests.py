"""Auth, malformed input, status modes, credits, admin routes and the spec-example fallback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import MockApp, create_app, openapi
from mockserver import _families as families

from .support import AUTH, spec_client

GENERATE = "/api/v1/generate"
VALID = {
    "customMode": False,
    "instrumental": False,
    "model": "V4_5",
    "prompt": "a song",
    "callBackUrl": "http://127.0.0.1:9/cb",
}
JSON = {**AUTH, "Content-Type": "application/json"}


@pytest.fixture
def app() -> MockApp:
    return create_app("kie", seed=1, virtual_clock=True)


@pytest.fixture
def client(app: MockApp) -> Iterator[TestClient]:
    with spec_client(app, "kie") as client:
        yield client


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, "the Authorization header is missing"),
        ({"Authorization": "Basic abc"}, "got the 'Basic' scheme"),
        ({"Authorization": "Bearer"}, "got no API key after 'Bearer'"),
        ({"Authorization": "Bearer a b"}, "the API key contains spaces"),
    ],
)
def test_missing_or_malformed_auth_gives_401(client: TestClient, headers: dict[str, str], fragment: str) -> None:
    for method, path in (("post", GENERATE), ("get", "/api/v1/chat/credit")):
        body = client.request(method, path, json=VALID if method == "post" else None, headers=headers).json()
        assert body["code"] == 401 and fragment in body["msg"] and body["data"] is None


def test_tokens_restrict_which_keys_are_accepted() -> None:
    app = create_app("kie", tokens={"good"})
    with spec_client(app, "kie") as client:
        assert client.get("/api/v1/chat/credit", headers={"Authorization": "Bearer good"}).json()["code"] == 200
        refused = client.get("/api/v1/chat/credit", headers={"Authorization": "Bearer bad"}).json()
        assert refused["code"] == 401 and "--token" in refused["msg"]


def test_auth_is_checked_before_the_body(client: TestClient) -> None:
    assert client.post(GENERATE, content=b"{", headers={"Content-Type": "application/json"}).json()["code"] == 401


@pytest.mark.parametrize(
    ("content", "headers", "fragment"),
    [
        (b"{", JSON, "body: is not valid JSON (Expecting"),
        (b'{"prompt": NaN}', JSON, "NaN is not a JSON number"),
        (b'{"prompt": Infinity}', JSON, "Infinity is not a JSON number"),
        (b'{"styleWeight": 1e999}', JSON, "styleWeight: must be a number a double can hold"),
        (b"[1, 2]", JSON, "body: must be a JSON object (got an array)"),
        (b'"text"', JSON, "body: must be a JSON object (got a string)"),
        (b"null", JSON, "body: must be a JSON object (got null)"),
        (b"\xff\xfe\x00", JSON, "body: is not valid JSON"),
        (
            b'{"a": 1}',
            {**AUTH, "Content-Type": "text/plain"},
            "Content-Type must be application/json (got 'text/plain')",
        ),
        (b'{"a": 1}', AUTH, "Content-Type must be application/json"),
        (b"", JSON, "body: is not valid JSON"),
        (b"[" * 100_000, JSON, "body: is not valid JSON"),
    ],
)
def test_malformed_bodies_get_the_validation_code_never_a_500(
    client: TestClient, content: bytes, headers: dict[str, str], fragment: str
) -> None:
    response = client.post(GENERATE, content=content, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 422 and fragment in body["msg"], body


def test_oversized_bodies_are_capped() -> None:
    app = create_app("kie", max_body_bytes=1000)
    with spec_client(app, "kie") as client:
        body = client.post(GENERATE, json={**VALID, "prompt": "x" * 2000}, headers=AUTH).json()
        assert body["code"] == 422 and "must be at most 1000 bytes" in body["msg"]
        assert client.post(GENERATE, json=VALID, headers=AUTH).json()["code"] == 200


def test_unknown_path_and_method_get_the_not_found_envelope(client: TestClient) -> None:
    for method, path in (("get", "/api/v1/nothing"), ("get", GENERATE), ("delete", "/api/v1/generate/record-info")):
        body = client.request(method, path, headers=AUTH).json()
        assert body["code"] == 404 and "POST /api/v1/generate" in body["msg"]


def test_unknown_task_in_record_info_is_not_found(client: TestClient) -> None:
    body = client.get("/api/v1/generate/record-info", params={"taskId": "f" * 32}, headers=AUTH).json()
    assert body["code"] == 404 and "taskId:" in body["msg"] and "f" * 32 in body["msg"]


def test_mirror_mode_copies_the_code_into_the_http_status() -> None:
    app = create_app("kie", http_status="mirror")
    with spec_client(app, "kie") as client:
        assert client.post(GENERATE, json=VALID).status_code == 401
        assert client.post(GENERATE, json={**VALID, "model": "V0"}, headers=AUTH).status_code == 422
        assert client.post(GENERATE, json=VALID, headers=AUTH).status_code == 200
        assert client.get("/nowhere").status_code == 404


def test_credits_are_drawn_down_and_run_out_with_402() -> None:
    app = create_app("sunoapi", credits=2)
    with spec_client(app, "sunoapi") as client:
        assert client.get("/api/v1/generate/credit", headers=AUTH).json()["data"] == 2
        assert client.post(GENERATE, json=VALID, headers=AUTH).json()["code"] == 200
        assert client.post(GENERATE, json=VALID, headers=AUTH).json()["code"] == 200
        empty = client.post(GENERATE, json=VALID, headers=AUTH).json()
        assert empty["code"] == 402 and "balance of this API key is 0" in empty["msg"]
        assert client.get("/api/v1/generate/credit", headers=AUTH).json()["data"] == 0
        assert client.post(GENERATE, json={**VALID, "model": "V0"}, headers=AUTH).json()["code"] == 422, (
            "validation comes before billing"
        )
        topped = client.post("/_mock/credits", json={"token": "test-token", "balance": 5}).json()
        assert topped["code"] == 200
        assert client.get("/api/v1/generate/credit", headers=AUTH).json()["data"] == 5
        assert client.get("/api/v1/generate/credit", headers={"Authorization": "Bearer other"}).json()["data"] == 2


def test_seeding_over_http_and_reset(client: TestClient, app: MockApp) -> None:
    seeded = client.post("/_mock/tasks", json={"durations": [61.5, 200]}).json()
    assert seeded["code"] == 200
    assert [t["duration"] for t in seeded["data"]["tracks"]] == [61.5, 200]
    info = client.get("/api/v1/generate/record-info", params={"taskId": seeded["data"]["taskId"]}, headers=AUTH).json()
    assert info["data"]["status"] == "SUCCESS"
    assert [t["duration"] for t in info["data"]["response"]["sunoData"]] == [61.5, 200]
    bad = client.post("/_mock/tasks", json={"durations": [0]}).json()
    assert bad["code"] == 422 and "durations[0]" in bad["msg"]
    assert client.post("/_mock/reset").json()["code"] == 200
    assert app.state.store.tasks == {}
    assert client.get("/_mock/health").json()["data"]["tasks"] == 0


def test_request_journal_lists_what_was_asked(client: TestClient, app: MockApp) -> None:
    client.post(GENERATE, json={**VALID, "model": "V0"}, headers=AUTH)
    client.post(GENERATE, json=VALID, headers=AUTH)
    (rejected,) = app.requests.rejected()
    assert rejected.operation_id == "generate-music" and "model:" in rejected.msg
    listed = client.get("/_mock/requests").json()["data"]["requests"]
    assert [r["code"] for r in listed] == [422, 200]


def test_operation_without_behaviour_answers_its_spec_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(families.BEHAVIOURS, "get-timestamped-lyrics")  # as if no family served it
    spec = openapi.load_spec("kie")
    example = spec["paths"]["/api/v1/generate/get-timestamped-lyrics"]["post"]["responses"]["200"]["content"][
        "application/json"
    ]["example"]
    app = create_app("kie")
    with spec_client(app, "kie") as client:
        body = client.post(
            "/api/v1/generate/get-timestamped-lyrics", json={"taskId": "a", "audioId": "b"}, headers=AUTH
        )
        assert body.json() == example
        assert (
            client.post("/api/v1/generate/get-timestamped-lyrics", json={"taskId": "a"}, headers=AUTH).json()["code"]
            == 422
        )


def test_ids_have_the_documented_shapes(client: TestClient) -> None:
    task_id = client.post(GENERATE, json=VALID, headers=AUTH).json()["data"]["taskId"]
    assert len(task_id) == 32 and set(task_id) <= set("0123456789abcdef")
    import uuid

    app: Any = client.app
    for track in app.state.store.tasks[task_id].tracks:
        assert uuid.UUID(track.id).version == 4


def test_a_crash_in_a_behaviour_gets_the_500_envelope_and_is_raised_for_the_server_to_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(call: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setitem(families.BEHAVIOURS, "generate-music", explode)
    app = create_app("kie", seed=1, virtual_clock=True)
    with TestClient(app, raise_server_exceptions=False) as quiet:
        answer = quiet.post(GENERATE, json=VALID, headers=AUTH)
    assert answer.status_code == 500
    assert answer.json()["code"] == 500 and "RuntimeError" in answer.json()["msg"]
    with TestClient(app) as loud, pytest.raises(RuntimeError, match="boom"):
        loud.post(GENERATE, json=VALID, headers=AUTH)


def test_each_query_string_gets_its_own_answer_however_often_and_however_many(app: MockApp, client: TestClient) -> None:
    # parsed queries are kept for the next poll with the same string: never one for another
    first, second = app.seed_task([120.0]), app.seed_task([90.0])
    for _ in range(3):
        for task in (first, second):
            data = client.get("/api/v1/generate/record-info", params={"taskId": task.id}, headers=AUTH).json()["data"]
            assert data["taskId"] == task.id
    missing = [f"{n:032x}" for n in range(1100)]  # more distinct strings than are kept
    answers = [client.get(f"/api/v1/generate/record-info?taskId={i}", headers=AUTH).json() for i in missing]
    assert all(a["code"] != 200 and i in a["msg"] for a, i in zip(answers, missing, strict=True))
    again = client.get("/api/v1/generate/record-info", params={"taskId": first.id}, headers=AUTH).json()
    assert again["data"]["taskId"] == first.id
    blank = client.get("/api/v1/generate/record-info?taskId=", headers=AUTH).json()
    assert blank["code"] != 200
