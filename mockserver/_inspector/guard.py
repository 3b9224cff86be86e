"""The admin token: with ``--admin-token T`` every admin route needs ``Authorization: Bearer T`` or
``X-Mock-Admin-Token: T``. The served files (``/_mock/files``, ``/_mock/stream``: a track's
``audioUrl``) and the page's own assets (no data in them) stay open."""

from __future__ import annotations

import hmac

from starlette.types import Scope

__all__ = ["OPEN_PREFIXES", "refusal"]

#: Paths under /_mock that need no admin token.
OPEN_PREFIXES = ("/_mock/files/", "/_mock/stream/", "/_mock/ui")


def _presented(scope: Scope) -> list[bytes]:
    found = []
    for name, value in scope["headers"]:
        if name == b"x-mock-admin-token":
            found.append(value.strip())
        elif name == b"authorization" and value[:7].lower() == b"bearer ":
            found.append(value[7:].strip())
    return found


def refusal(scope: Scope, token: str) -> str | None:
    """Why this request may not reach the admin API (None: it may)."""
    path: str = scope["path"]
    if not path.startswith("/_mock/") or path.startswith(OPEN_PREFIXES):
        return None
    expected = token.encode()
    presented = _presented(scope)
    if any(hmac.compare_digest(value, expected) for value in presented):
        return None
    problem = "a wrong admin token was sent" if presented else "no admin token was sent"
    return (
        f"Unauthorized: the admin API needs the token the mock was started with (--admin-token); {problem}: "
        "send 'Authorization: Bearer <token>' or 'X-Mock-Admin-Token: <token>'"
    )
