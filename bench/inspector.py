"""The inspector's costs: its data with 10,000 tasks held, and the terminal log's share of served throughput.

``python -m bench.inspector [--tasks N] [--duration S] [--rounds R]`` prints the report section;
``bench.run`` includes it. Both parts run ``suno-mock serve`` in its own process on 127.0.0.1.

- Page data: the mock holds N tasks (all made through ``POST /api/v1/generate``, nine tenths then
  finished by advancing the clock, a tenth pending), then each admin request the page makes is timed
  from a client in this process (keep-alive, one at a time): median and p95 client wall time.
- Log cost: the same mock with ``--quiet``, with the default plain log and with ``--log-format json``
  (stdout to a file, as a CI log is), loaded in turn with record-info (one request event each) by
  :mod:`bench.loadgen` or ``wrk``: req/s, and the server process's CPU time per request served
  (``/proc/<pid>/stat``, every thread), which other work on a shared machine skews far less;
  ratios = medians over rounds of logging / quiet.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bench.loadgen import LoadResult, Request, run_load, wrk_available
from bench.processes import ROOT, wait_until_answering
from bench.served import AUTH, mock_command

if TYPE_CHECKING:
    from mockserver._eventlog import LogFormat

__all__ = ["InspectorResult", "run_inspector", "section"]

_URL = re.compile(r"http://127\.0\.0\.1:\d+")
MUSIC = {
    "customMode": True,
    "instrumental": False,
    "model": "V4_5",
    "prompt": "[Verse] neon rain",
    "style": "synthwave",
    "title": "Harbour Lights",
    "callBackUrl": "http://127.0.0.1:9/cb",
}


@dataclass(frozen=True)
class Timing:
    what: str
    median_ms: float
    p95_ms: float
    bytes: int


@dataclass(frozen=True)
class InspectorResult:
    tasks: int
    fill_s: float
    timings: list[Timing]
    asset_bytes: int
    tool: str
    duration: float
    rounds: int
    per_event: dict[str, float]  # format -> CPU us of the log's own work per request event
    log: LogCost | None  # None: not measured (--smoke)


@dataclass(frozen=True)
class LogCost:
    quiet: LoadResult
    logged: dict[str, tuple[LoadResult, float]]  # format -> (median round, median ratio)
    log_lines: dict[str, int]
    served_cpu: dict[str, tuple[float, float]]  # format -> (server CPU us per request served, ratio to quiet)
    cpu: dict[str, tuple[float, float]]  # format -> (CPU us per request, ratio to quiet)
    cpu_requests: int


class _Mock:
    """``suno-mock serve`` with stdout to a file (read for its URL); stopped with SIGTERM."""

    def __init__(self, *extra: str) -> None:
        self.out = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.argv = mock_command("--virtual-clock", "--seed", "1", *extra)
        self.process = subprocess.Popen(self.argv, stdout=self.out, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        deadline = time.monotonic() + 30
        while not (found := _URL.search(Path(self.out.name).read_text())):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"{' '.join(self.argv)} printed no URL")
            time.sleep(0.02)
        self.url = found.group(0)
        wait_until_answering(self.url + "/_mock/health")

    def cpu(self) -> float:
        """CPU seconds the server process has used (user + system, every thread)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def lines(self) -> int:
        return len(Path(self.out.name).read_text().splitlines())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.out.close()
        Path(self.out.name).unlink(missing_ok=True)


def _held(client: httpx.Client) -> int:
    tasks: int = client.get("/_mock/health").json()["data"]["tasks"]
    return tasks


def _fill(client: httpx.Client, tasks: int, tool: str) -> str:
    """Hold at least ``tasks`` tasks (loaded in 1-s bursts: the figure is the count reached); one finished id.

    Nine tenths are made and then finished by advancing the clock (their callbacks go to a host the
    mock refuses: one journal entry per stage, no network), the last tenth stays pending.
    """
    body = json.dumps({**MUSIC, "callBackUrl": "http://refused.invalid/cb"}).encode()
    url = f"{client.base_url}/api/v1/generate".replace("//api", "/api")
    for share in (0.9, 1.0):
        while _held(client) < tasks * share:
            run_load(Request("POST", url, body), 16, 1.0, tool)
        if share < 1.0:
            client.post("/_mock/clock/advance", json={"seconds": 150})
    listed = client.get("/_mock/tasks", params={"status": "SUCCESS", "limit": 1}).json()["data"]["tasks"]
    if not listed:
        listed = client.get("/_mock/tasks", params={"offset": tasks - 1, "limit": 1}).json()["data"]["tasks"]
    finished: str = listed[0]["taskId"]
    return finished


