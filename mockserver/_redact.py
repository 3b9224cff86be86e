"""API keys are never shown: a fingerprint names one, and :func:`redact` takes out any that slipped in.

Every place that answers, records or prints something of a request goes through here: the 401
messages name a key by :func:`fingerprint`; the answer and the request journal of every API
call pass through :func:`redact` with the request's ``Authorization`` words and the keys the
mock was started with; the scheduler's failure log and the fault inspector show a task or a
rule by :func:`summary` and fingerprints, never their fields.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

__all__ = ["KEY_SHOWN_FROM", "fingerprint", "header_secrets", "redact", "summary"]

#: Keys at least this long show their first 4 characters in a fingerprint (a quarter at most).
KEY_SHOWN_FROM = 16
#: Shorter words are not looked for in a text: replacing every "a" would make messages unreadable.
_REDACTED_FROM = 6


def fingerprint(secret: str) -> str:
    """A short name for a key that does not reveal it: ``'sk-h...#1a2b3c4d'`` (sha256 prefix)."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    shown = f"{secret[:4]}..." if len(secret) >= KEY_SHOWN_FROM else ""
    return f"{shown}#{digest}"


def header_secrets(header: str | None) -> list[str]:
    """What of an ``Authorization`` header could be a key: the whole value and each word of it but the scheme."""
    if not header:
        return []
    value = header.strip()
    words = value.split()  # any whitespace, the non-breaking space included
    # the scheme glued to the key by a byte that is not whitespace ("Bearer\x01key") is a word of its own
    words += [word[6:] for word in words if len(word) > 6 and word[:6].lower() == "bearer"]
    return [secret for secret in (value, *words) if secret.lower() != "bearer"]


def _escaped(secret: str) -> str:
    """The secret as a repr() in a message would show it."""
    return repr(secret)[1:-1] if "\\" in secret or not secret.isprintable() else secret


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret (or its repr) of 6 characters or more replaced by its fingerprint."""
    found = {s for s in secrets if len(s) >= _REDACTED_FROM and (s in text or _escaped(s) in text)}
    for secret in sorted(found, key=len, reverse=True):  # the whole header before the key inside it
        shown = f"<key {fingerprint(secret)}>"
        text = text.replace(secret, shown)
        escaped = _escaped(secret)
        if escaped != secret:
            text = text.replace(escaped, shown)
    return text


def summary(value: Any) -> str:
    """What a log line may show of an object: a function's name, a record's type and id, else its type."""
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)
    name = getattr(value, "__qualname__", None)
    if callable(value) and isinstance(name, str):
        return name
    ident = getattr(value, "id", None)
    if isinstance(ident, str):
        return f"{type(value).__name__} {ident}"
    enum_value = getattr(value, "value", None)
    if isinstance(enum_value, str) and type(value).__module__.startswith("mockserver"):
        return f"{type(value).__name__}.{enum_value}"
    return type(value).__name__
