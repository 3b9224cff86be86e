"""A run of the server suite: the client, the shared set-up (:func:`suite_session`) and the sections in order."""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from .._checks import CHECKS
from .._sources import foreign_tracks, past_retention, unknown_tasks
from . import discovery, lifecycle, sections
from .config import SuiteConfig
from .receiver import SuiteReceiver
from .report import SuiteResult
from .suite import Suite

__all__ = ["SECTIONS", "Section", "check_names", "run_server_suite", "suite_session"]


@dataclass(frozen=True)
class Section:
    """One step of a run: a function over the running suite, with the progress line announced before it."""

    run: Callable[[Suite], object]
    announce: str = ""


def _market(suite: Suite) -> None:
    """kie's Market pair, when the served document declares it (:mod:`contract._market`)."""
    from .._market import run_market_section  # _market imports this package: loaded on first use

    run_market_section(suite)


#: The sections of :func:`run_server_suite`, in the order they run.
SECTIONS: tuple[Section, ...] = (
    Section(discovery.discover),
    Section(discovery.fixture),
    Section(sections.auth, announce="authentication, not-found, malformed bodies"),
    Section(sections.not_found),
    Section(sections.malformed),
    Section(lifecycle.lifecycle, announce="lifecycle"),
    Section(sections.pinned, announce="pinned boundaries"),
    Section(sections.once_only),
    Section(foreign_tracks),
    Section(unknown_tasks),
    Section(sections.drawn),
    Section(sections.generated),
    Section(lifecycle.callbacks),
    Section(past_retention),  # ages every task: after every other classic section
    Section(_market),
)


@contextlib.contextmanager
def _client(config: SuiteConfig) -> Iterator[httpx.Client]:
    if config.app is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from starlette.testclient import TestClient

            with TestClient(config.app, base_url=config.base_url, raise_server_exceptions=False) as client:
                yield client
        return
    with httpx.Client(base_url=config.base_url, transport=config.transport, timeout=30.0) as client:
        yield client


@contextlib.contextmanager
def suite_session(config: SuiteConfig, operations: tuple[str, ...] | None = None) -> Iterator[_Session]:
    """The set-up every suite shares: a client, the suite state, the loopback receiver, the mock probe.

    The body runs the sections it wants on ``session.suite``; on leaving, the withheld-spend note is
    added and ``session.result`` holds the :class:`SuiteResult` (``operations`` names what was
    exercised; None: the operations the served document declared).
    """
    started = time.monotonic()
    from mockserver._allowlist import is_loopback  # on use: reading the documents loads no more of the mock

    loopback = config.app is not None or is_loopback(urlsplit(config.base_url).hostname or "")
    with _client(config) as client:
        suite = Suite(config, client, loopback)
        receiver = SuiteReceiver(hold=config.callback_hold or 0.0) if loopback else None
        with receiver if receiver else contextlib.nullcontext():
            suite.receiver = receiver
            discovery.probe_mock(suite)
            session = _Session(suite)
            yield session
    if not loopback and suite.spend.withheld:
        suite.notes.append(
            f"{suite.spend.withheld} creating call(s) that could succeed were not sent: the target is not loopback "
            f"and the spend budget is {config.spend_budget}"
        )
    session.result = SuiteResult(
        provider=config.provider,
        base_url=config.base_url,
        outcomes=suite.outcomes,
        notes=suite.notes,
        spend=suite.spend,
        requests=suite.requests,
        examples=suite.examples,
        elapsed=time.monotonic() - started,
        is_mock=suite.is_mock,
        coverage=suite.coverage,
        operations=tuple(suite.served) if operations is None else operations,
    )


@dataclass
class _Session:
    """What :func:`suite_session` yields: the running suite, then (after the block) its result."""

    suite: Suite
    result: SuiteResult | None = None


def run_server_suite(config: SuiteConfig) -> SuiteResult:
    """Run every section against the target and return what was found (never raises on a violation)."""
    with suite_session(config) as session:
        for section in SECTIONS:
            if section.announce:
                session.suite.progress(section.announce)
            section.run(session.suite)
    assert session.result is not None
    return session.result


def check_names() -> list[str]:
    """The names of the checks (see :data:`contract._checks.CHECKS`)."""
    return list(CHECKS)
