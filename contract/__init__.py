"""Contract suites: does a server, and does a client, keep the documented rules.

The public API is what ``__all__`` lists (``tests/test_house.py`` pins it): the client router, the
server and readiness suites, the pytest handles and the errors; the strategies stay in
``contract.strategies``. The names load on first use (PEP 562), so that pytest's loading of
``contract.pytest_plugin`` imports nothing but the standard library and pytest.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from mockserver._errors import ContractError

    from ._answers import SpecResponse
    from ._client import SunoRouter, suno_router
    from ._forcing import Force
    from ._handles import SunoMock, SunoServer
    from ._live import SunoLive
    from ._market import run_market_suite
    from ._pytest_suite import server_conformance_tests
    from ._readiness import ReadinessReport, ScenarioResult, Verdict, check_client
    from ._server.config import SuiteConfig
    from ._server.report import Outcome, SuiteResult
    from ._server.run import run_server_suite
    from ._violations import ContractViolation, RequestBudgetExceeded

__all__ = [
    "ContractError",
    "ContractViolation",
    "Force",
    "Outcome",
    "ReadinessReport",
    "RequestBudgetExceeded",
    "ScenarioResult",
    "SpecResponse",
    "SuiteConfig",
    "SuiteResult",
    "SunoLive",
    "SunoMock",
    "SunoRouter",
    "SunoServer",
    "Verdict",
    "check_client",
    "run_market_suite",
    "run_server_suite",
    "server_conformance_tests",
    "suno_router",
]

# The module that defines each exported name.
_HOMES = {
    "ContractError": "mockserver._errors",  # beside the rest of the error tree
    "ContractViolation": "_violations",
    "Force": "_forcing",
    "Outcome": "contract._server.report",
    "ReadinessReport": "_readiness",
    "RequestBudgetExceeded": "_violations",
    "ScenarioResult": "_readiness",
    "SpecResponse": "_answers",
    "SuiteConfig": "contract._server.config",
    "SuiteResult": "contract._server.report",
    "SunoLive": "_live",
    "SunoMock": "_handles",
    "SunoRouter": "_client",
    "SunoServer": "_handles",
    "Verdict": "_readiness",
    "check_client": "_readiness",
    "run_market_suite": "_market",
    "run_server_suite": "contract._server.run",
    "server_conformance_tests": "_pytest_suite",
    "suno_router": "_client",
}


def __getattr__(name: str) -> _typing.Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(home if "." in home else f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
