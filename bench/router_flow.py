"""Wall time of one generate -> poll -> replace-section -> poll flow through the client router.

``python -m bench.router_flow`` runs a plain httpx client (no clock control of its own) through
``suno_router("kie")`` as a user gets it by default, and through the same router answering from a
mock at ``time_scale=1000`` and on a virtual clock, and prints the median of 5 flows each, with
the client's poll interval 0 (an injected sleep) and 0.05 real seconds. The ``suno_respx`` fixture
is measured the same way by ``--fixture`` (a pytest run of one test that times 5 flows).

Each flow: generate a song, poll Get Music Details until SUCCESS, replace a section of its first
track, poll until that task is SUCCESS. The numbers go into docs/pytest-plugin.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FLOWS = 5
#: The most polls one wait may take before the flow counts as hung.
MAX_POLLS = 100_000
#: A flow slower than this (real seconds) is stopped and reported as hung.
HUNG_S = 10.0


class Hung(Exception):
    """The client's poll never saw SUCCESS (a fixed clock)."""


def flow(base_url: str, interval: float, sleep: Callable[[float], None] = time.sleep) -> int:
    """One flow of a plain httpx client; returns the number of details reads."""
    reads = 0
    started = time.monotonic()
    with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer bench-key"}) as http:

        def wait(task_id: str) -> dict[str, Any]:
            nonlocal reads
            for _ in range(MAX_POLLS):
                reads += 1
                data: dict[str, Any] = http.get("/api/v1/generate/record-info", params={"taskId": task_id}).json()[
                    "data"
                ]
                if data["status"] == "SUCCESS":
                    return data
                if time.monotonic() - started > HUNG_S:
                    break
                if interval:
                    sleep(interval)
            raise Hung(f"task {task_id} still {data['status']} after {reads} reads")

        body = {"customMode": False, "instrumental": True, "model": "V5", "prompt": "rain", "callBackUrl": CALLBACK}
        task_id = http.post("/api/v1/generate", json=body).json()["data"]["taskId"]
        track = wait(task_id)["response"]["sunoData"][0]
        section = {
            "taskId": task_id,
            "audioId": track["id"],
            "prompt": "a trumpet solo",
            "tags": "jazz",
            "title": "Solo",
            "infillStartS": 10.0,
            "infillEndS": 20.0,
            "callBackUrl": CALLBACK,
        }
        wait(http.post("/api/v1/generate/replace-section", json=section).json()["data"]["taskId"])
    return reads


CALLBACK = "http://127.0.0.1:9/unused"


def timed(run: Callable[[], int]) -> str:
    """Median wall time of :data:`FLOWS` flows, and the reads per flow."""
    walls: list[float] = []
    reads = 0
    for _ in range(FLOWS):
        started = time.perf_counter()
        try:
            reads = run()
        except Hung as exc:
            return f"hung ({exc})"
        walls.append(time.perf_counter() - started)
    return f"{statistics.median(walls):.3f} s (median of {FLOWS}; {reads} details reads a flow)"


def routers() -> None:
    from contract import suno_router
    from mockserver import create_app

    cases: list[tuple[str, Callable[[], Any]]] = [
        ("suno_router('kie') (its default app)", lambda: None),
        ("suno_router('kie', create_app('kie', time_scale=1000))", lambda: create_app("kie", time_scale=1000)),
        ("suno_router('kie', create_app('kie', virtual_clock=True))", lambda: create_app("kie", virtual_clock=True)),
    ]
    for interval in (0.0, 0.05):
        for name, app in cases:

            def run(app: Callable[[], Any] = app, interval: float = interval) -> int:
                with suno_router("kie", app()) as router:
                    router.route(host="127.0.0.1").pass_through()  # the callbacks, as suno_respx does
                    return flow(router.base_url, interval)

            print(f"{name}, poll interval {interval:g} s: {timed(run)}")


FIXTURE_TEST = """
import json, statistics, time
import pytest
from bench.router_flow import FLOWS, Hung, flow

@pytest.mark.parametrize("interval", [0.0, 0.05])
def test_flow(suno_respx, interval, record_property):
    walls = []
    for _ in range(FLOWS):
        started = time.perf_counter()
        try:
            reads = flow(suno_respx.base_url, interval)
        except Hung as exc:
            print("RESULT", interval, "hung", exc)
            return
        walls.append(time.perf_counter() - started)
    print("RESULT", interval, f"{statistics.median(walls):.3f}", reads)
"""


def fixture(options: list[str]) -> None:
    """The ``suno_respx`` fixture: a pytest run of one test per poll interval."""
    with tempfile.TemporaryDirectory() as tmp:
        test = Path(tmp) / "test_bench_fixture.py"
        test.write_text(textwrap.dedent(FIXTURE_TEST))
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(test), *options],
            capture_output=True,
            text=True,
            check=False,
        )
    found = [line.split("RESULT", 1)[1].split() for line in done.stdout.splitlines() if "RESULT" in line]
    if not found:
        print(done.stdout[-2000:], done.stderr[-2000:])
    for interval, wall, *rest in found:
        shown = f"hung ({' '.join(rest)})" if wall == "hung" else f"{wall} s (median of {FLOWS}; {rest[0]} reads)"
        print(f"suno_respx {' '.join(options) or '(defaults)'}, poll interval {interval} s: {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixture", action="store_true", help="measure the suno_respx fixture instead")
    parser.add_argument("options", nargs="*", help="pytest options for --fixture, e.g. --suno-time-scale=1000")
    args = parser.parse_args()
    if args.fixture:
        fixture(args.options)
    else:
        routers()


if __name__ == "__main__":
    main()
