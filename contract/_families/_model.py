"""The shape of the contract's table: operations with their fields and rules, families with their lifecycle.

A :class:`Family` is what the documents say about one kind of job: the operations that create it,
the details operation that reads it (with its query field), the status field and its documented
order, the callbacks in documented order, and the documented receiver timeout; and where its
answers put the created id, the answered id, the record and the status (``data.taskId``,
``data``, ``data.<field>`` by default; Recovery's ``data.task_id``, top-level ``task_id``, the
whole answer and its top-level ``code``). An
:class:`Operation` carries its method and path, its fields (:class:`Field`, from which the rules
are checked *and* the boundary probes derived), the cross-field rules a field list cannot say, a
valid-body builder and what it needs (a finished task of another family).

Values here are plain data and small functions; the modules beside this one fill them in from
the reference notes, one module per family.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .._checking import MISSING, Checker, Violation

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "ALL_PROVIDERS",
    "CALLBACK",
    "DROP",
    "UNKNOWN_AUDIO",
    "UNKNOWN_TASK",
    "Callbacks",
    "Family",
    "Field",
    "LimitFn",
    "Mode",
    "Operation",
    "Probe",
    "Ref",
    "Source",
    "Status",
    "Track",
    "When",
    "changed",
    "details_operation",
    "value_at",
]

ALL_PROVIDERS: frozenset[str] = frozenset({"kie", "sunoapi", "apibox", "apikley"})
#: Where valid bodies send callbacks when the suite has no receiver (never resolves).
CALLBACK = "https://callback.invalid/suno"
UNKNOWN_TASK = "0" * 32
UNKNOWN_AUDIO = "00000000-0000-4000-8000-000000000000"

FieldType = Literal["string", "boolean", "number", "integer", "uri", "uri-list"]
#: A length limit that depends on the provider and the rest of the body (e.g. on ``model``).
LimitFn = Callable[[str, Mapping[str, Any]], "int | None"]


class _Drop:
    def __repr__(self) -> str:
        return "<drop>"


#: In :func:`changed` and :class:`Mode`: remove the field.
DROP: Any = _Drop()


def changed(body: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``body`` with ``changes`` applied (:data:`DROP` removes a field)."""
    out = dict(body)
    for key, value in changes.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


# -- requests -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Track:
    """A finished track: its audioId, 0-based index, duration (s) and, when known, its audio URL."""

    id: str
    index: int
    duration: float
    url: str = ""


@dataclass(frozen=True)
class Source:
    """A finished task a request may name (a music task, a separation task, ...)."""

    task_id: str
    tracks: tuple[Track, ...] = ()


@dataclass(frozen=True)
class Probe:
    """One request: operation, JSON body or query, the rule it exercises and what it edits."""

    operation: str
    label: str
    body: dict[str, Any] | None = None
    query: dict[str, str] | None = None
    #: The track a body edits (its duration decides the stateful rules).
    track: Track | None = None
    #: The documented rule this probe exercises (the coverage table counts probes per rule).
    rule: str = ""


