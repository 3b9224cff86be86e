"""The thin async driver: puts each task's schedule on the scheduler and hands stages to delivery."""

from __future__ import annotations

from collections.abc import Callable

from .callbacks import MUSIC_POLICY, REPLACE_POLICY, CallbackDispatcher, CallbackPolicy
from .clock import Scheduler
from .faults import CallbackFaults, deliveries
from .lifecycle import Failure, Flow, Schedule, Stage, Status, Timings, plan, shift, status_after_delivery
from .payloads import callback_payload
from .providers import Profile
from .store import Task

__all__ = ["Driver"]

#: Distinct (flow, failure, timings) templates kept; past this, tasks get their own.
_TEMPLATES_MAX = 256


class Driver:
    """Turns accepted tasks into timed steps; the pure rules live in :mod:`lifecycle`.

    A task's steps are planned once per flow, failure and timings (a template at mock time
    0.0, shared by every such task), and each delivery is one scheduler entry that names the
    task and the stage: no closure, handle or schedule object is kept per task.
    """

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
        self._templates: dict[tuple[Flow, Failure | None, Timings], Schedule] = {}
        self._run_stage = self._deliver  # one bound method for every scheduled stage

    def template(self, flow: Flow, failure: Failure | None = None) -> Schedule:
        """The schedule of a task of ``flow`` created at mock time 0.0 (shared; see :func:`lifecycle.shift`)."""
        key = (flow, failure, self.timings)
        found = self._templates.get(key)
        if found is None:
            found = plan(flow, 0.0, self.timings, failure)
            if len(self._templates) < _TEMPLATES_MAX:
                self._templates[key] = found
        return found

    def start(
        self, task: Task, flow: Flow, failure: Failure | None = None, callbacks: CallbackFaults | None = None
    ) -> None:
        """Plan the task from its creation time and schedule each step's callback.

        ``callbacks`` (fault rules) skips, duplicates, delays or reorders deliveries; the
        status the schedule gives at each time is unchanged.
        """
        task.flow = flow.value
        task.timeline = template = self.template(flow, failure)
        created_at = task.created_at
        if not callbacks:
            for step in template.steps:  # plan() times: created_at + offset
                self.scheduler.call_at(created_at + step.at, self._run_stage, task, step.stage)
            return
        for at, step in deliveries(shift(template, created_at).steps, callbacks):
            self.scheduler.call_at(at, self._run_stage, task, step.stage)

    def _deliver(self, task: Task, stage: Stage) -> None:
        """Hand the ``stage`` callback of ``task`` to delivery (scheduled at the stage's delivery time)."""
        timeline = task.timeline
        if not task.callback_url or timeline is None:
            return
        flow = timeline.flow
        payload = callback_payload(task, flow, stage, self.profile, timeline.failure)
        on_final = self._on_final(task) if stage is Stage.COMPLETE else None
        self.dispatcher.dispatch(
            task.id, stage, task.callback_url, payload, policy=self._policies[flow], on_final=on_final
        )

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
