"""Create Music Video and its details (``successFlag`` strings).

Facts: ``shared/reference/suno-api.md`` 2.14 and ``api-family.md`` 2.3 #23-24. One callback
``{code, msg, data: {task_id, video_url}}`` (``video_url`` null on failure).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._common import AUDIO_ID, CALLBACK_URL, TASK_ID, TRACK_REFS, non_empty_at, track_body
from ._model import Callbacks, Family, Field, Operation, Source, Status, details_operation

__all__ = ["FAMILY"]


def _valid(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {**track_body(source, callback), "author": "suno-mockkit"}


def _record(data: Mapping[str, Any], status: Any, results: int | None) -> str | None:
    if status == "SUCCESS" and not non_empty_at(data, "response", "videoUrl"):
        return "successFlag SUCCESS but response.videoUrl is empty"
    return None


CREATE_VIDEO = Operation(
    id="create-music-video",
    method="POST",
    path="/api/v1/mp4/generate",
    source="suno-api.md 2.14 [SA-v1]; api-family.md 2.3 #23",
    body=(
        TASK_ID,
        AUDIO_ID,
        CALLBACK_URL,
        Field("author", "string", max_length=50, example="me"),  # "author (maxLength 50)"
        Field("domainName", "string", max_length=50, example="example.com"),  # watermark
    ),
    valid=_valid,
    creates=True,
    needs="music",
    refs=TRACK_REFS,
    documented_by=frozenset({"kie", "sunoapi", "apibox"}),
)

FAMILY = Family(
    name="video",
    source="suno-api.md 2.14, 3.2, 4.4; api-family.md 2.3 #23-24",
    creating=(CREATE_VIDEO,),
    details=details_operation(
        "get-music-video-details", "/api/v1/mp4/record-info", "suno-api.md 2.14; F:61385175751", "video"
    ),
    status=Status(
        "successFlag",
        order=("PENDING", "SUCCESS"),
        failures=("CREATE_TASK_FAILED", "GENERATE_MP4_FAILED", "CALLBACK_EXCEPTION"),
    ),
    callbacks=Callbacks(stages=("complete",), stage_at=None, timeout_s=15.0),
    record_check=_record,
)
