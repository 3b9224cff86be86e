"""Serving helpers shared by the bench's helper processes, and starting those processes."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Self

import httpx
import uvicorn
from starlette.types import ASGIApp

from mockserver._serving import stack

__all__ = ["ROOT", "Served", "cpu_seconds", "serve", "start", "wait_until_answering"]

ROOT = Path(__file__).resolve().parent.parent
_URL = re.compile(r"http://127\.0\.0\.1:\d+")


def serve(app: ASGIApp, name: str, host: str = "127.0.0.1", port: int = 0, http: str = "auto") -> None:
    """Serve ``app`` with uvicorn exactly as ``suno-mock serve --http HTTP`` does, after printing its URL.

    Same uvicorn configuration as :func:`mockserver._process.serve`: log level ``warning``, no access
    log, lifespan on, the mock's protocol and loop (:func:`mockserver._serving.stack`), one process,
    a pre-bound socket. The printed line names the stack, as the mock's does.
    """
    served_on = stack(http)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)  # connections made as soon as the URL is printed wait in the backlog
    print(f"{name}: serving at http://{host}:{sock.getsockname()[1]} ({served_on.label})", flush=True)
    uvicorn.Server(served_on.config(app)).run(sockets=[sock])


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and its descendants so far, from ``/proc`` (0.0 elsewhere).

    CPU per request is the figure a shared machine disturbs least: other work delays a server
    (its req/s drops) but hardly changes what one request costs it.
    """
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total


class Served:
    """A server running in its own process; its URL is read from the line it prints on start."""

    def __init__(self, argv: list[str], timeout: float = 20.0) -> None:
        self.argv = argv
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.began = time.perf_counter()
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
        )
        self.url = self._read_url(self.process.stdout, timeout)

    def _read_url(self, stream: IO[str] | None, timeout: float) -> str:
        assert stream is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = stream.readline()
            if not line:
                break
            found = _URL.search(line)
            if found:
                return found.group(0)
        self.stop()
        err = self.process.stderr.read() if self.process.stderr else ""
        raise RuntimeError(f"{' '.join(self.argv)} printed no URL within {timeout} s: {err[-2000:]}")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        """Terminate the process (SIGTERM, then SIGKILL after 5 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(module: str, *args: str) -> Served:
    """Start ``python -m module args...`` (a bench helper server) and wait for its URL."""
    served = Served([sys.executable, "-m", module, *args])
    wait_until_answering(served.url + "/_bench/ready")
    return served


def wait_until_answering(url: str, timeout: float = 20.0) -> float:
    """Poll ``url`` until it answers at all; return the seconds waited."""
    began = time.perf_counter()
    deadline = time.monotonic() + timeout
    with httpx.Client(trust_env=False, timeout=1.0) as client:
        while True:
            try:
                client.get(url)
                return time.perf_counter() - began
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.002)
