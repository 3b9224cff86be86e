"""File build times per artifact through the served media routes, first (uncached) and cached.

One ``suno-mock serve --virtual-clock --seed 1`` process. For each repetition and artifact a
fresh finished music task with one track of ``track_s`` seconds is seeded (``POST /_mock/tasks``),
so no artifact reuses another's work; the job that makes the artifact is created through the
API, the clock is advanced (``POST /_mock/clock/advance``), its details must show success, and
then each of its files is fetched twice from ``/_mock/files/{task}/{name}`` with a keep-alive
``httpx.Client``: the first request builds the file (``JobKind.files`` in the thread pool), the
second is answered from the mock's cache of the last 8 task files. Times are the client's wall
time for the whole answer (its body read over loopback) and summed over an artifact's files.

MIDI has no served file (no ``.mid`` route; the notes are ``midiData`` in the details), so its
row times ``GET /api/v1/midi/record-info`` twice, which transcribes the track on every call.
Callbacks go to a port nothing listens on; on the virtual clock their retries never fall due.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bench.processes import Served, wait_until_answering
from bench.served import AUTH, mock_command

__all__ = ["ARTIFACTS", "FileResult", "run_files"]

NOWHERE = "http://127.0.0.1:9/callback"


@dataclass(frozen=True)
class FileResult:
    """One artifact: its files, their size, and the medians over repetitions of the summed times."""

    artifact: str
    files: int
    bytes: int
    first_ms: float
    cached_ms: float
    first_per_file_ms: float
    reps: int


class _Mock:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def ok(self, answer: httpx.Response, what: str) -> dict[str, Any]:
        body: dict[str, Any] = answer.json()
        if body.get("code") != 200:
            raise RuntimeError(f"{what} answered {body}")
        data: dict[str, Any] = body["data"]
        return data

    def track(self, seconds: float) -> tuple[str, str]:
        data = self.ok(self.client.post("/_mock/tasks", json={"durations": [seconds]}), "POST /_mock/tasks")
        return data["taskId"], data["tracks"][0]["id"]

    def create(self, path: str, body: dict[str, Any]) -> str:
        task_id: str = self.ok(self.client.post(path, json={**body, "callBackUrl": NOWHERE}), path)["taskId"]
        return task_id

    def advance(self, seconds: float) -> None:
        self.ok(self.client.post("/_mock/clock/advance", json={"seconds": seconds}), "POST /_mock/clock/advance")

    def details(self, path: str, task_id: str, flag: object) -> dict[str, Any]:
        data = self.ok(self.client.get(path, params={"taskId": task_id}), path)
        if data["successFlag"] != flag:
            raise RuntimeError(f"{path}?taskId={task_id}: successFlag {data['successFlag']!r}, not {flag!r}")
        return data


def _timed_get(client: httpx.Client, url: str) -> tuple[float, int]:
    began = time.perf_counter()
    answer = client.get(url)
    elapsed = (time.perf_counter() - began) * 1000
    if answer.status_code != 200 or not answer.content:
        raise RuntimeError(f"GET {url}: {answer.status_code} {answer.text[:200]}")
    return elapsed, len(answer.content)


# each artifact: make its task on a fresh track and return the URLs to fetch ------------------------------
Make = Callable[[_Mock, float], list[str]]


def _track_audio(mock: _Mock, seconds: float) -> list[str]:
    _, track = mock.track(seconds)
    return [f"/_mock/files/{track}.{_ext()}"]


def _ext() -> str:
    from mockserver._views import AUDIO_EXTENSION

    return AUDIO_EXTENSION


def _wav(mock: _Mock, seconds: float) -> list[str]:
    music, track = mock.track(seconds)
    task_id = mock.create("/api/v1/wav/generate", {"taskId": music, "audioId": track})
    mock.advance(120)
    return [mock.details("/api/v1/wav/record-info", task_id, "SUCCESS")["response"]["audioWavUrl"]]


def _stems(kind: str, count: int) -> Make:
    def make(mock: _Mock, seconds: float) -> list[str]:
        music, track = mock.track(seconds)
        task_id = mock.create("/api/v1/vocal-removal/generate", {"taskId": music, "audioId": track, "type": kind})
        mock.advance(120)
        response = mock.details("/api/v1/vocal-removal/record-info", task_id, "SUCCESS")["response"]
        urls = [url for key, url in response.items() if key != "originUrl" and isinstance(url, str)]
        if len(urls) != count:
            raise RuntimeError(f"{kind}: {len(urls)} stems, not {count}")
        return urls

    return make


def _video(mock: _Mock, seconds: float) -> list[str]:
    music, track = mock.track(seconds)
    task_id = mock.create("/api/v1/mp4/generate", {"taskId": music, "audioId": track, "author": "Ann"})
    mock.advance(120)
    return [mock.details("/api/v1/mp4/record-info", task_id, "SUCCESS")["response"]["videoUrl"]]


def _covers(mock: _Mock, seconds: float) -> list[str]:
    music, _ = mock.track(seconds)
    task_id = mock.create("/api/v1/suno/cover/generate", {"taskId": music})
    mock.advance(60)
    images: list[str] = mock.details("/api/v1/suno/cover/record-info", task_id, 1)["response"]["images"]
    return images


def _midi(mock: _Mock, seconds: float) -> list[str]:
    music, track = mock.track(seconds)
    separation = mock.create("/api/v1/vocal-removal/generate", {"taskId": music, "audioId": track})
    mock.advance(120)
    mock.details("/api/v1/vocal-removal/record-info", separation, "SUCCESS")
    task_id = mock.create("/api/v1/midi/generate", {"taskId": separation})
    mock.advance(120)
    mock.details("/api/v1/midi/record-info", task_id, 1)
    return [f"/api/v1/midi/record-info?taskId={task_id}"]


ARTIFACTS: tuple[tuple[str, Make], ...] = (
    ("track audio (the source, for reference)", _track_audio),
    ("WAV (convert-to-wav)", _wav),
    ("stems: separate_vocal (2)", _stems("separate_vocal", 2)),
    ("stems: split_stem (12)", _stems("split_stem", 12)),
    ("MP4 (create-music-video)", _video),
    ("covers (generate-cover-image, 2 PNG)", _covers),
    ("MIDI (midiData of get-midi-details; no file route)", _midi),
)


def run_files(track_s: float, reps: int) -> tuple[list[FileResult], str]:
    """Each artifact ``reps`` times on fresh tracks of ``track_s`` s; the rows and the mock's command line."""
    samples: dict[str, list[tuple[float, float, int, int]]] = {name: [] for name, _ in ARTIFACTS}
    with Served(mock_command("--virtual-clock", "--seed", "1")) as served:
        wait_until_answering(served.url + "/_mock/health")
        with httpx.Client(base_url=served.url, headers=AUTH, trust_env=False, timeout=600.0) as client:
            mock = _Mock(client)
            for _ in range(reps):
                for name, make in ARTIFACTS:
                    urls = make(mock, track_s)
                    first = cached = 0.0
                    size = 0
                    for url in urls:  # each file twice in a row: the cache keeps the last 8
                        built, size_one = _timed_get(client, url)
                        again, _ = _timed_get(client, url)
                        first, cached, size = first + built, cached + again, size + size_one
                    samples[name].append((first, cached, size, len(urls)))
        command = " ".join(served.argv)
    rows = []
    for name, got in samples.items():
        first_ms = statistics.median(s[0] for s in got)
        files = got[0][3]
        rows.append(
            FileResult(
                name,
                files,
                got[0][2],
                first_ms,
                statistics.median(s[1] for s in got),
                first_ms / files,
                len(got),
            )
        )
    return rows, command


if __name__ == "__main__":  # python -m bench.files: a quick look
    found, _ = run_files(240.0, 1)
    for row in found:
        print(f"{row.artifact:55} {row.files:3} {row.bytes / 1e6:7.2f} MB {row.first_ms:9.1f} {row.cached_ms:7.1f}")
