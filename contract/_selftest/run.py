"""Running the mutants: the server suite against each (after a baseline run per provider), and the score."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._server import SuiteConfig, SuiteResult, run_server_suite, suite_session
from .._server.discovery import discover, fixture
from .._sources import past_retention
from .mutants import MUTANTS, Mutation
from .wrappers import CALLBACK_HOLD, TOKEN, VirtualTime, mock

__all__ = ["MutantOutcome", "SelftestReport", "baseline_failures", "run_mutant", "run_selftest", "suite_result"]


@dataclass
class MutantOutcome:
    """Whether one mutant was caught, and by what."""

    name: str
    mutation: Mutation
    caught: bool
    failed_checks: tuple[str, ...]
    message: str
    elapsed: float


@dataclass
class SelftestReport:
    outcomes: list[MutantOutcome] = field(default_factory=list)
    #: What already fails on the unmutated mock (not counted as catching a mutant).
    baseline: list[str] = field(default_factory=list)

    @property
    def caught(self) -> int:
        return sum(o.caught for o in self.outcomes)

    @property
    def score(self) -> float:
        return self.caught / len(self.outcomes) if self.outcomes else 0.0

    @property
    def ok(self) -> bool:
        return bool(self.outcomes) and self.caught == len(self.outcomes)

    def summary(self) -> str:
        lines = [f"baseline: {line}" for line in self.baseline]
        for o in self.outcomes:
            mark = "caught  " if o.caught else "SURVIVED"
            lines.append(f"{mark} {o.mutation.provider:8s} {o.mutation.check:16s} {o.name}  ({o.elapsed:.1f} s)")
            if o.message:
                lines.append(f"         {o.message[:200]}")
        lines.append(f"mutation score: {self.caught} of {len(self.outcomes)} mutants caught ({100 * self.score:.0f}%)")
        return "\n".join(lines)


def _config(provider: str, app: Any, max_examples: int, callback_wait: float, *, hold: bool) -> SuiteConfig:
    """A suite config over ``app`` (the mock on its virtual clock, wrapped or not) whose every wait
    moves the mock's clock instead of real time (:class:`VirtualTime`); ``hold`` turns the
    receiver-timeout probe on (the mock waits out each receiver timeout: some seconds per family)."""
    waits = VirtualTime(app)
    return SuiteConfig(
        provider=provider,
        token=TOKEN,
        app=waits,
        sleep=waits.sleep,
        clock=waits.clock,
        max_examples=max_examples,
        callback_wait=callback_wait,
        callback_hold=CALLBACK_HOLD if hold else None,
    )


def suite_result(name: str, max_examples: int = 3, callback_wait: float = 5.0) -> SuiteResult:
    """The server suite's result against one mutant, on the mock's virtual clock.

    No real time passes while the suite waits: each of its polls moves the mock's clock, so a
    lifecycle mutant is read at every stage, not only when a real-time poll happens to land there.
    """
    mutation = MUTANTS[name]
    app = mutation.wrap(mock(mutation.provider, virtual_clock=True))
    if mutation.virtual:
        with suite_session(SuiteConfig(provider=mutation.provider, token=TOKEN, app=app)) as session:
            discover(session.suite)
            fixture(session.suite)
            past_retention(session.suite)
        assert session.result is not None
        return session.result
    return run_server_suite(_config(mutation.provider, app, max_examples, callback_wait, hold=mutation.hold))


def run_mutant(name: str, max_examples: int = 3, baseline: frozenset[tuple[str, str]] = frozenset()) -> MutantOutcome:
    """Run the suite against mutant ``name``: caught when the named check failed saying the named words.

    ``baseline``: (check, operation) pairs that already fail on the unmutated mock; a failure
    there does not count as catching the mutant.
    """
    mutation = MUTANTS[name]
    started = time.monotonic()
    result = suite_result(name, max_examples)
    fresh = [o for o in result.failures() if (o.check, o.operation) not in baseline]
    messages = [o.message for o in fresh if o.check == mutation.check]
    said = next((m for m in messages if mutation.words in m), "")
    caught = bool(said)
    message = said or "; ".join(f"{o.check}: {o.message}" for o in fresh)[:300]
    return MutantOutcome(
        name, mutation, caught, tuple(sorted(result.failed_checks())), message, time.monotonic() - started
    )


def baseline_failures(provider: str, max_examples: int = 3) -> SuiteResult:
    """The suite against the unmutated mock (what fails here cannot catch a mutant), as the mutants run.

    The receiver-timeout probe runs here too, so that what it finds failing is excused for the
    mutants that run it.
    """
    return run_server_suite(_config(provider, mock(provider, virtual_clock=True), max_examples, 5.0, hold=True))


def run_selftest(
    names: Sequence[str] | None = None,
    max_examples: int = 3,
    progress: Callable[[str], None] | None = None,
    *,
    baseline: bool = True,
) -> SelftestReport:
    """Every mutant (or those named), one after the other, after a baseline run per provider."""
    unknown = sorted(set(names or ()) - set(MUTANTS))
    if unknown:
        raise ValueError(f"unknown mutant(s) {', '.join(unknown)}: choose from {', '.join(MUTANTS)}")
    chosen = list(names or MUTANTS)
    report = SelftestReport()
    failing: dict[str, frozenset[tuple[str, str]]] = {}
    if baseline:
        for provider in dict.fromkeys(MUTANTS[n].provider for n in chosen if not MUTANTS[n].virtual):
            if progress:
                progress(f"baseline: the unmutated {provider} mock")
            found = baseline_failures(provider, max_examples)
            failing[provider] = frozenset((o.check, o.operation) for o in found.failures())
            for o in found.failures():
                report.baseline.append(f"{provider}: {o.check} {o.operation} fails unmutated: {o.message[:160]}")
    for name in chosen:
        if progress:
            progress(f"mutant: {name}")
        report.outcomes.append(run_mutant(name, max_examples, failing.get(MUTANTS[name].provider, frozenset())))
    return report
