"""suno-mockkit's mock server: a faithful offline fake of the reseller Suno API.

The public API is what ``__all__`` lists (``tests/test_house.py`` pins it): the app, its settings and
profiles, the types its methods return, the loopback servers and the errors. The names load on first
use (PEP 562), so that importing a light submodule such as ``mockserver.openapi`` (the bundled
documents, which the contract side reads too) does not pull in the whole engine.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from .app import MockApp, create_app
    from .callbacks import Attempt, CallbackJournal, CallbackWaitTimeout
    from .config import Settings
    from .envelope import StatusMode
    from .errors import (
        ApiError,
        ConfigError,
        Conflict,
        DomainError,
        InsufficientCredits,
        Invalid,
        MockError,
        NotFound,
    )
    from .journal import RequestJournal, RequestRecord
    from .openapi import UnknownProvider
    from .providers import PROFILES, Profile
    from .serving import CallbackReceiver, ReceivedCallback, ThreadedServer
    from .store import Splice, Task, Track

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
    "PROFILES": "providers",
    "ApiError": "errors",
    "Attempt": "callbacks",
    "CallbackJournal": "callbacks",
    "CallbackReceiver": "serving",
    "CallbackWaitTimeout": "callbacks",
    "ConfigError": "errors",
    "Conflict": "errors",
    "DomainError": "errors",
    "InsufficientCredits": "errors",
    "Invalid": "errors",
    "MockApp": "app",
    "MockError": "errors",
    "NotFound": "errors",
    "Profile": "providers",
    "ReceivedCallback": "serving",
    "RequestJournal": "journal",
    "RequestRecord": "journal",
    "Settings": "config",
    "Splice": "store",
    "StatusMode": "envelope",
    "Task": "store",
    "ThreadedServer": "serving",
    "Track": "store",
    "UnknownProvider": "openapi",
    "create_app": "app",
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
