"""The operation table of a provider document: what is served, and with which schemas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Operation", "Parameter", "deref", "operations"]

_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Parameter:
    """A query parameter of an operation, its schema fully inlined."""

    name: str
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    """One documented method + path."""

    operation_id: str
    method: str
    path: str
    body_schema: dict[str, Any] | None
    query: tuple[Parameter, ...]
    #: The documented example of the HTTP 200 answer, if any.
    example: Any
    #: Callback kinds the operation declares (names under its ``callbacks``).
    callbacks: tuple[str, ...]
    #: ``x-job-kind``: the kind of task this operation creates.
    job_kind: str | None = None
    #: ``x-details-of``: the kind whose tasks this (details) operation shows.
    details_of: str | None = None
    #: ``x-market``: ``create`` or ``details`` for kie's Market job pair.
    market: str | None = None
    #: ``x-code-set``: ``old`` (the page documents the OLD code set: used with the profile switch
    #: ``code_set=old``) or ``old-only`` (the page lists only OLD-style codes: always used).
    code_set: str | None = None
    #: The ``multipart/form-data`` request schema (the stream upload), if the body is a form.
    form_schema: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def deref(node: Any, root: dict[str, Any], _seen: tuple[str, ...] = ()) -> Any:
    """Inline every local ``$ref`` (the bundled documents have no recursive schemas)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in _seen:
                raise ValueError(f"recursive $ref {ref} is not supported")
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            inner = (*_seen, ref)
            # the target and the $ref's siblings, each inlined once (the siblings win, as before)
            return {**deref(target, root, inner), **{k: deref(v, root, inner) for k, v in node.items() if k != "$ref"}}
        return {key: deref(value, root, _seen) for key, value in node.items()}
    if isinstance(node, list):
        return [deref(item, root, _seen) for item in node]
    return node


def operations(spec: dict[str, Any]) -> list[Operation]:
    """Every operation of a bundled document, in document order."""
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            raw = item.get(method)
            if raw is None:
                continue
            op = deref(raw, spec)
            content = op.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            query = tuple(
                Parameter(p["name"], bool(p.get("required")), p.get("schema", {}))
                for p in op.get("parameters", []) + deref(item.get("parameters", []), spec)
                if p.get("in") == "query"
            )
            ok = op.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
            found.append(
                Operation(
                    operation_id=op.get("operationId") or f"{method} {path}",
                    method=method.upper(),
                    path=path,
                    body_schema=body,
                    query=query,
                    example=ok.get("example"),
                    callbacks=tuple(op.get("callbacks", {})),
                    job_kind=op.get("x-job-kind"),
                    details_of=op.get("x-details-of"),
                    market=op.get("x-market"),
                    code_set=op.get("x-code-set"),
                    form_schema=content.get("multipart/form-data", {}).get("schema"),
                )
            )
    return found
