"""The Market section of the server suite: kie's ``createTask`` / ``recordInfo`` pair, judged from the facts.

Everything judged here is transcribed by hand from ``kie-market.md`` (the project's confirmed facts), not
from any server's code:

- the "R" (required input) rows of section 2 for a few models, each field dropped alone: code 422;
  the valid body (the document's named example with real ids): code 200; an unknown model: 422 (1.2);
- recordInfo of each created task, polled to ``success`` / ``fail`` a bounded number of times (1.3):
  ``state`` in ``waiting · queuing · generating · success | fail`` and only forward; ``param`` a JSON
  string equal to the createTask body; ``resultJson`` a string, ``""`` before success and JSON after;
  ``failCode`` / ``failMsg`` strings (``""`` on success); times integers (epoch ms), ``completeTime``
  ≥ ``createTime``; a finished record read again twice is identical;
- the callback (1.4), when the suite's loopback receiver is up: it arrives, is JSON with ``code``,
  ``msg`` and a ``data`` object naming the task (``taskId``, or the classic ``task_id``: unverified which).

kie answers HTTP 200 with the outcome in the body ``code`` (1.1), so codes are read from the body.
On suno-mockkit's mock with a virtual clock, time is moved with ``POST /_mock/clock/advance`` between
polls; elsewhere the poll waits ``poll_interval`` real seconds, up to ``lifecycle_timeout``.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from mockserver import openapi

from ._checks import Exchange
from ._families import Source, Track
from ._server.config import SuiteConfig
from ._server.receiver import SuiteReceiver
from ._server.report import SuiteResult
from ._spend import SpendGuard

__all__ = ["CREATE", "RECORD", "REQUIRED", "declares_market", "run_market_section", "run_market_suite"]

CREATE = "/api/v1/jobs/createTask"
RECORD = "/api/v1/jobs/recordInfo"
PREFIX = "ai-music-api/"

#: kie-market.md section 2, the "R" rows, by hand (the models this section exercises).
REQUIRED: dict[str, tuple[str, ...]] = {
    "generate": ("custom_mode", "instrumental", "model"),  # 2.1
    "extend": ("audio_id", "model"),  # 2.2
    "replace-section": ("prompt", "tags", "title", "infill_start_s", "infill_end_s", "full_lyrics"),  # 2.8
    "generate-lyrics": ("prompt",),  # 2.10
    "convert-to-wav-format": ("audio_id", "task_id"),  # 2.15
    "create-music-video": ("task_id", "audio_id"),  # 2.18
}
#: 1.3: the documented states, in order; ``success`` and ``fail`` are both final.
STATE_RANK = {"waiting": 0, "queuing": 1, "generating": 2, "success": 3, "fail": 3}
FINAL = ("success", "fail")
#: 1.3: the ``data`` keys of a record.
RECORD_KEYS = ("taskId", "model", "state", "param", "resultJson", "failCode", "failMsg")
#: Polls of one task before giving up (the section never waits unboundedly).
MAX_POLLS = 120
#: Virtual seconds moved between two polls on a mock with a virtual clock.
CLOCK_STEP = 5.0
#: How often a finished record is read again.
REREADS = 2
UNKNOWN_MODEL = PREFIX + "no-such-model"


class Host(Protocol):
    """What the section needs from the running suite (:class:`contract._server.suite.Suite` provides it)."""

    config: SuiteConfig
    client: httpx.Client
    receiver: SuiteReceiver | None
    is_mock: bool
    sources: dict[str, Source]
    spend: SpendGuard
    notes: list[str]
    requests: int
    examples: int

    def record(self, check: str, operation: str, failure: str | None, exchange: Exchange | None) -> None: ...

    def cover(self, rule: str, failure: str | None) -> None: ...

    def progress(self, text: str) -> None: ...


def declares_market(spec: Any) -> bool:
    """Whether a (served) OpenAPI document declares the Market create call."""
    paths = spec.get("paths") if isinstance(spec, dict) else None
    return isinstance(paths, dict) and isinstance(paths.get(CREATE), dict) and "post" in paths[CREATE]


def served_spec(host: Host) -> Any:
    """``GET /openapi.json`` (a free read); the bundled document of the provider when there is none."""
    try:
        response = host.client.get("/openapi.json")
        host.requests += 1
        spec = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        spec = None
    if isinstance(spec, dict) and isinstance(spec.get("paths"), dict):
        return spec
    return openapi.load_spec(host.config.provider)


def examples(provider: str) -> dict[str, dict[str, Any]]:
    """The bundled document's named createTask examples, one valid body per model name."""
    spec = openapi.load_spec(provider)
    content = spec.get("paths", {}).get(CREATE, {}).get("post", {}).get("requestBody", {}).get("content", {})
    found = content.get("application/json", {}).get("examples", {})
    return {name: copy.deepcopy(example["value"]) for name, example in found.items() if "value" in example}


