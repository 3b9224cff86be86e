"""Sustained creation with eviction: memory and the store's size stay flat once retention turns tasks over.

``python -m bench.sustained --store memory|sqlite|redis --tasks 1000000 [--held 20000] [--out FILE]``

One process per store (its RSS is its own): ``create_app(virtual_clock=True, store=...)`` with
``retention_days=1`` and a grace of one hour, the retention scaled down by the clock: after every
1,000 tasks the virtual clock moves 1,000 / ``held`` of a retention-plus-grace window, so about
``held`` tasks are within it at any time and every older one must be evicted. The tasks are
finished music tasks with one 30-s track, made by ``MockApp.seed_task`` (the ``POST /_mock/tasks``
path without HTTP: no journal record, no callback), 1,000 in one step of the event loop, so a
shared store writes them in one transaction or pipeline, as it writes what one step of a busy
server made, and sweeps once after them. Twenty times over the run it records the
tasks made and held, the process's RSS after ``gc.collect()`` and the store's size (SQLite: file
and WAL; Redis: ``used_memory``), one JSON line each; the last line sums up the second half of the
run, the part after warm-up: the spread of RSS and store size there is what "flat" means.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stores import RedisServer, rss_bytes, store_bytes
from mockserver._app import create_app

__all__ = ["sustain"]

RETENTION_S = 86400.0
GRACE_S = 3600.0
BATCH = 1000


def sustain(store: str, tasks: int, held: int, emit: Any = print) -> dict[str, Any]:
    """Make ``tasks`` tasks on ``store`` (a URL), ``held`` per retention window; return the summary."""
    import asyncio
    import os

    app = create_app(
        virtual_clock=True,
        store=store,
        profile_overrides={"retention_days": "1"},
        retention_grace_s=GRACE_S,
    )
    step = (RETENTION_S + GRACE_S) * BATCH / held
    every = max(BATCH, tasks // 20 // BATCH * BATCH)
    points: list[dict[str, Any]] = []
    began = time.perf_counter()
    loop = asyncio.new_event_loop()
    try:

        async def batch() -> None:
            for _ in range(BATCH):
                app.seed_task([30.0])
            await asyncio.sleep(0)  # the step ends: a shared store writes the batch at once, then sweeps
            await app.advance(step)

        made = 0
        while made < tasks:
            loop.run_until_complete(batch())
            made += BATCH
            if made % every == 0 or made >= tasks:
                app.state.tasks.evict()
                gc.collect()
                point = {
                    "store": store.split(":", 1)[0],
                    "made": made,
                    "held": len(app.state.store.tasks),
                    "evicted": app.state.tasks.evicted,
                    "rss_mib": rss_bytes(os.getpid()) / 2**20,
                    "store_mib": store_bytes(store) / 2**20,
                    "seconds": round(time.perf_counter() - began, 1),
                }
                points.append(point)
                emit(json.dumps(point))
    finally:
        app.state.close()
        loop.close()
    late = points[len(points) // 2 :]
    summary = {
        "store": store.split(":", 1)[0],
        "made": points[-1]["made"],
        "held_max": max(p["held"] for p in late),
        "rss_mib": [round(min(p["rss_mib"] for p in late), 1), round(max(p["rss_mib"] for p in late), 1)],
        "store_mib": [round(min(p["store_mib"] for p in late), 1), round(max(p["store_mib"] for p in late), 1)],
        "rss_first_mib": round(points[0]["rss_mib"], 1),
        "store_first_mib": round(points[0]["store_mib"], 1),
        "tasks_per_s": round(points[-1]["made"] / points[-1]["seconds"]),
    }
    emit(json.dumps({"summary": summary}))
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sustained", description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["memory", "sqlite", "redis"], required=True)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--held", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out.open("a") if args.out is not None else None

    def emit(line: str) -> None:
        print(line, flush=True)
        if out is not None:
            out.write(line + "\n")
            out.flush()

    with tempfile.TemporaryDirectory(prefix="bench-sustained-") as tmp:
        if args.store == "memory":
            sustain("memory", args.tasks, args.held, emit)
        elif args.store == "sqlite":
            sustain(f"sqlite:{tmp}/sustained.db", args.tasks, args.held, emit)
        else:
            with RedisServer(Path(tmp)) as redis:
                sustain(f"{redis.url}/0", args.tasks, args.held, emit)
    if out is not None:
        out.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
