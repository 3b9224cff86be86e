"""Two example Suno API clients for the client-kit tests (test-only code).

:class:`CorrectClient` / :class:`AsyncCorrectClient` follow the documents: Bearer auth on every
call, the outcome read from body ``code`` (HTTP 200 carries failures), 2-decimal numbers, the
provider's track selector, camelCase record-info, both ``createTime`` formats, polling that stops
on every terminal state.

:class:`SloppyClient` makes the mistakes real clients make; each one is caught by the kit:

1. ``infillStartS`` sent as a string                       -> router (field, value, rule)
2. ``infillEndS`` sent with 3 decimals                     -> router
3. no ``Authorization`` header on Get Music Details        -> router
4. body ``code`` ignored: 402/429/... taken for success    -> ready check (took failure for success)
5. polls until SUCCESS only, so a failed task never ends   -> ready check (hung)
6. ``createTime`` parsed as a string only (crashes on int) -> ready check (crashed), strategies
7. record-info read in snake_case (``audio_url``)          -> strategies (property test)
8. ``audioId`` sent to api.box (it wants ``musicIndex``)  -> router
9. callback handler assumes ``data.data`` is a list       -> strategies (callback_payloads)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import httpx

FAILED_STATES = frozenset({"CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION", "SENSITIVE_WORD_ERROR"})
CREDIT_PATHS = {"kie": "/api/v1/chat/credit", "apikley": "/api/v1/chat/credit"}


class SunoError(Exception):
    """The API answered a failure ``code`` (or HTTP 500)."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg


class TaskFailed(SunoError):
    """The task ended in a failure state."""


class PollTimeout(Exception):
    """The task did not finish within the allowed polls."""


@dataclass(frozen=True)
class Track:
    """One finished track."""

    id: str
    audio_url: str
    duration: float
    created: dt.datetime


def parse_create_time(value: str | int) -> dt.datetime:
    """``createTime`` is documented as "YYYY-MM-DD HH:MM:SS"; real callbacks send epoch ms."""
    if isinstance(value, int):
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
    return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)


def parse_tracks(details: dict[str, Any]) -> list[Track]:
    """The finished tracks of a record-info ``data`` (camelCase, as documented)."""
    tracks = []
    for item in details["response"]["sunoData"]:
        if item["audioUrl"] and item["duration"] is not None:
            tracks.append(
                Track(item["id"], item["audioUrl"], float(item["duration"]), parse_create_time(item["createTime"]))
            )
    return tracks


def handle_callback(payload: dict[str, Any]) -> list[str]:
    """A callback receiver: the audio URLs delivered so far (raises SunoError on an error stage)."""
    inner = payload["data"]
    if payload["code"] != 200 or inner["callbackType"] == "error":
        raise SunoError(payload["code"], str(inner.get("error") or payload["msg"]))
    return [t["audio_url"] for t in inner.get("data") or [] if t["audio_url"]]


def _envelope(response: httpx.Response) -> Any:
    if response.status_code >= 500:
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        raise SunoError(int(body.get("code", response.status_code)), str(body.get("msg", "server error")))
    body = response.json()
    if body["code"] != 200:
        raise SunoError(body["code"], body["msg"])
    return body["data"]


class CorrectClient:
    """A client that follows the documents (sync httpx)."""

    def __init__(
        self,
        api_key: str,
        base_url: str = "https://api.kie.ai",
        *,
        provider: str = "kie",
        poll_interval: float = 0.0,
        max_polls: int = 20,
    ) -> None:
        self.provider = provider
        self.poll_interval = poll_interval
        self.max_polls = max_polls
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {api_key}"})

    def generate(self, prompt: str, callback_url: str = "https://example.com/suno-callback") -> str:
        body = {
            "customMode": False,
            "instrumental": False,
            "model": "V4_5",
            "prompt": prompt,
            "callBackUrl": callback_url,
        }
        return str(_envelope(self.http.post("/api/v1/generate", json=body))["taskId"])

    def details(self, task_id: str) -> dict[str, Any]:
        data: dict[str, Any] = _envelope(self.http.get("/api/v1/generate/record-info", params={"taskId": task_id}))
        return data

    def wait(self, task_id: str) -> list[Track]:
        for _ in range(self.max_polls):
            details = self.details(task_id)
            if details["status"] == "SUCCESS":
                return parse_tracks(details)
            if details["status"] in FAILED_STATES:
                raise TaskFailed(details["errorCode"] or 0, details["errorMessage"] or details["status"])
            time.sleep(self.poll_interval)
        raise PollTimeout(f"task {task_id} not finished after {self.max_polls} polls")

    def replace_section(self, task_id: str, track: str | int, start: float, end: float, prompt: str) -> str:
        selector = {"musicIndex": int(track)} if self.provider == "apibox" else {"audioId": str(track)}
        body = {
            "taskId": task_id,
            **selector,
            "prompt": prompt,
            "tags": "jazz",
            "title": "Edited",
            "infillStartS": round(float(start), 2),
            "infillEndS": round(float(end), 2),
        }
        return str(_envelope(self.http.post("/api/v1/generate/replace-section", json=body))["taskId"])

    def credits(self) -> int:
        return int(_envelope(self.http.get(CREDIT_PATHS.get(self.provider, "/api/v1/generate/credit"))))


