"""A small Suno client on ``httpx.AsyncClient``: generate a song, poll Get Music Details, replace a section.

``await flow(base_url)`` runs the flow once and returns the replace-section's new task id; it raises
:class:`SunoError` when the API reports a failure. ``bug=True`` adds one realistic bug: the key is
sent as the whole ``Authorization`` header, without the ``Bearer`` scheme.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

FAILED = frozenset({"CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION", "SENSITIVE_WORD_ERROR"})


class SunoError(Exception):
    """The API reported a failure (a body code other than 200, HTTP 500, or a failed task)."""


def _data(answer: httpx.Response) -> Any:
    body = answer.json()
    if answer.status_code != 200 or body.get("code") != 200:
        raise SunoError(f"{body.get('code', answer.status_code)}: {body.get('msg')}")
    return body["data"]


async def flow(base_url: str, *, api_key: str = "test-key", bug: bool = False) -> str:
    auth = api_key if bug else f"Bearer {api_key}"
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": auth}) as http:
        body = {"customMode": False, "instrumental": False, "model": "V5", "prompt": "rain on a tin roof"}
        created = await http.post("/api/v1/generate", json={**body, "callBackUrl": "https://example.com/cb"})
        task_id = _data(created)["taskId"]
        for _ in range(200):
            details = _data(await http.get("/api/v1/generate/record-info", params={"taskId": task_id}))
            if details["status"] == "SUCCESS":
                break
            if details["status"] in FAILED:
                raise SunoError(f"the task ended {details['status']}: {details.get('errorMessage')}")
            await asyncio.sleep(0.01)
        else:
            raise SunoError(f"task {task_id} did not finish")
        track = details["response"]["sunoData"][0]
        section = {
            "taskId": task_id,
            "audioId": track["id"],
            "prompt": "a trumpet solo",
            "tags": "jazz",
            "title": "Rain, with a solo",
            "infillStartS": 10.0,
            "infillEndS": 25.5,
        }
        return str(_data(await http.post("/api/v1/generate/replace-section", json=section))["taskId"])
