"""Generate Lyrics and Get Lyrics Details (its own details endpoint and ``status`` enum).

Facts: ``shared/reference/suno-api.md`` 2.10, 4.4 and ``api-family.md`` 2.3 #15-16. One callback
stage (``complete`` or ``error``); the task id is ``data.taskId`` on sunoapi but ``data.task_id``
on kie (api.box follows sunoapi's documents, apikley kie's; both unverified).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._common import CALLBACK_URL, non_empty_at
from ._model import Callbacks, Family, Field, Operation, Source, Status, details_operation

__all__ = ["FAMILY"]


def _valid(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {"prompt": "A song about the harbour at night", "callBackUrl": callback}


def _record(data: Mapping[str, Any], status: Any, results: int | None) -> str | None:
    if status == "SUCCESS" and not non_empty_at(data, "response", "data"):
        return "status SUCCESS but response.data lists no lyrics"
    return None


GENERATE_LYRICS = Operation(
    id="generate-lyrics",
    method="POST",
    path="/api/v1/lyrics",
    source="suno-api.md 2.10 [SA-v1], [KIE-LYR-CN]; api-family.md 2.3 #15",
    # "maximum word limit is 200 words" (the CN pages say 200 characters): not enforced, unsettled.
    body=(Field("prompt", "string", required=True, example="A song about the sea"), CALLBACK_URL),
    valid=_valid,
    creates=True,
)

FAMILY = Family(
    name="lyrics",
    source="suno-api.md 2.10, 4.4; api-family.md 2.3 #15-16",
    creating=(GENERATE_LYRICS,),
    details=details_operation(
        "get-lyrics-details",
        "/api/v1/lyrics/record-info",
        "api-family.md 2.3 #16 [KIE-CN:get-lyrics-details]",
        "lyrics",
    ),
    status=Status(
        "status",
        order=("PENDING", "SUCCESS"),
        failures=("CREATE_TASK_FAILED", "GENERATE_LYRICS_FAILED", "CALLBACK_EXCEPTION", "SENSITIVE_WORD_ERROR"),
    ),
    callbacks=Callbacks(
        stages=("complete",),
        task_id_at={
            "sunoapi": ("data", "taskId"),
            "apibox": ("data", "taskId"),
            "kie": ("data", "task_id"),
            "apikley": ("data", "task_id"),
        },
        timeout_s=15.0,
    ),
    record_check=_record,
    echoes_param=True,
    unverified="the callback task-id field on api.box and apikley; the prompt limit (200 words or characters)",
)
