"""A small Suno client on ``requests``: generate a song, poll Get Music Details, replace a section.

``flow(base_url)`` runs the flow once and returns the replace-section's new task id; it raises
:class:`SunoError` when the API reports a failure. ``bug=True`` adds one realistic bug: the
replace-section body is built from the generate body, so the section's style goes as ``style``
(Generate Music's name), not ``tags``.
"""

from __future__ import annotations

import time
from typing import Any

import requests

FAILED = frozenset({"CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION", "SENSITIVE_WORD_ERROR"})


class SunoError(Exception):
    """The API reported a failure (a body code other than 200, HTTP 500, or a failed task)."""


def _data(answer: requests.Response) -> Any:
    body = answer.json()
    if answer.status_code != 200 or body.get("code") != 200:
        raise SunoError(f"{body.get('code', answer.status_code)}: {body.get('msg')}")
    return body["data"]


def flow(base_url: str, *, api_key: str = "test-key", bug: bool = False) -> str:
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {api_key}"
        song: dict[str, Any] = {
            "customMode": True,
            "instrumental": True,
            "model": "V4_5",
            "style": "jazz",
            "title": "Rain",
        }
        created = http.post(f"{base_url}/api/v1/generate", json={**song, "callBackUrl": "https://example.com/cb"})
        task_id = _data(created)["taskId"]
        for _ in range(200):
            details = _data(http.get(f"{base_url}/api/v1/generate/record-info", params={"taskId": task_id}))
            if details["status"] == "SUCCESS":
                break
            if details["status"] in FAILED:
                raise SunoError(f"the task ended {details['status']}: {details.get('errorMessage')}")
            time.sleep(0.01)
        else:
            raise SunoError(f"task {task_id} did not finish")
        track = details["response"]["sunoData"][0]
        style = {"style": song["style"]} if bug else {"tags": song["style"]}
        section = {
            "taskId": task_id,
            "audioId": track["id"],
            "prompt": "a trumpet solo",
            **style,
            "title": "Rain, with a solo",
            "infillStartS": 10.0,
            "infillEndS": 25.5,
        }
        answer = http.post(f"{base_url}/api/v1/generate/replace-section", json=section)
        return str(_data(answer)["taskId"])
