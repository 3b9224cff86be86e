"""What a server suite run found: the outcomes per check, the rule coverage, the spend, the summary table."""

from __future__ import annotations

from dataclasses import dataclass, field

from .._spend import SpendGuard

__all__ = ["Outcome", "RuleOutcome", "SuiteResult"]


@dataclass
class Outcome:
    """Passes and failures of one check on one operation, with the first failure's example."""

    check: str
    operation: str
    passed: int = 0
    failed: int = 0
    message: str = ""
    curl: str = ""


@dataclass
class RuleOutcome:
    """How many probes exercised one documented rule, and the first failure among them."""

    rule: str
    probes: int = 0
    failed: int = 0
    message: str = ""

    @property
    def held(self) -> bool:
        return self.failed == 0


@dataclass
class SuiteResult:
    """Everything the run found."""

    provider: str
    base_url: str
    outcomes: dict[tuple[str, str], Outcome]
    notes: list[str]
    spend: SpendGuard
    requests: int
    examples: int
    elapsed: float
    is_mock: bool
    #: Documented rule -> probes sent and whether it held (the coverage table).
    coverage: dict[str, RuleOutcome] = field(default_factory=dict)
    #: The operations the run exercised (those the served spec declares).
    operations: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not any(o.failed for o in self.outcomes.values())

    def failures(self) -> list[Outcome]:
        """The outcomes with at least one failure."""
        return [o for o in self.outcomes.values() if o.failed]

    def failed_checks(self) -> set[str]:
        """Names of the checks that failed at least once."""
        return {o.check for o in self.failures()}

    @property
    def examples_per_second(self) -> float:
        return self.examples / self.elapsed if self.elapsed > 0 else 0.0

    def coverage_table(self) -> str:
        """One line per documented rule: held or FAILED, the probes sent, the rule (and the first failure)."""
        entries = sorted(self.coverage.values(), key=lambda r: r.rule)
        held = sum(r.held for r in entries)
        probes = sum(r.probes for r in entries)
        lines = [f"rule coverage: {held} of {len(entries)} documented rules held, {probes} probes"]
        for entry in entries:
            mark = "held  " if entry.held else "FAILED"
            tail = f"  -- {entry.failed} failed: {entry.message}" if entry.failed else ""
            lines.append(f"  {mark} {entry.probes:4d}  {entry.rule}{tail}")
        return "\n".join(lines)

    def summary(self) -> str:
        """A plain-text table: check, operation, passed, failed, example of failure."""
        rows = [("check", "operation", "passed", "failed", "example of failure")]
        for o in sorted(self.outcomes.values(), key=lambda o: (o.check, o.operation)):
            example = f"{o.message}\n    {o.curl}" if o.failed else ""
            rows.append((o.check, o.operation, str(o.passed), str(o.failed), example))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = []
        for row in rows:
            head = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4]))
            lines.append(f"{head}  {row[4]}".rstrip())
        lines.append("")
        lines.append(
            f"{self.provider} at {self.base_url}: {self.requests} requests, {self.examples} examples in "
            f"{self.elapsed:.1f} s ({self.examples_per_second:.0f}/s); creating calls that may succeed: "
            f"{self.spend.sent} sent (budget {self.spend.budget}"
            f"{', loopback: not limited' if self.spend.loopback else ''}), {self.spend.withheld} withheld"
        )
        lines += [f"note: {n}" for n in self.notes]
        lines.append(self.coverage_table())
        verdict = "PASSED" if self.ok else f"FAILED: {', '.join(sorted(self.failed_checks()))}"
        lines.append(verdict)
        return "\n".join(lines)
