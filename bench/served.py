"""Served throughput and latency: ``suno-mock serve`` against the bare-Starlette ceiling.

Cases: a valid and an invalid replace-section, the music record-info and one family's details
endpoint, the WAV record-info of a finished WAV task (made through the API before the rounds).
Both servers run in their own processes on 127.0.0.1 (uvicorn, log level ``warning``, no
access log); the load comes from a third process. The mock runs with ``--virtual-clock`` so
that the accepted replace-sections stay pending instead of calling back in the middle of
the measurement (background delivery is measured separately, in the scale run); its
request journal keeps its default bound of 10,000 records.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.loadgen import LoadResult, Request, run_load
from bench.processes import Served, cpu_seconds, start, wait_until_answering
from mockserver._serving import CallbackReceiver

__all__ = ["Cell", "Round", "load_round", "run_served", "seed_wav", "valid_body"]

AUTH = {"Authorization": "Bearer bench-token"}


@dataclass(frozen=True)
class Round:
    """One load round on one server: what the load generator saw, and the server's CPU per request."""

    load: LoadResult
    cpu_us: float  # CPU time of the server process (and its children) per answered request, microseconds


def load_round(request: Request, connections: int, duration: float, tool: str, pid: int) -> Round:
    """Run one round against the server process ``pid``, reading its CPU time before and after."""
    before = cpu_seconds(pid)
    load = run_load(request, connections, duration, tool)
    used = cpu_seconds(pid) - before
    return Round(load, used / max(1, load.requests) * 1e6)


@dataclass(frozen=True)
class Cell:
    """One endpoint at one connection count, on the mock and on the ceiling.

    ``mock`` and ``ceiling`` are the median round of each (by requests/s); ``ratio`` is the
    median of the per-round ratios, each round running the ceiling and then the mock.
    ``cpu_ratio`` is the median over rounds of the ceiling's CPU per request over the mock's: the
    share of the ceiling's speed the mock would reach with a core to itself, which the other
    work on a shared machine disturbs far less than req/s.
    """

    case: str
    connections: int
    mock: LoadResult
    ceiling: LoadResult
    ratio: float
    rounds: int
    cpu_ratio: float = float("nan")
    mock_cpu_us: float = float("nan")
    ceiling_cpu_us: float = float("nan")


