"""The contract's own table of the Suno API family, one module per family, written from the documents.

Every fact here is transcribed from the reference notes (``shared/reference/suno-api.md`` and
``api-family.md``, cited in each module); nothing is imported from the mock. The suites read the
table instead of naming operations:

- :data:`FAMILIES`: every family, in the order the lifecycle runs them (a family that needs a
  finished task of another comes after it);
- :func:`operation`: an :class:`Operation` by operationId (fields, rules, valid body, source);
- :func:`family_of`: the family an operation belongs to (the first one, for a shared details
  operation such as Get Music Details);
- :func:`served`: the operations of the table that a spec declares. The suites exercise a
  family on a provider only when the served spec (``GET /openapi.json``, else the bundled
  document) declares its operations, so a family the mock starts serving is picked up without
  code changes here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import cover, files, lyrics, midi, music, recovery, replace, separation, synchronous, video, voice, wav
from ._model import (
    CALLBACK,
    DROP,
    UNKNOWN_AUDIO,
    UNKNOWN_TASK,
    Callbacks,
    Family,
    Field,
    Mode,
    Operation,
    Probe,
    Ref,
    Source,
    Status,
    Track,
    When,
    changed,
)

__all__ = [
    "CALLBACK",
    "DROP",
    "FAMILIES",
    "OPERATIONS",
    "UNKNOWN_AUDIO",
    "UNKNOWN_TASK",
    "Callbacks",
    "Family",
    "Field",
    "Mode",
    "Operation",
    "Probe",
    "Ref",
    "Source",
    "Status",
    "Track",
    "When",
    "changed",
    "declared",
    "family",
    "family_of",
    "operation",
    "reading",
    "served",
]

FAMILIES: tuple[Family, ...] = (
    music.FAMILY,
    replace.FAMILY,
    lyrics.FAMILY,
    wav.FAMILY,
    separation.FAMILY,
    midi.FAMILY,
    video.FAMILY,
    cover.FAMILY,
    *synchronous.FAMILIES,
    recovery.FAMILY,
    voice.PHRASE,
    voice.VOICE,
    files.FAMILY,
)

#: Every operation of the table by operationId, in table order.
OPERATIONS: dict[str, Operation] = {}
_FAMILY_OF: dict[str, Family] = {}
for _family in FAMILIES:
    for _op in _family.operations:
        OPERATIONS.setdefault(_op.id, _op)
        _FAMILY_OF.setdefault(_op.id, _family)
_BY_NAME = {f.name: f for f in FAMILIES}


def operation(operation_id: str) -> Operation:
    """The table's entry for ``operation_id``."""
    try:
        return OPERATIONS[operation_id]
    except KeyError:
        raise ValueError(
            f"unknown operationId {operation_id!r}: the contract's table has {', '.join(OPERATIONS)}"
        ) from None


def family(name: str) -> Family:
    """A family by name (``"music"``, ``"replace"``, ``"wav"``, ...)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown family {name!r}: choose one of {', '.join(_BY_NAME)}") from None


def family_of(operation_id: str) -> Family:
    """The family ``operation_id`` belongs to (for a shared details operation, the first that reads it)."""
    operation(operation_id)
    return _FAMILY_OF[operation_id]


def reading(details_id: str) -> tuple[Family, ...]:
    """The families whose tasks ``details_id`` reads (Get Music Details reads music and replace)."""
    return tuple(f for f in FAMILIES if f.details is not None and f.details.id == details_id)


def declared(spec: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """operationId -> (METHOD, path) of every operation an OpenAPI document declares."""
    out: dict[str, tuple[str, str]] = {}
    paths = spec.get("paths")
    for path, item in (paths if isinstance(paths, Mapping) else {}).items():
        if not isinstance(item, Mapping):
            continue
        for method, op in item.items():
            if isinstance(op, Mapping) and isinstance(op.get("operationId"), str):
                out[op["operationId"]] = (str(method).upper(), str(path))
    return out


def served(spec: Mapping[str, Any]) -> dict[str, Operation]:
    """The table's operations that ``spec`` declares, in table order."""
    ids = declared(spec)
    return {op_id: op for op_id, op in OPERATIONS.items() if op_id in ids}
