"""suno-mockkit's mock server: a faithful offline fake of the reseller Suno API."""

from __future__ import annotations

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
