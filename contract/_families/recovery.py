"""Recovery Audio and Get Recovery Audio Details (sunoapi, api.box; kie's old-model menu).

Facts: ``shared/reference/api-family.md`` 2.3 #27-28 and 6.7. The request names the original
music task by ``sunoTaskId``; the answer is ``data.task_id`` (snake case). The details read
``?task_id=`` and answer at the top level ``{code, task_id, msg, data}``: 201 while running
(``data`` null), 200 done, 500 every track failed; ``data`` lists ``{id, audio_url, title,
status: success | failed, error}`` in the source's track order. The callback has ``task_id``
beside ``code`` and 200 / 500 as above.

So the family's table says where each of those sits: the created id at ``data.task_id``
(:attr:`Family.created_id_at`), the details query ``task_id``, the answered id at the top-level
``task_id`` (:attr:`Family.answered_id_at`), the record as the whole answer
(:attr:`Family.record_at`), and the status as the top-level ``code`` (``Status.at``): 201 then
200, or 500. The lifecycle polls it like any other family.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._common import CALLBACK_URL
from ._model import UNKNOWN_TASK, Callbacks, Family, Field, Operation, Ref, Source, Status, details_operation

__all__ = ["FAMILY"]

DOCUMENTED_BY = frozenset({"sunoapi", "apibox", "kie"})


def _valid(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {"sunoTaskId": source.task_id if source else UNKNOWN_TASK, "callBackUrl": callback}


def _record(answer: Mapping[str, Any], code: Any, results: int | None) -> str | None:
    """What the top-level answer shows at its code: 201 no tracks yet, 200 one recovered at least, 500 none."""
    data = answer.get("data")
    if code == 201:
        return None if data is None else f"code 201 (running) but data is {data!r:.80}, not null"
    tracks = [t for t in data if isinstance(t, Mapping)] if isinstance(data, list) else []
    recovered = [t for t in tracks if t.get("status") == "success"]
    if code == 500:
        return "code 500 (every track failed) but data lists a recovered track" if recovered else None
    if not recovered:
        return "code 200 but no track is recovered in data; 200 means at least one was (500: every track failed)"
    if not all(isinstance(t.get("audio_url"), str) and t["audio_url"] for t in recovered):
        return "code 200 but a recovered track has no audio_url"
    return None


RECOVER = Operation(
    id="recover-audio",
    method="POST",
    path="/api/v1/suno/recovery",
    source="api-family.md 2.3 #27 [SA-MD:recovery-audio], [SA-CN:recovery-audio], F:70851812093 (api.box); 6.7 (kie)",
    body=(Field("sunoTaskId", "string", required=True, example=UNKNOWN_TASK), CALLBACK_URL),
    valid=_valid,
    creates=True,
    needs="music",
    refs=(Ref("sunoTaskId", "task"),),
    documented_by=DOCUMENTED_BY,
)

DETAILS = details_operation(
    "get-recovery-details",
    "/api/v1/suno/recovery/record-info",
    "api-family.md 2.3 #28 [SA-MD:get-recovery-audio-details], F:70195357083 (task_id, not taskId)",
    "recovery",
    query="task_id",
)

FAMILY = Family(
    name="recovery",
    source="api-family.md 2.3 #27-28, 6.7",
    creating=(RECOVER,),
    details=DETAILS,
    created_id_at=("data", "task_id"),
    details_query="task_id",
    answered_id_at=("task_id",),
    record_at=(),
    status=Status("code", order=(201, 200), failures=(500,), at=("code",)),
    callbacks=Callbacks(stages=("complete",), stage_at=None, task_id_at=("task_id",), timeout_s=15.0),
    record_check=_record,
    unverified=(
        "kie's classic request (the kie page is in the menu only; sunoapi's sunoTaskId is assumed); "
        "the callback's receiver timeout (15 s, as the family's other file callbacks)"
    ),
)
