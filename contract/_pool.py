"""The session's served mocks: one :class:`ThreadedServer` per configuration, and the live proxy.

Importing this module imports only pytest and the standard library; the mock, its server and the
live proxy are imported when first used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from contract._loop_host import LoopHost
    from contract._setup import Setup
    from contract._spend import SpendGuard
    from mockserver import MockApp
    from mockserver._serving import ThreadedServer

__all__ = ["Served", "ServerPool", "new_app"]


async def new_app(setup: Setup) -> MockApp:
    """A mock app for ``setup`` (created on the host loop by the caller)."""
    from mockserver import create_app

    return create_app(setup.provider, **setup.settings)


@dataclass
class Served:
    """One served mock: the app and its loopback server."""

    app: MockApp
    server: ThreadedServer


class ServerPool:
    """Session-wide: one served mock per configuration, and the live proxy."""

    def __init__(self, host: LoopHost) -> None:
        self.host = host
        self.served: dict[str, Served] = {}
        self.proxies: dict[str, tuple[ThreadedServer, SpendGuard]] = {}

    def get(self, setup: Setup) -> Served:
        found = self.served.get(setup.key)
        if found is None:
            from mockserver._serving import ThreadedServer

            app = self.host.run(new_app(setup))
            server = ThreadedServer(self.host.hosted(app)).start()
            found = self.served[setup.key] = Served(app, server)
        return found

    def proxy(self, config: pytest.Config, provider: str) -> tuple[ThreadedServer, SpendGuard]:
        if provider not in self.proxies:
            from contract._live import spend_proxy, worker_share
            from contract._spend import SpendGuard
            from mockserver._serving import ThreadedServer

            guard = SpendGuard(worker_share(config, int(config.getoption("--suno-spend-budget") or 0)))
            upstream = str(config.getoption("--suno-base-url")).rstrip("/")
            self.proxies[provider] = (ThreadedServer(spend_proxy(upstream, provider, guard)).start(), guard)
        return self.proxies[provider]

    def close(self) -> None:
        for served in self.served.values():
            served.server.stop()
            self.host.run(served.app.aclose())
        for server, _ in self.proxies.values():
            server.stop()
