"""Suno Voice: a custom voice in steps (sunoapi; kie's old-model menu).

1. Generate verification phrase (``voice/validate``): a ``voice-phrase`` task,
   ``wait_processing -> processing_validate -> wait_validating`` (the phrase, ``validateInfo``,
   is ready) or ``processing_validate_fail``; one callback when it ends.
2. Regenerate verification phrase (``voice/regenerate``, callback field ``calBackUrl``): a new
   ``voice-phrase`` task with another phrase for the same recording; the source task must have
   ended.
3. Create custom voice (``voice/generate``): a ``voice`` task from a phrase task in
   ``wait_validating``, ``wait_processing -> processing -> success`` (``voiceId`` set) or
   ``fail``; one callback.
4. Check voice availability (``voice/check-voice``, ``task_id``): ``isAvailable`` is whether the
   voice task succeeded.

Callbacks carry ``{code, msg, data: {taskId, ...}}``: code 200 on success, 400 on failure with
``errorCode`` 500 (the pages).  The times (15 s for a phrase, 60 s for a voice) and the phrase
words (English whatever ``language``) are the mock's choice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .._behaviour import Call, invalid, not_found, unexpired
from .._kind import FailureText, JobKind, Snapshot
from .._lifecycle import Failure, Lifecycle, Progress, Stage
from .._providers import Profile
from .._store import Task
from ._derived import task_seed

__all__ = ["BEHAVIOURS", "KINDS", "PHRASE", "VOICE"]

PHRASE_S = 15.0
VOICE_S = 60.0
#: Statuses are kept upper case, as every kind's (the fault rules and X-Mock-Outcome read them so);
#: the answers show them as the pages spell them, lower case.
READY = "WAIT_VALIDATING"
PHRASE_FAILED = "PROCESSING_VALIDATE_FAIL"
VOICE_DONE = "SUCCESS"
VOICE_FAILED = "FAIL"

_WORDS = (
    "amber",
    "rivers",
    "carry",
    "morning",
    "light",
    "over",
    "seven",
    "quiet",
    "hills",
    "while",
    "silver",
    "birds",
    "sing",
    "distant",
    "harbours",
    "warm",
    "bread",
    "under",
    "copper",
    "sky",
    "near",
    "old",
    "stone",
    "bridge",
    "where",
    "children",
    "count",
    "bright",
    "lanterns",
    "gentle",
    "evening",
    "wind",
)


@dataclass(frozen=True, slots=True)
class Phrase:
    """What a phrase task keeps: the recording, its segment, the language and the phrase."""

    voice_url: str
    start_s: float
    end_s: float
    language: str
    text: str


@dataclass(frozen=True, slots=True)
class Voice:
    """What a voice task keeps: the phrase task it came from and its voice id."""

    phrase_task: str
    voice_id: str
    name: str


PHRASE_FAILURES: dict[str, FailureText] = {
    PHRASE_FAILED: FailureText(500, "Voice validation failed: the recording could not be processed.", Stage.COMPLETE),
}
VOICE_FAILURES: dict[str, FailureText] = {
    VOICE_FAILED: FailureText(500, "Voice creation failed: the reading does not match the phrase.", Stage.COMPLETE),
}


def _phrase_record(shot: Snapshot) -> dict[str, Any]:
    phrase: Phrase = shot.task.detail
    return {
        "taskId": shot.task.id,
        "validateInfo": phrase.text if shot.status == READY else "",
        "status": shot.status.lower(),
        "errorCode": shot.error_code if shot.error_code is not None else 0,
        "errorMessage": shot.error_message or "",
    }


def _phrase_payload(task: Task, stage: Stage, failure: Failure | None, profile: Profile) -> dict[str, Any]:
    phrase: Phrase = task.detail
    if stage is Stage.ERROR:
        assert failure is not None
        data: dict[str, Any] = {"taskId": task.id, "validateInfo": "", "status": PHRASE_FAILED.lower()}
        return {
            "code": 400,
            "msg": failure.message,
            "data": {**data, "errorCode": failure.code, "errorMessage": failure.message},
        }
    data = {"taskId": task.id, "validateInfo": phrase.text, "status": READY.lower(), "errorCode": 0, "errorMessage": ""}
    return {"code": 200, "msg": "success", "data": data}


def _voice_record(shot: Snapshot) -> dict[str, Any]:
    voice: Voice = shot.task.detail
    return {
        "taskId": shot.task.id,
        "voiceId": voice.voice_id if shot.status == VOICE_DONE else "",
        "status": shot.status.lower(),
        "errorCode": shot.error_code if shot.error_code is not None else 0,
        "errorMessage": shot.error_message or "",
    }


def _voice_payload(task: Task, stage: Stage, failure: Failure | None, profile: Profile) -> dict[str, Any]:
    voice: Voice = task.detail
    if stage is Stage.ERROR:
        assert failure is not None
        data: dict[str, Any] = {"taskId": task.id, "voiceId": "", "status": VOICE_FAILED.lower()}
        return {
            "code": 400,
            "msg": failure.message,
            "data": {**data, "errorCode": failure.code, "errorMessage": failure.message},
        }
    data = {"taskId": task.id, "voiceId": voice.voice_id, "status": "success", "errorCode": 0, "errorMessage": ""}
    return {"code": 200, "msg": "success", "data": data}


PHRASE = JobKind(
    name="voice-phrase",
    lifecycle=Lifecycle(
        kind="voice-phrase",
        progress=(Progress(None, "PROCESSING_VALIDATE", 2.0), Progress(Stage.COMPLETE, READY, PHRASE_S)),
        failures=frozenset(PHRASE_FAILURES),
        pending="WAIT_PROCESSING",
        at_creation=frozenset(),
    ),
    failures=PHRASE_FAILURES,
    view=_phrase_record,
    payload=_phrase_payload,
    callback_timeout_s=15.0,
    # kie's Market validation-phrase / regenerate-phrase: resultJson UNVERIFIED (kie-market.md 2.20-2.21);
    # the mock puts the classic answer in resultObject.
    market_result=lambda shot: {"resultObject": _phrase_record(shot)},
)
VOICE = JobKind(
    name="voice",
    lifecycle=Lifecycle(
        kind="voice",
        progress=(Progress(None, "PROCESSING", 5.0), Progress(Stage.COMPLETE, VOICE_DONE, VOICE_S)),
        failures=frozenset(VOICE_FAILURES),
        pending="WAIT_PROCESSING",
        at_creation=frozenset(),
    ),
    failures=VOICE_FAILURES,
    view=_voice_record,
    payload=_voice_payload,
    callback_timeout_s=15.0,
    market_result=lambda shot: {"resultObject": _voice_record(shot)},  # create-voice: UNVERIFIED (2.22)
)
KINDS = (PHRASE, VOICE)


def _phrase_text(seed: int) -> str:
    chooser = random.Random(seed)
    return " ".join(chooser.sample(_WORDS, 10))


def _new(call: Call, detail: Any, callback_field: str = "callBackUrl") -> Task:
    call.credits.charge(call.token, call.operation.operation_id)
    task = call.tasks.new_task(
        call.operation.operation_id,
        param=call.body,
        base_url=call.base_url,
        token=call.token,
        callback_field=callback_field,
    )
    task.detail = detail
    return task


def _phrase_task(call: Call, field: str) -> Task:
    task_id = call.body[field]
    task = call.tasks.get(task_id)
    if task is None:
        raise not_found(field, task_id, "no such task; use the taskId Generate verification phrase answered")
    if task.kind != "voice-phrase":
        raise invalid(field, task_id, f"is a {task.kind} task; use the taskId of a verification-phrase task")
    unexpired(call, field, task_id, task, "verification phrase task")
    return task


def validate(call: Call) -> dict[str, str]:
    """Generate verification phrase: a phrase task for the recording's segment."""
    body = call.body
    task = _new(call, None)
    text = _phrase_text(task_seed(task))
    task.detail = Phrase(body["voiceUrl"], body["vocalStartS"], body["vocalEndS"], body.get("language", "en"), text)
    call.start(task, "voice-phrase")
    return {"taskId": task.id}


