"""Replace Music Section, seed by seed: the bundled documents and the served mock against the seeds.

Each table below is a seed document's facts, written out here from ``shared/seeds/`` (000 kie,
001 apikley, 002 api.box, 003 kie's callback page, 004 sunoapi). Every row names its seed. Where
the bundle or the mock deliberately differs from a seed, the row's ``differs`` names the switch
or the note that says why; the test then checks that the switch or note exists and does what the
row says. The documents are read with plain dict access and jsonschema, not with the mock's
validation code; the mock is served in-process (``create_app``) on a virtual clock.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver import MockApp, create_app, openapi
from mockserver._serving import CallbackReceiver

from .support import AUTH, SpecChecker

PATH = "/api/v1/generate/replace-section"
DAY = 86400.0

S000 = "seed 000 (kie.ai, Replace Music Section)"
S001 = "seed 001 (apikley.ru, OpenAPI fragment)"
S002 = "seed 002 (api.box, Replace Music Section)"
S003 = "seed 003 (kie.ai, Replace Music Section Callbacks)"
S004 = "seed 004 (sunoapi.org, Replace Music Section)"
SEED_OF = {"kie": S000, "apikley": S001, "apibox": S002, "sunoapi": S004}


@dataclass(frozen=True)
class FieldFact:
    """One request field as a seed states it."""

    seed: str
    name: str
    type: str
    required: bool
    #: A sentence of the seed's description the document must carry word for word.
    words: str
    #: The seed's example; ``*`` in a string is the seed's mask (any characters).
    example: Any
    minimum: float | None = None
    places: int | None = None


def _fields(seed: str, selector: FieldFact, *, prompt: str, interval: bool, lyrics: bool) -> tuple[FieldFact, ...]:
    rule = ". The time interval (infillEndS - infillStartS) must be between 6 and 60 seconds." if interval else ""
    rows = [
        FieldFact(
            seed,
            "taskId",
            "string",
            True,
            "Original task ID (parent task), used to identify the source music for section replacement",
            "2fac****9f72",
        ),
        selector,
        FieldFact(seed, "prompt", "string", True, prompt, "A calm and relaxing piano track."),
        FieldFact(seed, "tags", "string", True, "Music style tags, such as jazz, electronic, etc.", "Jazz"),
        FieldFact(seed, "title", "string", True, "Music title", "Relaxing Piano"),
        FieldFact(
            seed,
            "infillStartS",
            "number",
            True,
            "Start time point for replacement (seconds), 2 decimal places. Must be less than infillEndS" + rule,
            10.5,
            minimum=0,
            places=2,
        ),
        FieldFact(
            seed,
            "infillEndS",
            "number",
            True,
            "End time point for replacement (seconds), 2 decimal places. Must be greater than infillStartS" + rule,
            20.75,
            minimum=0,
            places=2,
        ),
        FieldFact(
            seed,
            "negativeTags",
            "string",
            False,
            "Excluded music styles, used to avoid specific style elements in the replacement segment",
            "Rock",
        ),
        FieldFact(
            seed,
            "callBackUrl",
            "string",
            False,
            "The system will send a POST request to this URL when replacement is complete",
            "https://example.com/callback",
        ),
    ]
    if lyrics:
        rows.append(
            FieldFact(
                seed,
                "fullLyrics",
                "string",
                False,
                "Complete lyrics after modification, combining both modified and unmodified lyrics.",
                LYRICS,
            )
        )
    return tuple(rows)


LYRICS = "[Verse 1]\nOriginal lyrics here\n[Chorus]\nModified lyrics for this section\n[Verse 2]\nMore original lyrics"
AUDIO_MASK = "e231****-****-****-****-****8cadc7dc"
_AUDIO_ID_KIE = "Unique identifier of the audio track to replace. This ID is returned in the callback data"
_PROMPT_KIE = "Prompt for generating the replacement segment, typically text describing the audio content"
FIELDS: dict[str, tuple[FieldFact, ...]] = {
    "kie": _fields(
        S000,
        FieldFact(S000, "audioId", "string", True, _AUDIO_ID_KIE, "e231****-****-****-****-****8cadc7dc"),
        prompt=_PROMPT_KIE,
        interval=False,
        lyrics=True,
    ),
    "apikley": _fields(
        S001,
        FieldFact(S001, "audioId", "string", True, _AUDIO_ID_KIE, "e231****-****-****-****-****8cadc7dc"),
        prompt=_PROMPT_KIE,
        interval=True,
        lyrics=True,
    ),
    "apibox": _fields(
        S002,
        FieldFact(
            S002,
            "musicIndex",
            "integer",
            True,
            "Music index, specifies which song from the generated music list to replace (starting from 0)",
            0,
            minimum=0,
        ),
        prompt=_PROMPT_KIE,
        interval=False,
        lyrics=False,
    ),
    # seed 004: prompt is "Replaced lyrics", audioId "Audio ID of the track to replace."
    "sunoapi": _fields(
        S004,
        FieldFact(
            S004, "audioId", "string", True, "Audio ID of the track to replace.", "e231****-****-****-****-****8cadc7dc"
        ),
        prompt="Replaced lyrics",
        interval=True,
        lyrics=False,
    ),
}


@dataclass(frozen=True)
class Rule:
    """A rule of the operation as a seed states it (``value`` None: the seed states none)."""

    seed: str
    name: str
    value: Any
    differs: str = ""


RULES: dict[str, tuple[Rule, ...]] = {
    "kie": (
        Rule(S000, "interval", None),
        Rule(S000, "half", "Replacement duration should not exceed 50% of the original music's total duration"),
        Rule(S000, "retention_days", 14),
    ),
    "apikley": (
        Rule(S001, "interval", (6, 60)),
        Rule(S001, "half", "Replacement duration should not exceed 50% of the original music's total duration"),
        Rule(S001, "retention_days", 14),
    ),
    "apibox": (
        Rule(S002, "interval", None),
        Rule(S002, "half", "Replacement duration should not exceed 50% of the original music's total duration"),
        Rule(S002, "retention_days", 14),
    ),
    "sunoapi": (
        Rule(S004, "interval", (6, 60)),
        Rule(S004, "half", "Replacement duration should not exceed 50% of the original music's total duration"),
        # 004's copy stops before its Developer Notes; shared/seeds/README.md gives 14 days for all four.
        Rule(S004, "retention_days", 14),
    ),
}

#: The submit's code list with each code's meaning, identical on seeds 000, 001, 002 and 004.
SUBMIT_CODES: dict[int, str] = {
    200: "Success - Request processed successfully",
    401: "Unauthorized - Authentication credentials missing or invalid",
    402: "Insufficient credits - Account does not have enough credits to perform this operation",
    404: "Not found - Requested resource or endpoint does not exist",
    409: "Conflict - WAV record already exists",
    422: "Validation error - Request parameters failed validation checks",
    429: "Rate limit exceeded - Exceeded request limit for this resource",
    451: "Unauthorized - Failed to retrieve image",
    455: "Service unavailable - System is currently undergoing maintenance",
    500: "Server error - Unexpected error occurred while processing request",
}
#: Seed 003: the callback's status codes and what each means (a word the mock's msg must carry).
CALLBACK_CODES_003: dict[int, tuple[str, str]] = {
    200: ("Success - Task completed successfully", "success"),
    400: ("Validation error - Parameter validation failed", "validation error"),
    408: ("Timeout - Request timeout", "timeout"),
    500: ("Server error - Unexpected error occurred", "server error"),
    501: ("Audio generation failed", "audio generation failed"),
    531: ("Server error - Generation failed, credits refunded", "refunded"),
}
#: Seed 001 lists 413 besides; 451 is in neither (the bundle marks it x-mock-choice).
CALLBACK_CODES_001 = (200, 400, 408, 413, 500, 501, 531)


@dataclass(frozen=True)
class CallbackFact:
    seed: str
    name: str
    value: Any
    differs: str = ""


CALLBACK: tuple[CallbackFact, ...] = (
    CallbackFact(S003, "stages", ("complete",)),  # "Complete: When the replacement task is fully completed"
    CallbackFact(S003, "timeout_s", 10.0),
    CallbackFact(S003, "attempts", 3),
    CallbackFact(S003, "success_msg", "All generated successfully."),
    CallbackFact(S003, "callback_types", ("complete", "error")),
    CallbackFact(
        S003,
        "track_keys",
        (
            "id",
            "audio_url",
            "stream_audio_url",
            "image_url",
            "prompt",
            "model_name",
            "title",
            "tags",
            "createTime",
            "duration",
        ),
    ),
    CallbackFact(S003, "failure", (501, "Audio generation failed.", "Generation failed due to technical issues")),
    # The examples show the request's taskId (2fac****9f72) and audioId (e231****...8cadc7dc).
    CallbackFact(S003, "ids", "parent", differs="replace_callback_ids"),
)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _mask(example: Any) -> re.Pattern[str]:
    return re.compile("^" + ".+".join(re.escape(part) for part in str(example).split("****")) + "$", re.S)


def _fits(value: Any, example: Any) -> bool:
    if isinstance(example, str) and "****" in example:
        return isinstance(value, str) and bool(_mask(example).match(value))
    return bool(value == example)


def _resolve(doc: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = doc
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _operation(doc: Mapping[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = doc["paths"][PATH]["post"]
    return op


def _request_schema(doc: Mapping[str, Any]) -> dict[str, Any]:
    media = _operation(doc)["requestBody"]["content"]["application/json"]
    schema: dict[str, Any] = _resolve(doc, media["schema"])
    return schema


def _validator(doc: Mapping[str, Any], schema: Mapping[str, Any]) -> Draft202012Validator:
    registry = Registry().with_resource("urn:doc", Resource.from_contents(dict(doc), DRAFT202012))
    localised = _relocate(schema)
    return Draft202012Validator(localised, registry=registry)


def _relocate(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: ("urn:doc" + v if k == "$ref" and v.startswith("#") else _relocate(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_relocate(v) for v in node]
    return node


def virtual(provider: str, **options: Any) -> MockApp:
    return create_app(provider, seed=3, virtual_clock=True, **options)


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as receiver:
        yield receiver


@pytest.fixture
async def client_for() -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []
    apps: dict[int, MockApp] = {}

    def make(app: MockApp, headers: Mapping[str, str] = AUTH) -> httpx.AsyncClient:
        apps[id(app)] = app
        checker = SpecChecker(app.provider)

        async def check(response: httpx.Response) -> None:
            await response.aread()
            checker.check_response(response)

        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://mock",
            headers=dict(headers),
            event_hooks={"response": [check]},
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
    for app in apps.values():
        await app.aclose()  # its callback client's connections, on this test's loop


def _body(provider: str, app: MockApp, callback: str | None = None, **changes: Any) -> dict[str, Any]:
    """A valid body against a fresh 120 s track of a seeded task."""
    task = app.seed_task([120.0])
    body: dict[str, Any] = {
        "taskId": task.id,
        "prompt": "A calm and relaxing piano track.",
        "tags": "Jazz",
        "title": "Relaxing Piano",
        "infillStartS": 10.5,
        "infillEndS": 20.75,
    }
    if provider == "apibox":
        body["musicIndex"] = 0
    else:
        body["audioId"] = task.tracks[0].id
    if callback is not None:
        body["callBackUrl"] = callback
    body.update(changes)
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP: Any = object()


def _wrong(kind: str) -> Any:
    return {"string": 12, "number": "10", "integer": 1.5}[kind]


# --------------------------------------------------------------------------------------------
# The bundle against each seed's field table
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_bundle_request_fields_are_the_seeds(provider: str) -> None:
    doc = openapi.load_spec(provider)
    schema = _request_schema(doc)
    facts = FIELDS[provider]
    assert set(schema["properties"]) == {f.name for f in facts}, SEED_OF[provider]
    assert set(schema["required"]) == {f.name for f in facts if f.required}, SEED_OF[provider]
    example = _operation(doc)["requestBody"]["content"]["application/json"]["example"]
    for fact in facts:
        prop = _resolve(doc, schema["properties"][fact.name])
        where = f"{fact.seed}: {fact.name}"
        assert prop["type"] == fact.type, where
        assert fact.words in prop["description"], where
        assert _fits(prop["example"], fact.example), f"{where}: example {prop['example']!r}"
        assert _fits(example[fact.name], fact.example), f"{where}: request example {example[fact.name]!r}"
        assert prop.get("minimum") == fact.minimum, where
        assert prop.get("x-decimal-places") == fact.places, where
        if fact.name == "callBackUrl":
            # the seeds say string<uri>; the pattern and the length cap are the mock's, and say so
            assert prop["format"] == "uri", where
            assert "no replace-section seed states them" in prop["x-mock-choice"], where


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_bundle_rules_codes_and_retention_are_the_seeds(provider: str) -> None:
    doc = openapi.load_spec(provider)
    op = _operation(doc)
    rules = {rule.name: rule for rule in RULES[provider]}
    interval = _request_schema(doc)["x-interval"]
    stated = rules["interval"].value
    assert (interval.get("minSeconds"), interval.get("maxSeconds")) == (stated or (None, None)), rules["interval"]
    assert ("between 6 and 60 seconds" in op["description"]) is (stated is not None), rules["interval"].seed
    assert rules["half"].value in op["description"], rules["half"].seed
    days = rules["retention_days"].value
    assert f"Generated files will be retained for {days} days" in op["description"], rules["retention_days"].seed
    # the submit's codes, each with its meaning, and the example's masked task id
    ok = _resolve(doc, op["responses"]["200"])
    schema = _resolve(doc, ok["content"]["application/json"]["schema"])
    assert set(_resolve(doc, schema["properties"]["code"])["enum"]) == set(SUBMIT_CODES), SEED_OF[provider]
    for code, meaning in SUBMIT_CODES.items():
        assert f"{code} {meaning}" in ok["description"], f"{SEED_OF[provider]}: {code}"
    assert _fits(ok["content"]["application/json"]["example"]["data"]["taskId"], "5c79****be8e")


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
def test_bundle_server_error_codes_have_a_source_or_say_they_are_the_mocks(provider: str) -> None:
    doc = openapi.load_spec(provider)
    error = _resolve(doc, _operation(doc)["responses"]["500"])
    codes = set(
        _resolve(doc, _resolve(doc, error["content"]["application/json"]["schema"])["properties"]["code"])["enum"]
    )
    if provider in ("apikley", "apibox"):
        # seed 001 gives a bare "Server Error", seed 002 no HTTP 500 at all: code 500 only, marked
        assert codes == {500}, SEED_OF[provider]
        assert "x-mock-choice" in error and "Server Error" in error["description"]
    else:
        assert codes >= {500, 408, 501, 505}  # kie's and sunoapi's own pages


def test_bundle_callback_follows_seed_003() -> None:
    doc = openapi.load_spec("kie")
    callback = _resolve(doc, _operation(doc)["callbacks"]["audioGenerated"])
    (post,) = [item["post"] for key, item in callback.items() if key.startswith("{")]
    schema = _resolve(doc, post["requestBody"]["content"]["application/json"]["schema"])
    code = _resolve(doc, schema["properties"]["code"])
    facts = {fact.name: fact for fact in CALLBACK}
    for value, (meaning, _) in CALLBACK_CODES_003.items():
        assert value in code["enum"], f"{S003}: {value}"
        assert meaning in code["description"], f"{S003}: {value} {meaning}"
    assert set(code["enum"]) - set(CALLBACK_CODES_003) == {413, 451}
    assert "413" in code["description"] and "451" in code["x-mock-choice"]  # 413 from seed 001; 451 the mock's
    data = _resolve(doc, schema["properties"]["data"])
    assert tuple(data["properties"]["callbackType"]["enum"]) == facts["callback_types"].value, S003
    track = _resolve(doc, data["properties"]["data"]["items"])
    assert set(track["required"]) == set(facts["track_keys"].value), S003
    ack = post["responses"]["200"]["description"]
    assert "within 10 s" in ack and "up to 3 attempts with exponential backoff" in ack, S003
    assert "Webhook Security" in post["description"] and "X-Webhook-Signature" in post["description"], S003
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    validator = _validator(doc, schema)
    for name in ("success", "failure"):
        assert list(validator.iter_errors(examples[name]["value"])) == [], name
    failure = examples["failure"]["value"]
    assert (failure["code"], failure["msg"], failure["data"]["error"]) == facts["failure"].value, S003
    success = examples["success"]["value"]["data"]
    assert _fits(success["task_id"], "2fac****9f72") and _fits(
        success["data"][0]["id"], "e231****-****-****-****-****8cadc7dc"
    )
    # the ids of the seed's examples are the request's: the bundle names the switch that serves them
    assert facts["ids"].differs in schema["description"]


def test_bundle_keeps_apikleys_published_callback_schema_beside_the_mocks() -> None:
    doc = openapi.load_spec("apikley")
    callback = _resolve(doc, _operation(doc)["callbacks"]["audioGenerated"])
    (post,) = [item["post"] for key, item in callback.items() if key.startswith("{")]
    published = _resolve(doc, post["x-published-schema"])
    # seed 001 as published: callbackType text/first/complete, the code list on the acknowledgement
    assert published["properties"]["data"]["properties"]["callbackType"]["enum"] == ["text", "first", "complete"], S001
    ack = _resolve(doc, post["responses"]["200"]["content"]["application/json"]["schema"])
    assert ack["allOf"][0]["properties"]["code"]["enum"] == list(CALLBACK_CODES_001), S001
    assert (
        "ReplaceCallbackAsPublished" in post["description"] and "does not (callbackType `error`)" in post["description"]
    )


# --------------------------------------------------------------------------------------------
# The served mock against the same tables
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
async def test_served_document_is_the_bundle(provider: str, client_for: Any) -> None:
    app = virtual(provider)
    served = (await client_for(app).get("/openapi.json")).json()
    schema = _request_schema(served)
    for fact in FIELDS[provider]:
        assert fact.words in _resolve(served, schema["properties"][fact.name])["description"], fact.seed


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
async def test_served_mock_enforces_each_seed_field(provider: str, client_for: Any) -> None:
    app = virtual(provider)
    client = client_for(app)
    assert (await client.post(PATH, json=_body(provider, app))).json()["code"] == 200
    for fact in FIELDS[provider]:
        where = f"{fact.seed}: {fact.name}"
        if fact.required:
            missing = (await client.post(PATH, json=_body(provider, app, **{fact.name: _DROP}))).json()
            assert missing["code"] == 422 and fact.name in missing["msg"], where
        elif fact.name != "callBackUrl":
            assert (await client.post(PATH, json=_body(provider, app, **{fact.name: "x"}))).json()["code"] == 200
        wrong = (await client.post(PATH, json=_body(provider, app, **{fact.name: _wrong(fact.type)}))).json()
        assert wrong["code"] == 422 and fact.name in wrong["msg"], where
        if fact.minimum is not None:
            negative: dict[str, Any] = {fact.name: -1}
            below = (await client.post(PATH, json=_body(provider, app, **negative))).json()
            assert below["code"] == 422 and fact.name in below["msg"], where
        if fact.places is not None:
            value = {"infillStartS": 10.123, "infillEndS": 20.123}[fact.name]
            precise: dict[str, Any] = {fact.name: value}
            fine = (await client.post(PATH, json=_body(provider, app, **precise))).json()
            assert fine["code"] == 422 and "2 decimal places" in fine["msg"], where


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
async def test_served_mock_applies_each_seeds_time_rules(provider: str, client_for: Any) -> None:
    app = virtual(provider)
    client = client_for(app)
    rules = {rule.name: rule for rule in RULES[provider]}

    async def code(start: float, end: float) -> int:
        answer = (await client.post(PATH, json=_body(provider, app, infillStartS=start, infillEndS=end))).json()
        return int(answer["code"])

    assert await code(20.0, 20.0) == 422, "infillStartS must be less than infillEndS (every seed)"
    assert await code(30.0, 20.0) == 422
    short = 422 if rules["interval"].value else 200
    assert await code(10.0, 15.99) == short, rules["interval"]
    assert await code(10.0, 16.0) == 200, rules["interval"]
    assert await code(0.0, 60.0) == 200, f"{rules['half']}: exactly 50% of 120 s"
    assert await code(0.0, 60.01) == 422, rules["half"]


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
async def test_served_mock_answers_the_documented_codes(provider: str, client_for: Any) -> None:
    app = virtual(provider)
    ok = (await client_for(app).post(PATH, json=_body(provider, app))).json()
    assert (ok["code"], ok["msg"]) == (200, "success") and ok["data"]["taskId"], SEED_OF[provider]
    anonymous = (await client_for(app, {}).post(PATH, json=_body(provider, app))).json()
    assert anonymous["code"] == 401 and anonymous["data"] is None, SUBMIT_CODES[401]
    unknown = (await client_for(app).post(PATH, json=_body(provider, app, taskId="0" * 32))).json()
    assert unknown["code"] == 404 and "taskId" in unknown["msg"], SUBMIT_CODES[404]
    busy = (await client_for(app).post(PATH, json=_body(provider, app), headers={"X-Mock-Code": "455"})).json()
    assert busy["code"] == 455, SUBMIT_CODES[455]


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
async def test_served_callback_follows_seed_003(provider: str, client_for: Any, receiver: CallbackReceiver) -> None:
    app = virtual(provider)
    client = client_for(app)
    facts = {fact.name: fact for fact in CALLBACK}
    assert app.state.driver.policy("replace").timeout_s == facts["timeout_s"].value, S003
    body = _body(provider, app, callback=f"{receiver.url}/cb")
    task_id = (await client.post(PATH, json=body)).json()["data"]["taskId"]
    await app.advance(300)
    received = [r for r in receiver.received if r.task_id == task_id]
    assert tuple(r.stage for r in received) == facts["stages"].value, S003
    payload = received[0].json()
    SpecChecker(provider).check_operation_callback("replace-section", payload)
    assert (payload["code"], payload["msg"]) == (200, facts["success_msg"].value), S003
    assert payload["data"]["callbackType"] == "complete"
    (track,) = payload["data"]["data"]
    assert tuple(track) == facts["track_keys"].value, S003
    # default ids (replace_callback_ids=new): the task the submit answered and the new track
    record = (await client.get("/api/v1/generate/record-info", params={"taskId": task_id})).json()["data"]
    assert payload["data"]["task_id"] == task_id
    assert track["id"] == record["response"]["sunoData"][0]["id"] != (body.get("audioId") or "")


async def test_callback_ids_switch_serves_the_seed_examples_ids(client_for: Any, receiver: CallbackReceiver) -> None:
    switch = next(fact for fact in CALLBACK if fact.name == "ids")
    app = virtual("kie", profile_overrides={switch.differs: switch.value})
    body = _body("kie", app, callback=f"{receiver.url}/cb")
    task_id = (await client_for(app).post(PATH, json=body)).json()["data"]["taskId"]
    await app.advance(120)
    (callback,) = receiver.received
    payload = callback.json()
    assert payload["data"]["task_id"] == body["taskId"] != task_id, S003
    assert payload["data"]["data"][0]["id"] == body["audioId"], S003
    SpecChecker("kie").check_operation_callback("replace-section", payload)


@pytest.mark.parametrize("code", sorted(set(CALLBACK_CODES_003) - {200}))
async def test_every_forced_callback_code_says_its_documented_message(
    code: int, client_for: Any, receiver: CallbackReceiver
) -> None:
    app = virtual("kie")
    body = _body("kie", app, callback=f"{receiver.url}/cb")
    headers = {"X-Mock-Outcome": f"GENERATE_AUDIO_FAILED; code={code}"}
    task_id = (await client_for(app).post(PATH, json=body, headers=headers)).json()["data"]["taskId"]
    await app.advance(120)
    (callback,) = receiver.received
    payload = callback.json()
    meaning, word = CALLBACK_CODES_003[code]
    assert payload["code"] == code
    assert word in payload["msg"].lower(), f"{S003}: {code} {meaning}, got {payload['msg']!r}"
    # seed 003: the error field carries a detail of its own, not msg again
    assert payload["data"]["callbackType"] == "error" and payload["data"]["task_id"] == task_id
    assert payload["data"]["error"] and payload["data"]["error"] != payload["msg"]
    SpecChecker("kie").check_operation_callback("replace-section", payload)


async def test_failing_receiver_gets_the_seeds_three_attempts(client_for: Any) -> None:
    attempts = next(fact for fact in CALLBACK if fact.name == "attempts")
    with CallbackReceiver(status=500) as failing:
        app = virtual("kie", callback_timeout_s=0.5)
        body = _body("kie", app, callback=f"{failing.url}/cb")
        task_id = (await client_for(app).post(PATH, json=body)).json()["data"]["taskId"]
        await app.advance(600)
        made = app.callbacks.attempts(task_id)
        assert [a.attempt for a in made] == list(range(1, attempts.value + 1)), S003
        assert not any(a.delivered for a in made)


async def test_apikley_complete_callback_also_fits_its_published_schema(
    client_for: Any, receiver: CallbackReceiver
) -> None:
    app = virtual("apikley")
    doc = openapi.load_spec("apikley")
    callback = _resolve(doc, _operation(doc)["callbacks"]["audioGenerated"])
    (post,) = [item["post"] for key, item in callback.items() if key.startswith("{")]
    published = _validator(doc, _resolve(doc, post["x-published-schema"]))
    await client_for(app).post(PATH, json=_body("apikley", app, callback=f"{receiver.url}/cb"))
    failed = _body("apikley", app, callback=f"{receiver.url}/cb")
    headers = {"X-Mock-Outcome": "GENERATE_AUDIO_FAILED"}
    await client_for(app).post(PATH, json=failed, headers=headers)
    await app.advance(120)
    by_type = {r.json()["data"]["callbackType"]: r.json() for r in receiver.received}
    assert list(published.iter_errors(by_type["complete"])) == [], S001
    # the documented difference (see the callback's description): apikley's enum has no `error`
    assert [e.validator for e in published.iter_errors(by_type["error"])] == ["enum"], S001


@pytest.mark.parametrize("provider", openapi.PROVIDERS)
async def test_replace_results_are_kept_the_seeds_14_days(provider: str, client_for: Any) -> None:
    days = next(rule for rule in RULES[provider] if rule.name == "retention_days").value
    app = virtual(provider)
    client = client_for(app)
    task_id = (await client.post(PATH, json=_body(provider, app))).json()["data"]["taskId"]
    await app.advance(120)
    record = (await client.get("/api/v1/generate/record-info", params={"taskId": task_id})).json()["data"]
    url = httpx.URL(record["response"]["sunoData"][0]["audioUrl"])
    await app.advance(days * DAY - 1000)
    kept = await client.get(url.path)
    assert kept.headers["content-type"].startswith("audio/"), SEED_OF[provider]
    await app.advance(1000 + 1)
    gone = (await client.get(url.path)).json()  # the envelope, HTTP 200 as every answer
    assert gone["code"] == 404 and f"kept {days} days" in gone["msg"], SEED_OF[provider]
    assert app.profile.retention("replace") == days
