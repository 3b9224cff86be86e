"""Operations that answer at once: remaining credits, timestamped lyrics, persona, boost style.

Facts: ``shared/reference/suno-api.md`` 2.5, 2.13, 2.15, 2.16 and ``api-family.md`` 2.2 #11-14.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._checking import Checker, Violation, is_number
from ._common import AUDIO_ID, TASK_ID, TRACK_REFS
from ._model import UNKNOWN_AUDIO, UNKNOWN_TASK, Family, Field, Operation, Probe, Ref, Source, changed

__all__ = ["FAMILIES"]

# 2.5: kie and apikley serve credits under /api/v1/chat/credit [KIE-CREDIT], [APK-CREDIT];
# sunoapi under /api/v1/generate/credit [SA-CREDIT]; api.box: real clients call the sunoapi path
# (api-family.md 2.2 #14).
CREDITS = Operation(
    id="get-remaining-credits",
    method="GET",
    path={
        "kie": "/api/v1/chat/credit",
        "apikley": "/api/v1/chat/credit",
        "sunoapi": "/api/v1/generate/credit",
        "apibox": "/api/v1/generate/credit",
    },
    source="suno-api.md 2.5; api-family.md 2.2 #14",
)


def _lyrics_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    track = source.tracks[0] if source and source.tracks else None
    return {"taskId": source.task_id if source else UNKNOWN_TASK, "audioId": track.id if track else UNKNOWN_AUDIO}


# 2.13: kie (G3) requires taskId and audioId [KIE-TSL]; sunoapi (G1) and api.box require taskId
# and accept audioId or musicIndex (0 or 1) [SA-v1], [BOX-TSL]. api-family.md 2.2 #11: the newest
# sunoapi page requires audioId too [SA-MD:get-timestamped-lyrics]. The two sunoapi pages
# disagree, so on sunoapi a body either one rejects may be accepted or rejected.
_OLDER = frozenset({"sunoapi", "apibox"})
_SA_TSL = "sunoapi's newest page requires audioId and names no musicIndex; its G1 page takes either"
TIMESTAMPED_LYRICS = Operation(
    id="get-timestamped-lyrics",
    method="POST",
    path="/api/v1/generate/get-timestamped-lyrics",
    source="suno-api.md 2.13 [KIE-TSL], [SA-v1], [BOX-TSL]; api-family.md 2.2 #11 [SA-MD:get-timestamped-lyrics]",
    body=(
        TASK_ID,
        Field(
            "audioId",
            "string",
            required=frozenset({"kie", "apikley", "sunoapi"}),
            example=UNKNOWN_AUDIO,
            disputed=frozenset({"sunoapi"}),
            dispute=_SA_TSL,
        ),
        Field(
            "musicIndex",
            "integer",
            enum=(0, 1),
            providers=_OLDER,
            example=0,
            disputed=frozenset({"sunoapi"}),
            dispute=_SA_TSL,
        ),
    ),
    valid=_lyrics_body,
    needs="music",
    refs=(Ref("taskId", "task"),),
    # The documents give it 404 for an unknown task, but the mock answers its example (issue 11).
    unknown_codes=(200, 404, 422),
)


def _persona_span(check: Checker, provider: str) -> None:
    # 2.15: "The analysed segment vocalEnd - vocalStart must be 10-30 s" (defaults 0 and 30).
    start = check.body.get("vocalStart", 0)
    end = check.body.get("vocalEnd", 30)
    if is_number(start) and is_number(end) and not 10 <= end - start <= 30:
        check.add("vocalEnd - vocalStart", end - start, "the analysed segment must be 10 to 30 seconds long")


def _persona_within(provider: str, body: Mapping[str, Any], duration: float) -> list[Violation]:
    end = body.get("vocalEnd", 30)
    if is_number(end) and end > duration:
        return [Violation("vocalEnd", end, f"must be within the track's duration ({duration:g} s)")]
    return []


def _persona_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {
        **_lyrics_body(provider, source, callback),
        "name": "Harbour Voice",
        "description": "A warm, breathy alto",
        "vocalStart": 0,
        "vocalEnd": 20,
    }


def _persona_probes(provider: str, source: Source | None) -> list[Probe]:
    base = _persona_body(provider, source, "")
    rule = "generate-persona: the analysed segment is 10-30 s"
    spans = ((0, 9.99), (0, 10), (0, 30), (0, 30.01), (5, 40))
    return [
        Probe("generate-persona", f"segment {s}-{e} s", changed(base, {"vocalStart": s, "vocalEnd": e}), rule=rule)
        for s, e in spans
    ]


PERSONA = Operation(
    id="generate-persona",
    method="POST",
    path="/api/v1/generate/generate-persona",
    source="suno-api.md 2.15 [SA-PERSONA]; api-family.md 2.2 #13",
    body=(
        TASK_ID,
        AUDIO_ID,
        Field("name", "string", required=True, example="Voice"),
        Field("description", "string", required=True, example="Warm"),
        Field("vocalStart", "number", minimum=0, example=0),
        Field("vocalEnd", "number", minimum=0, example=20),
        Field("style", "string", example="soul"),
    ),
    cross=_persona_span,
    stateful=_persona_within,
    valid=_persona_body,
    needs="music",
    refs=TRACK_REFS,
    probes=_persona_probes,
    # 2.15: "Each audioId can create a persona only once. The code table has 409 'Persona already
    # exists for this music'" [SA-PERSONA]. (A third party saw kie return the first persona again;
    # secondary, so not accepted.)
    once="track",
    repeat_codes=(409,),
    documented_by=frozenset({"kie", "sunoapi", "apikley"}),
)

BOOST = Operation(
    id="boost-music-style",
    method="POST",
    path="/api/v1/style/generate",
    source="suno-api.md 2.16 [SA-BOOST], [APK-BOOST]; api-family.md 2.2 #12",
    body=(Field("content", "string", required=True, example="Pop, Mysterious"),),
    valid=lambda provider, source, callback: {"content": "Pop, Mysterious"},
    documented_by=frozenset({"kie", "sunoapi", "apikley"}),
)

FAMILIES = (
    Family("credits", "suno-api.md 2.5", others=(CREDITS,)),
    Family("timestamped-lyrics", "suno-api.md 2.13", others=(TIMESTAMPED_LYRICS,)),
    Family("persona", "suno-api.md 2.15", others=(PERSONA,)),
    Family("boost", "suno-api.md 2.16", others=(BOOST,), unverified="boost answers a successFlag of its own"),
)
