"""What ``suno-contract client`` tries and how it judges: the scenarios, the request rules, the report.

The runner (:mod:`contract._runner`) runs the program once per :class:`ClientScenario` and records
each request it sends as a :class:`SentRequest`. Here: which scenarios a first successful run
calls for (:func:`scenarios`), the documented rules one request breaks by the contract's own
reading (:func:`judge_request`, with :mod:`contract._rules`), a success reported before the task
reached SUCCESS (:func:`early_success`), and the :class:`ClientReport` with its summary and JUnit XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _families as families
from . import _rules as rules
from ._documents import documented_codes
from ._readiness import HOLD_READS, Verdict

__all__ = [
    "DETAILS",
    "DETAILS_QUERY",
    "KEY",
    "LIFECYCLE",
    "NO_JSON",
    "ClientReport",
    "ClientScenario",
    "ScenarioRun",
    "SentRequest",
    "early_success",
    "held_name",
    "judge_request",
    "operation_of",
    "scenarios",
]

#: The key the program is given (the mock accepts only this one).
KEY = "contract-client-key"
#: The body of a request that is not JSON, as the runner records it.
NO_JSON: Any = object()


@dataclass(frozen=True)
class SentRequest:
    """One request the program sent, as recorded in front of the mock, and the mock's answer."""

    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    authorization: str | None
    http_status: int
    code: int | None
    msg: str
    #: The answer's ``data.status`` (a details read), if it has one.
    status: str | None = None


@dataclass(frozen=True)
class ClientScenario:
    """One documented outcome the program is run against: a fault rule for the mock (None: none)."""

    name: str
    expect_success: bool
    rule: Mapping[str, Any] | None = None
    #: Reads the task is held at each stage before SUCCESS (0: the clock runs as usual).
    hold: int = 0


@dataclass(frozen=True)
class ScenarioRun:
    """How the program ended in one scenario, and the broken rules of the requests it sent."""

    scenario: ClientScenario
    verdict: Verdict
    detail: str
    requests: tuple[SentRequest, ...] = ()
    violations: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.HANDLED and not self.violations


