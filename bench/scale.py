"""Scale: N tasks in flight at once, every callback to a counting receiver in another process.

``python -m bench.scale --tasks N --receiver URL`` runs one size in a fresh process (so that its
peak RSS is its own) and prints one JSON line. The mock runs in process on a scaled clock
(``time_scale``) with a callback journal large enough for every attempt (``--journal all``, the
default; ``--journal N`` bounds it, e.g. at the mock's default of 10,000); tasks are created
through the API (``POST /api/v1/generate`` over ``httpx.ASGITransport``) with ``callBackUrl`` at the
receiver, and the scheduler delivers their text, first and complete callbacks in the background
(the mock's bounded callback concurrency, ``mockserver._state.CALLBACK_CONCURRENCY``). ``lost`` =
expected callbacks the receiver never got.

Memory per task = (VmRSS after the drain - VmRSS before the first measured task, both after
``gc.collect()``) / N. Before the first reading, ``--warmup`` tasks (default 1) are created and
drained and stay in the store, so that the callback path's one-time costs (httpx's lazy imports,
the HTTP client, the TLS library) are not spread over the measured tasks; ``--warmup 0`` counts them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import time
from collections import Counter
from dataclasses import asdict, dataclass

import httpx

from mockserver import create_app
from mockserver._callback_journal import Attempt

__all__ = ["ScaleResult", "main"]

STAGES = 3  # text, first, complete per generate task
COMPLETE_S = 150.0  # mock seconds from creation to the complete callback (lifecycle.Timings)


@dataclass(frozen=True)
class ScaleResult:
    """One size's figures (memory in KiB, times in seconds)."""

    tasks: int
    time_scale: float
    create_s: float
    drain_s: float
    total_s: float
    peak_in_flight: int
    expected: int
    delivered: int
    failed_attempts: int
    rss_before_kib: int
    rss_after_kib: int
    peak_rss_kib: int
    per_task_bytes: float
    journal_size: int
    journal_attempts: int
    journal_dropped: int
    warmup_tasks: int


def _status_kib(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak since exec) from /proc; ru_maxrss where there is no /proc.

    ru_maxrss is not used on Linux: it is inherited from the parent across fork and exec.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


_BODY = {"customMode": False, "instrumental": False, "model": "V4_5", "prompt": "a calm piano piece"}


async def _run(
    tasks: int, receiver: str, time_scale: float, timeout: float, journal: int | None, warmup: int = 1
) -> ScaleResult:
    journal_size = STAGES * (tasks + warmup) * 3 + 100 if journal is None else journal
    app = create_app("kie", seed=1, time_scale=time_scale, journal_size=journal_size)
    # count every attempt as it is journaled: a bounded journal drops the oldest ones
    counts: Counter[str] = Counter()
    record = app.callbacks.record

    def counting(attempt: Attempt) -> None:
        counts["attempts"] += 1
        counts["delivered"] += attempt.delivered
        counts["final"] += attempt.final
        counts["complete"] += attempt.final and attempt.stage.value == "complete"
        record(attempt)

    app.callbacks.record = counting  # type: ignore[method-assign]  # counts every attempt recorded
    body = {**_BODY, "callBackUrl": receiver + "/cb"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", headers={"Authorization": "Bearer b"}
    ) as client:
        await client.get("/api/v1/chat/credit")  # warm up routing, the scheduler, the validators

        async def create_and_drain(count: int) -> tuple[float, float, float, int]:
            began = time.perf_counter()
            for _ in range(count):
                answer = (await client.post("/api/v1/generate", json=body)).json()
                if answer["code"] != 200:
                    raise RuntimeError(f"generate answered {answer}")
            created = time.perf_counter()
            # the complete callbacks come last; wait (bounded) until every callback's delivery is final
            deadline = created + COMPLETE_S / time_scale + timeout
            peak = 0
            while True:
                peak = max(peak, count - counts["complete"])
                if counts["final"] >= STAGES * count or time.perf_counter() > deadline:
                    break
                await asyncio.sleep(0.05)
            return began, created, time.perf_counter(), peak

        if warmup:  # the callback path's one-time costs (client, TLS library, imports, connection pool)
            await create_and_drain(warmup)
            counts.clear()
        gc.collect()
        rss_before = _status_kib("VmRSS")
        began, created, drained, peak = await create_and_drain(tasks)
        peak_rss = _status_kib("VmHWM")
        gc.collect()
        rss_after = _status_kib("VmRSS")
    await app.aclose()
    return ScaleResult(
        tasks=tasks,
        time_scale=time_scale,
        create_s=created - began,
        drain_s=drained - max(created, began + COMPLETE_S / time_scale),
        total_s=drained - began,
        peak_in_flight=peak,
        expected=STAGES * tasks,
        delivered=counts["delivered"],
        failed_attempts=counts["attempts"] - counts["delivered"],
        rss_before_kib=rss_before,
        rss_after_kib=rss_after,
        peak_rss_kib=peak_rss,
        per_task_bytes=(rss_after - rss_before) * 1024 / tasks,
        journal_size=journal_size,
        journal_attempts=len(app.callbacks.attempts()),
        journal_dropped=app.callbacks.dropped,
        warmup_tasks=warmup,
    )