def regenerate(call: Call) -> dict[str, str]:
    """Regenerate verification phrase: another phrase for the same recording, as a new task."""
    source = _phrase_task(call, "taskId")
    status = call.tasks.status(source)
    if status not in (READY, PHRASE_FAILED):
        raise invalid("taskId", source.id, f"the phrase task has not ended yet (status {status.lower()}); wait for it")
    old: Phrase = source.detail
    task = _new(call, None, callback_field="calBackUrl")
    text = _phrase_text(task_seed(task))
    if text == old.text:  # a new phrase, always
        text = _phrase_text(task_seed(task) + 1)
    task.detail = Phrase(old.voice_url, old.start_s, old.end_s, old.language, text)
    call.start(task, "voice-phrase")
    return {"taskId": task.id}


def create_voice(call: Call) -> dict[str, str]:
    """Create custom voice: from a phrase task whose phrase is ready."""
    phrase = _phrase_task(call, "taskId")
    status = call.tasks.status(phrase)
    if status != READY:
        raise invalid(
            "taskId", phrase.id, f"the phrase is not ready (status {status.lower()}); wait for {READY.lower()}"
        )
    task = _new(call, None)
    task.detail = Voice(phrase.id, f"voice_{task.id[:16]}", str(call.body.get("voiceName", "")))
    call.start(task, "voice")
    return {"taskId": task.id}


def voice_phrase_details(call: Call) -> dict[str, Any]:
    """Get verification phrase (``taskId`` optional in the page's schema, needed here)."""
    task_id = call.query.get("taskId")
    if task_id is None:
        raise invalid("taskId", None, "is required to read a verification phrase (the validate task's taskId)")
    task = call.tasks.get(task_id)
    if task is None:
        raise not_found("taskId", task_id, "no such task; use the taskId Generate verification phrase answered")
    if task.kind != "voice-phrase":
        raise not_found(
            "taskId", task_id, f"is a {task.kind} task, not one this endpoint shows; read it with its own details"
        )
    return PHRASE.view(call.tasks.snapshot(task))


def check_voice(call: Call) -> dict[str, bool]:
    """Check voice availability: whether the voice task (``task_id``) succeeded."""
    task_id = call.body["task_id"]
    task = call.tasks.get(task_id)
    if task is None:
        raise not_found("task_id", task_id, "no such task; use the taskId Create custom voice answered")
    if task.kind != "voice":
        raise invalid("task_id", task_id, f"is a {task.kind} task; use the taskId of a Create custom voice task")
    unexpired(call, "task_id", task_id, task, "voice task")
    return {"isAvailable": call.tasks.succeeded(task)}


BEHAVIOURS = {
    "validate-voice": validate,
    "regenerate-voice-phrase": regenerate,
    "create-voice": create_voice,
    "get-voice-phrase": voice_phrase_details,
    "check-voice": check_voice,
}