def _time(client: httpx.Client, what: str, path: str, reps: int) -> Timing:
    client.get(path)  # warm
    took, size = [], 0
    for _ in range(reps):
        began = time.perf_counter()
        response = client.get(path)
        took.append((time.perf_counter() - began) * 1000)
        size = len(response.content)
        if response.status_code != 200 or (path.startswith("/_mock/t") and response.json()["code"] != 200):
            raise RuntimeError(f"{path} answered {response.status_code} {response.text[:300]}")
    took.sort()
    return Timing(what, statistics.median(took), took[min(len(took) - 1, round(0.95 * (len(took) - 1)))], size)


def run_inspector(
    tasks: int = 10_000, duration: float = 3.0, rounds: int = 3, tool: str | None = None, cpu_requests: int = 20_000
) -> InspectorResult:
    tool = tool or ("wrk" if wrk_available() else "python")
    mock = _Mock("--quiet")
    try:
        with httpx.Client(base_url=mock.url, headers=AUTH, trust_env=False, timeout=30) as client:
            began = time.perf_counter()
            task_id = _fill(client, tasks, tool)
            fill_s = time.perf_counter() - began
            tasks = _held(client)
            reps = 30
            assets = sum(
                len(client.get(f"/_mock/ui/{n}").content) for n in ("index.html", "inspector.js", "inspector.css")
            )
            timings = [
                _time(client, "page (/_mock/ui)", "/_mock/ui", reps),
                _time(client, "first page of tasks", "/_mock/tasks?limit=50", reps),
                _time(client, "last page of tasks", f"/_mock/tasks?limit=50&offset={max(0, tasks - 50)}", reps),
                _time(client, "tasks filtered by status (a scan of all)", "/_mock/tasks?status=PENDING&limit=50", reps),
                _time(
                    client,
                    "tasks filtered by operation and key",
                    "/_mock/tasks?operation=generate-music&key=%23none",
                    reps,
                ),
                _time(client, "one task's timeline", f"/_mock/tasks/{task_id}", reps),
                _time(client, "requests page", "/_mock/requests?limit=50", reps),
                _time(client, "health (header)", "/_mock/health", reps),
            ]
    finally:
        mock.stop()

    per_event = event_costs()
    log = _log_cost(duration, rounds, tool, cpu_requests) if cpu_requests else None
    return InspectorResult(tasks, fill_s, timings, assets, tool, duration, rounds, per_event, log)


