"""kie's Market jobs: ``POST /api/v1/jobs/createTask`` and ``GET /api/v1/jobs/recordInfo``.

A Market task is a task of the same job kind as its classic twin, seen through another view:
``createTask`` translates ``input`` (snake_case) into the classic body and runs the classic
behaviour, so every rule, lifecycle, fault and file applies unchanged; ``recordInfo`` shows
the task as ``state`` (waiting, queuing, generating, success, fail), ``param`` and
``resultJson`` (JSON strings), ``failCode``/``failMsg`` and epoch-millisecond times.

The classic synchronous operations (timestamped lyrics, boost style, persona) become tasks
of the ``inline`` kind here: their answer is computed at creation and shown as
``resultJson.resultObject`` once the task succeeds, two seconds later.

Errors name the fields as the client spelled them (``input.audio_id``).  Callbacks follow the
profile switch ``market_callback``: ``classic`` (default: the classic body of the task's kind,
as the create-music-video page hints) or ``record`` (the recordInfo ``data``, as kie's generic
Market models send, on completion or failure only).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .._behaviour import Behaviour, Call, invalid, not_found
from .._envelope import compact_json
from .._errors import DomainError
from .._kind import FailureText, JobKind, Snapshot
from .._lifecycle import Failure, Lifecycle, Progress, Stage, Status
from .._providers import Profile
from .._spec import Operation
from .._store import Task
from .uploads import upload_length

__all__ = ["INLINE", "MODELS", "market_behaviours", "market_record"]

#: Seconds a Market task reads ``waiting`` before ``queuing`` (at most a quarter of its first stage).
WAITING_S = 2.0
#: Seconds until an inline task (a classic synchronous operation run as a Market job) succeeds.
INLINE_S = 2.0


@dataclass(frozen=True, slots=True)
class MarketModel:
    """A Market model: the classic operation it runs, and its input rewritten into that body."""

    operation: str
    translate: Callable[[dict[str, Any]], dict[str, Any]]
    #: Classic synchronous operations run as ``inline`` tasks.
    inline: bool = False
    #: Where the classic body takes the top-level ``callBackUrl`` (Regenerate phrase: ``calBackUrl``).
    callback_field: str = "callBackUrl"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camel_body(source: Mapping[str, Any]) -> dict[str, Any]:
    """``input`` with every key in the classic camelCase (``infill_start_s`` -> ``infillStartS``)."""
    return {_camel(key): value for key, value in source.items()}


def _songs(source: Mapping[str, Any]) -> dict[str, Any]:
    body = camel_body(source)
    if "lyrics" in body:  # the Market pages: lyrics take priority over prompt
        body["prompt"] = body.pop("lyrics")
    return body


def _extend(source: Mapping[str, Any]) -> dict[str, Any]:
    body = _songs(source)
    # no default_param_flag on the Market page: leaving continue_at out inherits the source's settings
    body["defaultParamFlag"] = "continueAt" in body
    return body


def _upload_cover(source: Mapping[str, Any]) -> dict[str, Any]:
    body = _songs(source)
    body.setdefault("customMode", bool(body.get("style") or body.get("title")))
    return body


def _recovery(source: Mapping[str, Any]) -> dict[str, Any]:
    # the Market model names the source task_id; the classic (sunoapi / api.box) body sunoTaskId
    return {"sunoTaskId": source["task_id"]}


MODELS: dict[str, MarketModel] = {
    "ai-music-api/generate": MarketModel("generate-music", _songs),
    "ai-music-api/extend": MarketModel("extend-music", _extend),
    "ai-music-api/upload-and-cover-audio": MarketModel("upload-cover", _upload_cover),
    "ai-music-api/upload-and-extend-audio": MarketModel("upload-extend", _extend),
    "ai-music-api/add-instrumental": MarketModel("add-instrumental", _songs),
    "ai-music-api/add-vocals": MarketModel("add-vocals", _songs),
    "ai-music-api/mashup": MarketModel("generate-mashup", _songs),
    "ai-music-api/replace-section": MarketModel("replace-section", _songs),
    "ai-music-api/sounds": MarketModel("generate-sounds", _songs),
    "ai-music-api/generate-lyrics": MarketModel("generate-lyrics", camel_body),
    "ai-music-api/timeStamped-lyrics": MarketModel("get-timestamped-lyrics", camel_body, inline=True),
    "ai-music-api/boost-music-style": MarketModel("boost-music-style", camel_body, inline=True),
    "ai-music-api/cover-generate": MarketModel("generate-cover-image", camel_body),
    "ai-music-api/generate-persona": MarketModel("generate-persona", camel_body, inline=True),
    "ai-music-api/convert-to-wav-format": MarketModel("convert-to-wav", camel_body),
    "ai-music-api/separate-vocals": MarketModel("separate-vocals", camel_body),
    "ai-music-api/generate-midi-from-audio": MarketModel("generate-midi", camel_body),
    "ai-music-api/create-music-video": MarketModel("create-music-video", camel_body),
    "ai-music-api/suno-recovery-audio": MarketModel("recover-audio", _recovery),
    "ai-music-api/validation-phrase": MarketModel("validate-voice", camel_body),
    "ai-music-api/regenerate-phrase": MarketModel("regenerate-voice-phrase", camel_body, callback_field="calBackUrl"),
    "ai-music-api/create-voice": MarketModel("create-voice", camel_body),
    # the classic Check Voice takes task_id as the Market input does
    "ai-music-api/check-voice": MarketModel("check-voice", dict, inline=True),
}


@dataclass(frozen=True, slots=True)
class UrlSource:
    """A Market input that may name its source audio by URL instead of ``task_id`` + ``audio_id``.

    The mock never fetches such a URL: it accepts the audio URLs of tracks it made (their task and
    track are then the source, as if ``task_id`` + ``audio_id`` were sent) and refuses any other.
    """

    field: str  # the Market input field (snake_case)
    classic: str  # its classic camelCase spelling after camel_body
    verb: str  # what the operation does to the audio, for the message
    keep: bool  # whether the classic body takes the URL too (replace-section: uploadUrl)


URL_SOURCES: dict[str, UrlSource] = {
    "replace-section": UrlSource("upload_url", "uploadUrl", "edits", keep=True),
    # kie-market.yaml: the source is audio_url or else task_id + audio_id ([UNION])
    "separate-vocals": UrlSource("audio_url", "audioUrl", "separates", keep=False),
}


# the inline kind -------------------------------------------------------------------------------
INLINE_FAILURES: dict[str, FailureText] = {
    Status.CREATE_TASK_FAILED: FailureText(500, "Task creation failed.", Stage.TEXT),
    "GENERATE_FAILED": FailureText(501, "Generation failed.", Stage.COMPLETE),
}


def _inline_record(shot: Snapshot) -> dict[str, Any]:
    return {"taskId": shot.task.id, "status": shot.status, "result": shot.task.detail}


INLINE = JobKind(
    name="inline",
    lifecycle=Lifecycle(
        kind="inline",
        progress=(Progress(Stage.COMPLETE, Status.SUCCESS, INLINE_S),),
        failures=frozenset(INLINE_FAILURES),
    ),
    failures=INLINE_FAILURES,
    view=_inline_record,
    payload=lambda task, stage, failure, profile: {},  # replaced by the record callback (see market_payload)
    callback_timeout_s=15.0,
    market_result=lambda shot: {"resultObject": shot.task.detail},
)
KIND = INLINE


# the view --------------------------------------------------------------------------------------
def _ms(at: float) -> int:
    return round(at * 1000)


def market_state(task: Task, status: str, kind: JobKind, now: float) -> str:
    """``state``: waiting, queuing, generating (forward only), then success or fail."""
    lifecycle = kind.lifecycle
    if status in lifecycle.failures and not (status == Status.CALLBACK_EXCEPTION and task.status_override):
        return "fail"
    if status == lifecycle.success or status == Status.CALLBACK_EXCEPTION:
        return "success"
    if status != lifecycle.pending:
        return "generating"
    first = (task.timeline.steps[0].at if task.timeline is not None else 0.0) or WAITING_S
    waited = now - task.created_at
    if waited < min(WAITING_S, first / 4):
        return "waiting"
    return "queuing" if waited < first / 2 else "generating"


def market_record(shot: Snapshot, kind: JobKind) -> dict[str, Any]:
    """The ``data`` of ``GET /api/v1/jobs/recordInfo``."""
    task = shot.task
    state = market_state(task, shot.status, kind, shot.now)
    timeline = task.timeline
    ended = task.created_at + timeline.steps[-1].at if timeline is not None else task.created_at
    changed = task.created_at
    if timeline is not None:
        for step in timeline.steps:
            if task.created_at + step.at <= shot.now:
                changed = task.created_at + step.at
    done = state in ("success", "fail")
    result = kind.market_result(shot) if state == "success" and kind.market_result is not None else None
    return {
        "taskId": task.id,
        "model": task.market,
        "state": state,
        "param": task.param,
        "resultJson": "" if result is None else compact_json(result),
        "failCode": str(shot.error_code) if state == "fail" and shot.error_code is not None else "",
        "failMsg": (shot.error_message or "") if state == "fail" else "",
        "costTime": _ms(ended - task.created_at) if done else None,
        "completeTime": _ms(ended) if done else None,
        "createTime": _ms(task.created_at),
        "updateTime": _ms(changed),
    }


def market_payload(
    task: Task, stage: Stage, failure: Failure | None, profile: Profile, kind: JobKind
) -> dict[str, Any]:
    """The ``record`` callback: the recordInfo ``data`` in the envelope, on completion or failure."""
    status = failure.status if stage is Stage.ERROR and failure is not None else kind.lifecycle.success
    code, message = (failure.code, failure.message) if failure is not None and stage is Stage.ERROR else (None, None)
    at = task.created_at + (task.timeline.steps[-1].at if task.timeline is not None else 0.0)
    shot = Snapshot(task, status, code, message, profile, at)
    record = market_record(shot, kind)
    return {"code": 200 if code is None else code, "msg": "success" if code is None else message, "data": record}


# the behaviours --------------------------------------------------------------------------------
_FIELD = re.compile(r"(^|; )([A-Za-z][A-Za-z0-9_]*)(?=[:\s\[])")


def respell(message: str, sent: Mapping[str, Any]) -> str:
    """A classic error message with its field names as the Market client spelled them (``input.audio_id``)."""
    names = {**{key: key for key in sent}, **{_camel(key): key for key in sent}}
    if "task_id" in sent:
        names["sunoTaskId"] = "task_id"  # Recovery: the classic body's name for the source task
    if "lyrics" in sent:
        names["prompt"] = "lyrics"  # the classic body took the lyrics as its prompt

    def name(match: re.Match[str]) -> str:
        known = names.get(match.group(2))  # only the fields the client sent: other words stay as they are
        return f"{match.group(1)}input.{known}" if known else match.group(0)

    return _FIELD.sub(name, message)


def market_behaviours(
    operations: Mapping[str, Operation], behaviours: Mapping[str, Behaviour], kinds: Mapping[str, JobKind]
) -> dict[str, Behaviour]:
    """The createTask and recordInfo behaviours over the classic ones (``x-market``: create, details)."""

    def create(call: Call) -> dict[str, str]:
        body = call.body
        model_name = str(body["model"])
        model = MODELS.get(model_name)
        if model is None:
            raise invalid("model", model_name, "is documented by kie but not served by the mock yet")
        sent: dict[str, Any] = body["input"]
        classic = model.translate(sent)
        if "callBackUrl" in body:
            classic[model.callback_field] = body["callBackUrl"]
        by_url = URL_SOURCES.get(model.operation)
        if by_url is not None and by_url.classic in classic and "taskId" not in classic:
            url = classic[by_url.classic] if by_url.keep else classic.pop(by_url.classic)
            track = upload_length(call, str(url))
            if track is None:
                raise invalid(
                    f"input.{by_url.field}",
                    url,
                    f"the mock {by_url.verb} only audio it made: use a track's audio URL "
                    "(/_mock/files/<audio_id>.mp3 of this mock), or task_id and audio_id",
                )
            classic.update(taskId=track.task_id, audioId=track.id)
        operation = operations.get(model.operation)
        behaviour = behaviours.get(model.operation)
        if operation is None or behaviour is None:
            raise invalid("model", model_name, "is not served on this profile")
        inner = replace(call, operation=operation, body=classic)
        try:
            if model.inline:
                answer = behaviour(replace(inner, faults=None))
                task = call.tasks.new_task(
                    call.operation.operation_id, param=body, base_url=call.base_url, token=call.token
                )
                task.detail = answer
                call.start(task, "inline")
            else:
                answer = behaviour(inner)
                task = call.tasks.store.tasks[answer.get("taskId") or answer["task_id"]]  # recovery: task_id
        except DomainError as error:
            raise type(error)(respell(str(error), sent)) from None
        task.market = model_name
        task.param = call.tasks.shared(compact_json(body))
        return {"taskId": task.id}

    def details(call: Call) -> dict[str, Any]:
        task_id = call.query["taskId"]
        task = call.tasks.get(task_id)
        if task is None or task.market is None:
            raise not_found(
                "taskId", task_id, "recordInfo is null: no Market task has this id; use createTask's taskId"
            )
        kind = kinds[task.kind]
        return market_record(call.tasks.snapshot(task), kind)

    found: dict[str, Behaviour] = {}
    for operation in operations.values():
        if operation.market == "create":
            found[operation.operation_id] = create
        elif operation.market == "details":
            found[operation.operation_id] = details
    return found


def is_record_callback(task: Task, profile: Profile) -> bool:
    """Whether this task's callbacks are the Market record (inline tasks always are)."""
    return task.market is not None and (profile.market_callback == "record" or task.kind == "inline")


BEHAVIOURS: dict[str, Behaviour] = {}
