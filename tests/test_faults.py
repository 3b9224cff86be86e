"""Configurable errors: each kind of fault through the real HTTP server, pure matching at full speed."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mockserver import ConfigError, MockApp, create_app
from mockserver._cli import main
from mockserver._families import KINDS
from mockserver._faults import (
    CallbackFaults,
    Delay,
    Facts,
    Rule,
    RuleCount,
    decide,
    deliveries,
    parse_faults,
)
from mockserver._lifecycle import Stage, plan
from mockserver._serving import CallbackReceiver, ThreadedServer

from .support import AUTH, GENERATE_BODY, SpecChecker

EXAMPLE = Path(__file__).resolve().parent.parent / "faults.example.yaml"
GENERATE = {**GENERATE_BODY, "callBackUrl": "http://127.0.0.1:9/cb"}
CHECKER = SpecChecker("kie")


class Mock:
    """A mock served over real HTTP on loopback, with a virtual clock, and a client for it."""

    def __init__(self, app: MockApp, client: httpx.Client, url: str) -> None:
        self.app, self.client, self.url = app, client, url

    def post(self, path: str, body: dict[str, Any], *, token: str = "test-token", **headers: str) -> httpx.Response:
        response = self.client.post(path, json=body, headers={"Authorization": f"Bearer {token}", **headers})
        CHECKER.check_response(response)
        return response

    def generate(self, *, token: str = "test-token", callback: str = "http://127.0.0.1:9/cb", **fields: Any) -> Any:
        return self.post("/api/v1/generate", {**GENERATE, "callBackUrl": callback, **fields}, token=token).json()

    def record(self, task_id: str, *, token: str = "test-token", **headers: str) -> httpx.Response:
        response = self.client.get(
            "/api/v1/generate/record-info",
            params={"taskId": task_id},
            headers={"Authorization": f"Bearer {token}", **headers},
        )
        CHECKER.check_response(response)
        return response

    def advance(self, seconds: float) -> None:
        assert self.client.post("/_mock/clock/advance", json={"seconds": seconds}).json()["code"] == 200

    def faults(self) -> dict[str, Any]:
        data: dict[str, Any] = self.client.get("/_mock/faults").json()["data"]
        return data

    def record_sleeps(self) -> list[float]:
        """Swap the fault injector's sleep for one that records each latency it applies and waits none."""
        slept: list[float] = []

        async def sleep(seconds: float) -> None:
            slept.append(seconds)

        self.app.faults.sleep = sleep
        return slept

    def fired(self, name: str, level: str = "file") -> int:
        rule = next(r for r in self.faults()["rules"] if r["name"] == name and r["level"] == level)
        return int(rule["fired"])


@contextmanager
def served(provider: str = "kie", **options: Any) -> Iterator[Mock]:
    options.setdefault("seed", 7)
    app = create_app(provider, virtual_clock=True, **options)
    with ThreadedServer(app) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as client:
        yield Mock(app, client, server.url)


@pytest.fixture
def mock() -> Iterator[Mock]:
    with served() as mock:
        yield mock


@pytest.fixture
def example() -> Iterator[Mock]:
    with served(faults=str(EXAMPLE)) as mock:
        yield mock


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as receiver:
        yield receiver


def callbacks_of(receiver: CallbackReceiver, task_id: str) -> list[tuple[str | None, int]]:
    return [(r.stage, r.json()["code"]) for r in receiver.received if r.task_id == task_id]


# ------------------------------------------------------------------------------------------------
# documented response codes


@pytest.mark.parametrize("code", [401, 402, 404, 409, 422, 429, 451, 455, 500])
def test_every_code_generate_documents_comes_with_its_documented_message(mock: Mock, code: int) -> None:
    answer = mock.post("/api/v1/generate", GENERATE, **{"X-Mock-Code": str(code)})
    assert answer.status_code == 200
    assert answer.json()["code"] == code
    assert answer.json()["data"] is None
    expected = {402: "Insufficient credits", 429: "Rate limit exceeded", 455: "Service unavailable: system maintenance"}
    if code in expected:
        assert answer.json()["msg"] == expected[code]
    assert mock.client.get("/_mock/health").json()["data"]["tasks"] == 0, "an injected code creates no task"


def test_a_real_http_500_carries_the_documented_error_body(mock: Mock) -> None:
    answer = mock.post("/api/v1/generate", GENERATE, **{"X-Mock-Code": "501; http-status=500"})
    assert answer.status_code == 500
    assert answer.json() == {"code": 501, "msg": "Generation failed", "data": None}


