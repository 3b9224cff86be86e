"""The first sections: is the target the mock, which operations it serves, and the finished music task."""

from __future__ import annotations

from typing import Any

import httpx

from .. import _families as families
from .._families import Family, Source, Track
from .suite import Suite

__all__ = ["discover", "fixture", "probe_mock"]


def probe_mock(suite: Suite) -> None:
    """``GET /_mock/health`` (a free read) tells whether the target is suno-mockkit's mock."""
    try:
        response = suite.client.get("/_mock/health")
        suite.requests += 1
        body = response.json()
        data = body.get("data") if isinstance(body, dict) else None
        suite.is_mock = body.get("code") == 200 and isinstance(data, dict) and data.get("provider") == suite.provider
    except (httpx.HTTPError, ValueError):
        suite.is_mock = False
    if suite.is_mock:
        suite.notes.append("target is the suno-mockkit mock: a finished task was seeded via POST /_mock/tasks")


def discover(suite: Suite) -> None:
    """Which operations to exercise: the table's operations the served spec declares.

    ``GET /openapi.json`` (a free read) gives the served spec; without one the bundled
    document of the provider stands in. Shapes are always judged by the bundled document.
    """
    bundled = families.declared(suite.shapes.spec)
    spec: Any = None
    try:
        response = suite.client.get("/openapi.json")
        suite.requests += 1
        spec = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        spec = None
    if not (isinstance(spec, dict) and isinstance(spec.get("paths"), dict)):
        spec, where = suite.shapes.spec, "the bundled document"
    else:
        where = "GET /openapi.json"
    declared = families.declared(spec)
    for op_id, op in families.served(spec).items():
        if op_id not in bundled:
            suite.notes.append(f"{op_id}: served, but not in the bundled {suite.provider} document; not checked")
            continue
        suite.served[op_id] = op
    unknown = sorted(set(declared) - set(families.OPERATIONS))
    if unknown:
        suite.notes.append(f"not in the contract's table, not checked: {', '.join(unknown)}")
    suite.progress(f"{len(suite.served)} operations from {where}")
    for fam in families.FAMILIES:
        if fam.unverified and any(op.id in suite.served for op in fam.operations):
            suite.notes.append(f"{fam.name}: unverified in the documents: {fam.unverified}")
    for op in suite.served.values():
        for item in op.fields(suite.provider):
            if item.dispute and (item.is_disputed(suite.provider) or item.disputed_when):
                suite.notes.append(
                    f"{op.id}: {item.name}: the documents disagree ({item.dispute}); either answer is accepted"
                )


def fixture(suite: Suite) -> None:
    """A finished music task for the stateful checks: seeded on the mock, or the user's --task-id."""
    music = families.family("music")
    if suite.is_mock:
        response = suite.client.post("/_mock/tasks", json={"durations": [120.0, 100.0]})
        suite.requests += 1
        data = response.json().get("data") or {}
        tracks = tuple(Track(str(t["id"]), int(t["index"]), float(t["duration"])) for t in data.get("tracks", []))
        if not tracks:
            suite.notes.append("POST /_mock/tasks did not return tracks; stateful checks used unknown ids only")
            return
        suite.sources["music"] = Source(str(data["taskId"]), tracks)
        _learn_urls(suite, music)
        return
    if not suite.config.task_id:
        suite.notes.append(
            "stateful checks used unknown ids only: pass --task-id (and --audio-id) of a finished task to "
            "check the 50% rule and valid edits"
        )
        return
    details = music.details
    assert details is not None and music.tracks is not None
    exchange = suite.send(details.id, query={music.details_query: suite.config.task_id})
    if exchange is None or not suite.judge_shape(exchange) or exchange.code != 200:
        suite.notes.append(f"--task-id {suite.config.task_id}: record-info did not answer code 200")
        return
    found = music.tracks(exchange.body["data"])
    audio_id = suite.config.audio_id
    tracks = tuple(t for t in found if audio_id is None or t.id == audio_id or t.index > 0)
    if audio_id:
        tracks = tuple(sorted(tracks, key=lambda t: t.id != audio_id))
    if tracks:
        suite.sources["music"] = Source(suite.config.task_id, tracks)


def _learn_urls(suite: Suite, music: Family) -> None:
    """The seeded tracks' audio URLs (operations that take an upload URL use them)."""
    source = suite.sources["music"]
    if music.details is None or music.details.id not in suite.served or music.tracks is None:
        return
    response = suite.client.get(
        music.details.path_for(suite.provider),
        params={music.details_query: source.task_id},
        headers={"Authorization": f"Bearer {suite.config.token}"},
    )
    suite.requests += 1
    try:
        urls = {t.id: t.url for t in music.tracks(response.json()["data"])}
    except (ValueError, KeyError, TypeError):
        return
    tracks = tuple(Track(t.id, t.index, t.duration, urls.get(t.id, "")) for t in source.tracks)
    suite.sources["music"] = Source(source.task_id, tracks)
