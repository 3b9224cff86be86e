"""Vocal / stem separation and its details (``successFlag`` strings).

Facts: ``shared/reference/suno-api.md`` 2.12 and ``api-family.md`` 2.3 #19-20. ``type`` is
``separate_vocal`` (default), ``split_stem`` or ``split_stem_advanced``, which needs ``stemName``.
One callback ``{code, msg, data: {task_id, vocal_removal_info | vocal_separation_info}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._common import AUDIO_ID, CALLBACK_URL, TASK_ID, TRACK_REFS, track_body
from ._model import Callbacks, Family, Field, Operation, Source, Status, When, details_operation

__all__ = ["FAMILY"]

_URLS = (
    "originUrl",
    "instrumentalUrl",
    "vocalUrl",
    "backingVocalsUrl",
    "drumsUrl",
    "bassUrl",
    "guitarUrl",
    "pianoUrl",
    "keyboardUrl",
    "percussionUrl",
    "stringsUrl",
    "synthUrl",
    "fxUrl",
    "brassUrl",
    "woodwindsUrl",
)


def _valid(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {**track_body(source, callback), "type": "separate_vocal"}


def _record(data: Mapping[str, Any], status: Any, results: int | None) -> str | None:
    response = data.get("response")
    if status == "SUCCESS" and not (
        isinstance(response, Mapping) and any(isinstance(response.get(k), str) and response[k] for k in _URLS)
    ):
        return "successFlag SUCCESS but response lists no stem URL"
    return None


SEPARATE = Operation(
    id="separate-vocals",
    method="POST",
    path="/api/v1/vocal-removal/generate",
    source="suno-api.md 2.12 [SA-v1], [SA-SEP]; api-family.md 2.3 #19",
    body=(
        TASK_ID,
        AUDIO_ID,
        CALLBACK_URL,
        Field("type", "string", enum=("separate_vocal", "split_stem", "split_stem_advanced"), example="separate_vocal"),
        # "split_stem_advanced (one instrument, needs stemName, an enum of about 100 values)".
        Field("stemName", "string", when=(When({"type": "split_stem_advanced"}),), example="Piano"),
    ),
    valid=_valid,
    creates=True,
    needs="music",
    refs=TRACK_REFS,
    documented_by=frozenset({"kie", "sunoapi", "apibox"}),
)

FAMILY = Family(
    name="separation",
    source="suno-api.md 2.12, 3.2, 4.4; api-family.md 2.3 #19-20",
    creating=(SEPARATE,),
    details=details_operation(
        "get-vocal-separation-details",
        "/api/v1/vocal-removal/record-info",
        "api-family.md 2.3 #20 [SA-CN:get-vocal-separation-details]",
        "separation",
    ),
    status=Status(
        "successFlag",
        order=("PENDING", "SUCCESS"),
        failures=("CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION"),
    ),
    callbacks=Callbacks(stages=("complete",), stage_at=None, timeout_s=15.0),
    record_check=_record,
    unverified="the stemName values; the audioUrl alternative to taskId+audioId (secondary sources)",
)