def test_mirror_mode_copies_an_injected_code_to_the_status() -> None:
    with served(http_status="mirror") as mock:
        answer = mock.post("/api/v1/generate", GENERATE, **{"X-Mock-Code": "455"})
    assert (answer.status_code, answer.json()["code"]) == (455, 455)


def test_a_code_the_operation_does_not_document_is_refused_with_the_allowed_list(mock: Mock) -> None:
    task_id = mock.generate()["data"]["taskId"]
    answer = mock.record(task_id, **{"X-Mock-Code": "402"})
    body = answer.json()
    assert body["code"] == 422
    assert "402 is not documented for get-music-details" in body["msg"]
    assert "use one of 401, 404, 422, 429, 451, 455, 500" in body["msg"]


@pytest.mark.parametrize(
    ("header", "value", "fragment"),
    [
        ("X-Mock-Code", "lots", "X-Mock-Code: must be an integer of at most 18 digits (got lots)"),
        ("X-Mock-Outcome", "EXPLODED", "outcome.status: 'EXPLODED' is not allowed"),
        ("X-Mock-Delay-Ms", "soon", "X-Mock-Delay-Ms: must be a number (got soon)"),
        ("X-Mock-Fault", "melt", "fault: 'melt' is not allowed; use one of reset, empty, truncated, garbage"),
    ],
)
def test_a_malformed_header_is_a_validation_error_that_says_what_is_allowed(
    mock: Mock, header: str, value: str, fragment: str
) -> None:
    body = mock.post("/api/v1/generate", GENERATE, **{header: value}).json()
    assert body["code"] == 422
    assert fragment in body["msg"]


def test_no_header_overrides_ignores_the_headers() -> None:
    with served(header_overrides=False) as mock:
        answer = mock.post("/api/v1/generate", GENERATE, **{"X-Mock-Code": "455", "X-Mock-Fault": "reset"})
    assert answer.json()["code"] == 200


# ------------------------------------------------------------------------------------------------
# task outcomes


@pytest.mark.parametrize(
    ("outcome", "status", "error_code", "callbacks"),
    [
        ("GENERATE_AUDIO_FAILED", "GENERATE_AUDIO_FAILED", 501, [("text", 200), ("error", 501)]),
        (
            "GENERATE_AUDIO_FAILED; code=531; stage=complete",
            "GENERATE_AUDIO_FAILED",
            531,
            [("text", 200), ("first", 200), ("error", 531)],
        ),
        ("SENSITIVE_WORD_ERROR", "SENSITIVE_WORD_ERROR", 400, [("error", 400)]),
        ("CREATE_TASK_FAILED", "CREATE_TASK_FAILED", 500, [("error", 500)]),
        ("CALLBACK_EXCEPTION", "CALLBACK_EXCEPTION", 500, [("text", 200), ("first", 200)]),
    ],
)
def test_an_outcome_fails_the_created_task_with_the_documented_error_callback(
    mock: Mock,
    receiver: CallbackReceiver,
    outcome: str,
    status: str,
    error_code: int,
    callbacks: list[tuple[str, int]],
) -> None:
    created = mock.post(
        "/api/v1/generate", {**GENERATE, "callBackUrl": f"{receiver.url}/cb"}, **{"X-Mock-Outcome": outcome}
    ).json()
    assert created["code"] == 200, "the creating call itself succeeds"
    task_id = created["data"]["taskId"]
    mock.advance(200)
    info = mock.record(task_id).json()["data"]
    assert (info["status"], info["errorCode"]) == (status, error_code)
    assert info["errorMessage"]
    assert callbacks_of(receiver, task_id) == callbacks
    for received in receiver.received:
        CHECKER.check_callback("Music", received.json())


def test_an_outcome_on_a_call_that_creates_no_task_is_refused(mock: Mock) -> None:
    body = mock.record("0" * 32, **{"X-Mock-Outcome": "GENERATE_AUDIO_FAILED"}).json()
    assert body["code"] == 422
    assert "creates no task" in body["msg"]