#: A callback URL on a host outside the allow-list: each delivery is refused and journaled as a
#: final attempt without a network round trip (``--held``).
REFUSED_CALLBACK = "http://callbacks.invalid/cb"


@dataclass(frozen=True)
class HeldResult:
    """Memory of N finished tasks held at once (``--held``), in KiB and bytes."""

    tasks: int
    create_s: float
    rss_before_kib: int
    rss_pending_kib: int
    rss_after_kib: int
    peak_rss_kib: int
    per_task_bytes: float
    pending_per_task_bytes: float
    journal_attempts: int
    journal_dropped: int
    requests_journaled: int


async def _held(tasks: int) -> HeldResult:
    """N generate tasks through the API on a virtual clock, advanced past their end: what a finished task keeps.

    The mock's defaults (request journal 10,000 records, callback journal 10,000 attempts); the
    callback URL is refused at delivery (not allowed), so the journal gets its three attempts per
    task without any HTTP. Memory per task = (VmRSS after the end - VmRSS before the first task,
    both after ``gc.collect()``) / N; ``pending`` is the same reading after creation, before the
    clock moves (each task's three scheduled callbacks still held).
    """
    app = create_app("kie", seed=1, virtual_clock=True)
    body = {**_BODY, "callBackUrl": REFUSED_CALLBACK}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", headers={"Authorization": "Bearer b"}
    ) as client:

        async def create(count: int) -> None:
            for _ in range(count):
                answer = (await client.post("/api/v1/generate", json=body)).json()
                if answer["code"] != 200:
                    raise RuntimeError(f"generate answered {answer}")

        await create(1)  # warm up routing, the scheduler, the validators, the journals
        await app.advance(COMPLETE_S + 60)
        gc.collect()
        rss_before = _status_kib("VmRSS")
        began = time.perf_counter()
        await create(tasks)
        created = time.perf_counter()
        gc.collect()
        rss_pending = _status_kib("VmRSS")
        await app.advance(COMPLETE_S + 60)
        done = sum(1 for task in app.state.store.tasks.values() if task.timeline is not None)
        if len(app.state.store.tasks) != tasks + 1 or done != tasks + 1:
            raise RuntimeError(f"{len(app.state.store.tasks)} tasks held, expected {tasks + 1}")
        gc.collect()
        rss_after = _status_kib("VmRSS")
        peak = _status_kib("VmHWM")
    result = HeldResult(
        tasks=tasks,
        create_s=created - began,
        rss_before_kib=rss_before,
        rss_pending_kib=rss_pending,
        rss_after_kib=rss_after,
        peak_rss_kib=peak,
        per_task_bytes=(rss_after - rss_before) * 1024 / tasks,
        pending_per_task_bytes=(rss_pending - rss_before) * 1024 / tasks,
        journal_attempts=len(app.callbacks.attempts()),
        journal_dropped=app.callbacks.dropped,
        requests_journaled=len(app.requests),
    )
    await app.aclose()
    return result


def _journal(text: str) -> int | None:
    if text == "all":
        return None
    size = int(text)
    if size < 1:
        raise argparse.ArgumentTypeError(f"--journal must be 'all' or a number of attempts >= 1, got {text!r}")
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--tasks", type=int, required=True)
    parser.add_argument("--receiver", help="base URL of python -m bench.receiver (not with --held)")
    parser.add_argument(
        "--held",
        action="store_true",
        help="memory of N finished tasks held at once: virtual clock, callbacks refused at delivery, no receiver",
    )
    parser.add_argument("--time-scale", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=120.0, help="real seconds allowed after the last is due")
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="tasks created and drained (and kept) before the first RSS reading, so that one-time costs of the "
        "callback path (imports, the HTTP client, the TLS library) are not counted per task (default 1)",
    )
    parser.add_argument(
        "--journal",
        type=_journal,
        default=None,
        help="callback journal: 'all' (default) keeps every attempt, N keeps the last N (the mock's default: 10000)",
    )
    args = parser.parse_args(argv)
    if args.held:
        print(json.dumps(asdict(asyncio.run(_held(args.tasks)))))
        return 0
    if not args.receiver:
        parser.error("--receiver is required (or --held)")
    result = asyncio.run(_run(args.tasks, args.receiver, args.time_scale, args.timeout, args.journal, args.warmup))
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
