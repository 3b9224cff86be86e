"""In-process figures: a whole job lifecycle on the virtual clock, and a schemathesis run over the mock.

The flow drives ``create_app("kie", virtual_clock=True, seed=1)`` through
``httpx.AsyncClient(transport=httpx.ASGITransport(app=app))``: generate, advance to SUCCESS,
replace-section on the first track, advance to SUCCESS. Callbacks go over real loopback HTTP
to a :class:`mockserver._serving.CallbackReceiver` (a uvicorn thread in the same process); each
flow checks that its four callbacks (text, first, complete; complete of the replace) arrived.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

from mockserver import MockApp, create_app
from mockserver._serving import CallbackReceiver

__all__ = ["ContractResult", "FlowResult", "run_contract", "run_contract_suite", "run_flows"]

AUTH = {"Authorization": "Bearer bench-token"}
GENERATE = {
    "customMode": True,
    "instrumental": False,
    "model": "V4_5",
    "prompt": "[Verse]\nNeon rain",
    "style": "synthwave",
    "title": "Harbour Lights",
}


@dataclass(frozen=True)
class FlowResult:
    """Wall time of generate -> SUCCESS -> replace-section -> SUCCESS, per flow."""

    flows: int
    callbacks: int
    mean_ms: float
    p50_ms: float
    max_ms: float
    create_app_ms: float


async def _status(client: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    body = (await client.get("/api/v1/generate/record-info", params={"taskId": task_id})).json()
    data: dict[str, Any] = body["data"]
    return data


async def _flow(app: MockApp, client: httpx.AsyncClient, callback_url: str) -> None:
    task_id = (await client.post("/api/v1/generate", json={**GENERATE, "callBackUrl": callback_url})).json()["data"][
        "taskId"
    ]
    await app.advance(150)
    info = await _status(client, task_id)
    if info["status"] != "SUCCESS":
        raise RuntimeError(f"generate ended {info['status']}, not SUCCESS")
    track = info["response"]["sunoData"][0]
    replace = {
        "taskId": task_id,
        "audioId": track["id"],
        "prompt": "calm piano",
        "tags": "jazz",
        "title": "Calm",
        "infillStartS": 10.0,
        "infillEndS": 20.5,
        "callBackUrl": callback_url,
    }
    new_id = (await client.post("/api/v1/generate/replace-section", json=replace)).json()["data"]["taskId"]
    await app.advance(60)
    if (await _status(client, new_id))["status"] != "SUCCESS":
        raise RuntimeError("replace-section did not reach SUCCESS")


async def _flows(n: int, receiver: CallbackReceiver) -> FlowResult:
    began = time.perf_counter()
    app = create_app("kie", virtual_clock=True, seed=1)
    create_ms = (time.perf_counter() - began) * 1000
    times: list[float] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", headers=AUTH
    ) as client:
        await _flow(app, client, receiver.url + "/cb")  # warm-up: connection to the receiver, caches
        receiver.clear()
        for _ in range(n):
            began = time.perf_counter()
            await _flow(app, client, receiver.url + "/cb")
            times.append((time.perf_counter() - began) * 1000)
    await app.aclose()
    delivered = len(receiver.received)
    if delivered != 4 * n:
        raise RuntimeError(f"{n} flows should deliver {4 * n} callbacks, the receiver got {delivered}")
    times.sort()
    return FlowResult(n, delivered, statistics.fmean(times), statistics.median(times), times[-1], create_ms)


def run_flows(n: int) -> FlowResult:
    """Time ``n`` flows on one app (after one warm-up flow)."""
    with CallbackReceiver() as receiver:
        return asyncio.run(_flows(n, receiver))


@dataclass(frozen=True)
class ContractResult:
    """Examples per second of a schemathesis run over the in-process mock."""

    source: str
    operations: int
    examples: int
    failing_examples: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.examples / self.seconds if self.seconds else 0.0


def run_contract(max_examples: int) -> ContractResult:
    """Schemathesis over every kie operation, in process (``schema.app = app``), positive and negative cases.

    Each example is a real ``case.call_and_validate`` through schemathesis' ASGI client; failed
    checks are counted, not raised, so one finding does not cut the run short (conformance
    is the contract suite's job, speed is this one's).
    """
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.core.result import Err

    from mockserver.openapi import load_spec

    app = create_app("kie", virtual_clock=True, seed=1)
    schema = schemathesis.openapi.from_dict(load_spec("kie"))
    schema.app = app
    counts = {"examples": 0, "failing": 0, "failing_operations": 0}
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operations.append(result.ok())

    def run(operation: Any) -> None:
        @given(operation.as_strategy())
        @settings(
            max_examples=max_examples,
            database=None,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def example(case: Any) -> None:
            counts["examples"] += 1
            try:
                case.call_and_validate(headers=AUTH)
            except (Exception, BaseExceptionGroup):  # a failed check: counted, see the docstring
                counts["failing"] += 1

        try:
            example()
        except (Exception, BaseExceptionGroup):  # findings raised at the end of an operation: counted
            counts["failing_operations"] += 1

    began = time.perf_counter()
    for operation in operations:
        run(operation)
    seconds = time.perf_counter() - began
    return ContractResult(
        "bench's own schemathesis run (examples + generate phases, positive and negative, in process)",
        len(operations),
        counts["examples"],
        counts["failing"] + counts["failing_operations"],
        seconds,
    )


def run_contract_suite(max_examples: int) -> ContractResult | None:
    """``contract._server.run_server_suite`` against the in-process mock, or None if the suite is not there.

    Configured as ``tests/test_contract_server.py`` runs it: a token, ``time_scale=300`` so the
    lifecycle checks finish fast, ``callback_wait=1`` s. Its ``elapsed`` includes those real-time waits.
    """
    try:
        from contract._server import SuiteConfig, run_server_suite
    except ImportError:
        return None
    token = "bench-token"
    app = create_app("kie", seed=1, tokens=frozenset({token}), time_scale=300.0)
    result = run_server_suite(
        SuiteConfig(provider="kie", token=token, app=app, max_examples=max_examples, callback_wait=1.0)
    )
    return ContractResult(
        f"contract._server.run_server_suite (kie, max_examples={max_examples}; {result.requests} requests)",
        len({operation for _, operation in result.outcomes}),
        result.examples,
        sum(o.failed for o in result.outcomes.values()),
        result.elapsed,
    )
