"""suno-mockkit's mock server: a faithful offline fake of the reseller Suno API.

The names below load on first use (PEP 562), so that importing a light submodule such as
``mockserver.openapi`` (the bundled documents, which the contract side reads too) does not pull in
the whole engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import MockApp, create_app
    from .config import Settings
    from .envelope import StatusMode
    from .errors import ApiError, ConfigError, MockError
    from .providers import PROFILES, Profile

__all__ = [
    "PROFILES",
    "ApiError",
    "ConfigError",
    "MockApp",
    "MockError",
    "Profile",
    "Settings",
    "StatusMode",
    "create_app",
]

# Each exported name and the module that defines it.
_HOMES = {
    "PROFILES": "providers",
    "ApiError": "errors",
    "ConfigError": "errors",
    "MockApp": "app",
    "MockError": "errors",
    "Profile": "providers",
    "Settings": "config",
    "StatusMode": "envelope",
    "create_app": "app",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
