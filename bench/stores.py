"""The stores served: valid replace-section and record-info on memory, SQLite and Redis, one and two workers.

``python -m bench.stores [--duration 3] [--rounds 3] [--connections 16] [--out bench/out/stores.md]``

Every server is ``suno-mock serve --virtual-clock --seed 1`` in its own process, all started
before the rounds: the memory store, ``--store sqlite:FILE`` and ``--store redis://...`` (a
``redis-server`` of the bench's own on a loopback port, no persistence), then the two shared
stores again with ``--workers 2``. Each round loads every server in turn (the order rotated by one
each round) with the same case; a row's ratio is the median over rounds of its req/s over the
memory store's in the same round. The accepted replace-sections stay pending (virtual clock), so
they pile up in each store: after the rounds, the cost per task is the growth of the servers'
resident memory (all workers) and of the store (SQLite: file and WAL; Redis: ``used_memory``)
divided by the replace-sections accepted, read after the replace-section rounds (before the
record-info ones). Each accepted request also left a request-journal record (the journal keeps
10,000), which is inside that growth; ``bench/sustained.py`` measures the records alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from bench.loadgen import LoadResult, Request, run_load, wrk_available
from bench.processes import Served, wait_until_answering
from bench.served import load_round, mock_command, valid_body

__all__ = ["RedisServer", "Row", "rss_bytes", "run_stores", "store_bytes"]


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants (the workers of ``--workers N``), from ``/proc``."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def store_bytes(url: str) -> int:
    """What the store holds: a SQLite file with its WAL, or a Redis server's ``used_memory``; 0 for memory."""
    if url.startswith("sqlite:"):
        path = Path(url[len("sqlite:") :])
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    if url.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(url)
        try:
            return int(client.info("memory")["used_memory"])
        finally:
            client.close()
    return 0


class RedisServer:
    """A ``redis-server`` of the bench's own on a free loopback port, no persistence."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("the Redis rows need redis-server: apt-get install -y redis-server")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(folder)]
        self.process = subprocess.Popen(
            [*args, "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.url = f"redis://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        import redis

        deadline = time.monotonic() + 30
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    self.process.kill()
                    raise
                time.sleep(0.05)
        client.close()
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(30)


@dataclass(frozen=True)
class Row:
    """One store set-up: its median round per case, ratios against memory, and its cost per task."""

    name: str
    command: str
    results: dict[str, LoadResult]
    ratios: dict[str, float]
    cpu_us: dict[str, float]
    tasks: int
    rss_per_task: float
    store_per_task: float


def run_stores(duration: float, rounds: int, connections: int, warmup: float, tool: str) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-stores-") as tmp, RedisServer(Path(tmp)) as redis:
        setups = [
            ("memory", "memory", 1),
            ("sqlite", f"sqlite:{tmp}/one.db", 1),
            ("redis", f"{redis.url}/1", 1),
            ("sqlite, --workers 2", f"sqlite:{tmp}/two.db", 2),
            ("redis, --workers 2", f"{redis.url}/2", 2),
        ]
        servers: list[tuple[str, str, Served]] = []
        try:
            for name, url, workers in setups:
                extra = ["--store", url] if url != "memory" else []
                if workers > 1:
                    extra += ["--workers", str(workers)]
                served = Served(mock_command("--virtual-clock", "--seed", "1", *extra), timeout=60)
                wait_until_answering(served.url + "/_mock/health")
                servers.append((name, url, served))
            return _measure(servers, duration, rounds, connections, warmup, tool)
        finally:
            for _, _, served in servers:
                served.stop()


def _measure(
    servers: list[tuple[str, str, Served]], duration: float, rounds: int, connections: int, warmup: float, tool: str
) -> list[Row]:
    cases: dict[str, list[Request]] = {"replace-section (valid)": [], "record-info": []}
    before: list[tuple[int, int]] = []
    for _, url, served in servers:
        body = valid_body(served.url)
        raw = json.dumps(body).encode()
        cases["replace-section (valid)"].append(Request("POST", served.url + "/api/v1/generate/replace-section", raw))
        cases["record-info"].append(Request("GET", f"{served.url}/api/v1/generate/record-info?taskId={body['taskId']}"))
        before.append((rss_bytes(served.process.pid), store_bytes(url)))
    accepted = [0] * len(servers)
    after: list[tuple[int, int]] = []
    per_round: dict[str, list[list[tuple[LoadResult, float]]]] = {case: [] for case in cases}
    for case, requests in cases.items():  # replace-section first: the growth is read before record-info
        if warmup > 0:
            for i, request in enumerate(requests):
                load = run_load(request, connections, warmup, tool)
                if case.startswith("replace"):
                    accepted[i] += load.requests - load.errors
        for r in range(rounds):
            order = [(i + r) % len(servers) for i in range(len(servers))]
            measured: dict[int, tuple[LoadResult, float]] = {}
            for i in order:
                got = load_round(requests[i], connections, duration, tool, servers[i][2].process.pid)
                measured[i] = (got.load, got.cpu_us)
                if case.startswith("replace"):
                    accepted[i] += got.load.requests - got.load.errors
            per_round[case].append([measured[i] for i in range(len(servers))])
        if case.startswith("replace"):
            time.sleep(1.0)  # the write-behind and the journal settle
            after = [(rss_bytes(served.process.pid), store_bytes(url)) for _, url, served in servers]
    rows = []
    for i, (name, _url, served) in enumerate(servers):
        grown_rss = after[i][0] - before[i][0]
        grown_store = after[i][1] - before[i][1]
        results, ratios, cpu = {}, {}, {}
        for case, by_round in per_round.items():
            mine = sorted((rnd[i][0] for rnd in by_round), key=lambda x: x.rps)
            results[case] = mine[len(mine) // 2]
            ratios[case] = statistics.median(rnd[i][0].rps / rnd[0][0].rps for rnd in by_round)
            cpu[case] = statistics.median(rnd[i][1] for rnd in by_round)
        tasks = max(1, accepted[i])
        rows.append(
            Row(
                name,
                " ".join(served.argv),
                results,
                ratios,
                cpu,
                accepted[i],
                grown_rss / tasks,
                grown_store / tasks,
            )
        )
    return rows


def report(rows: list[Row], duration: float, rounds: int, connections: int, tool: str) -> str:
    lines = [
        f"Stores served: {tool}, {connections} connections, {rounds} round(s) of {duration:g} s per server and case,",
        "order rotated by one each round; ratio = median over rounds of req/s over the memory store's in that round.",
        "",
        "| store | case | req/s | ratio | p50 ms | p99 ms | CPU us/req |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        for case, result in row.results.items():
            lines.append(
                f"| {row.name} | {case} | {result.rps:,.0f} | {row.ratios[case]:.2f} | {result.p50_ms:.2f} "
                f"| {result.p99_ms:.2f} | {row.cpu_us[case]:,.0f} |"
            )
    lines += [
        "",
        "| store | replace-sections accepted | server RSS growth per task | store growth per task |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.name} | {row.tasks:,} | {row.rss_per_task / 1024:.2f} KiB | {row.store_per_task / 1024:.2f} KiB |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stores", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    tool = ("wrk" if wrk_available() else "python") if args.loadgen == "auto" else args.loadgen
    rows = run_stores(args.duration, args.rounds, args.connections, args.warmup, tool)
    text = report(rows, args.duration, args.rounds, args.connections, tool)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
