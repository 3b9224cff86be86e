"""The state of one mock instance: store, random source, clock and credits."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from .config import Settings
from .errors import ApiError
from .ids import RandomSource
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


class MockState:
    """Everything a behaviour may read or change."""

    def __init__(self, profile: Profile, settings: Settings) -> None:
        self.profile = profile
        self.settings = settings
        self.store = Store()
        self.random = RandomSource(settings.seed)

    def now(self) -> float:
        """Mock time in unix seconds."""
        return time.time()

    def reset(self) -> None:
        """Forget every task, track and balance; restart the random sequence."""
        self.store.clear()
        self.random.reset()

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
            title=title,
            tags=tags,
            prompt=prompt,
            model_name=MODEL_NAMES.get(model, "chirp-v3-5"),
            duration=round(duration, 2),
            created_at=self.now(),
            seed=self.random.integer(),
            splice=splice,
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
        return Task(
            id=self.random.task_id(),
            operation=operation,
            operation_type=operation_type,
            param=json.dumps(param, ensure_ascii=False, separators=(",", ":")),
            created_at=self.now(),
            tracks=[],
            base_url=base_url,
            callback_url=param.get("callBackUrl") if isinstance(param.get("callBackUrl"), str) else None,
            parent_music_id=parent_music_id,
            token=token,
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