def _json(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class When:
    """A condition on the body: every named field has the given value (absent fields: the documented default)."""

    values: Mapping[str, Any]

    def holds(self, body: Mapping[str, Any], defaults: Mapping[str, Any]) -> bool:
        for name, wanted in self.values.items():
            value = body.get(name, defaults.get(name, MISSING))
            if type(value) is not type(wanted) or value != wanted:
                return False
        return True

    @property
    def why(self) -> str:
        """``"when customMode is true and instrumental is false"``."""
        return "when " + " and ".join(f"{name} is {_json(value)}" for name, value in self.values.items())


@dataclass(frozen=True)
class Field:
    """One documented body or query field: type, requirement, values and limits."""

    name: str
    type: FieldType
    #: True, or the providers on which the field is required.
    required: bool | frozenset[str] = False
    #: Conditions under which the field is required (the first that holds gives the reason).
    when: tuple[When, ...] = ()
    enum: tuple[Any, ...] | Callable[[str], tuple[Any, ...]] | None = None
    max_length: int | LimitFn | None = None
    min_length: int = 0
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None
    places: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    #: The providers that document the field (None: all); elsewhere it is an unknown field, ignored.
    providers: frozenset[str] | None = None
    #: A valid value, to fill a body that needs the field (conditional requirements).
    example: Any = None
    #: JSON null is accepted too (e.g. Generate Sounds' ``soundTempo``: "int | null").
    nullable: bool = False
    #: Providers on which the documents disagree about this field (whether it exists, is required,
    #: its values): a body breaking its rules there may be accepted or rejected.
    disputed: frozenset[str] = frozenset()
    #: Conditions under which some documents require the field and others do not (any provider).
    disputed_when: tuple[When, ...] = ()
    #: Which documents disagree, for the notes and the coverage table.
    dispute: str = ""

    def applies(self, provider: str) -> bool:
        return self.providers is None or provider in self.providers

    def is_required(self, provider: str) -> bool:
        return self.required if isinstance(self.required, bool) else provider in self.required

    def values(self, provider: str) -> tuple[Any, ...] | None:
        return self.enum(provider) if callable(self.enum) else self.enum

    def limit(self, provider: str, body: Mapping[str, Any]) -> int | None:
        return self.max_length(provider, body) if callable(self.max_length) else self.max_length

    def is_disputed(self, provider: str) -> bool:
        return provider in self.disputed

    def judge(self, check: Checker, provider: str) -> None:
        """Type, values and limits of the field when it is present."""
        name = self.name
        if self.nullable and check.body.get(name, MISSING) is None:
            return
        values = self.values(provider)
        if values is not None:
            check.enum(name, values)
        elif self.type == "string":
            check.string(name, self.limit(provider, check.body), self.min_length)
        elif self.type == "boolean":
            check.boolean(name)
        elif self.type in ("number", "integer"):
            check.number(
                name,
                integer=self.type == "integer",
                minimum=self.minimum,
                exclusive_minimum=self.exclusive_minimum,
                maximum=self.maximum,
                places=self.places,
            )
        elif self.type == "uri":
            check.uri(name)
        elif self.type == "uri-list":
            check.uri_list(name, self.min_items, self.max_items)


@dataclass(frozen=True)
class Mode:
    """A documented way of calling an operation (e.g. custom instrumental), as changes to its valid body."""

    name: str
    changes: Mapping[str, Any]


@dataclass(frozen=True)
class Ref:
    """A field that names a finished task (``task``), one of its tracks (``track``) or a track index (``index``)."""

    field: str
    names: Literal["task", "track", "index"]
    providers: frozenset[str] | None = None


BodyBuilder = Callable[[str, "Source | None", str], dict[str, Any]]
CrossRule = Callable[[Checker, str], None]
StatefulRule = Callable[[str, Mapping[str, Any], float], list[Violation]]
ProbeMaker = Callable[[str, "Source | None"], list[Probe]]
DrawnProbes = Callable[[str, "Source | None"], "SearchStrategy[Probe]"]


@dataclass(frozen=True)
class Operation:
    """One documented operation and its request rules."""

    id: str
    method: str
    #: The path, or provider -> path where providers differ.
    path: str | Mapping[str, str]
    #: Where the facts come from (reference note sections and source keys).
    source: str
    #: The body's fields (None: the operation takes no body).
    body: tuple[Field, ...] | None = None
    query: tuple[Field, ...] = ()
    #: Rules between fields that a field list cannot say (start < end, interval bounds, ...).
    cross: CrossRule | None = None
    #: Rules that need the named track's duration (seconds).
    stateful: StatefulRule | None = None
    #: A valid body for a provider, naming ``source`` when the operation needs one, with a callback URL.
    valid: BodyBuilder | None = None
    creates: bool = False
    #: The family whose finished task the request names (its source).
    needs: str | None = None
    refs: tuple[Ref, ...] = ()
    #: Documented ways of calling it; length limits are probed in each.
    modes: tuple[Mode, ...] = ()
    #: Documented defaults of optional fields (they decide conditions when the field is absent).
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: Hand-written probes for the cross-field and stateful rules.
    probes: ProbeMaker | None = None
    #: Drawn probes around the cross-field boundaries.
    drawn: DrawnProbes | None = None
    #: Codes a correct server may answer when the named task or track does not exist.
    unknown_codes: tuple[int, ...] = (404, 422)
    #: "task" or "track": the documents allow one call per source task or track.
    once: str | None = None
    #: What a second call on the same task or track answers (see :attr:`once`); 200 among them
    #: when the documents only suggest the limit.
    repeat_codes: tuple[int, ...] = (409,)
    #: The providers whose documents show the operation (a fact; the suites go by the served spec).
    documented_by: frozenset[str] = ALL_PROVIDERS

    def path_for(self, provider: str) -> str:
        return self.path if isinstance(self.path, str) else self.path[provider]

    def fields(self, provider: str) -> list[Field]:
        return [f for f in (self.body or ()) if f.applies(provider)]

    def violations(self, provider: str, body: Any, query: Mapping[str, str] | None) -> list[Violation]:
        """Every documented stateless rule ``body`` and ``query`` break (the firm ones, see :meth:`judged`)."""
        return self.judged(provider, body, query)[0]

    def disputed(self, provider: str, body: Any) -> list[Violation]:
        """The rules ``body`` breaks that the documents disagree on (a server may accept or reject it)."""
        return self.judged(provider, body, None)[1]

    def judged(
        self, provider: str, body: Any, query: Mapping[str, str] | None
    ) -> tuple[list[Violation], list[Violation]]:
        """(firm, disputed): the rules ``body`` and ``query`` break, and those of them the documents disagree on."""
        out: list[Violation] = []
        if self.query:
            check = Checker(query or {})
            for item in self.query:
                if item.is_required(provider) and item.name not in check.body:
                    check.add(item.name, MISSING, "is required (query parameter)")
                else:
                    item.judge(check, provider)
            out += check.out
        if self.body is None:
            return out, []
        if body is None:
            return [*out, Violation("body", MISSING, "is required (a JSON object)")], []
        if not isinstance(body, Mapping):
            return [*out, Violation("body", body, "must be a JSON object")], []
        check, moot = Checker(body), Checker(body)
        fields = self.fields(provider)
        for item in fields:
            if item.is_required(provider):
                (moot if item.is_disputed(provider) else check).required(item.name)
        for item in fields:
            item.judge(moot if item.is_disputed(provider) else check, provider)
        for item in fields:
            reason = next((c for c in item.when if c.holds(body, self.defaults)), None)
            if reason is not None:
                (moot if item.is_disputed(provider) else check).required(item.name, why=reason.why)
            contested = next((c for c in item.disputed_when if c.holds(body, self.defaults)), None)
            if reason is None and contested is not None:
                moot.required(item.name, why=f"{contested.why} (on some documents)")
        if self.cross is not None:
            self.cross(check, provider)
        return [*out, *check.out], moot.out


# -- lifecycle ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """The status of a details answer: its name, the forward order (success last), the failures and where it sits.

    Most families write it in ``data.<field>`` (``status``, ``successFlag``); Get Recovery Audio
    Details answers it as the top-level ``code`` (201 running, 200 done, 500 every track failed):
    ``Status("code", (201, 200), (500,), at=("code",))``.
    """

    field: str
    order: tuple[Any, ...]
    failures: tuple[Any, ...]
    #: Where the status sits in the details answer (None: ``("data", field)``).
    at: tuple[str, ...] | None = None

    @property
    def path(self) -> tuple[str, ...]:
        """Where the status sits in the details answer."""
        return ("data", self.field) if self.at is None else self.at

    @property
    def in_code(self) -> bool:
        """The status is the answer's top-level ``code``: a documented status other than 200 is not a refusal."""
        return self.path == ("code",)

    def read(self, answer: Any) -> Any:
        """The status a details answer shows (None when it shows none)."""
        return value_at(answer, self.path)

    def answers(self, code: int | None) -> bool:
        """Whether a details answer with ``code`` shows the task: 200, or any documented status when it is the code."""
        return code == 200 or (self.in_code and self.rank(code) >= 0)

    @property
    def success(self) -> Any:
        return self.order[-1]

    @property
    def terminal(self) -> tuple[Any, ...]:
        """Statuses after which nothing changes."""
        return (self.success, *self.failures)

    @property
    def flavour(self) -> str:
        """``"string"`` or ``"integer"`` (``successFlag`` is an integer on some families)."""
        return "integer" if isinstance(self.success, int) else "string"

    def rank(self, value: Any) -> int:
        """Position in the forward order; failures rank after every state; -1 for an undocumented value."""
        for index, state in enumerate(self.order):
            if type(state) is type(value) and state == value:
                return index
        if any(type(f) is type(value) and f == value for f in self.failures):
            return 99
        return -1

    def is_terminal(self, value: Any) -> bool:
        return self.rank(value) in (len(self.order) - 1, 99)


def value_at(payload: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` (keys) in a JSON value; None where the path does not lead."""
    node = payload
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


@dataclass(frozen=True)
class Callbacks:
    """A family's callbacks: stages in documented order (ending with ``complete``), where to read them."""

    stages: tuple[str, ...]
    #: Stages the documents say may be skipped ("some cases may skip text and first").
    skippable: frozenset[str] = frozenset()
    #: Where the stage is written (None: one stage; code 200 is ``complete``, another code ``error``).
    stage_at: tuple[str, ...] | None = ("data", "callbackType")
    #: Where the task id is written, or provider -> where.
    task_id_at: tuple[str, ...] | Mapping[str, tuple[str, ...]] = ("data", "task_id")
    #: The documented receiver timeout (seconds) and delivery attempts (None: not documented).
    timeout_s: float = 15.0
    attempts: int | None = None

    @property
    def count(self) -> int:
        """How many callbacks a finished task sends at most (each stage once)."""
        return len(self.stages)

    def stage(self, payload: Any) -> str | None:
        if self.stage_at is None:
            code = payload.get("code") if isinstance(payload, Mapping) else None
            return None if code is None else ("complete" if code == 200 else "error")
        value = value_at(payload, self.stage_at)
        return None if value is None else str(value)

    def task_id_path(self, provider: str) -> tuple[str, ...]:
        return self.task_id_at if isinstance(self.task_id_at, tuple) else self.task_id_at[provider]

    def task_id(self, payload: Any, provider: str) -> Any:
        return value_at(payload, self.task_id_path(provider))


RecordCheck = Callable[[Mapping[str, Any], Any, "int | None"], "str | None"]
TracksOf = Callable[[Mapping[str, Any]], list[Track]]


@dataclass(frozen=True)
class Family:
    """One kind of job as the documents describe it; see the module docstring."""

    name: str
    source: str
    creating: tuple[Operation, ...] = ()
    #: The details operation that reads its tasks (replace tasks are read as music tasks).
    details: Operation | None = None
    #: Where the creating operation's answer names the created task.
    created_id_at: tuple[str, ...] = ("data", "taskId")
    #: The query field of the details operation that names the task.
    details_query: str = "taskId"
    #: Where the details answer names the task it shows.
    answered_id_at: tuple[str, ...] = ("data", "taskId")
    #: Where the details answer holds the task's record (what ``record_check``, ``tracks`` and the
    #: re-reads judge); ``()``: the whole answer (Recovery's top-level ``{code, task_id, msg, data}``).
    record_at: tuple[str, ...] = ("data",)
    status: Status | None = None
    #: Providers whose documents give another status field.
    status_by_provider: Mapping[str, Status] = field(default_factory=dict)
    callbacks: Callbacks | None = None
    #: How many results (tracks) a finished task lists (None: not checked).
    results: int | None = None
    #: What a details ``data`` must show at its status: (data, status, results) -> failure or None.
    record_check: RecordCheck | None = None
    #: The details answer echoes the request as a JSON string in ``param``.
    echoes_param: bool = False
    #: The finished tracks a details ``data`` lists (their ids and durations).
    tracks: TracksOf | None = None
    #: Synchronous operations of the family (no task to poll).
    others: tuple[Operation, ...] = ()
    #: Facts not seen in a primary source (printed in notes when the family is exercised).
    unverified: str = ""

    def status_for(self, provider: str) -> Status | None:
        return self.status_by_provider.get(provider, self.status)

    def forceable_status(self, provider: str) -> Status | None:
        """The status a forced answer or an injected outcome can set (None: none, or it is the top-level code)."""
        status = self.status_for(provider)
        return None if status is None or status.in_code else status

    def created_id(self, answer: Any) -> str | None:
        """The task id a creating answer gives (None: none, or not a non-empty string)."""
        value = value_at(answer, self.created_id_at)
        return value if isinstance(value, str) and value else None

    def answered_id(self, answer: Any) -> Any:
        """The task id a details answer names."""
        return value_at(answer, self.answered_id_at)

    def record(self, answer: Any) -> Any:
        """The task's record in a details answer (see :attr:`record_at`)."""
        return value_at(answer, self.record_at)

    @property
    def operations(self) -> tuple[Operation, ...]:
        own = (*self.creating, *self.others)
        return own if self.details is None else (*own, self.details)


def details_operation(operation_id: str, path: str, source: str, needs: str, query: str = "taskId") -> Operation:
    """A details operation: ``GET path?<query>=<task id>`` (the query field is required)."""
    return Operation(
        id=operation_id,
        method="GET",
        path=path,
        source=source,
        query=(Field(query, "string", required=True, min_length=1),),
        refs=(Ref(query, "task"),),
        needs=needs,
    )
