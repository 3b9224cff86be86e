"""The state of one mock instance: store, random source, clock and credits."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from typing import Any

from .callbacks import CallbackDispatcher, CallbackJournal
from .clock import ScaledClock, Scheduler, VirtualClock
from .config import Settings
from .driver import Driver
from .envelope import compact_json
from .errors import ApiError, ConfigError
from .faults import TaskFaults
from .ids import RandomSource
from .lifecycle import FAILURE_STATUSES, Failure, Flow, Stage, Status, Timings, status_at
from .payloads import FAILURE_TEXTS
from .providers import Profile
from .store import Splice, Store, Task, Track

__all__ = ["MODEL_NAMES", "MockState"]

#: Model -> Suno internal name shown as ``modelName`` (third-party mapping, unverified).
MODEL_NAMES = {
    "V3_5": "chirp-v3-5",
    "V4": "chirp-v4",
    "V4_5": "chirp-auk",
    "V4_5PLUS": "chirp-bluejay",
    "V4_5ALL": "chirp-auk",
    "V5": "chirp-crow",
    "V5_5": "chirp-fenix",
}

#: Durations of generated tracks are drawn from this range (seconds).
GENERATED_DURATION = (120.0, 240.0)
#: Mock start time of a seeded run: 2026-01-01 00:00:00 UTC.
SEEDED_START = 1767225600.0
#: Callbacks in flight at once.  More only costs: past a few dozen, httpx spends its time on
#: pool bookkeeping and the connections' buffers stay allocated (measured in bench/scale.py).
CALLBACK_CONCURRENCY = 32
#: Strings that tasks repeat (base URL, API key, callback URL, prompt, title...) are kept once:
#: up to this many distinct ones, each at most _SHARED_LENGTH characters.
_SHARED_MAX = 4096
_SHARED_LENGTH = 1024


class MockState:
    """Everything a behaviour may read or change."""

    def __init__(self, profile: Profile, settings: Settings) -> None:
        self.profile = profile
        self.settings = settings
        self.store = Store()
        self.random = RandomSource(settings.seed)
        start = settings.start_time
        if start is None:
            start = SEEDED_START if settings.seed is not None else time.time()
        self.clock = VirtualClock(start) if settings.virtual_clock else ScaledClock(settings.time_scale, start)
        self.scheduler = Scheduler(self.clock)
        self.callbacks = CallbackJournal(settings.journal_size)
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
            self.scheduler, self.dispatcher, profile, timings=Timings(), callback_timeout_s=settings.callback_timeout_s
        )
        #: Set by the app while a behaviour runs: what the fault rules attach to the task it starts.
        self.injected: TaskFaults | None = None
        self._strings: dict[str, str] = {}

    def _shared(self, text: str) -> str:
        """``text``, or an equal string already held by another task (one copy for 100,000 tasks)."""
        if len(text) > _SHARED_LENGTH:
            return text
        found = self._strings.get(text)
        if found is not None:
            return found
        if len(self._strings) < _SHARED_MAX:
            self._strings[text] = text
        return text

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
        self._strings.clear()

    # lifecycle -----------------------------------------------------------------------------
    def status(self, task: Task) -> str:
        """The task's status now: its schedule at the mock time, or its fixed status."""
        if task.status_override is not None:
            return task.status_override
        if task.timeline is None:
            return task.status
        return status_at(task.timeline, self.now(), offset=task.created_at).value

    def failure(self, task: Task) -> tuple[int | None, str | None]:
        """``errorCode`` and ``errorMessage`` as record-info shows them now."""
        status = self.status(task)
        if status not in FAILURE_STATUSES:
            return None, None
        failure = None if task.timeline is None else task.timeline.failure
        if failure is not None:
            return failure.code, failure.message
        return FAILURE_TEXTS[status]

    def expired(self, task: Task) -> bool:
        """Whether the task's files are past the profile's retention."""
        return self.now() - task.created_at > self.profile.retention_days * 86400

    def start(self, task: Task, flow: Flow, failure: Failure | None = None) -> Task:
        """Store the task and put its lifecycle on the clock, with any injected failure and callback faults."""
        self.add(task)
        injected = self.injected
        if injected is None:
            self.driver.start(task, flow, failure)
        else:
            self.driver.start(task, flow, failure or injected.failure, injected.callbacks)
        return task

    @contextlib.contextmanager
    def injecting(self, faults: TaskFaults | None) -> Iterator[None]:
        """Attach ``faults`` to the task started inside the block (behaviours are synchronous)."""
        self.injected = faults
        try:
            yield
        finally:
            self.injected = None

    @staticmethod
    def failure_of(status: str, code: int | None = None, message: str | None = None, stage: str = "first") -> Failure:
        """A failure for ``status`` with the documented code and message unless given."""
        default_code, default_message = FAILURE_TEXTS[status]
        at = Stage.TEXT if status == Status.CREATE_TASK_FAILED else Stage(stage)
        return Failure(Status(status), at, code or default_code, message or default_message)

    # credits -------------------------------------------------------------------------------
    def balance(self, token: str) -> int:
        return self.store.balances.get(token, self.settings.credits)

    def set_balance(self, token: str, amount: int) -> None:
        self.store.balances[token] = amount

    def charge(self, token: str, operation: str) -> None:
        """Draw the cost of one task; the documented 402 when the balance cannot pay it."""
        cost = self.settings.credits_per_task
        balance = self.balance(token)
        if balance < cost:
            raise ApiError(
                402,
                f"Insufficient credits: the balance of this API key is {balance}, {operation} costs {cost}; "
                "top up with POST /_mock/credits or start the mock with --credits N",
            )
        self.store.balances[token] = balance - cost

    # tasks ---------------------------------------------------------------------------------
    def new_track(
        self,
        task_id: str,
        index: int,
        *,
        duration: float,
        title: str = "",
        tags: str = "",
        prompt: str = "",
        model: str = "V4_5",
        splice: Splice | None = None,
    ) -> Track:
        return Track(
            id=self.random.track_id(),
            task_id=task_id,
            index=index,
            title=self._shared(title),
            tags=self._shared(tags),
            prompt=self._shared(prompt),
            model_name=MODEL_NAMES.get(model, "chirp-v3-5"),
            duration=round(duration, 2),
            created_at=self.now(),
            seed=self.random.integer(),
            span=None if splice is None else (splice.source_id, splice.start_s, splice.end_s),
        )

    def generated_duration(self) -> float:
        return round(self.random.uniform(*GENERATED_DURATION), 2)

    def new_task(
        self,
        operation: str,
        *,
        param: dict[str, Any],
        base_url: str,
        token: str | None,
        operation_type: str = "generate",
        parent_music_id: str = "",
    ) -> Task:
        """A task with no tracks yet; the caller adds them and then :meth:`add`."""
        callback_url = param.get("callBackUrl")
        return Task(
            id=self.random.task_id(),
            operation=operation,
            operation_type=operation_type,
            param=self._shared(compact_json(param)),  # record-info's param: compact JSON
            created_at=self.now(),
            tracks=[],
            base_url=self._shared(base_url),
            callback_url=self._shared(callback_url) if isinstance(callback_url, str) else None,
            parent_music_id=parent_music_id,
            token=None if token is None else self._shared(token),
        )

    def add(self, task: Task) -> Task:
        self.store.add(task)
        return task

    def seed_task(
        self,
        durations: Sequence[float] = (180.0, 180.0),
        *,
        base_url: str = "http://testserver",
        title: str = "Seeded track",
        tags: str = "seeded",
        prompt: str = "",
        model: str = "V4_5",
    ) -> Task:
        """A finished music task with one track per duration, as if generated long ago."""
        if not durations:
            raise ApiError(422, "durations: must have at least 1 items (got [])")
        for i, duration in enumerate(durations):
            if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not 0 < duration <= 3600:
                raise ApiError(422, f"durations[{i}]: must be a number of seconds in (0, 3600] (got {duration!r})")
        param = {
            "customMode": True,
            "instrumental": False,
            "model": model,
            "title": title,
            "style": tags,
            "prompt": prompt,
        }
        task = self.new_task("generate-music", param=param, base_url=base_url, token=None)
        task.tracks = [
            self.new_track(task.id, i, duration=d, title=title, tags=tags, prompt=prompt, model=model)
            for i, d in enumerate(durations)
        ]
        return self.add(task)
