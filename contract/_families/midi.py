"""Generate MIDI (from a finished separation task) and Get MIDI Details (integer ``successFlag``).

Facts: ``shared/reference/suno-api.md`` 2.12 (end) and ``api-family.md`` 2.3 #21-22.
``successFlag``: 0 pending, 1 success, 2 create failed, 3 generate failed. The callback carries
``task_id`` at the top level, beside ``code``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._common import CALLBACK_URL, TASK_ID, track_body
from ._model import Callbacks, Family, Field, Operation, Ref, Source, Status, details_operation

__all__ = ["FAMILY"]


def _valid(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return track_body(source, callback, audio=False)


def _record(data: Mapping[str, Any], status: Any, results: int | None) -> str | None:
    if status == 1 and not isinstance(data.get("midiData"), Mapping):
        return "successFlag 1 (success) but midiData is not an object"
    return None


GENERATE_MIDI = Operation(
    id="generate-midi",
    method="POST",
    path="/api/v1/midi/generate",
    source="api-family.md 2.3 #21 [SA-MD:generate-midi], [KIE:generate-midi]",
    body=(TASK_ID, CALLBACK_URL, Field("audioId", "string", example="stem-1")),
    valid=_valid,
    creates=True,
    needs="separation",
    refs=(Ref("taskId", "task"),),
    documented_by=frozenset({"kie", "sunoapi"}),
)

FAMILY = Family(
    name="midi",
    source="api-family.md 2.3 #21-22",
    creating=(GENERATE_MIDI,),
    details=details_operation(
        "get-midi-details", "/api/v1/midi/record-info", "api-family.md 2.3 #22 [SA-MD:get-midi-details]", "midi"
    ),
    status=Status("successFlag", order=(0, 1), failures=(2, 3)),
    callbacks=Callbacks(stages=("complete",), stage_at=None, task_id_at=("task_id",), timeout_s=15.0),
    record_check=_record,
    unverified="the callback's task id: top-level task_id (docs) or data.taskId (a client)",
)