@dataclass
class ClientReport:
    """Every scenario's run; each broken request rule once, with where it was seen."""

    provider: str
    command: tuple[str, ...]
    runs: list[ScenarioRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(run.ok for run in self.runs)

    def violations(self) -> dict[str, list[str]]:
        """Broken rule -> the scenarios it was seen in (each rule said once)."""
        seen: dict[str, list[str]] = {}
        for run in self.runs:
            for violation in run.violations:
                seen.setdefault(violation, []).append(run.scenario.name)
        return seen

    def summary(self) -> str:
        lines = [f"client check ({self.provider}): {' '.join(self.command)}"]
        for run in self.runs:
            mark = "ok  " if run.verdict is Verdict.HANDLED else "FAIL"
            lines.append(f"{mark} {run.scenario.name}: {run.verdict.value} ({run.detail})")
        broken = self.violations()
        for violation, where in broken.items():
            scope = where[0] if len(where) == 1 else f"{len(where)} scenarios, first {where[0]}"
            lines.append(f"request rule broken: {violation} (in {scope})")
        lines += [f"note: {n}" for n in self.notes]
        handled = sum(run.verdict is Verdict.HANDLED for run in self.runs)
        lines.append(
            f"{handled}/{len(self.runs)} scenarios handled, {len(broken)} request rule(s) broken: "
            + ("PASSED" if self.ok else "FAILED")
        )
        return "\n".join(lines)

    def junit_xml(self) -> bytes:
        broken = self.violations()
        failed = sum(run.verdict is not Verdict.HANDLED for run in self.runs) + len(broken)
        suite = ET.Element(
            "testsuite",
            name=f"suno-contract client {self.provider}",
            tests=str(len(self.runs) + len(broken)),
            failures=str(failed),
            errors="0",
        )
        for run in self.runs:
            case = ET.SubElement(suite, "testcase", classname=f"client.{self.provider}", name=run.scenario.name)
            if run.verdict is not Verdict.HANDLED:
                ET.SubElement(case, "failure", message=f"{run.verdict.value}: {run.detail}")
        for violation, where in broken.items():
            case = ET.SubElement(suite, "testcase", classname=f"client.{self.provider}.requests", name=violation)
            ET.SubElement(case, "failure", message=violation).text = "seen in: " + ", ".join(where)
        text: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
        return text


def _music() -> tuple[str, str, tuple[str, ...]]:
    """The music family's details operation, its task query parameter and its forward states (the table)."""
    music = families.family("music")
    if music.details is None or music.status is None:
        raise RuntimeError("the contract's table lacks the music family's details operation or status")
    return music.details.id, music.details_query, tuple(str(s) for s in music.status.order)


DETAILS, DETAILS_QUERY, LIFECYCLE = _music()


# -- judging one request -----------------------------------------------------------------------


def operation_of(provider: str, method: str, path: str) -> str | None:
    return next((op for op, (m, p) in rules.OPERATIONS[provider].items() if m == method and p == path), None)


def judge_request(provider: str, sent: SentRequest, forced: bool = False) -> list[str]:
    """The documented rules one request breaks (the contract's own reading), and the mock's refusal."""
    op = operation_of(provider, sent.method, sent.path)
    if op is None:
        return [f"{sent.method} {sent.path} is not a documented {provider} operation"]
    found: list[str] = []
    if sent.authorization is None:
        found.append(f"{op}: sent no Authorization header (the documents need 'Bearer <key>')")
    elif not sent.authorization.startswith("Bearer "):
        found.append(f"{op}: the Authorization header lacks the Bearer scheme")
    elif sent.authorization != f"Bearer {KEY}":
        found.append(f"{op}: sent another key than the one it was given")
    if sent.body is NO_JSON:
        found.append(f"{op}: the body is not JSON")
    elif sent.method == "POST" and not isinstance(sent.body, dict):
        found.append(f"{op}: the body is not a JSON object")
    else:
        body = sent.body if isinstance(sent.body, dict) else None
        found += [f"{op}: {violation}" for violation in rules.request_violations(provider, op, body, sent.query)]
    if not found and not forced and sent.code not in (None, 200) and sent.code != 402:
        found.append(f"{op}: the mock refused it with code {sent.code}: {sent.msg[:160]}")
    return found


def early_success(sent: Sequence[SentRequest], provider: str, verdict: Verdict, detail: str) -> tuple[Verdict, str]:
    """A success reported before any details read answered SUCCESS: a result of an unfinished task."""
    path = rules.OPERATIONS[provider][DETAILS][1]
    read = [s.status for s in sent if s.path == path and s.code == 200]
    if LIFECYCLE[-1] in read:
        return verdict, detail
    last = read[-1] if read else "none"
    return (
        Verdict.EARLY_SUCCESS,
        f"{detail}; after {len(read)} details read(s), the last {last}: the task had not reached {LIFECYCLE[-1]}",
    )


# -- scenarios -----------------------------------------------------------------------------------


def held_name() -> str:
    """The held scenario's name."""
    return f"{DETAILS}: held {HOLD_READS} reads at each of {', '.join(LIFECYCLE[:-1])}"


def scenarios(provider: str, used: Sequence[str]) -> list[ClientScenario]:
    """The held task, every documented code of every operation used, and every failure state of each family read."""
    found: list[ClientScenario] = []
    music = families.family("music")
    if DETAILS in used and any(o.id in used for o in music.creating):
        found.append(ClientScenario(held_name(), True, hold=HOLD_READS))
    for op in used:
        for http_status, code in documented_codes(provider, op):
            if code == 200:
                continue
            rule: dict[str, Any] = {"when": {"operation": op}, "code": code}
            if http_status == 500:
                rule["http_status"] = 500
            name = f"{op}: code {code}" + (" in HTTP 500" if http_status == 500 else "")
            found.append(ClientScenario(name, False, rule))
    for details in dict.fromkeys(op for op in used if families.reading(op)):
        polled = []
        for family in families.reading(details):
            status = family.forceable_status(provider)
            creating = [o.id for o in family.creating if o.id in used]
            if status is not None and creating:
                polled.append((status, creating))
        for status, creating in polled:
            # two families read through one details operation (music and replace-section): say whose task fails
            whose = f" of {', '.join(creating)}" if len(polled) > 1 else ""
            for failure in status.failures:
                name = f"{details}: state {failure}{whose}"
                rule = {"when": {"operation": creating}, "outcome": failure}
                found.append(ClientScenario(name, False, rule))
    return found
