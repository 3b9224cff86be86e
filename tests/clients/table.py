"""The client table of docs/clients.md: each small client, correct and with its one bug, through its tools.

Every row names a client, the one realistic bug its buggy variant has, and the tool the docs point
its user to. :func:`run_row` runs the correct variant through every tool that applies (it must pass
with nothing raised or warned) and the buggy one through the pointed tool (it must be flagged), and
keeps the tool's own message. :func:`markdown` writes the table from those facts; the test
(``tests/test_contract_clients_table.py``) checks docs/clients.md against it, and
``python -m tests.clients.table`` rewrites the file.
"""

from __future__ import annotations

import asyncio
import inspect
import pathlib
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from contract import ContractViolation, check_client, suno_router
from contract._client_report import ClientReport
from contract._readiness import Verdict
from contract._runner import run_client

from . import httpx_async, httpx_sync, requests_client

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent.parent
DOC = ROOT / "docs" / "clients.md"
BEGIN = "<!-- the table below is written by `python -m tests.clients.table`; a test checks it -->"
END = "<!-- end of the table -->"
ROUTER = "`suno_router` (and `check_client`)"
RUNNER = "`suno-contract client -- CMD`"


@dataclass(frozen=True)
class Client:
    """One small client of the generate / poll (/ replace-section) flow, and its one bug."""

    name: str
    path: str
    bug: str
    tool: str
    #: Python: the flow, ``flow(base_url, bug=...)``; other languages: the command (the bug's word appended).
    flow: Callable[..., Any] | None = None
    command: tuple[str, ...] = ()
    bug_word: str = ""
    #: What the flagged message must contain.
    expected: str = ""


CLIENTS: tuple[Client, ...] = (
    Client(
        "httpx (sync)",
        "tests/clients/httpx_sync.py",
        'the section\'s times typed in by the user are sent as text (`"10"`), not numbers',
        ROUTER,
        flow=httpx_sync.flow,
        expected="infillStartS: must be a number (got '10')",
    ),
    Client(
        "httpx (async)",
        "tests/clients/httpx_async.py",
        "the key is the whole `Authorization` header, without `Bearer `",
        ROUTER,
        flow=httpx_async.flow,
        expected="Authorization: must be 'Bearer <API key>' (one key, no spaces) (got '<key #",
    ),
    Client(
        "`requests`",
        "tests/clients/requests_client.py",
        "the replace-section body is built from the generate body, so the style goes as `style`, not `tags`",
        ROUTER,
        flow=requests_client.flow,
        expected="tags: is required (did you mean tags instead of style?)",
    ),
    Client(
        "`aiohttp`",
        "tests/clients/aiohttp_client.py",
        "trusts `raise_for_status=True` and reads `data` without checking the body's `code`, so a failure "
        "in an HTTP 200 answer (402, 429, 455, ...) is read as data",
        RUNNER,
        command=(sys.executable, str(HERE / "aiohttp_client.py")),
        bug_word="http-status-only",
        expected="generate-music: code 402: crashed (exit 1: TypeError: 'NoneType' object is not subscriptable)",
    ),
    Client(
        "CLI (sh + curl)",
        "tests/clients/flow.sh",
        'the flag from a shell variable is quoted in the JSON (`"instrumental":"false"`)',
        RUNNER,
        command=("sh", str(HERE / "flow.sh")),
        bug_word="quoted-flag",
        expected="request rule broken: generate-music: instrumental: must be a boolean (got 'false')",
    ),
    Client(
        "JavaScript (Node `fetch`)",
        "tests/clients/flow.js",
        "FIRST_SUCCESS taken for finished (the first track plays; the second has no `audioUrl` yet)",
        RUNNER,
        command=("node", str(HERE / "flow.js")),
        bug_word="first-success",
        expected="reported a result before SUCCESS",
    ),
)


