"""Recovery Audio and Get Recovery Audio Details (sunoapi, api.box; kie's old-model menu).

Facts: ``shared/reference/api-family.md`` 2.3 #27-28 and 6.7. The request names the original
music task by ``sunoTaskId``; the answer is ``data.task_id`` (snake case). The details read
``?task_id=`` and answer at the top level ``{code, task_id, msg, data}``: 201 while running
(``data`` null), 200 done, 500 every track failed; ``data`` lists ``{id, audio_url, title,
status: success | failed, error}`` in the source's track order. The callback has ``task_id``
beside ``code`` and 200 / 500 as above.

The suite polls a details operation through ``data.<status field>``; a top-level ``code`` is not
that shape, so Recovery Audio is listed under ``others`` and the family has no status: both
operations are probed for their rules, the lifecycle is not run until the suite can read a
status beside ``code``.
"""

from __future__ import annotations

from typing import Any

from ._common import CALLBACK_URL
from ._model import UNKNOWN_TASK, Callbacks, Family, Field, Operation, Ref, Source, details_operation

__all__ = ["FAMILY"]

DOCUMENTED_BY = frozenset({"sunoapi", "apibox", "kie"})


def _valid(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {"sunoTaskId": source.task_id if source else UNKNOWN_TASK, "callBackUrl": callback}


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
    others=(RECOVER,),
    details=DETAILS,
    details_query="task_id",
    callbacks=Callbacks(stages=("complete",), stage_at=None, task_id_at=("task_id",), timeout_s=15.0),
    unverified=(
        "kie's classic request (the kie page is in the menu only; sunoapi's sunoTaskId is assumed); "
        "the callback's receiver timeout (15 s, as the family's other file callbacks)"
    ),
)
