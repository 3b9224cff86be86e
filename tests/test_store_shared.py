"""Two app instances on one shared store (SQLite file, real Redis): what must not be split or missed.

- a balance is drawn in one step: two instances racing for the last credit, the second one let in
  at every point between the first one's round trips to the store, spend it once;
- fault-rule counters are the store's: "fail the next 2 calls" fails 2 calls of all instances;
- news (deliveries added, the clock moved, rules changed) reaches another instance at once: with
  its poll set to a million seconds, only the news can wake it.

The interleaving is explicit (no threads, no sleeps): the other instance's whole operation runs
synchronously just before the first one's k-th statement or command, for every k.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver._app import MockApp, create_app
from mockserver._errors import InsufficientCredits
from mockserver._serving import CallbackReceiver
from mockserver._stores.redis import RedisStore
from mockserver._stores.sqlite import SqliteStore
from tests.test_store_redis import redis_server  # noqa: F401 - the session's redis-server

AUTH = {"Authorization": "Bearer k"}


@pytest.fixture(params=["sqlite", "redis"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'shared.db'}"
    import redis

    url = f"{request.getfixturevalue('redis_server')}/13"
    with redis.Redis.from_url(url) as db:
        db.flushdb()
    return url


@pytest.fixture
async def pair(shared_store: str) -> AsyncIterator[tuple[MockApp, MockApp]]:
    a = create_app(store=shared_store, virtual_clock=True, credits=1, credits_per_task=1)
    b = create_app(store=shared_store, virtual_clock=True, credits=1, credits_per_task=1)
    try:
        yield a, b
    finally:
        # on the loop the tests ran on: a Redis store's asyncio connections belong to it
        await a.aclose()
        await b.aclose()


class _Proxy:
    """A SQLite connection whose every statement first calls ``before()``."""

    def __init__(self, db: sqlite3.Connection, before: Callable[[], None]) -> None:
        self._db, self._before = db, before

    def execute(self, *args: Any) -> sqlite3.Cursor:
        self._before()
        return self._db.execute(*args)

    def executemany(self, *args: Any) -> sqlite3.Cursor:
        self._before()
        return self._db.executemany(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def _interleave(app: MockApp, k: int, other: Callable[[], None]) -> Callable[[], None]:
    """Run ``other`` just before ``app``'s store makes its k-th round trip (0 first); return the undo."""
    count = itertools.count()
    ran: list[bool] = []

    def before() -> None:
        if next(count) == k and not ran:
            ran.append(True)
            other()

    store = app.state.store
    if isinstance(store, SqliteStore):
        real_db = store._db
        store._db = _Proxy(real_db, before)  # type: ignore[assignment]  # a stand-in with the connection's methods

        def undo_sqlite() -> None:
            store._db = real_db

        return undo_sqlite
    assert isinstance(store, RedisStore)
    client = store._sync
    real_command, real_pipeline = client.execute_command, client.pipeline

    def execute_command(*args: Any, **kwargs: Any) -> Any:
        before()
        return real_command(*args, **kwargs)

    def pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = real_pipeline(*args, **kwargs)
        real_execute = pipe.execute

        def execute(*x: Any, **y: Any) -> Any:
            before()
            return real_execute(*x, **y)

        pipe.execute = execute
        return pipe

    client.execute_command, client.pipeline = execute_command, pipeline

    def undo_redis() -> None:
        del client.execute_command, client.pipeline

    return undo_redis


def _kept_out(app: MockApp) -> None:
    """The other instance waits for no lock: a SQLite write it cannot take now fails at once (and is retried)."""
    store = app.state.store
    if isinstance(store, SqliteStore):
        store._db.execute("PRAGMA busy_timeout=0")


@pytest.mark.parametrize("k", range(6))
def test_two_instances_racing_for_the_last_credit_spend_it_once(pair: tuple[MockApp, MockApp], k: int) -> None:
    a, b = pair
    _kept_out(b)
    a.state.credits.set_balance("k", 1)  # one task's worth
    outcomes: list[str] = []
    waiting: list[Callable[[], None]] = []
    refusals: list[str] = []

    def charge(app: MockApp, who: str) -> Callable[[], None]:
        def run() -> None:
            try:
                app.state.credits.charge("k", "generate")
                outcomes.append(f"{who} paid")
            except InsufficientCredits:
                outcomes.append(f"{who} refused")
            except sqlite3.OperationalError as error:  # inside a's transaction: b cannot write now
                refusals.append(str(error))
                waiting.append(run)

        return run

    undo = _interleave(a, k, charge(b, "b"))
    try:
        charge(a, "a")()
    finally:
        undo()
    if len(outcomes) + len(waiting) < 2:  # a made fewer than k round trips: b comes after it
        charge(b, "b")()
    for retry in waiting:
        retry()
    assert sorted(o.split()[1] for o in outcomes) == ["paid", "refused"], outcomes
    assert all("locked" in r for r in refusals), refusals
    assert a.state.credits.balance("k") == b.state.credits.balance("k") == 0


def _details_operation(app: MockApp) -> Any:
    return next(op for op in app.operations if op.operation_id == "get-music-details")


