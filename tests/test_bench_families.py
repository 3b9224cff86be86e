"""The per-family flows of the bench run and check what they should (no timing asserted)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from bench.families import BASELINE, FAMILIES, Context, FlowError, _expect, _one, run_families
from bench.inprocess import AUTH
from mockserver import create_app
from mockserver._serving import CallbackReceiver


def test_every_family_row_runs_once_with_its_callbacks() -> None:
    run = run_families(1, 1)
    rows = {row.name: row for row in run.rows}
    assert set(rows) >= {family.name for family in FAMILIES}
    assert rows[BASELINE].ratio == 1.0
    for family in FAMILIES:
        assert rows[family.name].callbacks == family.callbacks
    market = [name for name in rows if name.startswith("market")]
    assert market or any("Market job row skipped" in note for note in run.notes)


@pytest.fixture
async def ctx() -> AsyncIterator[Context]:
    app = create_app("kie", virtual_clock=True, seed=1)
    with CallbackReceiver() as receiver:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://mock", headers=AUTH
        ) as client:
            yield Context(app, client, receiver)
    await app.aclose()


async def test_a_wrong_callback_count_fails_loudly(ctx: Context) -> None:
    wav = next(f for f in FAMILIES if f.name == "wav")
    await _one(ctx, wav)
    with pytest.raises(FlowError, match="1 callbacks arrived, documented 2"):
        await _one(ctx, replace(wav, callbacks=2))


async def test_a_final_state_other_than_the_documented_one_fails_loudly(ctx: Context) -> None:
    wav = next(f for f in FAMILIES if f.name == "wav")

    async def no_advance(c: Context, source: tuple[str, str]) -> list[str]:
        music, track = source
        task_id = await c.create("wav", "/api/v1/wav/generate", {"taskId": music, "audioId": track})
        done = await c.details("wav", "/api/v1/wav/record-info", task_id)
        _expect("wav", "successFlag", done["successFlag"], "SUCCESS")
        return [task_id]

    with pytest.raises(FlowError, match="successFlag is 'PENDING'"):
        await _one(ctx, replace(wav, run=no_advance))
