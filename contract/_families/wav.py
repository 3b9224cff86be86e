"""Convert to WAV and Get WAV Details (``successFlag`` strings).

Facts: ``shared/reference/suno-api.md`` 2.11 and ``api-family.md`` 2.3 #17-18. One callback
``{code, msg, data: {audioWavUrl, task_id}}`` (``audioWavUrl`` null on failure); 15 s to answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._common import AUDIO_ID, CALLBACK_URL, TASK_ID, TRACK_REFS, non_empty_at, track_body
from ._model import Callbacks, Family, Operation, Source, Status, details_operation

__all__ = ["FAMILY"]


def _valid(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return track_body(source, callback)


def _record(data: Mapping[str, Any], status: Any, results: int | None) -> str | None:
    if status == "SUCCESS" and not non_empty_at(data, "response", "audioWavUrl"):
        return "successFlag SUCCESS but response.audioWavUrl is empty"
    return None


CONVERT = Operation(
    id="convert-to-wav",
    method="POST",
    path="/api/v1/wav/generate",
    source="suno-api.md 2.11 [SA-v1]; api-family.md 2.3 #17",
    body=(TASK_ID, AUDIO_ID, CALLBACK_URL),
    valid=_valid,
    creates=True,
    needs="music",
    refs=TRACK_REFS,
    # 2.11: "Code 409 'WAV record already exists' appears in the code tables, which suggests a
    # duplicate conversion returns 409 (inference)": a second conversion may answer 409 or convert again.
    once="track",
    repeat_codes=(200, 402, 409),
)

FAMILY = Family(
    name="wav",
    source="suno-api.md 2.11, 3.2, 4.4; api-family.md 2.3 #17-18",
    creating=(CONVERT,),
    details=details_operation(
        "get-wav-details", "/api/v1/wav/record-info", "api-family.md 2.3 #18 [KIE:get-wav-details]", "wav"
    ),
    status=Status(
        "successFlag",
        order=("PENDING", "SUCCESS"),
        failures=("CREATE_TASK_FAILED", "GENERATE_WAV_FAILED", "CALLBACK_EXCEPTION"),
    ),
    callbacks=Callbacks(stages=("complete",), stage_at=None, timeout_s=15.0),
    record_check=_record,
    unverified="a second conversion of the same track (409 is listed, its meaning inferred)",
)
