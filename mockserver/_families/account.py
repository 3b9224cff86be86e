"""The account: Get Remaining Credits."""

from __future__ import annotations

from .._behaviour import Call

__all__ = ["BEHAVIOURS"]


def credits(call: Call) -> int:
    """Get Remaining Credits: the key's balance, a bare integer."""
    return call.credits.balance(call.token)


BEHAVIOURS = {"get-remaining-credits": credits}
