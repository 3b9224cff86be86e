"""mockserver._clock and _scheduler: ordering and determinism on the virtual clock, liveness on the scaled one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from mockserver._clock import Clock, ScaledClock, VirtualClock
from mockserver._scheduler import Scheduler

START = 1_700_000_000.0
GENEROUS = 10.0  # real seconds to wait for the scaled scheduler; never a timing assertion

Action = Callable[[], Awaitable[None]]


def recorder(scheduler: Scheduler, log: list[tuple[str, float]], name: str) -> Action:
    """Return an action that appends (name, mock time) to ``log``."""

    async def action() -> None:
        log.append((name, scheduler.clock.now()))

    return action


def test_clocks_satisfy_the_clock_protocol() -> None:
    clocks: list[Clock] = [ScaledClock(2.0, start=START), VirtualClock(START)]
    assert all(clock.now() >= START for clock in clocks)


def test_virtual_clock_only_moves_forward() -> None:
    clock = VirtualClock(START)
    clock.advance_to(START + 5)
    assert clock.now() == START + 5
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance_to(START)


def test_scaled_clock_moves_forward_from_its_start() -> None:
    clock = ScaledClock(1000.0, start=START)
    first = clock.now()
    assert first >= START
    assert clock.now() >= first
    with pytest.raises(ValueError, match="scale"):
        ScaledClock(0)


@pytest.mark.asyncio
async def test_advance_runs_due_actions_in_time_order_at_their_own_time() -> None:
    scheduler = Scheduler(VirtualClock(START))
    log: list[tuple[str, float]] = []
    for name, offset in [
        ("c", 30.0),
        ("a", 10.0),
        ("b1", 20.0),
        ("b2", 20.0),
        ("late", 100.0),
    ]:
        scheduler.call_at(START + offset, recorder(scheduler, log, name))

    await scheduler.advance(50)

    assert log == [
        ("a", START + 10),
        ("b1", START + 20),
        ("b2", START + 20),
        ("c", START + 30),
    ]
    assert scheduler.clock.now() == START + 50
    assert scheduler.pending == 1
    await scheduler.advance(50)
    assert log[-1] == ("late", START + 100)
    assert scheduler.pending == 0


@pytest.mark.asyncio
async def test_actions_scheduled_by_actions_run_within_the_same_advance() -> None:
    scheduler = Scheduler(VirtualClock(START))
    log: list[tuple[str, float]] = []

    def retry(attempt: int) -> Action:
        async def action() -> None:
            log.append((f"attempt {attempt}", scheduler.clock.now()))
            if attempt < 4:
                scheduler.call_at(scheduler.clock.now() + 2.0**attempt, retry(attempt + 1))

        return action

    scheduler.call_at(START, retry(1))
    await scheduler.advance(10)  # attempts at +0, +2, +6; the fourth is due at +14

    assert log == [
        ("attempt 1", START),
        ("attempt 2", START + 2),
        ("attempt 3", START + 6),
    ]
    await scheduler.advance(4)
    assert log[-1] == ("attempt 4", START + 14)


@pytest.mark.asyncio
async def test_advance_is_deterministic() -> None:
    async def scenario() -> list[tuple[str, float]]:
        scheduler = Scheduler(VirtualClock(START))
        log: list[tuple[str, float]] = []

        async def spawn() -> None:
            log.append(("spawn", scheduler.clock.now()))
            for index in range(5):
                scheduler.call_at(
                    scheduler.clock.now() + 3 - index,
                    recorder(scheduler, log, f"child {index}"),
                )

        for index in range(5):
            scheduler.call_at(START + index, recorder(scheduler, log, f"root {index}"))
        scheduler.call_at(START + 2, spawn)
        for _ in range(4):
            await scheduler.advance(1.5)
        return log

    assert await scenario() == await scenario()


@pytest.mark.asyncio
async def test_action_scheduled_in_the_past_runs_now_without_moving_the_clock_back() -> None:
    scheduler = Scheduler(VirtualClock(START))
    log: list[tuple[str, float]] = []
    await scheduler.advance(10)
    scheduler.call_at(START + 1, recorder(scheduler, log, "late"))
    await scheduler.advance(0)
    assert log == [("late", START + 10)]


@pytest.mark.asyncio
async def test_advance_by_zero_runs_only_what_is_due_now() -> None:
    scheduler = Scheduler(VirtualClock(START))
    log: list[tuple[str, float]] = []
    scheduler.call_at(START, recorder(scheduler, log, "now"))
    scheduler.call_at(START + 1, recorder(scheduler, log, "later"))
    await scheduler.advance(0)
    assert log == [("now", START)]
    assert (scheduler.clock.now(), scheduler.pending) == (START, 1)


@pytest.mark.asyncio
async def test_call_at_runs_with_its_arguments_in_time_then_scheduling_order() -> None:
    scheduler = Scheduler(VirtualClock(START))
    log: list[tuple[str, float]] = []

    async def note(name: str, suffix: int) -> None:
        log.append((f"{name}{suffix}", scheduler.clock.now()))

    def inline(name: str) -> None:  # a plain function runs inline
        log.append((name, scheduler.clock.now()))

    scheduler.call_at(START + 2, note, "call", 2)
    scheduler.call_at(START + 1, recorder(scheduler, log, "action1"))
    scheduler.call_at(START + 1, note, "call", 1)
    scheduler.call_at(START + 2, inline, "inline2")
    assert (scheduler.pending, scheduler.next_at()) == (4, START + 1)
    await scheduler.advance(5)
    assert log == [("action1", START + 1), ("call1", START + 1), ("call2", START + 2), ("inline2", START + 2)]
    with pytest.raises(ValueError, match="finite"):
        scheduler.call_at(float("inf"), note, "never", 0)


@pytest.mark.asyncio
async def test_cancel_pending_drops_every_call() -> None:
    scheduler = Scheduler(VirtualClock(START))
    log: list[tuple[str, float]] = []

    async def note(name: str) -> None:
        log.append((name, scheduler.clock.now()))

    scheduler.call_at(START + 1, recorder(scheduler, log, "action"))
    scheduler.call_at(START + 1, note, "call")
    scheduler.cancel_pending()
    assert (scheduler.pending, scheduler.next_at()) == (0, None)
    await scheduler.advance(5)
    assert log == []


@pytest.mark.asyncio
async def test_failing_action_is_collected_and_does_not_stop_the_others() -> None:
    scheduler = Scheduler(VirtualClock(START))
    log: list[tuple[str, float]] = []

    async def boom() -> None:
        raise RuntimeError("receiver crashed")

    scheduler.call_at(START + 1, boom)
    scheduler.call_at(START + 2, recorder(scheduler, log, "after"))
    await scheduler.advance(5)

    assert log == [("after", START + 2)]
    assert [(error.at, str(error.exception)) for error in scheduler.errors] == [(START + 1, "receiver crashed")]


@pytest.mark.asyncio
async def test_wrong_clock_for_the_mode_is_an_error_that_says_what_to_use() -> None:
    with pytest.raises(TypeError, match=r"VirtualClock\(start\)"):
        await Scheduler(ScaledClock(10.0)).advance(1)
    with pytest.raises(TypeError, match=r"scheduler\.advance"):
        Scheduler(VirtualClock(START)).start()
    with pytest.raises(ValueError, match=">= 0"):
        await Scheduler(VirtualClock(START)).advance(-1)


@pytest.mark.asyncio
async def test_scaled_scheduler_eventually_runs_actions_in_order() -> None:
    scheduler = Scheduler(ScaledClock(1000.0, start=START))
    log: list[tuple[str, float]] = []
    done = asyncio.Event()

    async def last() -> None:
        log.append(("last", scheduler.clock.now()))
        done.set()

    now = scheduler.clock.now()
    scheduler.call_at(now + 20, last)
    scheduler.call_at(now + 10, recorder(scheduler, log, "first"))
    scheduler.start()
    try:
        await asyncio.wait_for(done.wait(), GENEROUS)
    finally:
        await scheduler.stop()

    assert [name for name, _ in log] == ["first", "last"]
    assert log[0][1] >= now + 10
    assert log[1][1] >= now + 20


@pytest.mark.asyncio
async def test_scaled_scheduler_wakes_early_for_an_earlier_action() -> None:
    scheduler = Scheduler(ScaledClock(1.0))
    done = asyncio.Event()

    async def early() -> None:
        done.set()

    scheduler.call_at(scheduler.clock.now() + 86_400, recorder(scheduler, [], "tomorrow"))
    scheduler.start()
    try:
        await asyncio.sleep(0)  # let the loop go to sleep until tomorrow
        scheduler.call_at(scheduler.clock.now() + 0.01, early)
        await asyncio.wait_for(done.wait(), GENEROUS)
    finally:
        await scheduler.stop()
    assert scheduler.pending == 1


@pytest.mark.asyncio
async def test_scaled_scheduler_does_not_let_a_stuck_action_block_others() -> None:
    scheduler = Scheduler(ScaledClock(1000.0))
    stuck_started = asyncio.Event()
    done = asyncio.Event()

    async def stuck() -> None:
        stuck_started.set()
        await asyncio.Event().wait()

    async def boom() -> None:
        raise RuntimeError("callback crashed")

    async def other() -> None:
        done.set()

    now = scheduler.clock.now()
    scheduler.call_at(now, stuck)
    scheduler.call_at(now + 1, boom)
    scheduler.call_at(now + 2, other)
    scheduler.start()
    try:
        await asyncio.wait_for(done.wait(), GENEROUS)
        assert stuck_started.is_set()
    finally:
        await scheduler.stop()
    assert [str(error.exception) for error in scheduler.errors] == ["callback crashed"]


@pytest.mark.asyncio
async def test_stop_cancels_cleanly_and_keeps_pending_actions() -> None:
    scheduler = Scheduler(ScaledClock(1.0))
    scheduler.call_at(scheduler.clock.now() + 3600, recorder(scheduler, [], "later"))
    scheduler.start()
    with pytest.raises(RuntimeError, match="already started"):
        scheduler.start()
    await scheduler.stop()
    await scheduler.stop()
    assert scheduler.pending == 1
    assert scheduler.errors == []


@pytest.mark.asyncio
@pytest.mark.parametrize("turns", range(4))
async def test_stop_returns_when_a_new_earliest_action_arrives_just_before_it(turns: int) -> None:
    # A new earliest entry wakes the loop; a stop() in the next few event-loop turns once met a
    # wake-up already under way, which asyncio.wait_for() (Python 3.11) answered by swallowing
    # the cancel: the loop ran on and stop() never returned (a CI run hung for 300 s).
    scheduler = Scheduler(ScaledClock(1.0, start=START))
    ran: list[tuple[str, float]] = []
    scheduler.call_at(START + 3600, recorder(scheduler, ran, "later"))
    scheduler.start()
    for _ in range(3):
        await asyncio.sleep(0)  # the loop now waits for the entry an hour away
    scheduler.call_at(START + 1800, recorder(scheduler, ran, "sooner"))
    for _ in range(turns):
        await asyncio.sleep(0)
    await asyncio.wait_for(scheduler.stop(), GENEROUS)
    assert scheduler.pending == 2 and ran == []
