"""The server conformance suite as importable pytest tests: one test per documented check.

In a test module of yours::

    from contract._pytest_suite import server_conformance_tests

    test_kie_conformance = server_conformance_tests(
        provider="kie", base_url="http://127.0.0.1:8765", token="my-key"
    )

pytest then collects ``test_kie_conformance[envelope]``, ``[auth]``, ... The suite runs once, on
the first of them; each test fails with the operations, messages and curl commands of its check.
Keyword arguments are :class:`contract._server.SuiteConfig` fields (``app=`` tests an ASGI app
in-process; ``spend_budget=`` guards spending as the CLI does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ._checks import CHECKS
from ._server import SuiteConfig, SuiteResult, run_server_suite

__all__ = ["server_conformance_tests"]


def server_conformance_tests(**config: Any) -> Callable[[str], None]:
    """A pytest test function parametrized over every check of the server suite."""
    results: list[SuiteResult] = []

    def result() -> SuiteResult:
        if not results:
            results.append(run_server_suite(SuiteConfig(**config)))
        return results[0]

    @pytest.mark.parametrize("check", sorted(CHECKS))
    def test(check: str) -> None:
        failed = [o for o in result().failures() if o.check == check]
        details = "\n".join(f"{o.operation}: {o.message}\n    {o.curl}" for o in failed)
        assert not failed, f"{check} ({CHECKS[check]}) failed:\n{details}"

    return test
