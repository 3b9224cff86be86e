"""The operation families: one module per family holds its job kind, behaviours, view and payloads.

This package is the registry the engine reads: :data:`KINDS` (job kind name -> :class:`JobKind`)
and :func:`behaviour_for` (operation -> behaviour).  An operation the spec marks with
``x-details-of: <kind>`` is served by the generic details behaviour, which shows a task of
that kind through the kind's view; an operation with neither a behaviour nor a details link
answers its spec example.

Adding an asynchronous operation: describe it in the spec (with ``x-job-kind``), write one
family module (a ``KIND``, or ``KINDS`` for several, and a ``BEHAVIOURS`` table), and list the module in ``_FAMILIES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from .._behaviour import Behaviour, Call, not_found
from .._kind import JobKind
from .._spec import Operation
from . import (
    account,
    cover,
    files,
    lyrics,
    market,
    midi,
    music,
    persona,
    recovery,
    replace,
    separation,
    style,
    timestamps,
    uploads,
    video,
    voice,
    wav,
)

__all__ = ["BEHAVIOURS", "KINDS", "behaviour_for", "details_behaviour"]

_FAMILIES: tuple[ModuleType, ...] = (
    music,
    uploads,
    replace,
    lyrics,
    wav,
    separation,
    midi,
    video,
    cover,
    persona,
    style,
    timestamps,
    account,
    recovery,
    voice,
    files,
    market,
)


def _kinds() -> dict[str, JobKind]:
    found: dict[str, JobKind] = {}
    for module in _FAMILIES:
        one = getattr(module, "KIND", None)
        # a family of several kinds (Suno Voice: the phrase and the voice) lists them in KINDS
        for kind in (one,) if one is not None else getattr(module, "KINDS", ()):
            if kind.name in found:
                raise RuntimeError(f"two families define the job kind {kind.name!r}")
            found[kind.name] = kind
    return found


def _behaviours() -> dict[str, Behaviour]:
    found: dict[str, Behaviour] = {}
    for module in _FAMILIES:
        for operation_id, behaviour in module.BEHAVIOURS.items():
            if operation_id in found:
                raise RuntimeError(f"two families define a behaviour for {operation_id!r}")
            found[operation_id] = behaviour
    return found


#: Every job kind by name.
KINDS: Mapping[str, JobKind] = _kinds()
#: Hand-written behaviours by operationId.
BEHAVIOURS: dict[str, Behaviour] = _behaviours()


def details_behaviour(operation: Operation, kinds: Mapping[str, JobKind]) -> Behaviour:
    """Show a task whose kind is read through this details operation (``x-details-of``)."""
    family = operation.details_of
    field = next((p.name for p in operation.query if p.required), "taskId")
    readers = {name for name, kind in kinds.items() if kind.details == family}

    def details(call: Call) -> Any:
        task_id = call.query[field]
        task = call.tasks.get(task_id)
        if task is None:
            raise not_found(field, task_id, "no such task; use the taskId a creating call returned")
        if task.kind not in readers:
            raise not_found(
                field, task_id, f"is a {task.kind} task, not one this endpoint shows; read it with its own details"
            )
        return kinds[task.kind].view(call.tasks.snapshot(task))

    return details


def behaviour_for(
    operation: Operation, kinds: Mapping[str, JobKind] = KINDS, served: Mapping[str, Operation] | None = None
) -> Behaviour:
    """The hand-written behaviour, the details behaviour, or one that answers the documented example.

    ``served`` (operationId -> operation) is what kie's Market jobs run their classic twins through.
    """
    known = BEHAVIOURS.get(operation.operation_id)
    if known is not None:
        return known
    if operation.market is not None:
        table = market.market_behaviours(served or {operation.operation_id: operation}, BEHAVIOURS, kinds)
        return table[operation.operation_id]
    if operation.details_of is not None:
        if operation.details_of not in kinds:
            raise RuntimeError(f"{operation.label}: x-details-of names the unknown job kind {operation.details_of!r}")
        return details_behaviour(operation, kinds)
    example = operation.example
    data = example.get("data") if isinstance(example, dict) and "code" in example else example

    def from_example(call: Call) -> Any:
        return data

    return from_example