def _log_cost(duration: float, rounds: int, tool: str, cpu_requests: int) -> LogCost:
    servers = {"quiet": _Mock("--quiet"), "plain": _Mock(), "json": _Mock("--log-format", "json")}
    try:
        requests = {}
        for name, server in servers.items():
            with httpx.Client(base_url=server.url, headers=AUTH, trust_env=False) as client:
                made = client.post("/_mock/tasks", json={"durations": [180.0]}).json()["data"]["taskId"]
            requests[name] = Request("GET", f"{server.url}/api/v1/generate/record-info?taskId={made}")
            run_load(requests[name], 16, min(1.0, duration), tool)  # warm-up
        results: dict[str, list[LoadResult]] = {name: [] for name in servers}
        ratios: dict[str, list[float]] = {"plain": [], "json": []}
        per_request: dict[str, list[float]] = {name: [] for name in servers}
        cpu_ratios: dict[str, list[float]] = {"plain": [], "json": []}

        def loaded(name: str) -> LoadResult:
            before = servers[name].cpu()
            result = run_load(requests[name], 16, duration, tool)
            per_request[name].append((servers[name].cpu() - before) / max(1, result.requests) * 1e6)
            results[name].append(result)
            return result

        for _ in range(rounds):
            quiet = loaded("quiet")
            for name in ("plain", "json"):
                ratios[name].append(loaded(name).rps / quiet.rps)
                cpu_ratios[name].append(per_request[name][-1] / per_request["quiet"][-1])
        lines = {name: servers[name].lines() for name in ("plain", "json")}
    finally:
        for server in servers.values():
            server.stop()

    def median_round(rows: list[LoadResult]) -> LoadResult:
        return sorted(rows, key=lambda r: r.rps)[len(rows) // 2]

    logged_rows = {name: (median_round(results[name]), statistics.median(ratios[name])) for name in ("plain", "json")}
    served_cpu = {"--quiet": (statistics.median(per_request["quiet"]), 1.0)}
    for name in ("plain", "json"):
        served_cpu[name] = (statistics.median(per_request[name]), statistics.median(cpu_ratios[name]))
    cpu = cpu_costs(cpu_requests, rounds)
    return LogCost(median_round(results["quiet"]), logged_rows, lines, served_cpu, cpu, cpu_requests)


async def _cpu_per_request(fmt: LogFormat | None, requests: int) -> float:
    """CPU microseconds (this process, the log's writer thread included) per record-info through the ASGI app."""
    from mockserver._app import create_app
    from mockserver._eventlog import TerminalLog

    app = create_app("kie", virtual_clock=True, seed=1)
    sink = open(os.devnull, "w")  # noqa: SIM115
    log = None if fmt is None else TerminalLog(sink, fmt=fmt, background=True)
    if log is not None:
        app.events.subscribe(log)
    task_id = app.seed_task([180.0]).id
    headers = [(b"authorization", b"Bearer bench-token"), (b"host", b"mock")]
    query = f"taskId={task_id}".encode()

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    codes: list[int] = []

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            codes.append(int(message["status"]))  # type: ignore[call-overload]  # an ASGI message: status is an int

    def scope() -> dict[str, object]:
        return {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": "/api/v1/generate/record-info", "raw_path": b"/api/v1/generate/record-info", "root_path": "",
            "query_string": query, "headers": headers, "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1),
        }  # fmt: skip

    for _ in range(200):  # warm-up
        await app(scope(), receive, send)  # type: ignore[arg-type]  # plain dicts for ASGI messages
    gc.collect()
    gc.freeze()  # the garbage collector as `suno-mock serve` sets it (mockserver._process.serve)
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 10, 10)
    began = time.process_time()
    for _ in range(requests):
        await app(scope(), receive, send)  # type: ignore[arg-type]  # plain dicts for ASGI messages
    if log is not None:
        log.close(timeout=60)  # the writer's work counts too
    cpu = time.process_time() - began
    gc.set_threshold(*thresholds)
    gc.unfreeze()
    await app.aclose()
    sink.close()
    if set(codes) != {200}:
        raise RuntimeError(f"record-info answered HTTP {sorted(set(codes))}")
    return cpu / requests * 1e6


def event_costs(events: int = 30_000) -> dict[str, float]:
    """CPU microseconds of the log's own work per request event, in isolation: build and emit the event,
    queue it, and (in the writer thread) format and write it to /dev/null in batches."""
    from mockserver._eventlog import TerminalLog
    from mockserver._events import Events

    fields = {
        "method": "GET",
        "path": "/api/v1/generate/record-info",
        "operation": "get-music-details",
        "code": 200,
        "msg": "",
        "task_id": "0" * 32,
        "ms": 0.42,
        "key": "#1a2b3c4d",
    }
    out = {}
    with open(os.devnull, "w") as sink:
        for fmt in ("plain", "json"):
            hub, log = Events(), TerminalLog(sink, fmt=fmt, background=True)
            hub.subscribe(log)
            began = time.process_time()
            for n in range(events):
                hub.emit("request", 1767225600.0 + n / 1000, **fields)
            log.close(timeout=60)
            out[fmt] = (time.process_time() - began) / events * 1e6
    return out