class AsyncCorrectClient:
    """The correct client on ``httpx.AsyncClient``."""

    def __init__(self, api_key: str, base_url: str = "https://api.kie.ai", *, max_polls: int = 20) -> None:
        self.max_polls = max_polls
        self.http = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {api_key}"})

    async def generate(self, prompt: str) -> str:
        body = {
            "customMode": False,
            "instrumental": False,
            "model": "V5",
            "prompt": prompt,
            "callBackUrl": "https://example.com/cb",
        }
        return str(_envelope(await self.http.post("/api/v1/generate", json=body))["taskId"])

    async def wait(self, task_id: str) -> list[Track]:
        for _ in range(self.max_polls):
            details = _envelope(await self.http.get("/api/v1/generate/record-info", params={"taskId": task_id}))
            if details["status"] == "SUCCESS":
                return parse_tracks(details)
            if details["status"] in FAILED_STATES:
                raise TaskFailed(details["errorCode"] or 0, details["errorMessage"] or details["status"])
            await asyncio.sleep(0)
        raise PollTimeout(f"task {task_id} not finished after {self.max_polls} polls")


# ------------------------------------------------------------------------------------------------
# The sloppy client
# ------------------------------------------------------------------------------------------------


def sloppy_parse_tracks(details: dict[str, Any]) -> list[Track]:
    """Mistakes 6 and 7: snake_case keys and a string-only createTime."""
    return [
        Track(
            item.get("id", ""),
            item.get("audio_url") or "",  # mistake 7: record-info is camelCase (audioUrl)
            float(item.get("duration") or 0),
            dt.datetime.strptime(item["createTime"], "%Y-%m-%d %H:%M:%S"),  # mistake 6: crashes on epoch ms
        )
        for item in details["response"]["sunoData"]
    ]


def sloppy_handle_callback(payload: dict[str, Any]) -> list[str]:
    """Mistake 9: ``data.data`` may be null (text stage, error callbacks) or absent."""
    return [t["audio_url"] for t in payload["data"]["data"]]


class SloppyClient:
    """A client with the usual mistakes (see the module docstring)."""

    def __init__(self, api_key: str, base_url: str = "https://api.kie.ai", *, provider: str = "kie") -> None:
        self.api_key = api_key
        self.provider = provider
        self.http = httpx.Client(base_url=base_url)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def generate(self, prompt: str) -> str:
        body = {
            "customMode": False,
            "instrumental": False,
            "model": "V4_5",
            "prompt": prompt,
            "callBackUrl": "https://example.com/cb",
        }
        answer = self.http.post("/api/v1/generate", json=body, headers=self._auth()).json()
        return str((answer.get("data") or {}).get("taskId", ""))  # mistake 4: code never checked

    def details(self, task_id: str) -> dict[str, Any]:
        # mistake 3: no Authorization header here
        data: dict[str, Any] = self.http.get("/api/v1/generate/record-info", params={"taskId": task_id}).json()["data"]
        return data

    def wait(self, task_id: str) -> list[Track]:
        while True:  # mistake 5: only SUCCESS ends the loop
            details = self.details(task_id)
            if details and details.get("status") == "SUCCESS":
                return sloppy_parse_tracks(details)

    def replace_section(self, task_id: str, audio_id: str, start: float, end: float, prompt: str) -> str:
        body = {
            "taskId": task_id,
            "audioId": audio_id,  # mistake 8 on api.box, which selects the track with musicIndex
            "prompt": prompt,
            "tags": "jazz",
            "title": "Edited",
            "infillStartS": str(start),  # mistake 1: a string
            "infillEndS": end,  # mistake 2: not rounded to 2 decimals
        }
        answer = self.http.post("/api/v1/generate/replace-section", json=body, headers=self._auth()).json()
        return str((answer.get("data") or {}).get("taskId", ""))


def correct_flow(base_url: str) -> list[Track]:
    """Ready-check flow of the correct client: generate, then wait for the tracks."""
    client = CorrectClient("test-key", base_url)
    return client.wait(client.generate("neon rain on the harbour"))


async def async_correct_flow(base_url: str) -> list[Track]:
    """The same flow on the async client."""
    client = AsyncCorrectClient("test-key", base_url)
    async with client.http:
        return await client.wait(await client.generate("neon rain on the harbour"))


def sloppy_flow(base_url: str) -> list[Track]:
    """Ready-check flow of the sloppy client."""
    client = SloppyClient("test-key", base_url)
    return client.wait(client.generate("neon rain on the harbour"))