@dataclass
class _Created:
    model: str
    task_id: str
    body: dict[str, Any]
    path: str


class _Section:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.token = host.config.token
        self.nonce = secrets.token_hex(4)
        self.virtual_clock: bool | None = None if host.is_mock else False
        self.created: list[_Created] = []
        #: The finished music task the bodies name: the suite's, or one seeded for this section on the mock.
        self.music: Source | None = host.sources.get("music")

    # sending -----------------------------------------------------------------------------------
    def send(self, method: str, path: str, *, body: Any = None, query: dict[str, str] | None = None) -> Exchange:
        headers = {"Authorization": f"Bearer {self.token}"}
        content = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        request = self.host.client.build_request(method, path, params=query, headers=headers, content=content)
        exchange = Exchange("create-market-task" if path == CREATE else "get-market-task", request)
        self.host.requests += 1
        self.host.examples += 1
        try:
            exchange.response = self.host.client.send(request)
            exchange.response.read()
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
        return exchange

    def judge(self, check: str, model: str, rule: str, failure: str | None, exchange: Exchange | None) -> bool:
        self.host.record(check, f"market {model}", failure, exchange)
        self.host.cover(rule, failure)
        return failure is None

    @staticmethod
    def envelope(exchange: Exchange) -> str | None:
        """1.1 / 1.2: a JSON object with an integer ``code`` and a string ``msg``."""
        if exchange.error:
            return f"no answer: {exchange.error}"
        body = exchange.body
        if not isinstance(body, dict):
            return (
                f"the answer is not a JSON object (HTTP {exchange.response.status_code if exchange.response else '?'})"
            )
        code = body.get("code")
        if isinstance(code, bool) or not isinstance(code, int) or not isinstance(body.get("msg"), str):
            return f"the answer has no integer code and string msg: {json.dumps(body)[:200]}"
        return None

    def expect(self, exchange: Exchange, codes: tuple[int, ...], why: str) -> str | None:
        failure = self.envelope(exchange)
        if failure is None and exchange.code not in codes:
            failure = f"{why}: expected code {' or '.join(map(str, codes))}, got {json.dumps(exchange.body)[:240]}"
        return failure

    # bodies ------------------------------------------------------------------------------------
    def valid_body(self, model: str, found: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        """The document's example for ``model`` with the suite's finished music task, or None without one."""
        body = copy.deepcopy(found.get(model))
        if body is None:
            return None
        given = body.get("input")
        if not isinstance(given, dict):
            return None
        music = self.music
        needs = {"task_id", "audio_id"} & set(given)
        if needs and (music is None or not music.tracks):
            return None
        if music is not None and music.tracks:
            if "task_id" in given:
                given["task_id"] = music.task_id
            if "audio_id" in given:
                given["audio_id"] = music.tracks[0].id
            if "infill_end_s" in given:  # a span of 10-50 % of the first track (the classic and app bounds)
                start = 10.0
                given["infill_start_s"], given["infill_end_s"] = start, start + round(_span(music.tracks[0]), 2)
        body.pop("callBackUrl", None)
        if self.host.receiver is not None:
            body["callBackUrl"] = f"{self.host.receiver.url}/market/{model}-{self.nonce}"
        return body

    # the checks --------------------------------------------------------------------------------
    def own_source(self) -> None:
        """On the mock, a fresh finished music task of its own (the rest of the suite may have used the other)."""
        if not self.host.is_mock:
            return
        try:
            answer = self.host.client.post("/_mock/tasks", json={"durations": [120.0, 100.0]}).json()
            self.host.requests += 1
            data = answer["data"]
            tracks = tuple(Track(str(t["id"]), int(t["index"]), float(t["duration"])) for t in data["tracks"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return
        if tracks:
            self.music = Source(str(data["taskId"]), tracks)

    def run(self) -> None:
        self.own_source()
        found = {name: body for name, body in examples(self.host.config.provider).items() if name in REQUIRED}
        for model in REQUIRED:
            body = self.valid_body(model, found)
            if body is None:
                self.host.notes.append(
                    f"market {model}: not checked (no document example, or no finished task to name: "
                    "pass --task-id and --audio-id)"
                )
                continue
            self.required(model, body)
            self.create(model, body)
        self.unknown_model()
        for created in self.created:
            self.lifecycle(created)
        self.callbacks()

    def required(self, model: str, body: dict[str, Any]) -> None:
        """Each required input of section 2 dropped alone: 422 (1.2, "422 Validation error")."""
        for name in REQUIRED[model]:
            broken = copy.deepcopy(body)
            broken.pop("callBackUrl", None)
            broken["input"].pop(name, None)
            exchange = self.send("POST", CREATE, body=broken)
            failure = self.expect(exchange, (422,), f"{model} without the required input {name} must be rejected")
            self.judge("rejects_invalid", model, f"createTask {model}: input.{name} is required", failure, exchange)

    def create(self, model: str, body: dict[str, Any]) -> None:
        if not self.host.spend.allow(f"market {model}"):
            self.host.notes.append(f"market {model}: a valid createTask was not sent (spend budget)")
            return
        exchange = self.send("POST", CREATE, body=body)
        failure = self.expect(exchange, (200,), f"a valid {model} body must be accepted")
        data = exchange.body.get("data") if isinstance(exchange.body, dict) else None
        task_id = data.get("taskId") if isinstance(data, dict) else None
        if failure is None and (not isinstance(task_id, str) or not task_id):
            failure = f"a created {model} task answered no taskId string: {json.dumps(exchange.body)[:200]}"
        rule = f"createTask {model}: a valid input is accepted with a taskId"
        if self.judge("accepts_valid", model, rule, failure, exchange):
            assert isinstance(task_id, str)
            path = f"/market/{model}-{self.nonce}"
            self.created.append(_Created(model, task_id, body, path))

    def unknown_model(self) -> None:
        body = {"model": UNKNOWN_MODEL, "input": {"prompt": "a song about the sea"}}
        exchange = self.send("POST", CREATE, body=body)
        failure = self.expect(exchange, (422,), "an unknown model must be rejected")
        self.judge("rejects_invalid", "unknown-model", "createTask: an unknown model gets 422", failure, exchange)

    def advance(self) -> None:
        """Let time pass between polls: the mock's virtual clock when it has one, else a real wait."""
        if self.virtual_clock is not False:
            try:
                answer = self.host.client.post("/_mock/clock/advance", json={"seconds": CLOCK_STEP}).json()
                self.host.requests += 1
            except (httpx.HTTPError, ValueError):
                answer = None
            moved = isinstance(answer, dict) and answer.get("code") == 200
            if self.virtual_clock is None:
                self.virtual_clock = moved
            if moved:
                return
        self.host.config.sleep(self.host.config.poll_interval)

    def lifecycle(self, created: _Created) -> None:
        """Poll recordInfo to a final state (bounded), judging every record; then read it again twice."""
        model, rule = created.model, "recordInfo"
        clock = self.host.config.clock
        deadline = clock() + self.host.config.lifecycle_timeout
        last: str | None = None
        for polls in range(1, MAX_POLLS + 1):
            exchange = self.send("GET", RECORD, query={"taskId": created.task_id})
            failure = self.expect(exchange, (200,), f"recordInfo of the created {model} task {created.task_id}")
            data = exchange.body.get("data") if failure is None else None
            if failure is None and not isinstance(data, dict):
                failure = f"recordInfo answered no data object: {json.dumps(exchange.body)[:200]}"
            if not self.judge("lifecycle", model, f"{rule}: a created task can be read", failure, exchange):
                return
            assert isinstance(data, dict)
            state = data.get("state")
            found = {
                f"{rule}: the record is the task asked for, with the documented keys": _identity(data, created),
                f"{rule}: state is documented and only moves forward": _forward(last, state),
                f"{rule}: param is the createTask body as a JSON string": _param(data.get("param"), created.body),
                f"{rule}: resultJson is a string, empty before success, JSON after": _result(data, state),
                f"{rule}: failCode and failMsg are strings, empty on success": _fail_fields(data, state),
                f"{rule}: times are integers (ms), completeTime >= createTime when final": _times(data, state),
            }
            ok = True
            for name, problem in found.items():
                ok = self.judge("lifecycle", model, name, problem, exchange) and ok
            if not ok:
                return
            last = state if isinstance(state, str) else last
            if state in FINAL:
                self.host.progress(f"market {model}: {state} after {polls} poll(s)")
                self.reread(created, data)
                return
            if self.virtual_clock is False and clock() > deadline:
                break
            self.advance()
        failure = f"task {created.task_id} still {last!r} after the bounded polls; raise --lifecycle-timeout"
        self.judge("lifecycle", model, f"{rule}: a created task reaches success or fail", failure, None)

    def reread(self, created: _Created, first: dict[str, Any]) -> None:
        rule = "recordInfo: a finished record read again twice is identical"
        for _ in range(REREADS):
            exchange = self.send("GET", RECORD, query={"taskId": created.task_id})
            failure = self.expect(exchange, (200,), "a finished task read again")
            if failure is None:
                data = exchange.body.get("data")
                if data != first:
                    changed = sorted(
                        k
                        for k in set(first) | set(data if isinstance(data, dict) else {})
                        if _get(data, k) != first.get(k)
                    )
                    failure = f"a finished record changed between reads: {', '.join(changed) or 'data'}"
            if not self.judge("time", created.model, rule, failure, exchange):
                return

    def callbacks(self) -> None:
        """1.4: a callback arrives for each created task and is JSON with code, msg and data naming it."""
        receiver = self.host.receiver
        if receiver is None or not self.created:
            return
        deadline = time.monotonic() + self.host.config.callback_wait
        while time.monotonic() < deadline and not all(receiver.for_path(c.path) for c in self.created):
            self.host.config.sleep(0.05)
        for created in self.created:
            payloads = receiver.for_path(created.path)
            if not payloads:
                message = f"no Market callback for {created.model} task {created.task_id}"
                if self.host.config.require_callbacks:
                    self.judge("callbacks", created.model, "createTask: a callback arrives", message, None)
                else:
                    self.host.notes.append(message + " (not required; use --require-callbacks)")
                continue
            self.judge("callbacks", created.model, "createTask: a callback arrives", None, None)
            for payload in payloads:
                failure = _callback(payload, created.task_id)
                self.judge(
                    "callbacks", created.model, "createTask: callbacks are JSON with code, msg, data", failure, None
                )


def _span(track: Track) -> float:
    """A replaced span of 20 % of the track, at least 10 s (within every documented bound seen)."""
    return max(10.0, track.duration * 0.2)


def _get(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, dict) else None


def _identity(data: dict[str, Any], created: _Created) -> str | None:
    missing = [k for k in RECORD_KEYS if k not in data]
    if missing:
        return f"recordInfo data lacks {', '.join(missing)}"
    if data["taskId"] != created.task_id:
        return f"recordInfo answered taskId {data['taskId']!r} for {created.task_id!r}"
    if data["model"] != created.body["model"]:
        return f"recordInfo answered model {data['model']!r} for a {created.body['model']!r} task"
    return None


def _forward(last: str | None, state: Any) -> str | None:
    if not isinstance(state, str) or state not in STATE_RANK:
        return f"state {state!r} is not one of {', '.join(STATE_RANK)}"
    if last is None:
        return None
    if last in FINAL and state != last:
        return f"state went from {last!r} to {state!r}: a final state never changes"
    if STATE_RANK[state] < STATE_RANK[last]:
        return f"state went back from {last!r} to {state!r}"
    return None


def _param(param: Any, sent: dict[str, Any]) -> str | None:
    if not isinstance(param, str):
        return f"param must be a JSON string, got {type(param).__name__} {json.dumps(param)[:120]}"
    try:
        echoed = json.loads(param)
    except ValueError:
        return f"param is not JSON: {param[:120]!r}"
    if echoed != sent:
        return f"param {param[:200]} is not the createTask body sent {json.dumps(sent)[:200]}"
    return None


def _result(data: dict[str, Any], state: Any) -> str | None:
    result = data.get("resultJson")
    if not isinstance(result, str):
        return f"resultJson must be a string, got {type(result).__name__}"
    if state != "success":
        if state != "fail" and result != "":
            return f"resultJson must be empty before success (state {state!r}), got {result[:120]!r}"
        return None
    try:
        json.loads(result)
    except ValueError:
        return f"resultJson of a successful task is not JSON: {result[:120]!r}"
    return None


def _fail_fields(data: dict[str, Any], state: Any) -> str | None:
    for key in ("failCode", "failMsg"):
        value = data.get(key)
        if not isinstance(value, str):
            return f"{key} must be a string, got {json.dumps(value)}"
        if state == "success" and value != "":
            return f"{key} must be empty on success, got {value!r}"
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _times(data: dict[str, Any], state: Any) -> str | None:
    for key in ("createTime", "updateTime"):
        if not _is_int(data.get(key)):
            return f"{key} must be an integer (epoch ms), got {json.dumps(data.get(key))}"
    for key in ("costTime", "completeTime"):
        value = data.get(key)
        if state in FINAL and not _is_int(value):
            return f"{key} of a {state} task must be an integer (ms), got {json.dumps(value)}"
        if value is not None and not _is_int(value):  # before the end: not yet known (null) is accepted
            return f"{key} must be an integer (ms) or null, got {json.dumps(value)}"
    if state in FINAL and data["completeTime"] < data["createTime"]:
        return f"completeTime {data['completeTime']} is before createTime {data['createTime']}"
    return None


def _callback(payload: Any, task_id: str) -> str | None:
    if not isinstance(payload, dict):
        return f"the callback body is not a JSON object: {str(payload)[:160]!r}"
    code, msg, data = payload.get("code"), payload.get("msg"), payload.get("data")
    if isinstance(code, bool) or not isinstance(code, int) or not isinstance(msg, str) or not isinstance(data, dict):
        return f"the callback lacks an integer code, string msg and data object: {json.dumps(payload)[:200]}"
    named = data.get("taskId", data.get("task_id"))
    if named != task_id:
        return f"the callback's data names task {named!r}, not {task_id!r}"
    return None


# -- entry points --------------------------------------------------------------------------------


def run_market_section(host: Host) -> bool:
    """Run the Market checks if the served document declares createTask; whether they ran."""
    if not declares_market(served_spec(host)):
        return False
    host.progress("market jobs (createTask / recordInfo)")
    host.notes.append(f"{CREATE} and {RECORD}: judged by the Market section (contract/_market.py)")
    _Section(host).run()
    return True


def run_market_suite(config: SuiteConfig) -> SuiteResult:
    """Only the Market section (with the mock probe and the finished-task fixture), as a suite result."""
    from ._server.discovery import fixture
    from ._server.run import suite_session

    with suite_session(config, operations=("create-market-task", "get-market-task")) as session:
        fixture(session.suite)
        if not run_market_section(session.suite):
            session.suite.notes.append(f"the served document does not declare {CREATE}: nothing checked")
    assert session.result is not None
    return session.result
