"""Suno Voice: the verification phrase (validate, regenerate, validate-info) and the custom voice
(generate, record-info, check-voice), on sunoapi and kie's old-model menu.

Facts: ``shared/reference/api-family.md`` 2.4 #29-34. Flow statuses ``wait_processing |
processing_validate | processing_validate_fail | wait_validating | success | fail``; callbacks
``{code, msg, data: {taskId, ...}}`` once, 200 when ready, 400 on failure; 15 s to answer.
Traps kept as documented: Regenerate's callback field is ``calBackUrl``; Check Voice takes
``task_id``; Get verification phrase's ``taskId`` is optional in the page's schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._common import TASK_ID, non_empty_at
from ._model import ALL_PROVIDERS, CALLBACK, UNKNOWN_TASK, Callbacks, Family, Field, Operation, Ref, Source, Status

__all__ = ["PHRASE", "VOICE"]

DOCUMENTED_BY = frozenset({"sunoapi", "kie"})
LANGUAGES = ("en", "zh", "es", "fr", "pt", "de", "ja", "ko", "hi", "ru")
SKILLS = ("beginner", "intermediate", "advanced", "professional")
RECORDING = "https://example.com/voice/recording.mp3"
OPTIONAL_CALLBACK = Field("callBackUrl", "uri", example=CALLBACK)


def _cross_segment(check: Any, provider: str) -> None:
    start, end = check.body.get("vocalStartS"), check.body.get("vocalEndS")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (start, end))
    if numbers and end <= start:
        check.add("vocalEndS", end, "must be greater than vocalStartS")


def _validate_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {"voiceUrl": RECORDING, "vocalStartS": 0, "vocalEndS": 20, "language": "en", "callBackUrl": callback}


def _regenerate_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {"taskId": source.task_id if source else UNKNOWN_TASK, "calBackUrl": callback}


def _voice_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {"taskId": source.task_id if source else UNKNOWN_TASK, "verifyUrl": RECORDING, "callBackUrl": callback}


def _check_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {"task_id": source.task_id if source else UNKNOWN_TASK}


def _phrase_record(data: Mapping[str, Any], status: Any, results: int | None) -> str | None:
    if status == "wait_validating" and not non_empty_at(data, "validateInfo"):
        return "status wait_validating but validateInfo (the phrase) is empty"
    return None


def _voice_record(data: Mapping[str, Any], status: Any, results: int | None) -> str | None:
    if status == "success" and not non_empty_at(data, "voiceId"):
        return "status success but voiceId is empty"
    return None


VALIDATE = Operation(
    id="validate-voice",
    method="POST",
    path="/api/v1/voice/validate",
    source="api-family.md 2.4 #29 [SA-MD:suno-voice-validate], [SA-MD:suno-voice-validate-callbacks]",
    body=(
        Field("voiceUrl", "uri", required=True, example=RECORDING),
        Field("vocalStartS", "number", required=True, minimum=0, example=0),
        Field("vocalEndS", "number", required=True, minimum=0, example=20),
        Field("language", "string", enum=LANGUAGES),
        OPTIONAL_CALLBACK,
    ),
    cross=_cross_segment,
    valid=_validate_body,
    creates=True,
    documented_by=DOCUMENTED_BY,
)
REGENERATE = Operation(
    id="regenerate-voice-phrase",
    method="POST",
    path="/api/v1/voice/regenerate",
    source="api-family.md 2.4 #31 [SA-MD:suno-voice-regenerate] (calBackUrl, one L)",
    body=(TASK_ID, Field("calBackUrl", "uri", required=True, example=CALLBACK)),
    valid=_regenerate_body,
    creates=True,
    needs="voice-phrase",
    refs=(Ref("taskId", "task"),),
    documented_by=DOCUMENTED_BY,
)
PHRASE_DETAILS = Operation(
    id="get-voice-phrase",
    method="GET",
    path="/api/v1/voice/validate-info",
    source="api-family.md 2.4 #30 [SA-MD:suno-voice-validate-info] (taskId optional in the schema)",
    # optional in the page's schema, yet nothing can be read without it: either answer holds when it is missing
    query=(Field("taskId", "string", required=True, min_length=1, disputed=ALL_PROVIDERS),),
    refs=(Ref("taskId", "task"),),
    needs="voice-phrase",
    documented_by=DOCUMENTED_BY,
)
CREATE_VOICE = Operation(
    id="create-voice",
    method="POST",
    path="/api/v1/voice/generate",
    source="api-family.md 2.4 #32 [SA-MD:suno-voice-generate], [SA-MD:suno-voice-generate-callbacks]",
    body=(
        TASK_ID,
        Field("verifyUrl", "uri", required=True, example=RECORDING),
        Field("voiceName", "string"),
        Field("description", "string"),
        Field("style", "string"),
        Field("singerSkillLevel", "string", enum=SKILLS),
        OPTIONAL_CALLBACK,
    ),
    valid=_voice_body,
    creates=True,
    needs="voice-phrase",
    refs=(Ref("taskId", "task"),),
    defaults={"singerSkillLevel": "beginner"},
    documented_by=DOCUMENTED_BY,
)
VOICE_DETAILS = Operation(
    id="get-voice-details",
    method="GET",
    path="/api/v1/voice/record-info",
    source="api-family.md 2.4 #33 [SA-MD:suno-voice-record-info] (fields beyond voiceId not seen)",
    query=(Field("taskId", "string", required=True, min_length=1),),
    refs=(Ref("taskId", "task"),),
    needs="voice",
    documented_by=DOCUMENTED_BY,
)
CHECK_VOICE = Operation(
    id="check-voice",
    method="POST",
    path="/api/v1/voice/check-voice",
    source="api-family.md 2.4 #34 [SA-MD:suno-voice-check-voice] (task_id); isAvailable: F:56945751550",
    body=(Field("task_id", "string", required=True, example=UNKNOWN_TASK),),
    valid=_check_body,
    needs="voice",
    refs=(Ref("task_id", "task"),),
    documented_by=DOCUMENTED_BY,
)

CALLBACKS = Callbacks(stages=("complete",), stage_at=None, task_id_at=("data", "taskId"), timeout_s=15.0)

PHRASE = Family(
    name="voice-phrase",
    source="api-family.md 2.4 #29-31",
    creating=(VALIDATE, REGENERATE),
    details=PHRASE_DETAILS,
    status=Status(
        "status",
        order=("wait_processing", "processing_validate", "wait_validating"),
        failures=("processing_validate_fail",),
    ),
    callbacks=CALLBACKS,
    record_check=_phrase_record,
    unverified="the answer codes (not on the voice pages); a regenerated phrase as a new task",
)
VOICE = Family(
    name="voice",
    source="api-family.md 2.4 #32-34",
    creating=(CREATE_VOICE,),
    details=VOICE_DETAILS,
    status=Status("status", order=("wait_processing", "processing", "success"), failures=("fail",)),
    callbacks=CALLBACKS,
    record_check=_voice_record,
    others=(CHECK_VOICE,),
    unverified="Get custom voice record's fields beyond taskId, voiceId and status (not seen)",
)
