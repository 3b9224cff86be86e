"""The ready check: run a user's client flow once per documented failure code and outcome.

:func:`check_client` calls the user's function against the mock (through
:class:`~contract.SunoRouter`) once per scenario, and reports for each whether the
function handled it, crashed, hung, or took a failure for a success.

The user-function protocol
--------------------------

``fn(base_url: str) -> result`` (a plain or an ``async def`` function) runs **one complete
flow** of the user's client against ``base_url``, e.g. "create a task, poll Get Music Details
until it is finished, return the tracks". It must:

- send every request to ``base_url`` (a host under ``.invalid`` by default, so that nothing can
  reach a real provider, even after the check gave up on a hung function);
- on success, return a value that is not a failure indicator;
- on a failure (a non-200 ``code``, an HTTP 500, a failed task state), either raise an exception
  (preferably its own error type; pass ``failure_types=(MyError,)`` to accept only those) or
  return a failure indicator (``None`` or ``False`` by default; see ``is_failure``);
- keep its poll interval short in the check (make it injectable): a function still running after
  ``timeout`` seconds, or making more than ``max_requests`` requests, is reported as hung.

An exception that is a programming error (``KeyError``, ``IndexError``, ``TypeError``,
``AttributeError``, ``ValueError``, ``NameError``, ``AssertionError``, ``ZeroDivisionError``,
``RecursionError``) counts as a crash, unless it is one of ``failure_types``.

Scenarios (derived from the provider's bundled document, after a first successful run shows
which operations the flow uses):

- ``success``: the task goes PENDING -> TEXT_SUCCESS -> FIRST_SUCCESS -> SUCCESS (the music
  family's order in the contract's table); expect success;
- ``success at once`` (documented: some tasks skip text and first) and ``createTime as epoch ms``
  (a real-world quirk); expect success;
- ``held at FIRST_SUCCESS``: the task stays at FIRST_SUCCESS (the second track not ready yet) for
  a few reads before SUCCESS; a client that reports its result before reading SUCCESS is flagged;
- every documented ``(HTTP status, code)`` other than 200 of every operation the flow calls
  (e.g. 401, 402, 429, 455 in HTTP 200, and 501/505 in HTTP 500); expect failure;
- every failure state of a task (GENERATE_AUDIO_FAILED, SENSITIVE_WORD_ERROR,
  CREATE_TASK_FAILED, CALLBACK_EXCEPTION) when the flow polls Get Music Details, and each other
  family's failure states when the flow polls its details operation; expect failure.

Requests that break the documented rules are reported per scenario (the router runs with
``strict=False`` here, so the flow goes on and the mock answers as the API would).

Example::

    from contract._readiness import check_client

    def flow(base_url: str):
        client = MyClient(base_url=base_url, api_key="test", poll_interval=0)
        return client.wait(client.generate(prompt="rain"))

    def test_client_is_ready():
        report = check_client(flow, provider="kie")
        report.assert_ready()            # lists every mishandled code/outcome
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import inspect
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _families as families
from . import _rules as rules
from ._client import SunoRouter
from ._documents import documented_codes
from ._drawing import CreateTimeStyle
from ._forcing import Force
from ._violations import ContractViolation, RecordedViolation, RequestBudgetExceeded, summarise

__all__ = [
    "CRASH_TYPES",
    "ReadinessReport",
    "Scenario",
    "ScenarioResult",
    "Verdict",
    "check_client",
]

#: Exceptions that mean the client's code broke, not that it reported a failure.
CRASH_TYPES: tuple[type[BaseException], ...] = (
    LookupError,
    TypeError,
    AttributeError,
    ValueError,
    NameError,
    AssertionError,
    ZeroDivisionError,
    RecursionError,
)


def _music() -> tuple[str, tuple[str, ...]]:
    """The music family's details operation and its documented forward states (the contract's table)."""
    music = families.family("music")
    if music.details is None or music.status is None:
        raise RuntimeError("the contract's table lacks the music family's details operation or status")
    return music.details.id, tuple(music.status.order)


_DETAILS, _LIFECYCLE = _music()
#: Details reads a task is held at FIRST_SUCCESS for (the "held" scenario).
HOLD_READS = 3

ClientFlow = Callable[[str], Any] | Callable[[str], Awaitable[Any]]
AppFactory = Callable[[], Callable[..., Awaitable[None]]]


class Verdict(enum.Enum):
    """How the client dealt with one scenario."""

    HANDLED = "handled"
    CRASHED = "crashed"
    HUNG = "hung"
    FAILURE_AS_SUCCESS = "took failure for success"
    SUCCESS_AS_FAILURE = "took success for failure"
    EARLY_SUCCESS = "reported a result before SUCCESS"


@dataclass(frozen=True)
class Scenario:
    """One documented outcome the client is run against."""

    name: str
    expect_success: bool
    #: The operation whose answer is forced (None: only the task state is forced).
    operation_id: str | None = None
    code: int | None = None
    http_status: int = 200
    statuses: tuple[Any, ...] = _LIFECYCLE
    create_time: str = "string"
    #: The details operation whose answers follow ``statuses``.
    details: str = _DETAILS
    #: The task is held at an intermediate stage: a success reported before every status was read
    #: (the last being SUCCESS) is a result taken from an unfinished task.
    held: bool = False

    def arrange(self, router: SunoRouter) -> Force:
        """Set the router's forced answers for this scenario; the details rule (it counts the reads)."""
        if self.operation_id is not None and self.code is not None:
            router.force(code=self.code, http_status=self.http_status, operation=self.operation_id)
        create_time: CreateTimeStyle = "epoch_ms" if self.create_time == "epoch_ms" else "string"
        return router.force(status=self.statuses, operation=self.details, create_time=create_time)


