"""What a behaviour receives (:class:`Call`) and the errors it raises for a refused request.

A behaviour is the code of one operationId (registered by its family module in
:mod:`mockserver._families`).  It gets the validated request and the services it may
use, and returns the envelope's ``data``; it refuses with a domain error from
:mod:`mockserver._errors`, which the app answers with the documented code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._credits import Credits
from ._errors import Invalid, NotFound
from ._faults import TaskFaults
from ._providers import Profile
from ._spec import Operation
from ._store import Task
from ._tasks import Tasks
from ._validation import Problem

__all__ = ["Behaviour", "Call", "invalid", "not_found", "unexpired"]


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 3-4x as much, and one is made per request
class Call:
    """One validated request on its way to a behaviour."""

    tasks: Tasks
    credits: Credits
    profile: Profile
    operation: Operation
    token: str
    body: dict[str, Any]
    query: Mapping[str, str]
    base_url: str
    #: What the fault rules attach to the task this call creates (failure, callback faults).
    faults: TaskFaults | None = None
    #: Hosts besides loopback the mock may reach (``--callback-allow``; the URL upload fetches from them).
    allow: frozenset[str] = frozenset()

    def start(self, task: Any, kind: str) -> None:
        """Start ``task`` as a task of ``kind``, with this call's injected faults."""
        self.tasks.start(task, kind, self.faults)


Behaviour = Callable[[Call], Any]


def invalid(field: str, value: Any, rule: str) -> Invalid:
    """A 422 naming the field, the value and the rule."""
    return Invalid(str(Problem(field, value, rule)))


def not_found(field: str, value: Any, rule: str) -> NotFound:
    """The profile's not-found code, naming the field, the value and what to do."""
    return NotFound(str(Problem(field, value, rule)))


def unexpired(call: Call, field: str, value: Any, task: Task, what: str = "track") -> None:
    """Refuse a source ``task`` past the profile's retention for its kind (the 422 naming the field).

    Every operation that builds on an earlier task or on a file of the mock answers the same:
    ``<field>: the <what>'s files have expired (kept <N> days); ... (got <value>)``.
    """
    if call.tasks.expired(task):
        days = call.profile.retention(task.kind)
        rule = f"the {what}'s files have expired (kept {days:g} days); make a new task and use what it answers"
        raise invalid(field, value, rule)
