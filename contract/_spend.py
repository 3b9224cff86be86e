"""The spend guard: creating calls that may cost credits, counted and refused past a budget.

One guard serves the server suite (``SuiteConfig.spend_budget``; a loopback target is the mock, so
nothing is refused there) and the plugin's live proxy (``--suno-spend-budget``, shared out between
xdist workers by :func:`contract._live.worker_share`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SpendGuard"]


@dataclass
class SpendGuard:
    """Counts creating calls that may succeed and refuses them past ``budget`` unless the target is loopback."""

    budget: int
    #: A loopback target costs nothing: every call is allowed (and still counted).
    loopback: bool = False
    sent: int = 0
    #: The calls allowed, in order ("METHOD path" or the suite's label).
    log: list[str] = field(default_factory=list)
    #: The calls refused, in order.
    refused: list[str] = field(default_factory=list)

    @property
    def withheld(self) -> int:
        """How many calls were refused."""
        return len(self.refused)

    def allow(self, label: str) -> bool:
        """Whether a creating call that may succeed may be sent now; counts it either way."""
        if not self.loopback and self.sent >= self.budget:
            self.refused.append(label)
            return False
        self.sent += 1
        self.log.append(label)
        return True