def test_a_sensitive_word_in_the_lyrics_fails_the_task_with_callback_code_400(receiver: CallbackReceiver) -> None:
    with served(sensitive_words=frozenset({"Forbidden"})) as mock:
        clean = mock.generate(callback=f"{receiver.url}/cb")["data"]["taskId"]
        flagged = mock.generate(callback=f"{receiver.url}/cb", prompt="[Chorus]\nthe FORBIDDEN word")["data"]["taskId"]
        mock.advance(200)
        assert mock.record(clean).json()["data"]["status"] == "SUCCESS"
        info = mock.record(flagged).json()["data"]
    assert (info["status"], info["errorCode"]) == ("SENSITIVE_WORD_ERROR", 400)
    assert callbacks_of(receiver, flagged) == [("error", 400)]


# ------------------------------------------------------------------------------------------------
# latency


def test_a_fixed_delay_holds_the_answer_at_least_that_long(mock: Mock) -> None:
    slept = mock.record_sleeps()  # the injectable sleep: the delay is checked, not waited for
    answer = mock.post("/api/v1/generate", GENERATE, **{"X-Mock-Delay-Ms": "150"})
    assert slept == [0.15]
    assert answer.json()["code"] == 200
    assert mock.faults()["applied"][-1]["delay_ms"] == 150


def test_delay_distributions_stay_in_range_and_follow_the_seed() -> None:
    rng = random.Random(1)
    uniform = [Delay("uniform", 20, 60).sample(rng) for _ in range(2000)]
    assert all(20 <= d <= 60 for d in uniform)
    assert abs(sum(uniform) / len(uniform) - 40) < 2
    lognormal = sorted(Delay("lognormal", 30, 0.3).sample(rng) for _ in range(2001))
    assert abs(lognormal[1000] - 30) < 2, "the median is the configured median"
    assert Delay("lognormal", 1000, 10).sample(random.Random(3)) <= 60_000, "the tail is capped"
    again = random.Random(1)
    assert [Delay("uniform", 20, 60).sample(again) for _ in range(2000)] == uniform


# ------------------------------------------------------------------------------------------------
# connection faults


def test_reset_drops_the_connection_without_an_answer(mock: Mock) -> None:
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        mock.client.post("/api/v1/generate", json=GENERATE, headers={"X-Mock-Fault": "reset"})
    assert mock.generate()["code"] == 200, "the next request gets through on a new connection"
    records = mock.client.get("/_mock/requests").json()["data"]["requests"]
    assert [r["msg"] for r in records][:1] == ["connection fault: reset"]


def test_empty_is_a_200_with_no_body(mock: Mock) -> None:
    answer = mock.client.post("/api/v1/generate", json=GENERATE, headers={"X-Mock-Fault": "empty"})
    assert (answer.status_code, answer.content) == (200, b"")
    with pytest.raises(json.JSONDecodeError):
        answer.json()


def test_truncated_breaks_off_before_the_declared_length(mock: Mock) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match=r"incomplete|complete message body"):
        mock.client.post("/api/v1/generate", json=GENERATE, headers={"X-Mock-Fault": "truncated"})


