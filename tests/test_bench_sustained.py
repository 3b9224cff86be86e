"""The sustained bench turns tasks over: what retention leaves held stays bounded on each store (no timing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.sustained import BATCH, sustain


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_retention_keeps_about_held_tasks_however_many_are_made(store: str, tmp_path: Path) -> None:
    url = "memory" if store == "memory" else f"sqlite:{tmp_path / 'sustained.db'}"
    lines: list[str] = []
    summary = sustain(url, 8 * BATCH, 2 * BATCH, emit=lines.append)
    points = [json.loads(line) for line in lines[:-1]]
    assert [p["made"] for p in points] == [BATCH * (i + 1) for i in range(8)]
    assert all(p["held"] + p["evicted"] == p["made"] for p in points)
    # one window holds 2,000 tasks; a sweep runs every 1,024 (memory) or 64 (shared) tasks added
    assert summary["held_max"] <= 2 * BATCH + BATCH + 1024
    assert points[-1]["evicted"] >= 8 * BATCH - 3 * BATCH - 1024
    assert json.loads(lines[-1])["summary"] == summary
