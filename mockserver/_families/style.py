"""Boost Music Style (synchronous): a richer style description, returned inline."""

from __future__ import annotations

from typing import Any

from .._behaviour import Call
from .._envelope import compact_json
from .._views import create_time

__all__ = ["BEHAVIOURS"]

#: Credits one boost costs (the documented field holds at most 2 decimals).
BOOST_COST = 0.4
_TEXTURES = ("warm analog textures", "crisp modern production", "wide stereo field", "punchy low end")
_MOODS = ("uplifting", "moody", "dreamy", "driving")


def boost_style(call: Call) -> dict[str, Any]:
    tasks, body = call.tasks, call.body
    content = str(body["content"]).strip()
    pick = sum(map(ord, content))
    result = f"{content}, {_MOODS[pick % len(_MOODS)]}, {_TEXTURES[pick % len(_TEXTURES)]}"
    call.credits.charge(call.token, "boost-music-style")
    return {
        "taskId": tasks.random.task_id(),
        "param": compact_json(body),
        "result": result,
        "creditsConsumed": BOOST_COST,
        "creditsRemaining": call.credits.balance(call.token),
        "successFlag": "1",
        "errorCode": None,
        "errorMessage": None,
        "createTime": create_time(call.profile, tasks.now()),
    }


BEHAVIOURS = {"boost-music-style": boost_style}
