"""Load generation from a second process: ``wrk`` when installed, else this module's own generator.

``python -m bench.loadgen --url URL --connections N --duration S [--method POST --body JSON]``
runs a closed-loop keep-alive HTTP/1.1 generator on raw asyncio sockets (one coroutine per
connection, one request in flight per connection, as ``wrk`` does) and prints one JSON line:
requests, errors, requests/s, p50 and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["LoadResult", "Request", "run_load", "wrk_available"]


@dataclass(frozen=True)
class Request:
    """One request the load repeats."""

    method: str
    url: str
    body: bytes = b""
    token: str = "bench-token"


@dataclass(frozen=True)
class LoadResult:
    """What one load cell measured."""

    tool: str
    connections: int
    duration_s: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def wrk_available() -> bool:
    """Whether the ``wrk`` binary is on PATH."""
    return shutil.which("wrk") is not None


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def _raw_request(request: Request) -> bytes:
    parts = urlsplit(request.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"{request.method} {target} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Authorization: Bearer {request.token}",
        "Accept: */*",
    ]
    if request.body or request.method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(request.body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + request.body


async def _connection(host: str, port: int, raw: bytes, deadline: float, latencies: list[float]) -> int:
    errors = 0
    reader, writer = await asyncio.open_connection(host, port)
    clock = time.perf_counter
    try:
        while clock() < deadline:
            began = clock()
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            status_ok = head[9:10] == b"2"
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
                    break
            if length:
                await reader.readexactly(length)
            latencies.append(clock() - began)
            if not status_ok:
                errors += 1
    finally:
        writer.close()
    return errors


async def _python_load(request: Request, connections: int, duration: float) -> LoadResult:
    parts = urlsplit(request.url)
    raw = _raw_request(request)
    latencies: list[float] = []
    began = time.perf_counter()
    deadline = began + duration
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    errors = await asyncio.gather(*(_connection(host, port, raw, deadline, latencies) for _ in range(connections)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return LoadResult(
        tool="python",
        connections=connections,
        duration_s=round(elapsed, 3),
        requests=len(latencies),
        errors=sum(errors),
        rps=len(latencies) / elapsed,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
    )


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk_ms(text: str, label: str) -> float:
    found = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if not found:
        raise RuntimeError(f"wrk printed no {label} latency:\n{text}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def _wrk_load(request: Request, connections: int, duration: float) -> LoadResult:
    script = f"""
wrk.method = {json.dumps(request.method)}
wrk.body = {json.dumps(request.body.decode())}
wrk.headers["Authorization"] = "Bearer {request.token}"
{'wrk.headers["Content-Type"] = "application/json"' if request.method == "POST" else ""}
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        seconds = max(1, round(duration))
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", handle.name, request.url],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        ).stdout
    finally:
        Path(handle.name).unlink()
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not total or not rps:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    elapsed = float(total.group(2)) * (0.001 if total.group(3) == "ms" else 1.0)
    return LoadResult(
        tool="wrk",
        connections=connections,
        duration_s=elapsed,
        requests=int(total.group(1)),
        errors=failed,
        rps=float(rps.group(1)),
        p50_ms=_wrk_ms(out, "50%"),
        p99_ms=_wrk_ms(out, "99%"),
    )


def run_load(request: Request, connections: int, duration: float, tool: str) -> LoadResult:
    """Load ``request`` from a second process for ``duration`` seconds over ``connections`` connections."""
    if tool == "wrk":
        return _wrk_load(request, connections, duration)
    argv = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--url",
        request.url,
        "--method",
        request.method,
        "--body",
        request.body.decode(),
        "--connections",
        str(connections),
        "--duration",
        str(duration),
    ]
    from bench.processes import ROOT

    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=True, cwd=ROOT).stdout
    return LoadResult(**json.loads(out.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default="")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=5.0)
    args = parser.parse_args(argv)
    request = Request(args.method, args.url, args.body.encode())
    result = asyncio.run(_python_load(request, args.connections, args.duration))
    print(json.dumps(result.as_dict()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
