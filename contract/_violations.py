"""What the client router reports: a broken rule with its request, and the errors it raises.

The classes sit in the kit's one error tree (:mod:`mockserver._errors`): :class:`ContractViolation`
and :class:`NoRequestSeen` under ``ContractError``; :class:`RequestBudgetExceeded` derives from
``BaseException`` on purpose (a client's ``except Exception`` cannot swallow it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mockserver._errors import ContractError

from . import _rules as rules

__all__ = ["ContractViolation", "NoRequestSeen", "RecordedViolation", "RequestBudgetExceeded", "summarise"]


@dataclass(frozen=True)
class RecordedViolation:
    """A broken rule and the request that broke it."""

    method: str
    url: str
    operation_id: str | None
    violation: rules.Violation

    @property
    def field(self) -> str:
        """The offending field (a body field, a query parameter, or a header)."""
        return self.violation.field

    @property
    def value(self) -> Any:
        """What the client sent (``rules.MISSING`` when absent)."""
        return self.violation.value

    @property
    def rule(self) -> str:
        """The documented rule."""
        return self.violation.rule

    def __str__(self) -> str:
        where = f" ({self.operation_id})" if self.operation_id else ""
        return f"{self.method} {self.url}{where}: {self.violation}"


def summarise(violations: Sequence[RecordedViolation]) -> list[str]:
    """One line per distinct broken rule (same request line, field, value and rule), with a count."""
    counts: dict[str, int] = {}
    for violation in violations:
        line = str(violation)
        counts[line] = counts.get(line, 0) + 1
    return [line if n == 1 else f"{line} [x{n}]" for line, n in counts.items()]


class NoRequestSeen(ContractError, UserWarning):
    """A router saw no request at all: the client may not go through it (another host, not httpx)."""


class ContractViolation(ContractError, AssertionError):
    """The client sent requests that break the documented rules."""

    def __init__(self, violations: Sequence[RecordedViolation], *, at_teardown: bool = False) -> None:
        self.violations = tuple(violations)
        lines = "\n".join(f"  - {line}" for line in summarise(self.violations))
        when = "recorded during the test (the client may have swallowed the first error)" if at_teardown else "sent"
        super().__init__(
            f"the client broke {len(self.violations)} documented request rule(s), {when}:\n{lines}\n"
            "Fix the request the client builds; the rules are in contract/_rules.py and the "
            "provider's OpenAPI document."
        )


class RequestBudgetExceeded(BaseException):
    """The client made more requests than the router's ``max_requests`` allows (a polling loop that never ends).

    Derived from ``BaseException`` so that a client's ``except Exception`` cannot swallow it.
    """