def cpu_costs(requests: int = 20_000, rounds: int = 3) -> dict[str, tuple[float, float]]:
    """Per format (None: quiet): median CPU us per request and median ratio to quiet, formats alternating."""
    runs: dict[str | None, list[float]] = {None: [], "plain": [], "json": []}
    ratios: dict[str | None, list[float]] = {"plain": [], "json": []}
    for _ in range(rounds):
        quiet = asyncio.run(_cpu_per_request(None, requests))
        runs[None].append(quiet)
        for fmt in ("plain", "json"):
            cost = asyncio.run(_cpu_per_request(fmt, requests))
            runs[fmt].append(cost)
            ratios[fmt].append(cost / quiet)
    out = {"--quiet": (statistics.median(runs[None]), 1.0)}
    for fmt in ("plain", "json"):
        out[fmt] = (statistics.median(runs[fmt]), statistics.median(ratios[fmt]))
    return out


def section(result: InspectorResult) -> list[str]:
    """The report's markdown section."""
    slowest = max(t.median_ms for t in result.timings if t.what != "page (/_mock/ui)")
    lines = [
        "## Inspector",
        "",
        f"`suno-mock serve --virtual-clock --quiet` holding {result.tasks:,} tasks (filled in {result.fill_s:.1f} s, "
        "all through `POST /api/v1/generate`; nine tenths finished by advancing the clock, a tenth pending). "
        "Each admin request the page makes, timed from a client in another process (keep-alive, one at a time), "
        f"30 repetitions after a warm-up. The page's assets weigh {result.asset_bytes / 1024:.1f} KiB in all "
        "(HTML, JS, CSS; no CDN).",
        "",
        "| request | median ms | p95 ms | answer bytes |",
        "|---|---:|---:|---:|",
        *(f"| {t.what} | {t.median_ms:.1f} | {t.p95_ms:.1f} | {t.bytes:,} |" for t in result.timings),
        "",
        f"Slowest median: {slowest:.1f} ms.",
        "",
        "The log's own work per request event, in isolation (build and emit the event, queue it, format and write "
        "it from the writer thread to /dev/null):",
        "",
        "| log | CPU us per event |",
        "|---|---:|",
        *(f"| {name} | {us:.1f} |" for name, us in result.per_event.items()),
        "",
    ]
    log = result.log
    if log is None:
        return [*lines, "The log against served throughput: not measured in this profile.", ""]
    quiet_cpu = log.served_cpu["--quiet"][0]
    return [
        *lines,
        f"The log against served throughput: record-info over 16 connections ({result.tool}), {result.rounds} "
        f"round(s) of {result.duration:g} s per server, quiet then plain then JSON in each round; stdout to a file. "
        "Server CPU = the server process's user + system time (every thread) per request served.",
        "",
        "| log | req/s | p50 ms | p99 ms | req/s ratio to --quiet | server CPU us per request | CPU ratio "
        "| the log's own work per request | lines written |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| --quiet | {log.quiet.rps:,.0f} | {log.quiet.p50_ms:.2f} | {log.quiet.p99_ms:.2f} | 1.00 "
        f"| {quiet_cpu:.0f} | 1.00 | 0 | 0 |",
        *(
            f"| {name} | {row.rps:,.0f} | {row.p50_ms:.2f} | {row.p99_ms:.2f} | {ratio:.2f} "
            f"| {log.served_cpu[name][0]:.0f} | {log.served_cpu[name][1]:.2f} "
            f"| {result.per_event[name] / quiet_cpu:.1%} | {log.log_lines[name]:,} |"
            for name, (row, ratio) in log.logged.items()
        ),
        "",
        f"In process: {log.cpu_requests:,} record-info requests straight into the ASGI app (no HTTP server, so the "
        "log's share is at its largest; the garbage collector set as `serve` sets it), CPU time of the process "
        "with the log's writer thread, formats alternating, medians over the rounds.",
        "",
        "| log | CPU us per request | ratio to --quiet |",
        "|---|---:|---:|",
        *(f"| {name} | {us:.1f} | {ratio:.2f} |" for name, (us, ratio) in log.cpu.items()),
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inspector", description=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args(argv)
    tool = None if args.loadgen == "auto" else args.loadgen
    print("\n".join(section(run_inspector(args.tasks, args.duration, args.rounds, tool))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
