"""Generate Music Cover (the image, once per music task) and its details (integer ``successFlag``).

Facts: ``shared/reference/suno-api.md`` 2.18 and ``api-family.md`` 2.3 #25-26. ``successFlag``
is an integer (0 pending, 2 generating, 1 success, 3 failed) on sunoapi (kie is taken to match);
apikley's page lists strings. One callback ``{code, msg, data: {taskId, images}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._common import CALLBACK_URL, TASK_ID, non_empty_at, track_body
from ._model import Callbacks, Family, Operation, Ref, Source, Status, details_operation

__all__ = ["FAMILY"]


def _valid(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return track_body(source, callback, audio=False)


def _record(data: Mapping[str, Any], status: Any, results: int | None) -> str | None:
    if status in (1, "SUCCESS") and not non_empty_at(data, "response", "images"):
        return "the cover succeeded but response.images is empty"
    return None


GENERATE_COVER = Operation(
    id="generate-cover-image",
    method="POST",
    path="/api/v1/suno/cover/generate",
    source="suno-api.md 2.18 [SA-v1], [KIE-3P]; api-family.md 2.3 #25",
    body=(TASK_ID, CALLBACK_URL),
    valid=_valid,
    creates=True,
    needs="music",
    refs=(Ref("taskId", "task"),),
    # 2.18: "Each music task can only generate a Cover once" [KIE-3P]; 400 "Cover already
    # generated", 409 "Cover record already exists" [SA-v1] (api-family.md 2.3 #25: "a repeat
    # returns 400 plus the existing taskId (409 is also listed)").
    once="task",
    repeat_codes=(400, 409),
    documented_by=frozenset({"kie", "sunoapi", "apikley"}),
)

FAMILY = Family(
    name="cover",
    source="suno-api.md 2.18, 3.2, 4.4; api-family.md 2.3 #25-26",
    creating=(GENERATE_COVER,),
    details=details_operation(
        "get-cover-image-details",
        "/api/v1/suno/cover/record-info",
        "api-family.md 2.3 #26 [SA-CN:get-cover-suno-details], [APK:get-cover-suno-details]",
        "cover",
    ),
    status=Status("successFlag", order=(0, 2, 1), failures=(3,)),
    status_by_provider={
        "apikley": Status(
            "successFlag", order=("PENDING", "SUCCESS"), failures=("CREATE_TASK_FAILED", "GENERATE_COVER_FAILED")
        )
    },
    callbacks=Callbacks(stages=("complete",), stage_at=None, task_id_at=("data", "taskId"), timeout_s=15.0),
    record_check=_record,
    unverified="kie's successFlag flavour (taken as sunoapi's integers)",
)