def _median_round(results: list[LoadResult]) -> LoadResult:
    return sorted(results, key=lambda r: r.rps)[len(results) // 2]


def mock_command(*extra: str) -> list[str]:
    """``suno-mock serve`` on a free loopback port (the console script, else ``python -m mockserver``)."""
    script = shutil.which("suno-mock")
    head = [script] if script else [sys.executable, "-m", "mockserver"]
    return [*head, "serve", "--host", "127.0.0.1", "--port", "0", "--log-level", "warning", *extra]


def valid_body(mock_url: str) -> dict[str, Any]:
    """A valid replace-section body on a music task seeded in the mock at ``mock_url``."""
    with httpx.Client(base_url=mock_url, headers=AUTH, trust_env=False) as client:
        seeded = client.post("/_mock/tasks", json={"durations": [180.0, 180.0]}).json()["data"]
    return {
        "taskId": seeded["taskId"],
        "audioId": seeded["tracks"][0]["id"],
        "prompt": "A calm and relaxing piano track.",
        "tags": "Jazz",
        "title": "Relaxing Piano",
        "negativeTags": "Rock",
        "infillStartS": 10.5,
        "infillEndS": 20.75,
        "callBackUrl": "http://127.0.0.1:9/callback",
    }


def _cases(mock_url: str, ceiling_url: str) -> dict[str, tuple[Request, Request, int]]:
    """Per case: the request to the mock, the same request to the ceiling, the mock's expected ``code``."""
    valid = valid_body(mock_url)
    seeded = {"taskId": valid["taskId"]}
    invalid = {**valid, "infillStartS": "ten", "title": 7}
    del invalid["prompt"]
    replace = "/api/v1/generate/replace-section"
    info = f"/api/v1/generate/record-info?taskId={seeded['taskId']}"
    cases: dict[str, tuple[Request, Request, int]] = {}
    for name, body, code in (("replace-section (valid)", valid, 200), ("replace-section (invalid)", invalid, 422)):
        raw = json.dumps(body).encode()
        cases[name] = (Request("POST", mock_url + replace, raw), Request("POST", ceiling_url + replace, raw), code)
    cases["record-info"] = (Request("GET", mock_url + info), Request("GET", ceiling_url + info), 200)
    wav = f"/api/v1/wav/record-info?taskId={seed_wav(mock_url)}"
    cases["wav record-info"] = (Request("GET", mock_url + wav), Request("GET", ceiling_url + wav), 200)
    return cases


def seed_wav(mock_url: str, timeout: float = 60.0) -> str:
    """A finished WAV task, made through the API: a seeded music task, convert-to-wav, then its end.

    The clock is advanced with ``POST /_mock/clock/advance`` when the mock runs with
    ``--virtual-clock``; on a scaled clock this waits (real time) for ``successFlag`` SUCCESS.
    The callback goes to a loopback receiver in this process and must arrive.
    """
    with CallbackReceiver() as receiver, httpx.Client(base_url=mock_url, headers=AUTH, trust_env=False) as client:
        music = client.post("/_mock/tasks", json={"durations": [180.0]}).json()["data"]
        body = {"taskId": music["taskId"], "audioId": music["tracks"][0]["id"], "callBackUrl": receiver.url + "/cb"}
        answer = client.post("/api/v1/wav/generate", json=body).json()
        if answer.get("code") != 200:
            raise RuntimeError(f"convert-to-wav answered {answer}")
        task_id: str = answer["data"]["taskId"]
        client.post("/_mock/clock/advance", json={"seconds": 120})  # 422 on a scaled clock: then wait
        deadline = time.monotonic() + timeout
        while (
            flag := client.get("/api/v1/wav/record-info", params={"taskId": task_id}).json()["data"]["successFlag"]
        ) != "SUCCESS":
            if time.monotonic() > deadline:
                raise RuntimeError(f"WAV task {task_id} is {flag} after {timeout} s, not SUCCESS")
            time.sleep(0.05)
        receiver.wait_for(task_id=task_id, timeout=timeout)
    return task_id


def _check(request: Request, code: int) -> None:
    """The mock must answer the case as intended before its speed means anything."""
    with httpx.Client(headers=AUTH, trust_env=False) as client:
        response = client.request(
            request.method, request.url, content=request.body or None, headers={"Content-Type": "application/json"}
        )
    body: dict[str, Any] = response.json()
    if body.get("code") != code:
        raise RuntimeError(f"{request.method} {request.url} answered {body}, not code {code}")


def run_served(
    connections: tuple[int, ...], duration: float, tool: str, warmup: float, rounds: int = 1
) -> tuple[list[Cell], dict[str, str]]:
    """Run every case at every connection count, ``rounds`` times each; return the cells and the command lines.

    The machine is shared, so one pair of runs can land on a busy moment for either server;
    alternating them over several short rounds and taking medians keeps the ratio honest.
    """
    with Served(mock_command("--virtual-clock", "--seed", "1")) as mock, start("bench.baseline") as ceiling:
        wait_until_answering(mock.url + "/_mock/health")
        cells: list[Cell] = []
        for case, (to_mock, to_ceiling, code) in _cases(mock.url, ceiling.url).items():
            _check(to_mock, code)
            if warmup > 0:
                run_load(to_mock, 16, warmup, tool)
                run_load(to_ceiling, 16, warmup, tool)
            for n in connections:
                pairs = [
                    (
                        load_round(to_ceiling, n, duration, tool, ceiling.process.pid),
                        load_round(to_mock, n, duration, tool, mock.process.pid),
                    )
                    for _ in range(rounds)
                ]
                ratios = sorted(m.load.rps / c.load.rps for c, m in pairs)
                cpu = sorted(c.cpu_us / m.cpu_us if m.cpu_us else float("nan") for c, m in pairs)
                cells.append(
                    Cell(
                        case,
                        n,
                        mock=_median_round([m.load for _, m in pairs]),
                        ceiling=_median_round([c.load for c, _ in pairs]),
                        ratio=ratios[len(ratios) // 2],
                        rounds=rounds,
                        cpu_ratio=cpu[len(cpu) // 2],
                        mock_cpu_us=statistics.median(m.cpu_us for _, m in pairs),
                        ceiling_cpu_us=statistics.median(c.cpu_us for c, _ in pairs),
                    )
                )
        commands = {"mock": " ".join(mock.argv), "ceiling": " ".join(ceiling.argv)}
    return cells, commands
