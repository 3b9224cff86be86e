"""A small Suno client on ``aiohttp``: generate a song, poll Get Music Details until it is finished.

Run as a program (``python tests/clients/aiohttp_client.py [BUG]``): the base URL and key come from
``SUNO_BASE_URL`` and ``SUNO_API_KEY``; it exits 0 on success, 2 when the API reported a failure
(``suno-contract client``'s protocol). The router cannot see aiohttp (it intercepts httpx and
``requests``), so ``suno-contract client -- python tests/clients/aiohttp_client.py`` is its tool.

``BUG`` = ``http-status-only`` adds one realistic bug: the session is made with
``raise_for_status=True`` and the client trusts it, reading ``data`` without checking the body's
``code``, so a failure the API reports in an HTTP 200 answer (402 no credits, 429, 455, ...) is read
as if it were data.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import aiohttp

RUNNING = frozenset({"PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS"})
POLL_S = 0.05
POLLS = 400


class SunoError(Exception):
    """The API reported a failure (a body code other than 200, an HTTP error, or a failed task)."""


class Client:
    def __init__(self, session: aiohttp.ClientSession, *, bug: str = "") -> None:
        self.session = session
        self.bug = bug

    async def _data(self, answer: aiohttp.ClientResponse) -> Any:
        if self.bug == "http-status-only":
            return (await answer.json())["data"]  # the session raised on HTTP errors; the body's code is not read
        try:
            body = await answer.json(content_type=None)
        except ValueError:
            raise SunoError(f"HTTP {answer.status} without a JSON body") from None
        if answer.status != 200 or not isinstance(body, dict) or body.get("code") != 200:
            code = body.get("code", answer.status) if isinstance(body, dict) else answer.status
            raise SunoError(f"code {code}: {body.get('msg') if isinstance(body, dict) else body}")
        return body["data"]

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.session.post(path, json=body) as answer:
            return await self._data(answer)

    async def wait(self, task_id: str) -> dict[str, Any]:
        for _ in range(POLLS):
            async with self.session.get("/api/v1/generate/record-info", params={"taskId": task_id}) as answer:
                data: dict[str, Any] = await self._data(answer)
            if data["status"] == "SUCCESS":
                return data
            if data["status"] not in RUNNING:
                raise SunoError(f"the task ended {data['status']}: {data.get('errorMessage')}")
            await asyncio.sleep(POLL_S)
        raise SunoError(f"task {task_id} did not finish")


async def flow(base_url: str, api_key: str, bug: str = "") -> list[str]:
    headers = {"Authorization": f"Bearer {api_key}"}
    async with aiohttp.ClientSession(base_url, headers=headers, raise_for_status=bug == "http-status-only") as session:
        client = Client(session, bug=bug)
        song = {
            "customMode": False,
            "instrumental": False,
            "model": "V4_5",
            "prompt": "rain on a tin roof",
            "callBackUrl": "http://127.0.0.1:9/callback",
        }
        task_id = (await client.post("/api/v1/generate", song))["taskId"]
        finished = await client.wait(task_id)
        return [str(track["audioUrl"]) for track in finished["response"]["sunoData"]]


def main() -> int:
    bug = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        urls = asyncio.run(flow(os.environ["SUNO_BASE_URL"], os.environ["SUNO_API_KEY"], bug))
    except (SunoError, aiohttp.ClientResponseError) as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 2
    print("\n".join(urls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
