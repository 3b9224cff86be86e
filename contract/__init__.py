"""Contract suites: does a server, and does a client, keep the documented rules.

The public API is what ``__all__`` lists (``tests/test_house.py`` pins it): the client router, the
server and readiness suites, the pytest handles and the errors; the strategies stay in
``contract.strategies``. The names load on first use (PEP 562), so that pytest's loading of
``contract.pytest_plugin`` imports nothing but the standard library and pytest.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from mockserver.errors import ContractError

    from .client import ContractViolation, Force, RequestBudgetExceeded, SunoRouter, suno_router
    from .handles import SunoMock, SunoServer
    from .live import SunoLive
    from .market import run_market_suite
    from .pytest_suite import server_conformance_tests
    from .readiness import ReadinessReport, ScenarioResult, Verdict, check_client
    from .server import Outcome, SuiteConfig, SuiteResult, run_server_suite
    from .strategies import SpecResponse

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
    "ContractError": "mockserver.errors",  # beside the rest of the error tree
    "ContractViolation": "client",
    "Force": "client",
    "Outcome": "server",
    "ReadinessReport": "readiness",
    "RequestBudgetExceeded": "client",
    "ScenarioResult": "readiness",
    "SpecResponse": "strategies",
    "SuiteConfig": "server",
    "SuiteResult": "server",
    "SunoLive": "live",
    "SunoMock": "handles",
    "SunoRouter": "client",
    "SunoServer": "handles",
    "Verdict": "readiness",
    "check_client": "readiness",
    "run_market_suite": "market",
    "run_server_suite": "server",
    "server_conformance_tests": "pytest_suite",
    "suno_router": "client",
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
