"""Retention as eviction and the ``max_tasks`` bound, on every store (virtual clock, in process)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver._app import MockApp, create_app
from mockserver._errors import ConfigError
from tests.test_store_redis import redis_server  # noqa: F401 - the session's redis-server

DAY = 86400.0


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory"
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'evict.db'}"
    import redis

    url = f"{request.getfixturevalue('redis_server')}/15"
    with redis.Redis.from_url(url) as db:
        db.flushdb()
    return url


async def _app(store: str, **settings: Any) -> AsyncIterator[MockApp]:
    app = create_app(virtual_clock=True, store=store, **settings)
    try:
        yield app
    finally:
        await app.aclose()  # on the test's loop: a Redis store's asyncio connections belong to it


async def test_files_go_after_retention_and_the_record_after_the_grace(store: str) -> None:
    async for app in _app(store, profile_overrides={"retention_days": "1"}, retention_grace_s=3600.0):
        seeded = app.seed_task([30.0])
        track = seeded.tracks[0].id
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            details = {"taskId": seeded.id}
            auth = {"Authorization": "Bearer k"}
            assert (await client.get(f"/_mock/stream/{track}")).status_code == 200
            await app.advance(DAY + 1)
            assert app.state.tasks.evict() == 0  # past retention, within the grace: only the files are gone
            gone = (await client.get(f"/_mock/stream/{track}")).json()
            assert gone["code"] == 404 and "have expired (kept 1 days)" in gone["msg"]
            answer = (await client.get("/api/v1/generate/record-info", params=details, headers=auth)).json()
            assert answer["code"] == 200 and answer["data"]["taskId"] == seeded.id
            await app.advance(3600)
            assert app.state.tasks.evict() == 1
            answer = (await client.get("/api/v1/generate/record-info", params=details, headers=auth)).json()
            assert answer["code"] != 200 and seeded.id in answer["msg"]
            assert seeded.id not in app.state.store.tasks and track not in app.state.store.tracks


async def test_max_tasks_forgets_the_oldest_made_first(store: str) -> None:
    async for app in _app(store, max_tasks=5):
        made = []
        for _ in range(8):
            made.append(app.seed_task([30.0]).id)
            await app.advance(1)
        app.state.tasks.evict()  # the memory store's bound is exact at every task; shared ones every 64
        held = [task_id for task_id in made if task_id in app.state.store.tasks]
        assert held == made[3:]
        assert len(app.state.store.tasks) == 5


async def test_tasks_are_swept_as_they_are_added(store: str) -> None:
    async for app in _app(store, max_tasks=10, profile_overrides={"retention_days": "1"}, retention_grace_s=0.0):
        old = app.seed_task([30.0]).id
        await app.advance(DAY + 1)
        for _ in range(1024):  # the longest sweep interval (memory: 1024 tasks; shared stores: 64)
            app.seed_task([30.0])
        await asyncio.sleep(0)  # a shared store sweeps once the step that added the tasks is over
        assert old not in app.state.store.tasks
        assert len(app.state.store.tasks) <= 10 + 64


def test_a_bad_bound_is_refused() -> None:
    with pytest.raises(ConfigError, match="max_tasks=0 is not allowed; use a number of tasks >= 1"):
        create_app(max_tasks=0)
