"""suno-mockkit's mock server: a faithful offline fake of the reseller Suno API.

The public API is what ``__all__`` lists (``tests/test_house.py`` pins it): the app, its settings and
profiles, the types its methods return, the loopback servers and the errors. The names load on first
use (PEP 562), so that importing a light submodule such as ``mockserver.openapi`` (the bundled
documents, which the contract side reads too) does not pull in the whole engine.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from ._app import MockApp, create_app
    from ._callback_journal import Attempt, CallbackJournal, CallbackWaitTimeout
    from ._config import Settings
    from ._envelope import StatusMode
    from ._errors import (
        ApiError,
        ConfigError,
        Conflict,
        DomainError,
        InsufficientCredits,
        Invalid,
        MockError,
        NotFound,
    )
    from ._journal import RequestJournal, RequestRecord
    from ._providers import PROFILES, Profile
    from ._serving import CallbackReceiver, ReceivedCallback, ThreadedServer
    from ._store import Splice, Task, Track
    from .openapi import UnknownProvider

__all__ = [
    "PROFILES",
    "ApiError",
    "Attempt",
    "CallbackJournal",
    "CallbackReceiver",
    "CallbackWaitTimeout",
    "ConfigError",
    "Conflict",
    "DomainError",
    "InsufficientCredits",
    "Invalid",
    "MockApp",
    "MockError",
    "NotFound",
    "Profile",
    "ReceivedCallback",
    "RequestJournal",
    "RequestRecord",
    "Settings",
    "Splice",
    "StatusMode",
    "Task",
    "ThreadedServer",
    "Track",
    "UnknownProvider",
    "create_app",
]

# The module that defines each exported name.
_HOMES = {
    "PROFILES": "_providers",
    "ApiError": "_errors",
    "Attempt": "_callback_journal",
    "CallbackJournal": "_callback_journal",
    "CallbackReceiver": "_serving",
    "CallbackWaitTimeout": "_callback_journal",
    "ConfigError": "_errors",
    "Conflict": "_errors",
    "DomainError": "_errors",
    "InsufficientCredits": "_errors",
    "Invalid": "_errors",
    "MockApp": "_app",
    "MockError": "_errors",
    "NotFound": "_errors",
    "Profile": "_providers",
    "ReceivedCallback": "_serving",
    "RequestJournal": "_journal",
    "RequestRecord": "_journal",
    "Settings": "_config",
    "Splice": "_store",
    "StatusMode": "_envelope",
    "Task": "_store",
    "ThreadedServer": "_serving",
    "Track": "_store",
    "UnknownProvider": "openapi",
    "create_app": "_app",
}


def __getattr__(name: str) -> _typing.Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