@dataclass(frozen=True)
class Row:
    """What the tools said: the correct variant's clean runs, the buggy one's message."""

    client: Client
    correct: tuple[str, ...]
    flagged: bool
    message: str


def _call(flow: Callable[..., Any], base_url: str, bug: bool) -> Any:
    result = flow(base_url, bug=bug)
    if inspect.isawaitable(result):

        async def wait() -> Any:
            return await result

        result = asyncio.run(wait())
    return result


def _router(flow: Callable[..., Any], bug: bool) -> str | None:
    """The flow once under ``suno_router``: None if nothing was raised or warned, else the broken rules."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a router that saw nothing warns; that counts as raised
        try:
            with suno_router("kie") as router:  # as a user gets it: a virtual clock that moves as the flow polls
                _call(flow, router.base_url, bug)
        except ContractViolation as exc:
            return " / ".join(str(v) for v in exc.violations)
    return None


def _runner_message(report: ClientReport) -> str:
    """The report's first mishandled scenario (its stable part) and each broken request rule.

    The stable part: what the runner adds after ``; `` (why a success was early), or, for a crash,
    the program's own error line (the exit code and the line, without the run's wall time).
    """
    parts: list[str] = []
    for run in report.runs:
        if run.verdict is not Verdict.HANDLED:
            why = run.detail.split("; ", 1)[1] if "; " in run.detail else ""
            if not why and run.verdict is Verdict.CRASHED:
                why = re.sub(r", [0-9.]+ s$", "", run.detail)
            parts.append(f"{run.scenario.name}: {run.verdict.value}" + (f" ({why})" if why else ""))
            break
    parts += [f"request rule broken: {rule}" for rule in report.violations()]
    return "; ".join(parts)


def run_row(client: Client) -> Row:
    """Run the correct variant through every tool that applies and the buggy one through the pointed tool."""
    correct: list[str] = []
    if client.flow is not None:
        clean = _router(client.flow, False)
        if clean is not None:
            raise AssertionError(f"{client.name}: the correct client broke a rule under suno_router: {clean}")
        correct.append("suno_router: nothing raised")
        report = check_client(lambda url: _call(client.flow, url, False), "kie")
        if not report.ok:
            raise AssertionError(f"{client.name}: the correct client is not ready:\n{report}")
        correct.append(f"check_client: {len(report.results)}/{len(report.results)} ok")
        message = _router(client.flow, True)
        return Row(client, tuple(correct), message is not None, message or "")
    full = run_client(list(client.command), "kie")
    if not full.ok:
        raise AssertionError(f"{client.name}: the correct client fails the runner:\n{full.summary()}")
    correct.append(f"suno-contract client: {len(full.runs)}/{len(full.runs)} handled, no rule broken")
    buggy = run_client([*client.command, client.bug_word], "kie", only=["held", "code 402"])
    return Row(client, tuple(correct), not buggy.ok, _runner_message(buggy))


def markdown(rows: Sequence[Row]) -> str:
    """The table of docs/clients.md."""
    lines = [
        BEGIN,
        "",
        "| client | the correct one | its one bug | flagged by | the message |",
        "|---|---|---|---|---|",
    ]
    lines += [row_line(row) for row in rows]
    lines += ["", END]
    return "\n".join(lines)


def row_line(row: Row) -> str:
    """One row of the table."""
    c = row.client
    message = row.message.replace("|", "\\|")
    link = f"[{c.path.rsplit('/', 1)[1]}](../{c.path})"
    return f"| {c.name} ({link}) | {'; '.join(row.correct)} | {c.bug} | {c.tool} | `{message}` |"


def table_in_doc() -> str:
    """The table as docs/clients.md has it now."""
    text = DOC.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def write(rows: Sequence[Row]) -> None:
    """Put the table into docs/clients.md."""
    text = DOC.read_text()
    DOC.write_text(text.replace(table_in_doc(), markdown(rows)))


if __name__ == "__main__":
    write([run_row(c) for c in CLIENTS])
    print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
