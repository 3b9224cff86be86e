"""The documented request rules of each provider profile, written out on their own.

This module is the oracle of the contract suites. It deliberately does **not** import the
mock (``mockserver``) nor evaluate the JSON Schemas of the bundled documents: every rule is
transcribed by hand from the reference notes (``shared/reference/suno-api.md`` and
``api-family.md``, cited by section and source key) into the contract's table
(:mod:`contract._families`, one module per family), so that a server, the mock included, is
judged against the documents and not against its own code.

Public API:

- :class:`Violation`: one broken rule (``field``, ``value``, ``rule``);
- :func:`request_violations`: every stateless rule of an operation's query and body;
- :func:`disputed_violations`: the rules a body breaks that the documents disagree on (a
  correct server may accept or reject it; the suite accepts either answer and says so);
- :func:`header_violations`: the auth header and content type every request must carry;
- :func:`stateful_violations`: the rules that need the named track's duration
  (:func:`replace_section_violations` for replace-section);
- :data:`OPERATIONS`: provider -> operationId -> (METHOD, path), for the operations the bundled
  document of the provider declares;
- :data:`CREATING`: the operationIds that create (and bill) tasks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockserver import openapi

from . import _families as families
from ._checking import MISSING, Violation, decimal_places
from ._families import music, replace
from ._families.music import prompt_limit, style_limit

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CREATING",
    "MISSING",
    "OPERATIONS",
    "PROVIDERS",
    "Violation",
    "decimal_places",
    "disputed_violations",
    "header_violations",
    "interval_rule",
    "models",
    "prompt_limit",
    "replace_section_violations",
    "request_violations",
    "stateful_violations",
    "style_limit",
    "title_limit",
    "track_selector",
]

PROVIDERS: tuple[str, ...] = ("kie", "sunoapi", "apibox", "apikley")


def _bundled_operations(provider: str) -> dict[str, tuple[str, str]]:
    # The bundled document says which operations a profile serves; the table says where (the
    # test suite checks that both agree).
    served = families.served(openapi.load_spec(provider))
    return {op_id: (op.method, op.path_for(provider)) for op_id, op in served.items()}


#: provider -> operationId -> (METHOD, path) of the operations the provider's bundled document declares.
OPERATIONS: dict[str, dict[str, tuple[str, str]]] = {provider: _bundled_operations(provider) for provider in PROVIDERS}

#: Operations that create a task and draw credits (suno-api.md 2.0: "Every task-creating endpoint
#: returns data: {taskId}"; 2.5: "Insufficient credits makes generation fail").
CREATING: frozenset[str] = frozenset(op.id for op in families.OPERATIONS.values() if op.creates)


def _known(provider: str) -> str:
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}: choose one of {', '.join(PROVIDERS)}")
    return provider


def request_violations(
    provider: str,
    operation_id: str,
    body: Mapping[str, Any] | None = None,
    query: Mapping[str, str] | None = None,
) -> list[Violation]:
    """Every documented stateless rule ``body`` and ``query`` break, for one operation.

    ``body`` is the decoded JSON body (None: no body sent); anything that is not a JSON object
    is itself a violation. Fields the documents do not name are ignored. An empty list means
    a correct server must not reject the request for its parameters (it may still answer 404
    for an unknown task or track, or 422 for a rule that needs the track,
    see :func:`stateful_violations`).
    """
    _known(provider)
    if operation_id not in families.OPERATIONS:
        raise ValueError(
            f"unknown operationId {operation_id!r}: choose one of {', '.join(OPERATIONS[provider])} "
            f"(or another operation of the contract's table: {', '.join(families.OPERATIONS)})"
        )
    return families.operation(operation_id).violations(provider, body, query)


def disputed_violations(provider: str, operation_id: str, body: Mapping[str, Any] | None) -> list[Violation]:
    """The rules ``body`` breaks on which the documents disagree (see each field's ``dispute``).

    Such a body is neither required to be accepted nor to be rejected: a server following either
    document is right. A client should keep them (the router reports them as violations).
    """
    _known(provider)
    return families.operation(operation_id).disputed(provider, body)


def stateful_violations(
    provider: str, operation_id: str, body: Mapping[str, Any], track_duration: float
) -> list[Violation]:
    """The rules of ``operation_id`` that need the named track's ``track_duration`` (seconds)."""
    rule = families.operation(operation_id).stateful
    return rule(_known(provider), body, track_duration) if rule is not None else []


def replace_section_violations(provider: str, body: Mapping[str, Any], track_duration: float) -> list[Violation]:
    """The replace-section rules that need the source track's duration (suno-api.md 6)."""
    return stateful_violations(provider, "replace-section", body, track_duration)


def models(provider: str) -> tuple[str, ...]:
    """The model enum of ``provider`` (suno-api.md 0.1, 2.1)."""
    return music.models(_known(provider))


def title_limit(provider: str, operation_id: str, model: str) -> int:
    """The documented maximum title length for a model (suno-api.md 2.1, 2.2, 2.6)."""
    return music.title_limit(_known(provider), operation_id, model)


def interval_rule(provider: str) -> tuple[float, float] | None:
    """The replace-section ``(min, max)`` seconds of ``provider``, or None when none is stated."""
    return replace.interval_rule(_known(provider))


def track_selector(provider: str) -> str:
    """``"audioId"`` or ``"musicIndex"``: how replace-section names the track (suno-api.md 6)."""
    return replace.track_selector(_known(provider))


def _fingerprint(header: str) -> str:
    """An Authorization header as a report may show it: its scheme word, the key as a sha256 prefix (never the key)."""
    words = header.split(None, 1)
    scheme, secret = (words[0], words[1]) if len(words) == 2 and words[0].isalpha() else ("", header.strip())
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{scheme + ' ' if scheme else ''}<key #{digest}>"


def header_violations(request: httpx.Request) -> list[Violation]:
    """Auth (suno-api.md 0.2: ``Authorization: Bearer <API_KEY>``) and JSON content type for bodies."""
    out: list[Violation] = []
    header = request.headers.get("authorization")
    if header is None:
        out.append(Violation("Authorization", MISSING, "is required: send 'Authorization: Bearer <API key>'"))
    else:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or any(ch.isspace() for ch in token.strip()):
            out.append(
                Violation("Authorization", _fingerprint(header), "must be 'Bearer <API key>' (one key, no spaces)")
            )
    if request.method == "POST":
        media = request.headers.get("content-type", "")
        if media.split(";")[0].strip().lower() != "application/json":
            out.append(Violation("Content-Type", media or MISSING, "must be application/json"))
    return out
