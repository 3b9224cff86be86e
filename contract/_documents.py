"""What the bundled documents say, looked up by operationId: responses, their codes, and the enums.

The strategies, the deterministic answers and the client kit read the documents through these
lookups (cached per provider), so they follow the documents when they change.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from mockserver import openapi

from . import _families as families

__all__ = [
    "OPERATION_IDS",
    "callback_codes",
    "code_enum",
    "deref",
    "documented_codes",
    "known_provider",
    "operation",
    "pointer_target",
    "record_enum",
    "response_schema",
    "spec",
    "task_statuses",
]

#: The operationIds of the contract's table that every bundled document serves.
OPERATION_IDS: tuple[str, ...] = tuple(
    op_id
    for op_id in families.OPERATIONS
    if all(op_id in families.declared(openapi.load_spec(p)) for p in openapi.PROVIDERS)
)


@functools.cache
def spec(provider: str) -> dict[str, Any]:
    """The provider's bundled document (parsed once)."""
    return openapi.load_spec(provider)


def pointer_target(root: Any, ref: str) -> Any:
    """The node a local ``$ref`` (``#/a/b~1c``) points at in ``root``."""
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target


def deref(node: Any, root: dict[str, Any]) -> Any:
    """``node`` with its local ``$ref`` chain followed."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        node = pointer_target(root, node["$ref"])
    return node


@functools.cache
def operation(provider: str, operation_id: str) -> tuple[str, str, Mapping[str, Any]]:
    """(method, path, operation object) of ``operation_id`` in the provider's document."""
    document = spec(provider)
    for path, item in document["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return method.upper(), path, op
    raise ValueError(f"{provider} documents no operation {operation_id!r}; use one of {', '.join(OPERATION_IDS)}")


def response_schema(provider: str, operation_id: str, http_status: int) -> Mapping[str, Any] | None:
    """The JSON schema of the documented ``http_status`` answer (None: not documented)."""
    document = spec(provider)
    _, _, op = operation(provider, operation_id)
    response = deref(op.get("responses", {}).get(str(http_status)), document)
    if not isinstance(response, dict):
        return None
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    resolved = deref(schema, document)
    return resolved if isinstance(resolved, dict) else None


def code_enum(provider: str, operation_id: str, http_status: int) -> tuple[int, ...]:
    """The body ``code`` enum of the documented ``http_status`` answer."""
    schema = response_schema(provider, operation_id, http_status)
    if schema is None:
        return ()
    code = deref(schema.get("properties", {}).get("code", {}), spec(provider))
    return tuple(int(c) for c in code.get("enum", ()))


@functools.cache
def documented_codes(provider: str, operation_id: str) -> tuple[tuple[int, int], ...]:
    """Every documented ``(HTTP status, body code)`` pair of an operation, 200 first.

    The HTTP-200 answers carry the outcome in ``code`` (suno-api.md 1.2); the documented HTTP 500
    answer carries 402/408/422/500/501/505 (suno-api.md 1.3).
    """
    pairs = [(200, code) for code in code_enum(provider, operation_id, 200)]
    pairs += [(500, code) for code in code_enum(provider, operation_id, 500)]
    if not pairs:
        raise ValueError(f"{provider} {operation_id}: the document lists no response codes")
    return tuple(sorted(pairs, key=lambda p: (p != (200, 200), p)))


@functools.cache
def task_statuses(provider: str = "kie") -> tuple[str, ...]:
    """The ``record-info`` ``status`` enum of the provider's document."""
    return tuple(spec(provider)["components"]["schemas"]["TaskStatus"]["enum"])


@functools.cache
def callback_codes(provider: str = "kie") -> tuple[int, ...]:
    """The callback ``code`` enum of the provider's document (200 and the failure codes)."""
    return tuple(spec(provider)["components"]["schemas"]["CallbackCode"]["enum"])


@functools.cache
def record_enum(provider: str, name: str) -> tuple[Any, ...]:
    """The enum of a Get Music Details ``RecordInfo`` property."""
    return tuple(spec(provider)["components"]["schemas"]["RecordInfo"]["properties"][name]["enum"])


def known_provider(provider: str) -> str:
    """``provider``, or a ValueError naming the providers there are."""
    if provider not in openapi.PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}: choose one of {', '.join(openapi.PROVIDERS)}")
    return provider