@dataclass(frozen=True)
class ScenarioResult:
    """The verdict on one scenario, what the function returned or raised, and broken request rules."""

    scenario: Scenario
    verdict: Verdict
    detail: str
    violations: tuple[RecordedViolation, ...] = ()
    operations: tuple[str | None, ...] = ()

    @property
    def ok(self) -> bool:
        """Handled, with no broken request rule."""
        return self.verdict is Verdict.HANDLED and not self.violations

    def __str__(self) -> str:
        line = self.headline()
        for violation in summarise(self.violations):
            line += f"\n       request rule broken: {violation}"
        return line

    def headline(self) -> str:
        """The verdict line alone (a report lists the broken request rules once, after every verdict)."""
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.scenario.name}: {self.verdict.value} ({self.detail})"


@dataclass(frozen=True)
class ReadinessReport:
    """The results of :func:`check_client`, one per scenario."""

    provider: str
    results: tuple[ScenarioResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Every scenario handled with conforming requests."""
        return all(result.ok for result in self.results)

    @property
    def problems(self) -> tuple[ScenarioResult, ...]:
        """The scenarios the client mishandled or sent broken requests in."""
        return tuple(result for result in self.results if not result.ok)

    def verdicts(self) -> dict[str, Verdict]:
        """Scenario name -> verdict."""
        return {result.scenario.name: result.verdict for result in self.results}

    def broken_rules(self) -> dict[str, list[str]]:
        """Each broken request rule once -> the scenarios it was seen in."""
        seen: dict[str, list[str]] = {}
        for result in self.results:
            for line in dict.fromkeys(_rule_line(v) for v in result.violations):
                seen.setdefault(line, []).append(result.scenario.name)
        return seen

    def _lines(self, results: Sequence[ScenarioResult]) -> list[str]:
        lines = [result.headline() for result in results]
        for rule, where in self.broken_rules().items():
            scope = where[0] if len(where) == 1 else f"{len(where)} scenarios, first {where[0]}"
            lines.append(f"request rule broken: {rule} (in {scope})")
        return lines

    def __str__(self) -> str:
        head = f"ready check ({self.provider}): {len(self.results) - len(self.problems)}/{len(self.results)} ok"
        return "\n".join([head, *self._lines(self.results)])

    def assert_ready(self) -> None:
        """Raise ``AssertionError`` listing every mishandled scenario, and each broken request rule once."""
        if not self.ok:
            lines = "\n".join(self._lines(self.problems))
            raise AssertionError(
                f"the client mishandles {len(self.problems)} of {len(self.results)} documented outcomes "
                f"({self.provider}):\n{lines}\n"
                "Check the body `code` (HTTP 200 carries failures), stop polling on failure states, "
                "and accept both createTime formats."
            )


def _rule_line(violation: RecordedViolation) -> str:
    """A broken rule without the ids of one request, so that it reads the same in every scenario."""
    value = "missing" if violation.value is rules.MISSING else repr(violation.value)
    where = violation.operation_id or f"{violation.method} {violation.url}"
    return f"{where}: {violation.field}: {violation.rule} (got {value})"


def _default_is_failure(result: Any) -> bool:
    return result is None or result is False


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def check_client(
    fn: ClientFlow,
    provider: str = "kie",
    *,
    timeout: float = 10.0,
    max_requests: int = 100,
    failure_types: Sequence[type[BaseException]] | None = None,
    is_failure: Callable[[Any], bool] = _default_is_failure,
    app_factory: AppFactory | None = None,
    base_url: str | None = None,
) -> ReadinessReport:
    """Run ``fn`` once per documented failure code and outcome; report how it dealt with each.

    ``timeout`` (seconds) and ``max_requests`` bound one run before it counts as hung.
    ``failure_types``: exceptions that signal a handled failure (default: any exception that is
    not in :data:`CRASH_TYPES`). ``is_failure``: which return values signal a failure (default
    ``None``/``False``). ``app_factory`` makes a fresh ASGI app per scenario (default:
    ``mockserver.create_app(provider, virtual_clock=True)``: each forced state of a task the mock
    knows is then reached on the mock's own clock, so the answer lists the mock's own tracks and a
    call naming one of them is answered as the API would). ``base_url`` is what ``fn`` receives (default
    ``https://<provider>.suno-mock.invalid``, which no network can resolve).
    """
    if app_factory is None:
        from mockserver import create_app  # the app to answer from; no rule code

        def app_factory() -> Callable[..., Awaitable[None]]:
            return create_app(provider, virtual_clock=True)

    url = base_url or f"https://{provider}.suno-mock.invalid"
    runner = _Runner(fn, provider, url, timeout, max_requests, failure_types, is_failure, app_factory)
    baseline = Scenario("success", expect_success=True)
    first = runner.run(baseline)
    used = [op for op in dict.fromkeys(first.operations) if op is not None]
    held = ("PENDING", "TEXT_SUCCESS", *("FIRST_SUCCESS",) * HOLD_READS, "SUCCESS")
    scenarios: list[Scenario] = [
        Scenario("success at once", expect_success=True, statuses=("SUCCESS",)),
        Scenario("held at FIRST_SUCCESS", expect_success=True, statuses=held, held=True),
        Scenario("createTime as epoch ms", expect_success=True, create_time="epoch_ms"),
    ]
    for op in used:
        for http_status, code in documented_codes(provider, op):
            if (http_status, code) != (200, 200):
                name = f"{op}: code {code}" + (" in HTTP 500" if http_status == 500 else "")
                scenarios.append(Scenario(name, False, op, code, http_status))
    for details in dict.fromkeys(op for op in used if families.reading(op)):
        for family in families.reading(details):
            status = family.forceable_status(provider)
            if status is None:
                continue
            for failure in status.failures:
                name = f"task state {failure}" if details == _DETAILS else f"{details}: state {failure}"
                if all(s.name != name for s in scenarios):
                    scenarios.append(Scenario(name, False, statuses=(status.order[0], failure), details=details))
    return ReadinessReport(provider, (first, *(runner.run(s) for s in scenarios)))


class _Runner:
    def __init__(
        self,
        fn: ClientFlow,
        provider: str,
        base_url: str,
        timeout: float,
        max_requests: int,
        failure_types: Sequence[type[BaseException]] | None,
        is_failure: Callable[[Any], bool],
        app_factory: AppFactory,
    ) -> None:
        self.fn = fn
        self.provider = provider
        self.base_url = base_url
        self.timeout = timeout
        self.max_requests = max_requests
        self.failure_types = tuple(failure_types) if failure_types is not None else None
        self.is_failure = is_failure
        self.app_factory = app_factory

    def _call(self) -> Any:
        result = self.fn(self.base_url)
        if inspect.isawaitable(result):

            async def wait() -> Any:
                return await result

            result = asyncio.run(wait())
        return result

    def run(self, scenario: Scenario) -> ScenarioResult:
        router = SunoRouter(
            self.provider,
            self.app_factory(),
            strict=False,
            base_url=self.base_url,
            max_requests=self.max_requests,
            expect_requests=False,  # a run that sends nothing is judged by its verdict
            poll_step=0,  # each scenario forces the details answers; the forced states move the clock
        )
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["value"] = self._call()
            except BaseException as exc:  # judged below; a worker thread must not die silently
                outcome["error"] = exc

        router.__enter__()
        try:
            reads = scenario.arrange(router)
            worker = threading.Thread(target=target, name=f"ready-check {scenario.name}", daemon=True)
            worker.start()
            worker.join(self.timeout)
            if worker.is_alive():
                router.max_requests = 0  # any further request of the abandoned run fails at once
                outcome = {"hung": f"still running after {self.timeout:g} s"}
        finally:
            with contextlib.suppress(ContractViolation):  # reported per scenario below
                router.__exit__(None, None, None)
        verdict, detail = self._judge(scenario, outcome)
        if scenario.held and verdict is Verdict.HANDLED and reads.used < len(scenario.statuses):
            last = scenario.statuses[max(reads.used - 1, 0)]
            verdict = Verdict.EARLY_SUCCESS
            detail = f"{detail} after {reads.used} details read(s), the last {last}: the task had not reached SUCCESS"
        return ScenarioResult(scenario, verdict, detail, tuple(router.violations), tuple(router.operations_called))

    def _judge(self, scenario: Scenario, outcome: dict[str, Any]) -> tuple[Verdict, str]:
        if "hung" in outcome:
            return Verdict.HUNG, outcome["hung"]
        error = outcome.get("error")
        if isinstance(error, RequestBudgetExceeded):
            return Verdict.HUNG, str(error)
        if error is not None:
            described = f"raised {type(error).__name__}: {error}"
            if self.failure_types is not None:
                handled = isinstance(error, self.failure_types)
            else:
                handled = isinstance(error, Exception) and not isinstance(error, CRASH_TYPES)
            if not handled:
                return Verdict.CRASHED, described
            if scenario.expect_success:
                return Verdict.SUCCESS_AS_FAILURE, described
            return Verdict.HANDLED, described
        value = outcome.get("value")
        failed = self.is_failure(value)
        described = f"returned {_short(value)}"
        if scenario.expect_success:
            return (Verdict.SUCCESS_AS_FAILURE, described) if failed else (Verdict.HANDLED, described)
        return (Verdict.HANDLED, described) if failed else (Verdict.FAILURE_AS_SUCCESS, described)
