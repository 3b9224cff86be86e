"""The thin async driver: puts each task's schedule on the scheduler and hands stages to delivery."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .callbacks import MUSIC_POLICY, REPLACE_POLICY, CallbackDispatcher, CallbackPolicy
from .clock import Scheduler
from .faults import CallbackFaults, deliveries
from .lifecycle import Failure, Flow, Stage, Status, Step, Timings, plan, status_after_delivery
from .payloads import callback_payload
from .providers import Profile
from .store import Task

__all__ = ["Driver"]


class Driver:
    """Turns accepted tasks into timed steps; the pure rules live in :mod:`lifecycle`."""

    def __init__(
        self,
        scheduler: Scheduler,
        dispatcher: CallbackDispatcher,
        profile: Profile,
        *,
        timings: Timings,
        callback_timeout_s: float | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.dispatcher = dispatcher
        self.profile = profile
        self.timings = timings
        self._policies = {
            flow: CallbackPolicy(
                timeout_s=callback_timeout_s or base.timeout_s,
                attempts=base.attempts,
                backoff_base_s=profile.callback_backoff_s,
            )
            for flow, base in ((Flow.MUSIC, MUSIC_POLICY), (Flow.REPLACE, REPLACE_POLICY))
        }

    def start(
        self, task: Task, flow: Flow, failure: Failure | None = None, callbacks: CallbackFaults | None = None
    ) -> None:
        """Plan the task from its creation time and schedule each step's callback.

        ``callbacks`` (fault rules) skips, duplicates, delays or reorders deliveries; the
        status the schedule gives at each time is unchanged.
        """
        task.flow = flow.value
        task.schedule = plan(flow, task.created_at, self.timings, failure)
        for at, step in deliveries(task.schedule.steps, callbacks):
            self.scheduler.schedule(at, self._runner(task, flow, step))

    def _runner(self, task: Task, flow: Flow, step: Step) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if not task.callback_url:
                return
            assert task.schedule is not None
            payload = callback_payload(task, flow, step.stage, self.profile, task.schedule.failure)
            on_final = self._on_final(task) if step.stage is Stage.COMPLETE else None
            self.dispatcher.dispatch(
                task.id, step.stage, task.callback_url, payload, policy=self._policies[flow], on_final=on_final
            )

        return run

    def _on_final(self, task: Task) -> Callable[[bool], None]:
        def done(delivered: bool) -> None:
            changed = status_after_delivery(
                Status.SUCCESS,
                Stage.COMPLETE,
                delivered,
                mark_callback_exception=self.profile.mark_callback_exception,
            )
            if changed is not Status.SUCCESS:
                task.status_override = changed.value

        return done
