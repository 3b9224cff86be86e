"""Generate Persona (synchronous): a persona from a finished track's vocals.

The source must be a finished music task whose model is V4 or newer; the analysed segment
``vocalEnd - vocalStart`` (defaults 0 and 30) is 10-30 s and inside the track.  Each audioId
makes one persona: a repeat answers 409 (documented) or, with ``persona_repeat=same``, returns
the first persona with the new name and description (observed on kie).
"""

from __future__ import annotations

from .._behaviour import Call, invalid
from .._errors import Conflict, Invalid
from .._validation import Problem
from ._derived import source_of

__all__ = ["BEHAVIOURS"]

#: The analysed segment's documented length (seconds).
SEGMENT_S = (10.0, 30.0)
#: Models before V4 make no persona (the modelName the mock shows for them).
_TOO_OLD = ("chirp-v3-5",)


def generate_persona(call: Call) -> dict[str, str]:
    tasks, body = call.tasks, call.body
    _, track = source_of(call)
    if track.model_name in _TOO_OLD:
        raise invalid("audioId", track.id, "personas need a track made with model V4 or newer")
    start = float(body.get("vocalStart", 0.0))
    end = float(body.get("vocalEnd", 30.0))
    problems = []
    low, high = SEGMENT_S
    if not low <= end - start <= high:
        problems.append(
            Problem("vocalEnd - vocalStart", round(end - start, 2), f"the segment must be {low:g}-{high:g} s long")
        )
    if end > track.duration:
        problems.append(Problem("vocalEnd", end, f"must be within the track's duration {track.duration} s"))
    if problems:
        raise Invalid("; ".join(map(str, problems)))
    key = ("persona", track.id)
    known = tasks.store.once.get(key)
    if known is not None and call.profile.persona_repeat == "conflict":
        raise Conflict(f"Persona already exists for this music (audioId {track.id}, personaId {known})")
    persona_id = known or tasks.random.task_id()
    tasks.store.once[key] = persona_id
    return {"personaId": persona_id, "name": str(body["name"]), "description": str(body["description"])}


BEHAVIOURS = {"generate-persona": generate_persona}
