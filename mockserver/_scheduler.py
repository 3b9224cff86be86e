"""The scheduler that runs timed actions on mock time (the clocks are :mod:`mockserver._clock`).

The :class:`Scheduler` keeps a heap of ``(mock time, sequence, callback, *args)`` entries.  With
a virtual clock, ``await scheduler.advance(seconds)`` steps the clock to each
due entry in turn and awaits its action, so when it returns everything due up
to the new time has run, including actions that actions scheduled (retries).
With a scaled clock, :meth:`Scheduler.start` runs a background task that
sleeps until the next entry is due and runs each due action as its own task.
A callback given to :meth:`Scheduler.call_at` may also be a plain function: it runs
inline, and only what it returns to await (if anything) becomes a task.

Everything here must be used from a single asyncio event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ._clock import ScaledClock, VirtualClock
from ._redact import summary

__all__ = ["ActionError", "Callback", "Pump", "Scheduler"]

#: What :meth:`Scheduler.call_at` runs: a coroutine function, or a function that does its
#: work at once and returns None, or an awaitable for the rest of it.
Callback = Callable[..., Awaitable[None] | None]

_log = logging.getLogger(__name__)


class Pump(Protocol):
    """Deliveries kept in a shared store: the scheduler runs them as they fall due, with its own entries."""

    async def next_due(self) -> float | None:
        """Mock time of the earliest delivery this process could claim now; None if there is none."""
        ...

    async def pump(self) -> int:
        """Claim and run what is due at the clock's time; how many deliveries it claimed."""
        ...

    async def watch(self, changed: Callable[[str], None]) -> None:
        """Call ``changed(topic)`` whenever any process publishes news on the store; runs until cancelled."""
        ...


#: Real seconds between two looks at a shared store's due deliveries on a scaled clock when no news
#: came: the fallback for news missed (a watcher reconnecting) and for leases that ran out.
POLL_S = 0.05


@dataclass(frozen=True)
class ActionError:
    """An exception raised by a scheduled action, and the mock time it was raised at."""

    at: float
    exception: Exception


# A heap entry: (mock time, sequence number, callback, *arguments).  The sequence number keeps
# entries due at the same time in the order they were scheduled.  One tuple per entry and
# nothing else: a store of 100,000 pending tasks should not mean a million objects for the
# garbage collector to walk.
_Entry = tuple[Any, ...]


