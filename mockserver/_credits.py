"""Credit balances per API key: every task-creating call draws from its key's balance."""

from __future__ import annotations

from ._errors import InsufficientCredits
from ._store import StateStore

__all__ = ["Credits"]


class Credits:
    """Balances kept in the store; a key never seen has the starting balance."""

    def __init__(self, store: StateStore, starting: int, per_task: int) -> None:
        self._store = store
        self.starting = starting
        self.per_task = per_task

    def balance(self, token: str) -> int:
        return self._store.balances.get(token, self.starting)

    def set_balance(self, token: str, amount: int) -> None:
        self._store.balances[token] = amount

    def charge(self, token: str, operation: str) -> None:
        """Draw the cost of one task; :class:`InsufficientCredits` when the balance cannot pay it."""
        cost = self.per_task
        paid, balance = self._store.debit(token, cost, self.starting)  # one step: no worker spends it twice
        if not paid:
            raise InsufficientCredits(
                f"Insufficient credits: the balance of this API key is {balance}, {operation} costs {cost}; "
                "top up with POST /_mock/credits or start the mock with --credits N"
            )
