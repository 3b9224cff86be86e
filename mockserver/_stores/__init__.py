"""Choosing a store: ``memory``, ``sqlite:PATH`` or ``redis://HOST:PORT/DB``.

The same text is read everywhere a store is chosen: ``suno-mock serve --store``,
``create_app(store=...)``, the ``suno_mock_store`` pytest ini key and the
``SUNO_MOCK_STORE`` environment variable (read when none of the others is given).
"""

from __future__ import annotations

import os

from .._errors import ConfigError
from .._store import MemoryStore, StateStore

__all__ = ["ENV_VAR", "FORMS", "open_store", "store_url"]

#: The environment variable a container sets to choose the store.
ENV_VAR = "SUNO_MOCK_STORE"
#: The forms a store URL takes, for messages.
FORMS = "memory, sqlite:PATH (a file; several workers on one host) or redis://HOST:PORT/DB (several hosts)"


def store_url(given: str | None) -> str:
    """The store URL in force: ``given``, else ``$SUNO_MOCK_STORE``, else ``memory``."""
    if given is not None:
        return given
    return os.environ.get(ENV_VAR, "").strip() or "memory"


def open_store(url: str, provider: str) -> StateStore:
    """Open the store ``url`` names; :class:`ConfigError` saying what to do when it cannot be used."""
    text = url.strip()
    if text in ("memory", "memory:", "mem"):
        return MemoryStore()
    if text.startswith("sqlite:"):
        path = text[len("sqlite:") :]
        if path.startswith("//"):  # sqlite:///abs/path, as SQLAlchemy spells it
            path = path[2:]
        if not path or path in (":memory:",):
            raise ConfigError(
                f"store {url!r}: sqlite: needs a file path (sqlite:/tmp/mock.db); for a store in memory use 'memory'"
            )
        from .sqlite import SqliteStore

        return SqliteStore(path, provider)
    if text.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisStore

        return RedisStore(text, provider)
    raise ConfigError(f"store {url!r} is not a store URL; use {FORMS}")
