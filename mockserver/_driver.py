"""The thin async driver: puts each task's schedule on the scheduler and hands stages to delivery.

It reads everything about a task's kind off its :class:`~mockserver._kind.JobKind`: the
stages, the delivery policy and the callback payload builder.  Nothing here names a kind.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Callable, Mapping

from ._callbacks import CallbackDispatcher, CallbackPolicy
from ._events import Events
from ._faults import CallbackFaults, deliveries
from ._kind import JobKind, Payload
from ._lifecycle import Failure, Schedule, Stage, plan, shift, status_after_delivery
from ._providers import Profile
from ._scheduler import Scheduler
from ._store import Due, StateStore, Task

__all__ = ["Driver"]

#: Distinct (kind, failure) templates kept; past this, tasks get their own.
_TEMPLATES_MAX = 256
#: Deliveries one process claims from a shared store at a time.
CLAIM_BATCH = 32
#: Real seconds a claimed delivery stays this process's beyond its receiver timeout; a process that
#: dies holding it loses it after that, and another process delivers it.
LEASE_MARGIN_S = 2.0


class Driver:
    """Turns accepted tasks into timed steps; the pure rules live in :mod:`lifecycle`.

    A task's steps are planned once per kind and failure (a template at mock time 0.0,
    shared by every such task), and each delivery is one scheduler entry that names the
    task and the stage: no closure, handle or schedule object is kept per task.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        dispatcher: CallbackDispatcher,
        profile: Profile,
        kinds: Mapping[str, JobKind],
        *,
        callback_timeout_s: float | None = None,
        payload_for: Callable[[Task, JobKind], Payload | None] | None = None,
        store: StateStore | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.dispatcher = dispatcher
        self.profile = profile
        self.kinds = kinds
        self._policies = {
            name: CallbackPolicy(
                timeout_s=callback_timeout_s or kind.callback_timeout_s,
                attempts=kind.callback_attempts,
                backoff_base_s=profile.callback_backoff_s,
            )
            for name, kind in kinds.items()
        }
        self._templates: dict[tuple[str, Failure | None], Schedule] = {}
        self._run_stage = self._deliver  # one bound method for every scheduled stage
        #: Another payload builder for some tasks (kie Market jobs' record callbacks); None: the kind's.
        self._payload_for = payload_for
        #: Stage reached events (see :mod:`mockserver._events`); the app shares its hub.
        self.events = Events()
        #: A store shared by restarts or processes keeps the pending deliveries (None: the scheduler's heap).
        self._store = store
        self._shared = None if store is None else store.shared
        #: Who holds a lease: host, process and a random part (a restarted process is someone else).
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        timeouts = [policy.timeout_s for policy in self._policies.values()] or [15.0]
        self._lease_s = 2 * max(timeouts) + LEASE_MARGIN_S
        if self._shared is not None:
            scheduler.pump = self

    def policy(self, kind: str) -> CallbackPolicy:
        """How callbacks of ``kind`` are delivered."""
        return self._policies[kind]

    def template(self, kind: JobKind, failure: Failure | None = None) -> Schedule:
        """The schedule of a task of ``kind`` created at mock time 0.0 (shared; see :func:`lifecycle.shift`)."""
        key = (kind.name, failure)
        found = self._templates.get(key)
        if found is None:
            found = plan(kind.lifecycle, 0.0, failure)
            if len(self._templates) < _TEMPLATES_MAX:
                self._templates[key] = found
        return found

    def start(
        self, task: Task, kind: JobKind, failure: Failure | None = None, callbacks: CallbackFaults | None = None
    ) -> None:
        """Plan the task from its creation time and schedule each step's callback.

        ``callbacks`` (fault rules) skips, duplicates, delays or reorders deliveries; the
        status the schedule gives at each time is unchanged.
        """
        task.kind = kind.name
        task.timeline = template = self.template(kind, failure)
        created_at = task.created_at
        if self._shared is not None:
            self._keep(task, template, callbacks)
            return
        if not callbacks:
            for step in template.steps:  # plan() times: created_at + offset
                if step.stage is not None:
                    self.scheduler.call_at(created_at + step.at, self._run_stage, task, step.stage)
            return
        steps = tuple(step for step in shift(template, created_at).steps if step.stage is not None)
        for at, step in deliveries(steps, callbacks):
            self.scheduler.call_at(at, self._run_stage, task, step.stage)

    def _keep(self, task: Task, template: Schedule, callbacks: CallbackFaults | None) -> None:
        """Keep the task's deliveries in the shared store, where any process claims them when due."""
        assert self._shared is not None
        if not task.callback_url:
            return
        steps = tuple(step for step in shift(template, task.created_at).steps if step.stage is not None)
        timed = deliveries(steps, callbacks) if callbacks else ((step.at, step) for step in steps)
        for at, step in timed:
            assert step.stage is not None
            self._shared.schedule(task.id, step.stage.value, at)

    # deliveries from a shared store (the scheduler's Pump) -----------------------------------------
    async def next_due(self) -> float | None:
        assert self._shared is not None
        return await self._shared.next_due()

    async def pump(self) -> int:
        """Claim what is due now (under a lease) and deliver it; how many were claimed."""
        assert self._shared is not None
        now = self.scheduler.clock.now()
        first = await self._shared.next_due()  # a read: an idle store is not written at every look
        if first is None or first > now:
            return 0
        claimed = await self._shared.claim(now, self.owner, self._lease_s, CLAIM_BATCH)
        # started in due order: attempts of one task queue in that order (CallbackDispatcher._in_order)
        await asyncio.gather(*(self._deliver_due(due) for due in claimed))
        return len(claimed)

    async def watch(self, changed: Callable[[str], None]) -> None:
        """The store's news (deliveries added, clock moved), for the scheduler's loop."""
        assert self._shared is not None
        await self._shared.watch(changed)

    async def _deliver_due(self, due: Due) -> None:
        shared, store = self._shared, self._store
        assert shared is not None and store is not None
        task = store.tasks.get(due.task_id)
        if task is None or not task.callback_url or task.timeline is None:
            await shared.done(due)
            return
        stage = Stage(due.stage)
        kind = self.kinds[task.kind]
        if due.attempt > self._policies[kind.name].attempts:  # the last attempt died with its process
            await shared.done(due)
            return
        build = kind.payload if self._payload_for is None else (self._payload_for(task, kind) or kind.payload)
        payload = build(task, stage, task.timeline.failure, self.profile)
        if payload is None:
            await shared.done(due)
            return
        policy = self._policies[kind.name]
        delivered, final = await self.dispatcher.attempt(
            task.id, stage, task.callback_url, payload, policy=policy, number=due.attempt
        )
        if not final:
            await shared.retry(due, self.scheduler.clock.now() + policy.backoff(due.attempt))
            return
        await shared.done(due)
        if stage is Stage.COMPLETE:
            self._on_final(task, kind)(delivered)
            store.save(task)

    def _deliver(self, task: Task, stage: Stage) -> None:
        """Hand the ``stage`` callback of ``task`` to delivery (scheduled at the stage's delivery time)."""
        timeline = task.timeline
        if self.events.listeners:
            self._reached(task, stage)
        if not task.callback_url or timeline is None:
            return
        kind = self.kinds[task.kind]
        build = kind.payload if self._payload_for is None else (self._payload_for(task, kind) or kind.payload)
        payload = build(task, stage, timeline.failure, self.profile)
        if payload is None:
            return  # this view sends no callback at this stage
        on_final = self._on_final(task, kind) if stage is Stage.COMPLETE else None
        self.dispatcher.dispatch(
            task.id, stage, task.callback_url, payload, policy=self._policies[kind.name], on_final=on_final
        )

    def _reached(self, task: Task, stage: Stage) -> None:
        status = next((s.status for s in task.timeline.steps if s.stage is stage), None) if task.timeline else None
        self.events.emit(
            "stage", self.scheduler.clock.now(), task_id=task.id, kind=task.kind, stage=stage.value, status=status
        )

    def _on_final(self, task: Task, kind: JobKind) -> Callable[[bool], None]:
        lifecycle = kind.lifecycle

        def done(delivered: bool) -> None:
            changed = status_after_delivery(
                lifecycle,
                lifecycle.success,
                Stage.COMPLETE,
                delivered,
                mark_callback_exception=self.profile.mark_callback_exception,
            )
            if changed != lifecycle.success:
                task.status_override = changed

        return done