class Scheduler:
    """Runs actions at mock times on a :class:`ScaledClock` or :class:`VirtualClock`.

    Exceptions raised by actions never stop the scheduler; they are logged and
    appended to :attr:`errors` so that tests can fail on them.
    """

    def __init__(self, clock: ScaledClock | VirtualClock) -> None:
        self._clock = clock
        self._heap: list[_Entry] = []
        self._sequence = itertools.count()
        self._advance_lock = asyncio.Lock()
        self._loop_task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._running: set[asyncio.Task[None]] = set()
        self.errors: list[ActionError] = []
        #: Deliveries kept in a shared store (None: every entry is on this scheduler's heap).
        self.pump: Pump | None = None
        self._pumping: asyncio.Task[None] | None = None
        #: Real seconds between two looks at the store when no news wakes the loop (see :data:`POLL_S`).
        self.poll_s = POLL_S
        #: Mock time of the store's earliest delivery as last read (inf: none); the loop sleeps until then.
        self._stored_at = -math.inf
        #: News came (or the poll ran out): read the store again.
        self._look = True
        #: Set once the store's news reaches this scheduler (the watcher has subscribed).
        self.watching = asyncio.Event()
        #: Looks at the store the loop has made (a pump and a read of the next delivery each).
        self.looks = 0

    @property
    def clock(self) -> ScaledClock | VirtualClock:
        """The clock this scheduler runs on."""
        return self._clock

    @property
    def looking(self) -> bool:
        """A look at the shared store (a pump and a read of its next delivery) is under way."""
        return self._pumping is not None and not self._pumping.done()

    @property
    def pending(self) -> int:
        """Number of scheduled actions that have not run (nor been dropped by :meth:`cancel_pending`)."""
        return len(self._heap)

    def next_at(self) -> float | None:
        """Return the mock time of the earliest pending action, or None if there is none."""
        heap = self._heap
        return heap[0][0] if heap else None

    def call_at(self, at: float, callback: Callback, *args: Any) -> None:
        """Call ``callback(*args)`` at mock time ``at`` (as soon as possible if it is in the past).

        What the callback returns, if anything, is awaited. An entry cannot be cancelled on its
        own (:meth:`cancel_pending` drops them all), and it stores one tuple: pass a callback made once
        (e.g. a bound method kept in an attribute), not a closure made per call, so that
        nothing else is allocated per scheduled action.  A plain function that returns None
        costs no task when it runs on a scaled clock.
        """
        if not math.isfinite(at):
            raise ValueError(f"call_at() needs a finite mock time, got {at!r}")
        entry = (at, next(self._sequence), callback, *args)
        heapq.heappush(self._heap, entry)
        if self._wake is not None and self._heap[0] is entry:
            self._wake.set()

    def cancel_pending(self) -> None:
        """Drop every action that has not started yet."""
        self._heap.clear()

    async def advance(self, seconds: float) -> None:
        """Move a virtual clock ``seconds`` forward, running every action that falls due, in time order.

        The clock is stepped to each action's time before the action is
        awaited, so actions observe their own scheduled time.  Concurrent calls
        are serialised.  Do not call this from inside a scheduled action: it
        would wait for itself.
        """
        if not isinstance(self._clock, VirtualClock):
            raise TypeError(
                "advance() needs a VirtualClock, but this scheduler runs on a ScaledClock that follows "
                "real time; build the scheduler with VirtualClock(start) to step time by hand"
            )
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"advance() needs a finite number of seconds >= 0, got {seconds!r}")
        clock = self._clock
        async with self._advance_lock:
            target = clock.now() + seconds
            while True:
                if self.pump is not None and (stored := await self._stored_due(target)) is not None:
                    clock.advance_to(max(clock.now(), stored))
                    await self._run_pump(self.pump)
                    continue
                if (entry := self._pop_due(target)) is None:
                    break
                clock.advance_to(max(clock.now(), entry[0]))
                if (rest := self._call(entry)) is not None:
                    await self._finish(entry, rest)
            clock.advance_to(target)

    async def _stored_due(self, until: float) -> float | None:
        """The time of the shared store's next delivery if it comes before the heap's next entry and ``until``."""
        assert self.pump is not None
        stored = await self.pump.next_due()
        if stored is None or stored > until:
            return None
        at = self.next_at()
        return stored if at is None or stored <= at else None

    async def _run_pump(self, pump: Pump) -> int:
        try:
            return await pump.pump()
        except Exception as exc:  # a failing delivery must not stop the clock
            _log.error("delivery from the shared store failed at mock time %s", self._clock.now(), exc_info=exc)
            self.errors.append(ActionError(at=self._clock.now(), exception=exc))
            return 0

    async def _pump_and_look(self, pump: Pump, wake: asyncio.Event) -> None:
        """Deliver what is due, then read when the next delivery is, and wake the loop to sleep until then."""
        began = self._clock.now()
        claimed = await self._run_pump(pump)
        try:
            stored = await pump.next_due()
        except Exception as exc:  # the store is away: the poll looks again
            _log.error("reading the shared store's next delivery failed", exc_info=exc)
            stored = None
        if stored is not None and stored <= began and not claimed:
            stored = None  # due when the pump looked, yet not claimed: leased by another process (SQLite lists those)
        self._stored_at = math.inf if stored is None else stored
        self.looks += 1
        if claimed and stored is not None and stored <= self._clock.now():
            self._look = True  # more was due than one claim takes
        wake.set()

    def _notice(self, topic: str) -> None:
        """News from the store: deliveries added, the clock moved, or the watcher (re)subscribed."""
        if topic == "watching":
            self.watching.set()
        if topic == "rules":
            return  # the fault injector reads the rules' version per request
        self._look = True
        wake = self._wake
        if wake is None:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # told from another thread (a store written from a worker thread)
            if self._loop_task is not None and not self._loop_task.get_loop().is_closed():
                self._loop_task.get_loop().call_soon_threadsafe(wake.set)
            return
        wake.set()

    async def _watch(self, pump: Pump) -> None:
        try:
            await pump.watch(self._notice)
        except Exception as exc:  # no news: the poll goes on
            _log.error("watching the shared store for news failed; polling every %s s", self.poll_s, exc_info=exc)

    def start(self) -> None:
        """Start running due actions in the background (scaled clock only; needs a running event loop)."""
        if not isinstance(self._clock, ScaledClock):
            raise TypeError(
                "start() needs a ScaledClock; a VirtualClock never moves by itself, "
                "so drive it with `await scheduler.advance(seconds)` instead"
            )
        if self._loop_task is not None:
            raise RuntimeError("the scheduler is already started; call stop() before starting it again")
        self._wake = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._look = True
        self.watching = asyncio.Event()
        self._loop_task = loop.create_task(self._loop(self._clock, self._wake), name="mock-scheduler")
        if self.pump is not None:
            watcher = loop.create_task(self._watch(self.pump), name="mock-store-watch")
            self._running.add(watcher)
            watcher.add_done_callback(self._running.discard)

    def ensure_running(self) -> None:
        """Start the background loop in the running event loop unless it already runs there.

        Scaled clocks only; a no-op for a virtual clock. Restarts the loop if the event loop it
        was started in has gone (a test framework that uses one loop per test).
        """
        if not isinstance(self._clock, ScaledClock):
            return
        task = self._loop_task
        if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
            return
        self._loop_task = None
        self._running.clear()
        self._pumping = None
        self.start()

    async def stop(self) -> None:
        """Stop the background loop and cancel actions still running; pending actions stay scheduled."""
        loop_task, wake = self._loop_task, self._wake
        self._loop_task = self._wake = None
        if wake is not None:
            # The loop also returns once woken with an event that is no longer the
            # scheduler's, so that a cancel lost to a wake-up under way (as asyncio.wait_for()
            # on Python 3.11 loses it) cannot leave the loop, and this stop(), waiting forever.
            wake.set()
        tasks = [task for task in (loop_task, *self._running) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _pop_due(self, until: float) -> _Entry | None:
        """Remove and return the earliest pending entry due at or before ``until``."""
        at = self.next_at()
        if at is None or at > until:
            return None
        return heapq.heappop(self._heap)

    def _call(self, entry: _Entry) -> Awaitable[None] | None:
        """Call the entry's callback; return what is left to await (None when it is done)."""
        try:
            rest: Awaitable[None] | None = entry[2](*entry[3:])
        except Exception as exc:  # one failing action must not stop the others
            self._failed(entry, exc)
            return None
        return rest

    async def _finish(self, entry: _Entry, rest: Awaitable[None]) -> None:
        try:
            await rest
        except Exception as exc:  # one failing action must not stop the others
            self._failed(entry, exc)

    def _ended(self, entry: _Entry, task: asyncio.Future[None]) -> None:
        """A background action's task is done: record its failure, as :meth:`_finish` does."""
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, Exception):  # one failing action must not stop the others
            self._failed(entry, exc)

    def _failed(self, entry: _Entry, exc: Exception) -> None:
        # names only (redact.summary): a task's repr would print its API key and request body
        shown = f"{summary(entry[2])}({', '.join(map(summary, entry[3:]))})"
        _log.error("scheduled action %s failed at mock time %s", shown, self._clock.now(), exc_info=exc)
        self.errors.append(ActionError(at=self._clock.now(), exception=exc))

    async def _loop(self, clock: ScaledClock, wake: asyncio.Event) -> None:
        while self._wake is wake:  # stop() (or a restart in another event loop) replaces it
            wake.clear()
            while (entry := self._pop_due(clock.now())) is not None:
                if (rest := self._call(entry)) is not None:
                    # the action's own awaitable becomes the task: a task cancelled before its first step
                    # (the loop stopping) closes it, where a wrapper would leave it never awaited
                    task = asyncio.ensure_future(rest)
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
                    task.add_done_callback(functools.partial(self._ended, entry))
            pump, idle = self.pump, self._pumping is None or self._pumping.done()
            if pump is not None and idle and (self._look or self._stored_at <= clock.now()):
                self._look = False
                pumping = asyncio.create_task(self._pump_and_look(pump, wake))
                self._pumping = pumping
                self._running.add(pumping)
                pumping.add_done_callback(self._running.discard)
                idle = False
            at = self.next_at()
            delay = None if at is None else max(0.0, (at - clock.now()) / clock.scale)
            if pump is not None:
                until = self.poll_s
                if idle and self._stored_at < math.inf:
                    until = min(until, max(0.0, (self._stored_at - clock.now()) / clock.scale))
                delay = until if delay is None else min(delay, until)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):  # not wait_for(): see stop()
                    await wake.wait()
            if pump is not None and not wake.is_set():
                self._look = True  # the poll ran out (or the next delivery is due): read the store