async def test_a_rule_s_times_count_the_calls_of_every_instance(pair: tuple[MockApp, MockApp]) -> None:
    a, b = pair
    seeded = a.seed_task([30.0]).id
    rule = {"name": "flaky", "when": {"operation": "get-music-details"}, "code": 455, "times": 2}
    codes = []
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://a", headers=AUTH) as ca,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=b), base_url="http://b", headers=AUTH) as cb,
    ):
        assert (await ca.post("/_mock/faults", json=rule)).json()["code"] == 200
        for client in (ca, cb, ca, cb, ca):
            answer = (await client.get("/api/v1/generate/record-info", params={"taskId": seeded})).json()
            codes.append(answer["code"])
        shown = [(await c.get("/_mock/faults")).json()["data"]["rules"] for c in (ca, cb)]
        assert codes == [455, 455, 200, 200, 200]  # per process counters would fail 4 of them
        assert [[(r["name"], r["calls"], r["fired"]) for r in rules] for rules in shown] == [[("flaky", 5, 2)]] * 2
        # replaced through the other instance: its count starts again, for both
        assert (await cb.post("/_mock/faults", json={**rule, "times": 1})).json()["code"] == 200
        again = [(await c.get("/api/v1/generate/record-info", params={"taskId": seeded})).json() for c in (ca, cb)]
        assert [x["code"] for x in again] == [455, 200]
        # a reset through one restarts the counters of all
        assert (await ca.post("/_mock/faults", json=rule)).json()["code"] == 200
        (await ca.get("/api/v1/generate/record-info", params={"taskId": seeded})).json()
        assert (await cb.post("/_mock/reset")).json()["code"] == 200
        assert a.faults.fired("flaky", "admin") == 0 and b.faults.fired("flaky", "admin") == 0


@pytest.mark.parametrize("k", range(8))
def test_two_instances_racing_for_a_rule_s_last_firing_fire_it_once(pair: tuple[MockApp, MockApp], k: int) -> None:
    a, b = pair
    _kept_out(b)
    a.faults.configure({"name": "once", "when": {"operation": "get-music-details"}, "code": 455, "times": 1})
    operation = _details_operation(a)
    codes: dict[str, int | None] = {}
    waiting: list[Callable[[], None]] = []
    refusals: list[str] = []

    def decide(app: MockApp, who: str) -> Callable[[], None]:
        def run() -> None:
            try:
                codes[who] = app.faults.decide(operation, "k", {}, {"taskId": "t"}, {}).code
            except sqlite3.OperationalError as error:
                refusals.append(str(error))
                waiting.append(run)

        return run

    undo = _interleave(a, k, decide(b, "b"))
    try:
        decide(a, "a")()
    finally:
        undo()
    if "b" not in codes and not waiting:
        decide(b, "b")()
    for retry in waiting:
        retry()
    assert sorted(codes.values(), key=str) == sorted([455, None], key=str), codes
    assert all("locked" in r for r in refusals), refusals
    assert a.faults.fired("once", "admin") == 1 and b.faults.fired("once", "admin") == 1


def _music_task(app: MockApp, callback_url: str) -> str:
    """A music task made through ``app``'s own Python path, with its deliveries kept in the store."""
    tasks = app.state.tasks
    param = {"customMode": False, "instrumental": False, "model": "V4_5", "prompt": "x", "callBackUrl": callback_url}
    task = tasks.new_task("generate-music", param=param, base_url="http://a", token="k")
    task.tracks = [tasks.new_track(task.id, i, duration=30.0, title="t", tags="x", prompt="x") for i in range(2)]
    tasks.start(task, "music")
    store = app.state.store
    assert isinstance(store, SqliteStore | RedisStore)
    store.flush()
    return task.id


async def _quiet(app: MockApp) -> None:
    """Until ``app``'s loop hears the store's news and has read the store since: then only news or the poll wake it."""
    scheduler = app.state.scheduler
    await asyncio.wait_for(scheduler.watching.wait(), timeout=30)
    while scheduler.looks < 2 or scheduler.looking:
        await asyncio.sleep(0.005)


async def test_news_of_a_delivery_wakes_another_instance_long_before_its_poll(shared_store: str) -> None:
    waiting = create_app(store=shared_store, time_scale=1000.0, store_poll_s=1e6)
    maker = create_app(store=shared_store, time_scale=1000.0, store_poll_s=1e6)  # its loop never runs
    try:
        with CallbackReceiver() as receiver:
            waiting.state.scheduler.ensure_running()
            await _quiet(waiting)
            looked = waiting.state.scheduler.looks
            task_id = _music_task(maker, receiver.url + "/cb")
            attempt = await waiting.wait_for_callback(task_id, "complete", timeout=60)
            assert attempt.delivered
            assert {r.stage for r in receiver.received if r.task_id == task_id} == {"text", "first", "complete"}
            assert waiting.state.scheduler.looks > looked  # woken by the news, then at each due time
    finally:
        await waiting.aclose()
        await maker.aclose()


async def test_rule_changes_and_clock_moves_are_news_for_every_instance(pair: tuple[MockApp, MockApp]) -> None:
    a, b = pair
    heard: asyncio.Queue[str] = asyncio.Queue()
    shared = b.state.store.shared
    assert shared is not None
    watching = asyncio.create_task(shared.watch(heard.put_nowait))
    try:
        assert await asyncio.wait_for(heard.get(), timeout=30) == "watching"
        a.faults.configure({"name": "busy", "when": {"operation": "get-music-details"}, "code": 455})
        assert await asyncio.wait_for(heard.get(), timeout=30) == "rules"
        await a.advance(5)
        assert await asyncio.wait_for(heard.get(), timeout=30) == "clock"
        _music_task(a, "http://127.0.0.1:9/cb")
        assert await asyncio.wait_for(heard.get(), timeout=30) == "due"
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
