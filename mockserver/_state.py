"""The composition root of one mock instance: it builds the clock, scheduler, delivery, driver and services.

It holds no behaviour of its own: tasks live in :class:`~mockserver._tasks.Tasks`, balances in
:class:`~mockserver._credits.Credits`, and everything about a kind of task in its
:class:`~mockserver._kind.JobKind` (registered in :mod:`mockserver._families`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping
from typing import Any

from ._callback_journal import CallbackJournal
from ._callbacks import CallbackDispatcher
from ._clock import ScaledClock, SharedScaledClock, SharedVirtualClock, VirtualClock
from ._config import Settings
from ._credits import Credits
from ._driver import Driver
from ._errors import ConfigError
from ._ids import RandomSource
from ._journal import RequestJournal
from ._kind import JobKind, Payload
from ._lifecycle import Failure, Stage
from ._providers import Profile
from ._scheduler import Scheduler
from ._store import StateStore, Task
from ._stores import open_store, store_url
from ._tasks import Tasks

__all__ = ["MockState"]

#: Mock start time of a seeded run: 2026-01-01 00:00:00 UTC.
SEEDED_START = 1767225600.0
#: Callbacks in flight at once.  More only costs: past a few dozen, httpx spends its time on
#: pool bookkeeping and the connections' buffers stay allocated (measured in bench/scale.py).
CALLBACK_CONCURRENCY = 32


def _market_payload(task: Task, kind: JobKind) -> Payload | None:
    """kie Market jobs with record callbacks: the recordInfo data, on completion or failure only."""
    if task.market is None:
        return None
    from ._families.market import is_record_callback, market_payload

    def build(task: Task, stage: Stage, failure: Failure | None, profile: Profile) -> dict[str, Any] | None:
        if not is_record_callback(task, profile):
            return kind.payload(task, stage, failure, profile)
        if stage not in (Stage.COMPLETE, Stage.ERROR):
            return None
        return market_payload(task, stage, failure, profile, kind)

    return build


class MockState:
    """The parts of one mock instance, wired together."""

    def __init__(self, profile: Profile, settings: Settings, kinds: Mapping[str, JobKind] | None = None) -> None:
        if kinds is None:
            from ._families import KINDS

            kinds = KINDS
        self.profile = profile
        self.settings = settings
        self.kinds = kinds
        given = settings.store
        self.store: StateStore = (
            given if given is not None and not isinstance(given, str) else open_store(store_url(given), profile.name)
        )
        shared = self.store.shared
        self.random = RandomSource(settings.seed)
        start = settings.start_time
        if start is None:
            start = SEEDED_START if settings.seed is not None else time.time()
        self.clock: ScaledClock | VirtualClock
        if shared is None:
            self.clock = VirtualClock(start) if settings.virtual_clock else ScaledClock(settings.time_scale, start)
        else:
            self.clock = (
                SharedVirtualClock(shared, start)
                if settings.virtual_clock
                else SharedScaledClock(shared, settings.time_scale, start)
            )
            if settings.seed is not None:
                # ids must not repeat the ones a restarted (or another) process made from the same seed
                mixed = hashlib.sha256(f"{settings.seed}:{secrets.token_hex(8)}".encode()).digest()
                self.random = RandomSource(int.from_bytes(mixed[:8], "big"))
        self.scheduler = Scheduler(self.clock)
        self.scheduler.poll_s = settings.store_poll_s
        if shared is not None and isinstance(self.clock, ScaledClock) and hasattr(self.store, "ttl_s"):
            # a store that expires keys itself (Redis): retention and grace, in real seconds
            kept = profile.retention_days * 86400 + settings.retention_grace_s
            self.store.ttl_s = kept / settings.time_scale + 60
        if shared is None:
            self.callbacks = CallbackJournal(settings.journal_size)
        else:
            from ._stores.journals import SharedCallbackJournal

            self.callbacks = SharedCallbackJournal(shared, settings.journal_size)
        if settings.webhook_key is not None and not profile.webhook_signing:
            raise ConfigError(
                f"webhook_key is set but {profile.name} documents no webhook signing; "
                "drop the key, or sign anyway with --set webhook_signing=true"
            )
        self.dispatcher = CallbackDispatcher(
            self.scheduler,
            self.callbacks,
            allow=settings.callback_allow,
            signing_key=settings.webhook_key,
            max_concurrency=CALLBACK_CONCURRENCY,
        )
        self.driver = Driver(
            self.scheduler,
            self.dispatcher,
            profile,
            kinds,
            callback_timeout_s=settings.callback_timeout_s,
            payload_for=_market_payload,
            store=self.store,
        )
        self.tasks = Tasks(
            self.store,
            self.random,
            self.clock.now,
            profile,
            kinds,
            self.driver.start,
            max_tasks=settings.max_tasks,
            grace_s=settings.retention_grace_s,
        )
        self.credits = Credits(self.store, settings.credits, settings.credits_per_task)

    def request_journal(self) -> RequestJournal:
        """The request journal: this process's, or the one every process on a shared store writes."""
        shared = self.store.shared
        if shared is None:
            return RequestJournal(self.settings.journal_size)
        from ._stores.journals import SharedRequestJournal

        return SharedRequestJournal(shared, self.settings.journal_size)

    def close(self) -> None:
        """Give back this process's delivery leases and close the store."""
        shared = self.store.shared
        if shared is not None:
            shared.release(self.driver.owner)
        self.store.close()

    def now(self) -> float:
        """Mock time in unix seconds."""
        return self.clock.now()

    def reset(self) -> None:
        """Forget every task, track, balance, callback and background error; restart the random sequence."""
        self.scheduler.cancel_pending()
        self.scheduler.errors.clear()
        self.store.clear()
        self.callbacks.clear()
        self.random.reset()
        self.tasks.clear()
