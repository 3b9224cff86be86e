"""``suno-contract``: run the contract suites from the command line.

    suno-contract server --base-url URL --token T --provider P [--spend-budget N]
                         [--max-examples N] [--seed N] [--junit FILE]
    suno-contract client --provider P [--only WORDS] [--junit FILE] -- COMMAND ...   # any language
    suno-contract selftest [--only NAME ...] [--list]   # the mutation score of the server suite

Progress goes to stderr, the summary table (checks per operation, then the rule coverage: per
documented rule, the probes sent and whether it held) to stdout; the exit code is 1 when a check
failed and 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from . import _rules as rules
from ._checks import CHECKS
from ._server import SuiteConfig, SuiteResult, run_server_suite

__all__ = ["junit_xml", "main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="suno-contract", description="Contract suites for the Suno reseller API.")
    sub = parser.add_subparsers(dest="command", required=True)
    checks = "\n".join(f"  {name}: {text}" for name, text in CHECKS.items())
    server = sub.add_parser(
        "server",
        help="check that a server follows its provider profile's documented rules",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Checks:\n" + checks,
    )
    server.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000 or https://api.kie.ai")
    server.add_argument("--token", required=True, help="API key sent as 'Authorization: Bearer <token>'")
    server.add_argument("--provider", required=True, choices=rules.PROVIDERS)
    server.add_argument(
        "--spend-budget",
        type=int,
        default=0,
        metavar="N",
        help="creating calls that may succeed allowed against a non-loopback URL (default 0: none)",
    )
    server.add_argument("--max-examples", type=int, default=25, metavar="N", help="examples per generator (25)")
    server.add_argument("--seed", type=int, default=0, metavar="N", help="random seed of the generators (0)")
    server.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    server.add_argument("--task-id", help="a finished task on the server, for the stateful checks")
    server.add_argument("--audio-id", help="a track of --task-id to edit")
    server.add_argument("--lifecycle-timeout", type=float, default=60.0, metavar="S", help="seconds (60)")
    server.add_argument("--callback-wait", type=float, default=2.0, metavar="S", help="seconds (2)")
    server.add_argument("--require-callbacks", action="store_true", help="fail when no callback arrives")
    server.add_argument(
        "--callback-hold",
        type=float,
        metavar="S",
        help="hold the receiver's answers to one more task per family with documented retries for S seconds "
        "(more than the server's receiver timeout): each delivery must time out and be retried as documented",
    )
    server.add_argument("--no-schemathesis", action="store_true", help="only the hand-written probes")
    client = sub.add_parser(
        "client",
        help="run a client program in any language against the served mock, once per documented outcome",
        description="Runs COMMAND (after --) once per scenario with SUNO_BASE_URL and SUNO_API_KEY set ({url} and "
        "{key} in an argument are replaced too). Exit 0: the flow succeeded; --failure-exit: it reported a "
        "failure; anything else: a crash.",
    )
    client.add_argument("--provider", default="kie", choices=rules.PROVIDERS)
    client.add_argument("--url-env", default="SUNO_BASE_URL", help="the variable the base URL is passed in")
    client.add_argument("--timeout", type=float, default=20.0, metavar="S", help="seconds before a run hangs (20)")
    client.add_argument("--failure-exit", type=int, default=2, metavar="N", help="exit code of a reported failure")
    client.add_argument("--only", action="append", metavar="WORDS", help="scenarios whose name has WORDS")
    client.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    client.add_argument("cmd", nargs=argparse.REMAINDER, help="-- COMMAND ARG ...")
    selftest = sub.add_parser(
        "selftest",
        help="run the server suite against broken servers (the mock behind wrappers); every one must be caught",
    )
    selftest.add_argument("--only", action="append", metavar="NAME", help="this mutant only (repeatable)")
    selftest.add_argument("--list", action="store_true", help="list the mutants and exit")
    selftest.add_argument("--max-examples", type=int, default=3, metavar="N", help="examples per generator (3)")
    selftest.add_argument(
        "--no-baseline", action="store_true", help="skip the run against the unmutated mock of each provider"
    )
    return parser


def junit_xml(result: SuiteResult) -> bytes:
    """The outcomes as JUnit XML: one testcase per (check, operation), and one per documented rule probed."""
    broken = [r for r in result.coverage.values() if not r.held]
    failures = len(result.failures()) + len(broken)
    suite = ET.Element(
        "testsuite",
        name=f"suno-contract server {result.provider}",
        tests=str(len(result.outcomes) + len(result.coverage)),
        failures=str(failures),
        errors="0",
        time=f"{result.elapsed:.3f}",
    )
    for outcome in sorted(result.outcomes.values(), key=lambda o: (o.check, o.operation)):
        case = ET.SubElement(
            suite, "testcase", classname=f"server.{result.provider}.{outcome.check}", name=outcome.operation
        )
        if outcome.failed:
            failure = ET.SubElement(case, "failure", message=outcome.message)
            failure.text = f"{outcome.failed} of {outcome.passed + outcome.failed} failed\n{outcome.curl}"
        else:
            ET.SubElement(case, "system-out").text = f"{outcome.passed} passed"
    for rule in sorted(result.coverage.values(), key=lambda r: r.rule):
        case = ET.SubElement(suite, "testcase", classname=f"server.{result.provider}.rules", name=rule.rule)
        if rule.failed:
            failure = ET.SubElement(case, "failure", message=rule.message)
            failure.text = f"{rule.failed} of {rule.probes} probes failed"
        else:
            ET.SubElement(case, "system-out").text = f"{rule.probes} probes held"
    text: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
    return text


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _client(args: argparse.Namespace) -> int:
    from ._runner import run_client

    command = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    try:
        report = run_client(
            command,
            args.provider,
            url_env=args.url_env,
            timeout=args.timeout,
            failure_exit=args.failure_exit,
            only=args.only,
            progress=_progress,
        )
    except ValueError as exc:
        print(f"suno-contract: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    if args.junit:
        with open(args.junit, "wb") as handle:
            handle.write(report.junit_xml())
    return 0 if report.ok else 1


def _selftest(args: argparse.Namespace) -> int:
    from ._selftest import MUTANTS, run_selftest

    if args.list:
        for name, mutation in MUTANTS.items():
            print(f"{mutation.provider:8s} {mutation.check:16s} {name}")
        return 0
    try:
        report = run_selftest(
            args.only, max_examples=args.max_examples, progress=_progress, baseline=not args.no_baseline
        )
    except ValueError as exc:
        print(f"suno-contract: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``suno-contract``."""
    args = _parser().parse_args(argv)
    if args.command == "selftest":
        return _selftest(args)
    if args.command == "client":
        return _client(args)
    try:
        config = SuiteConfig(
            provider=args.provider,
            token=args.token,
            base_url=args.base_url,
            spend_budget=args.spend_budget,
            max_examples=args.max_examples,
            seed=args.seed,
            task_id=args.task_id,
            audio_id=args.audio_id,
            lifecycle_timeout=args.lifecycle_timeout,
            callback_wait=args.callback_wait,
            require_callbacks=args.require_callbacks,
            callback_hold=args.callback_hold,
            schemathesis=not args.no_schemathesis,
            progress=_progress,
        )
    except ValueError as exc:
        print(f"suno-contract: {exc}", file=sys.stderr)
        return 2
    result = run_server_suite(config)
    print(result.summary())
    if args.junit:
        with open(args.junit, "wb") as handle:
            handle.write(junit_xml(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
