"""The job kind: one value that carries everything the engine needs to know about a kind of task.

A kind (music, replace, wav, separation, ...) is defined once, in its family module under
:mod:`mockserver._families`.  The engine (:mod:`lifecycle`, :mod:`driver`, :mod:`tasks`,
:mod:`callbacks`, the fault rules, the media routes and the details endpoints) reads
the kind and never names one:

* its stages and statuses (:class:`~mockserver._lifecycle.Lifecycle`);
* its failure statuses with their documented code, message and default stage;
* how its callbacks are delivered (receiver timeout, attempts);
* its details view (what ``GET .../record-info`` shows) and its callback payloads;
* the files it produces, served under ``/_mock/files/{task_id}/{name}``;
* what kie's Market jobs show of it in ``resultJson`` (the same task through another view).

The spec links each operation to its kind with the vendor keywords ``x-job-kind`` (on the
creating operation) and ``x-details-of`` (on the details operation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ._lifecycle import Failure, Lifecycle, Stage

if TYPE_CHECKING:
    from ._audio import Pcm
    from ._providers import Profile
    from ._store import Task, Track

__all__ = ["Artifact", "FailureText", "JobKind", "Renderer", "Snapshot"]


@dataclass(frozen=True, slots=True)
class FailureText:
    """The documented code and message of a failure status, and the stage it replaces by default."""

    code: int
    message: str
    stage: Stage = Stage.COMPLETE


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 3-4x as much, and one is made per request
class Snapshot:
    """A task as a details view sees it at one mock time."""

    task: Task
    status: str
    error_code: int | None
    error_message: str | None
    profile: Profile
    now: float


@dataclass(frozen=True, slots=True)
class Artifact:
    """A file a task produced: its bytes and media type."""

    body: bytes
    content_type: str


class Renderer(Protocol):
    """What a kind's file builder may ask the media layer for (the decoded audio of any track)."""

    def pcm(self, track: Track) -> Pcm: ...

    def track(self, track_id: str) -> Track | None: ...

    def encode(self, pcm: Pcm) -> Artifact: ...


View = Callable[[Snapshot], dict[str, Any]]
Payload = Callable[["Task", Stage, "Failure | None", "Profile"], "dict[str, Any] | None"]
FileBuilder = Callable[["Task", str, Renderer], "Artifact | None"]


def _no_files(task: Task, name: str, renderer: Renderer) -> Artifact | None:
    return None


@dataclass(frozen=True)
class JobKind:
    """Everything about one kind of task; see the module docstring."""

    name: str
    lifecycle: Lifecycle
    #: Failure status -> documented code, message and default stage.
    failures: Mapping[str, FailureText]
    view: View
    payload: Payload
    #: Real seconds the receiver has to answer a callback, and delivery attempts in all.
    callback_timeout_s: float = 15.0
    callback_attempts: int = 3
    #: The kind whose details endpoint reads these tasks (replace tasks are read as music).
    details: str = ""
    #: Builds the file ``name`` of a task (None: no such file).
    files: FileBuilder = field(default=_no_files)
    #: What kie's Market ``recordInfo`` shows parsed in ``resultJson`` once the task succeeded.
    market_result: View | None = None

    def __post_init__(self) -> None:
        if set(self.failures) != set(self.lifecycle.failures):
            raise ValueError(
                f"kind {self.name}: failure texts {sorted(self.failures)} must cover exactly the lifecycle's "
                f"failures {sorted(self.lifecycle.failures)}"
            )
        if not self.details:
            object.__setattr__(self, "details", self.name)

    def failure(self, status: str, code: int | None = None, message: str | None = None) -> Failure:
        """A failure of ``status`` with the documented code and message unless given."""
        text = self.failures[status]
        return Failure(status, text.stage, code or text.code, message or text.message)