def test_garbage_is_a_200_whose_body_is_not_json(mock: Mock) -> None:
    answer = mock.client.post("/api/v1/generate", json=GENERATE, headers={"X-Mock-Fault": "garbage"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert len(answer.content) == 64
    with pytest.raises(ValueError, match=r"Expecting value|codec can't decode|invalid"):
        answer.json()


# ------------------------------------------------------------------------------------------------
# callback faults


@pytest.mark.parametrize(
    ("callbacks", "expected"),
    [
        ({"skip": ["first"]}, ["text", "complete"]),
        ({"duplicate": ["text", "complete"]}, ["text", "text", "first", "complete", "complete"]),
        ({"out_of_order": True}, ["complete", "first", "text"]),
        ({"delay_s": {"text": 200}}, ["first", "complete", "text"]),
    ],
)
def test_callback_faults_change_what_the_receiver_gets(
    mock: Mock, receiver: CallbackReceiver, callbacks: dict[str, Any], expected: list[str]
) -> None:
    rule = {"name": "cb", "when": {"operation": "generate-music"}, "callbacks": callbacks}
    assert mock.client.post("/_mock/faults", json=rule).json()["code"] == 200
    task_id = mock.generate(callback=f"{receiver.url}/cb")["data"]["taskId"]
    mock.advance(100)
    statuses = mock.record(task_id).json()["data"]["status"]
    assert statuses == "FIRST_SUCCESS", "callback faults never change the status"
    mock.advance(300)
    assert [stage for stage, _ in callbacks_of(receiver, task_id)] == expected


def test_a_callback_delay_is_measured_on_the_mock_clock(mock: Mock, receiver: CallbackReceiver) -> None:
    rule = {"when": {"operation": "generate-music"}, "callbacks": {"delay_s": 45}}
    mock.client.post("/_mock/faults", json=rule)
    task_id = mock.generate(callback=f"{receiver.url}/cb")["data"]["taskId"]
    created = mock.client.get("/_mock/health").json()["data"]["time"]
    mock.advance(300)
    attempts = mock.client.get("/_mock/callbacks", params={"taskId": task_id}).json()["data"]["callbacks"]
    assert [(a["stage"], a["at"] - created) for a in attempts] == [("text", 65), ("first", 80), ("complete", 195)]


def test_deliveries_are_pure_and_keep_the_schedule() -> None:
    schedule = plan(KINDS["music"].lifecycle, 0.0)
    assert [(at, s.stage) for at, s in deliveries(schedule.steps, None)] == [
        (20.0, Stage.TEXT),
        (35.0, Stage.FIRST),
        (150.0, Stage.COMPLETE),
    ]
    reordered = deliveries(schedule.steps, CallbackFaults(skip=frozenset({Stage.TEXT}), out_of_order=True))
    assert [(at, s.stage) for at, s in reordered] == [(150.0, Stage.COMPLETE), (151.0, Stage.FIRST)]


# ------------------------------------------------------------------------------------------------
# rate limits


def test_a_burst_of_25_creating_calls_gives_20_accepted_and_5_limited_then_recovers() -> None:
    with served(rate_limits=True) as mock:
        codes = [mock.generate()["code"] for _ in range(25)]
        assert (codes.count(200), codes.count(429)) == (20, 5)
        assert codes[:20] == [200] * 20
        assert mock.generate(token="other-key")["code"] == 200, "the window is per API key"
        mock.advance(9.5)
        assert mock.generate()["code"] == 429
        mock.advance(0.5)
        assert [mock.generate()["code"] for _ in range(21)] == [200] * 20 + [429]


def test_with_a_scaled_clock_the_window_is_real_time() -> None:
    app = create_app("kie", seed=7, rate_limits=True)  # 50 mock seconds per real second
    with ThreadedServer(app) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as client:
        codes = [client.post("/api/v1/generate", json=GENERATE).json()["code"] for _ in range(25)]
    assert (codes.count(200), codes.count(429)) == (20, 5)


def test_record_info_allows_3_queries_per_second_per_task() -> None:
    with served(rate_limits=True) as mock:
        first, second = (mock.generate()["data"]["taskId"] for _ in range(2))
        assert [mock.record(first).json()["code"] for _ in range(4)] == [200, 200, 200, 429]
        assert "3 record-info calls per 1 s per task" in mock.record(first).json()["msg"]
        assert mock.record(second).json()["code"] == 200
        mock.advance(1)
        assert mock.record(first).json()["code"] == 200


def test_a_limited_call_says_when_to_retry_in_retry_after() -> None:
    with served(rate_limits=True) as mock:
        for _ in range(20):
            mock.generate()
        mock.advance(2.5)
        limited = mock.post("/api/v1/generate", {**GENERATE, "callBackUrl": "http://127.0.0.1:9/cb"})
        assert limited.json()["code"] == 429
        assert limited.headers["Retry-After"] == "8", "10 s window, 2.5 s gone: 7.5 s rounded up to whole seconds"
        assert "retry in 7.5 s" in limited.json()["msg"]
        accepted = mock.record(mock.generate(token="other-key")["data"]["taskId"])
        assert "Retry-After" not in accepted.headers


def test_rate_limits_are_off_by_default(mock: Mock) -> None:
    assert {mock.generate()["code"] for _ in range(25)} == {200}


def test_flags_and_the_file_combine_and_the_admin_api_overrides() -> None:
    with served(faults=str(EXAMPLE), rate_limits=True, sensitive_words=frozenset({"boom"})) as mock:
        described = mock.faults()
        assert described["rateLimits"]["enabled"] is True
        assert described["sensitiveWords"] == ["boom", "forbidden-word"]
        mock.client.post("/_mock/faults", json={"rate_limits": False, "sensitive_words": ["other"]})
        described = mock.faults()
        assert (described["rateLimits"]["enabled"], described["sensitiveWords"]) == (False, ["other"])
        mock.client.delete("/_mock/faults")
        assert mock.faults()["rateLimits"]["enabled"] is True


def test_rate_limits_switch_on_through_the_admin_api(mock: Mock) -> None:
    mock.client.post("/_mock/faults", json={"rate_limits": {"creating": 2}})
    assert [mock.generate()["code"] for _ in range(3)] == [200, 200, 429]


# ------------------------------------------------------------------------------------------------
# rule matching (pure)

CATALOG = create_app("kie").faults.catalog


def facts(operation: str = "generate-music", token: str = "k", **body: Any) -> Facts:
    op = CATALOG.operations[operation]
    query = {"taskId": body.pop("taskId")} if "taskId" in body else {}
    return CATALOG.facts(op, token, {**GENERATE, **body}, query)


def rules(*raw: dict[str, Any]) -> list[tuple[str, Rule]]:
    return [(rule.name, rule) for rule in parse_faults({"rules": list(raw)}, CATALOG).rules]


def run(ruleset: list[tuple[str, Rule]], calls: list[Facts], seed: int = 0) -> list[int | None]:
    counters: dict[str, RuleCount] = {}
    rng = random.Random(seed)
    return [decide(ruleset, f, counters, rng).code for f in calls]


@pytest.mark.parametrize(
    ("when", "hit", "miss"),
    [
        ({"operation": "/api/v1/generate"}, facts(), facts("extend-music")),
        ({"provider": "kie"}, facts(), None),
        ({"provider": ["sunoapi", "apibox"]}, None, facts()),
        ({"token": ["a", "b"]}, facts(token="b"), facts(token="c")),
        ({"equals": {"model": "V5"}}, facts(model="V5"), facts(model="V4_5")),
        ({"equals": {"instrumental": False}}, facts(), facts(instrumental=0)),
        (
            {"equals": {"taskId": "abc"}},
            facts("get-music-details", taskId="abc"),
            facts("get-music-details", taskId="x"),
        ),
        ({"contains": {"prompt": "rain"}}, facts(), facts(prompt="sun")),
        ({"contains": {"tags": "x"}}, facts(tags=["x", "y"]), facts(tags=["y"])),
    ],
)
def test_conditions_match_what_they_say(when: dict[str, Any], hit: Facts | None, miss: Facts | None) -> None:
    ruleset = rules({"when": when, "code": 455})
    if hit is not None:
        assert run(ruleset, [hit]) == [455]
    if miss is not None:
        assert run(ruleset, [miss]) == [None]


def test_nth_and_times_count_matching_calls() -> None:
    nth = rules({"when": {"token": "k", "nth": [2, 4]}, "code": 500})
    assert run(nth, [facts(), facts(token="z"), facts(), facts(), facts()]) == [None, None, 500, None, 500]
    twice = rules({"when": {"token": "k"}, "code": 500, "times": 2})
    assert run(twice, [facts()] * 4) == [500, 500, None, None]


def test_a_rule_only_applies_where_its_code_is_documented() -> None:
    ruleset = rules({"code": 409})  # generate documents 409, record-info does not
    assert run(ruleset, [facts("get-music-details", taskId="t"), facts()]) == [None, 409]


def test_levels_override_aspect_by_aspect() -> None:
    file = {"rules": [{"name": "slow", "delay": 30}, {"name": "broke", "when": {"token": "k1"}, "code": 402}]}
    with served(faults=file) as mock:
        assert mock.generate(token="k1")["code"] == 402
        mock.client.post("/_mock/faults", json={"name": "maint", "when": {"token": "k1"}, "code": 455})
        assert mock.generate(token="k1")["code"] == 455, "admin overrides the file"
        assert mock.post("/api/v1/generate", GENERATE, token="k1", **{"X-Mock-Code": "451"}).json()["code"] == 451
        applied = mock.faults()["applied"]
        assert [a["rules"] for a in applied] == [["slow", "broke"], ["maint", "slow"], ["headers", "slow"]]
        assert {a["delay_ms"] for a in applied} == {30}, "the file's delay still applies under overriding codes"


def test_the_admin_api_adds_lists_and_deletes_rules(mock: Mock) -> None:
    added = mock.client.post("/_mock/faults", json={"rules": [{"name": "m", "code": 455, "times": 1}]}).json()
    assert added["data"]["rules"][0] | {"rule": None} == {
        "level": "admin",
        "name": "m",
        "calls": 0,
        "fired": 0,
        "rule": None,
    }
    assert [mock.generate()["code"] for _ in range(2)] == [455, 200]
    assert mock.fired("m", "admin") == 1
    assert mock.client.delete("/_mock/faults", params={"name": "nope"}).json()["code"] == 404
    assert mock.client.delete("/_mock/faults", params={"name": "m"}).json()["data"]["rules"] == []
    bad = mock.client.post("/_mock/faults", json={"name": "x", "when": {"operation": "generate-musik"}, "code": 455})
    assert bad.json()["code"] == 422
    assert "generate-musik" in bad.json()["msg"] and "use one of" in bad.json()["msg"]


def test_reset_restarts_counters_but_keeps_the_rules(mock: Mock) -> None:
    mock.client.post("/_mock/faults", json={"name": "once", "code": 455, "times": 1})
    assert [mock.generate()["code"] for _ in range(2)] == [455, 200]
    mock.client.post("/_mock/reset")
    assert [mock.generate()["code"] for _ in range(2)] == [455, 200]


# ------------------------------------------------------------------------------------------------
# probability and seeds


@pytest.mark.parametrize("probability", [0.01, 0.1, 0.25, 0.5, 0.9])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_probability_over_10000_requests_lands_within_4_sigma(probability: float, seed: int) -> None:
    n = 10_000
    ruleset = rules({"when": {"probability": probability}, "code": 500})
    hits = run(ruleset, [facts()] * n, seed).count(500)
    tolerance = 4 * math.sqrt(probability * (1 - probability) / n)  # 0.004 at p=0.01 .. 0.02 at p=0.5
    assert abs(hits / n - probability) <= tolerance


def scenario(mock: Mock, receiver: CallbackReceiver) -> list[Any]:
    """A fixed sequence of requests with random faults; what the client sees, normalised for the port."""
    seen: list[Any] = []
    task_ids = []
    for i in range(40):
        try:
            answer = mock.client.post(
                "/api/v1/generate",
                json={**GENERATE, "callBackUrl": f"{receiver.url}/cb", "title": f"t{i}"},
                headers={"Authorization": "Bearer chaos-key"},
            )
            seen.append((answer.status_code, answer.content))
            if answer.content.startswith(b"{") and answer.json()["code"] == 200:
                task_ids.append(answer.json()["data"]["taskId"])
        except httpx.TransportError as error:
            seen.append(type(error).__name__)
    mock.advance(300)
    for task_id in task_ids:
        seen.append(mock.record(task_id).text.replace(mock.url, "BASE"))
    seen.append(sorted((r.task_id, r.stage, r.body.decode().replace(mock.url, "BASE")) for r in receiver.received))
    seen.append([a["delay_ms"] for a in mock.faults()["applied"]])
    receiver.clear()
    return seen


CHAOS = {
    "rules": [
        {"name": "garbage", "when": {"token": "chaos-key", "probability": 0.2}, "fault": "garbage"},
        {"name": "busy", "when": {"probability": 0.2}, "code": 455},
        {"name": "jitter", "when": {"probability": 0.5}, "delay": {"uniform": [0, 3]}},
        {"name": "fails", "when": {"probability": 0.3}, "outcome": {"status": "GENERATE_AUDIO_FAILED", "code": 531}},
        {"name": "dup", "when": {"probability": 0.3}, "callbacks": {"duplicate": ["complete"]}},
    ]
}


def test_the_same_seed_gives_the_same_run_and_another_seed_differs(receiver: CallbackReceiver) -> None:
    runs = []
    for seed in (11, 11, 12):
        with served(seed=seed, faults=CHAOS) as mock:
            runs.append(scenario(mock, receiver))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    codes = {entry[1][:12] for entry in runs[0][:40] if isinstance(entry, tuple)}
    assert any(c.startswith(b'{"code":455') for c in codes) and any(not c.startswith(b"{") for c in codes)


# ------------------------------------------------------------------------------------------------
# the rule file


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"rules": [{"name": "a", "code": 455, "dealy": 5}]},
            "rule 1 ('a'): dealy: unknown key (did you mean 'delay'?)",
        ),
        (
            {"rules": [{"name": "b", "fault": "rst"}]},
            "rule 1 ('b'): fault: 'rst' is not allowed; use one of reset, empty",
        ),
        (
            {"rules": [{"code": 455}, {"name": "c", "when": {"probability": 1.5}, "code": 455}]},
            "rule 2 ('c'): when.probability: 1.5 is not allowed; use a number between 0 and 1",
        ),
        (
            {"rules": [{"name": "d", "when": {"operation": "get-music-details"}, "code": 402}]},
            "rule 1 ('d'): code: 402 is not documented for get-music-details (HTTP 200 answers); use one of 401, 404",
        ),
        (
            {"rules": [{"name": "e", "outcome": {"status": "GENERATE_AUDIO_FAILED", "code": 502}}]},
            "rule 1 ('e'): outcome.code: 502 is not allowed; use a callback code: 400, 408, 413, 451, 500, 501, 531",
        ),
        (
            {"rules": [{"name": "f", "outcome": {"status": "CREATE_TASK_FAILED", "stage": "first"}}]},
            "rule 1 ('f'): outcome.stage: 'first' is not allowed for CREATE_TASK_FAILED; use one of text",
        ),
        ({"rules": [{"name": "g", "when": {"token": "x"}}]}, "rule 1 ('g'): rule: has no action; add code, outcome"),
        ({"rules": [{"name": "h", "delay": {"gamma": 3}}]}, "rule 1 ('h'): delay: distribution 'gamma' is not allowed"),
        ({"rules": [{"name": "i", "code": 455, "fault": "empty"}]}, "rule 1 ('i'): code/fault/outcome: only one of"),
        ({"rules": [{"name": "j", "code": 455}, {"name": "j", "code": 500}]}, "rule 2 ('j'): name: 'j' is used twice"),
        ({"rule": []}, "faults: rule: unknown key (did you mean 'rules'?); allowed keys: rules, rate_limits"),
        ({"rate_limits": "yes"}, "faults: rate_limits: 'yes' is not allowed; use true, false or a mapping"),
    ],
)
def test_a_bad_rule_document_is_refused_naming_the_rule_the_key_and_what_is_allowed(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app("kie", faults=document)
    assert message in str(caught.value)


def test_the_cli_refuses_a_bad_rule_file_at_start_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "faults.yaml"
    bad.write_text("rules:\n  - name: slow\n    delay: {uniform: [50]}\n")
    assert main(["serve", "--port", "0", "--faults", str(bad)]) == 2
    assert (
        f"{bad}: rule 1 ('slow'): delay.uniform: [50] is not allowed; use [min_ms, max_ms]" in capsys.readouterr().err
    )
    assert main(["serve", "--port", "0", "--faults", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read the fault file" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# faults.example.yaml: it loads, and every rule is exercised


def example_out_of_credits(mock: Mock, receiver: CallbackReceiver) -> None:
    assert mock.generate(token="broke-key")["code"] == 402
    assert mock.generate()["code"] == 200


def example_maintenance(mock: Mock, receiver: CallbackReceiver) -> None:
    assert mock.generate(token="maintenance-key")["code"] == 455
    assert mock.client.get("/api/v1/chat/credit", headers={"Authorization": "Bearer maintenance-key"}).json() == {
        "code": 455,
        "msg": "Service unavailable: system maintenance",
        "data": None,
    }


def example_third_call_server_error(mock: Mock, receiver: CallbackReceiver) -> None:
    statuses = [
        mock.client.post("/api/v1/generate", json=GENERATE, headers={"Authorization": "Bearer flaky-key"}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 500, 200]


def example_v5_generation_fails_refunded(mock: Mock, receiver: CallbackReceiver) -> None:
    task_id = mock.generate(callback=f"{receiver.url}/cb", model="V5")["data"]["taskId"]
    mock.advance(40)
    assert mock.record(task_id).json()["data"]["errorCode"] == 531
    assert callbacks_of(receiver, task_id) == [("text", 200), ("error", 531)]


def example_create_task_failed(mock: Mock, receiver: CallbackReceiver) -> None:
    task_id = mock.generate(callback=f"{receiver.url}/cb", title="Song [create-fails]")["data"]["taskId"]
    mock.advance(0)
    assert mock.record(task_id).json()["data"]["status"] == "CREATE_TASK_FAILED"
    assert callbacks_of(receiver, task_id) == [("error", 500)]


def example_callback_exception(mock: Mock, receiver: CallbackReceiver) -> None:
    task_id = mock.generate(callback=f"{receiver.url}/cb", title="[callback-exception]")["data"]["taskId"]
    mock.advance(200)
    assert mock.record(task_id).json()["data"]["status"] == "CALLBACK_EXCEPTION"
    assert callbacks_of(receiver, task_id) == [("text", 200), ("first", 200)]


def example_slow_record_info(mock: Mock, receiver: CallbackReceiver) -> None:
    task_id = mock.generate()["data"]["taskId"]
    slept = mock.record_sleeps()
    assert mock.record(task_id, token="slow-key").json()["code"] == 200
    delay = mock.faults()["applied"][-1]["delay_ms"]
    assert 20 <= delay <= 60
    assert slept == [delay / 1000]


def example_slow_credits(mock: Mock, receiver: CallbackReceiver) -> None:
    answer = mock.client.get("/api/v1/chat/credit", headers={"Authorization": "Bearer slow-key"})
    assert answer.json()["code"] == 200
    assert mock.faults()["applied"][-1]["delay_ms"] > 0


def example_reset_once(mock: Mock, receiver: CallbackReceiver) -> None:
    with pytest.raises(httpx.TransportError):
        mock.generate(token="reset-key")
    assert mock.generate(token="reset-key")["code"] == 200, "times: 1"


def example_chaos_garbage(mock: Mock, receiver: CallbackReceiver) -> None:
    bodies = [
        mock.client.post("/api/v1/generate", json=GENERATE, headers={"Authorization": "Bearer chaos-key"}).content
        for _ in range(40)
    ]
    garbage = sum(not body.startswith(b"{") for body in bodies)
    assert 0 < garbage < 40


def example_messy_callbacks(mock: Mock, receiver: CallbackReceiver) -> None:
    task_id = mock.generate(callback=f"{receiver.url}/cb", title="[messy] song")["data"]["taskId"]
    mock.advance(200)
    assert [stage for stage, _ in callbacks_of(receiver, task_id)] == ["complete", "complete", "first", "text"]


def example_lost_first_callback(mock: Mock, receiver: CallbackReceiver) -> None:
    task_id = mock.generate(callback=f"{receiver.url}/cb", title="[lost-first]")["data"]["taskId"]
    mock.advance(160)
    assert mock.record(task_id).json()["data"]["status"] == "SUCCESS"
    assert callbacks_of(receiver, task_id) == [("text", 200)], "complete comes 30 s late"
    mock.advance(30)
    assert callbacks_of(receiver, task_id) == [("text", 200), ("complete", 200)]


EXAMPLES: dict[str, Callable[[Mock, CallbackReceiver], None]] = {
    name.removeprefix("example_").replace("_", "-"): function
    for name, function in list(globals().items())
    if name.startswith("example_") and callable(function)
}


def test_every_rule_of_the_example_file_has_a_test() -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    names = [rule["name"] for rule in document["rules"]]
    assert len(parse_faults(document, CATALOG).rules) == len(names)
    assert sorted(EXAMPLES) == sorted(names)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_rule(example: Mock, receiver: CallbackReceiver, name: str) -> None:
    EXAMPLES[name](example, receiver)
    assert example.fired(name) >= 1


def test_the_example_sensitive_words_apply(example: Mock) -> None:
    task_id = example.generate(style="forbidden-word rock")["data"]["taskId"]
    example.advance(30)
    assert example.record(task_id).json()["data"]["status"] == "SENSITIVE_WORD_ERROR"


def test_the_per_request_nothing_configured_check_reads_the_levels_as_the_properties_do() -> None:
    """``decide``'s cheap first look agrees with ``rules or sensitive_words or rate_limits.enabled``, every mix."""
    import itertools

    from mockserver._faults.matching import RateLimits
    from mockserver._faults.rules import FaultConfig

    injector = create_app("kie").faults
    some = tuple(rule for _, rule in rules({"when": {"token": "k"}, "code": 500}))
    limits = (None, RateLimits(enabled=False), RateLimits(enabled=True))
    words = (None, (), ("war",))
    levels = [
        FaultConfig(rules=r, rate_limits=limit, sensitive_words=w)
        for r, limit, w in itertools.product(((), some), limits, words)
    ]
    seen = set()
    for admin, file, base in itertools.product(levels, repeat=3):
        injector.admin, injector.file, injector.base = admin, file, base
        plain = bool(admin.rules or file.rules or injector.sensitive_words or injector.rate_limits.enabled)
        assert injector._configured() is plain, (admin, file, base)
        seen.add(plain)
    assert seen == {True, False}
