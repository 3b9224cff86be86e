"""In-process flow time of each job family, as a ratio to the generate -> replace flow of the same run.

Every flow runs on one ``create_app("kie", virtual_clock=True, seed=1)`` through
``httpx.AsyncClient(transport=httpx.ASGITransport(app=app))``, with callbacks over real loopback
HTTP to a :class:`mockserver._serving.CallbackReceiver` (a uvicorn thread in this process).

A flow has an untimed set-up (the finished music task it starts from, seeded through
``POST /_mock/tasks``; for MIDI also the finished separation) and a timed part: the family's
own create request, ``app.advance`` to its end, and its details request, which must show the
documented final state. After the timer stops, the receiver must hold exactly the documented
number of callbacks, each about a task the flow made; anything else raises :class:`FlowError`.

Method: ``rounds`` rounds; in each, every family (the generate flow included) runs ``flows``
flows back to back, the families in an order rotated by one each round. A family's ratio is
the median over rounds of (its median flow ms / the generate flow's median ms in that round);
mean and median ms are over all its flows.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from mockserver import MockApp, create_app
from mockserver._serving import CallbackReceiver
from mockserver._views import AUDIO_EXTENSION

from .inprocess import AUTH, GENERATE

__all__ = ["BASELINE", "MARKET_PATH", "FamilyResult", "FamilyRun", "FlowError", "run_families"]

#: The row every other row is divided by.
BASELINE = "generate -> replace-section"
#: kie's Market create path; the Market row runs only when the kie document serves it.
MARKET_PATH = "/api/v1/jobs/createTask"


class FlowError(RuntimeError):
    """A flow ended in a state other than the documented one, or with the wrong callbacks."""


@dataclass
class Context:
    """What every flow uses: the app, its client, where callbacks go."""

    app: MockApp
    client: httpx.AsyncClient
    receiver: CallbackReceiver

    @property
    def callback_url(self) -> str:
        return self.receiver.url + "/cb"

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = (await self.client.post(path, json=body)).json()
        return answer

    async def create(self, family: str, path: str, body: dict[str, Any]) -> str:
        answer = await self.post(path, {**body, "callBackUrl": self.callback_url})
        if answer.get("code") != 200:
            raise FlowError(f"{family}: POST {path} answered {answer}")
        task_id: str = answer["data"]["taskId"]
        return task_id

    async def details(self, family: str, path: str, task_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = (await self.client.get(path, params={"taskId": task_id})).json()
        if answer.get("code") != 200:
            raise FlowError(f"{family}: GET {path}?taskId={task_id} answered {answer}")
        data: dict[str, Any] = answer["data"]
        return data

    async def music(self, durations: list[float], **fields: str) -> tuple[str, list[str]]:
        """A finished music task seeded through ``POST /_mock/tasks``: its id and its track ids."""
        answer = await self.post("/_mock/tasks", {"durations": durations, **fields})
        if answer.get("code") != 200:
            raise FlowError(f"POST /_mock/tasks answered {answer}")
        data = answer["data"]
        return data["taskId"], [track["id"] for track in data["tracks"]]


def _expect(family: str, what: str, got: object, want: object) -> None:
    if got != want:
        raise FlowError(f"{family}: {what} is {got!r}, documented {want!r}")


# the flows: set-up (untimed) -> state; run(state) (timed) -> the ids of the tasks it made -------------
Setup = Callable[[Context], Awaitable[Any]]
Run = Callable[[Context, Any], Awaitable[list[str]]]


async def _nothing(ctx: Context) -> None:
    return None


async def _one_track(ctx: Context) -> tuple[str, str]:
    music, tracks = await ctx.music([180.0])
    return music, tracks[0]


async def _generate(ctx: Context, _: Any) -> list[str]:
    family = BASELINE
    task_id = await ctx.create(family, "/api/v1/generate", GENERATE)
    await ctx.app.advance(150)
    info = await ctx.details(family, "/api/v1/generate/record-info", task_id)
    _expect(family, "generate status", info["status"], "SUCCESS")
    track = info["response"]["sunoData"][0]
    replace = {
        "taskId": task_id,
        "audioId": track["id"],
        "prompt": "calm piano",
        "tags": "jazz",
        "title": "Calm",
        "infillStartS": 10.0,
        "infillEndS": 20.5,
    }
    new_id = await ctx.create(family, "/api/v1/generate/replace-section", replace)
    await ctx.app.advance(60)
    _expect(
        family,
        "replace status",
        (await ctx.details(family, "/api/v1/generate/record-info", new_id))["status"],
        "SUCCESS",
    )
    return [task_id, new_id]


async def _lyrics(ctx: Context, _: Any) -> list[str]:
    family = "lyrics"
    task_id = await ctx.create(family, "/api/v1/lyrics", {"prompt": "a song about the harbour at night"})
    await ctx.app.advance(60)
    done = await ctx.details(family, "/api/v1/lyrics/record-info", task_id)
    _expect(family, "status", done["status"], "SUCCESS")
    _expect(family, "variants", len(done["response"]["data"]), 2)
    return [task_id]


async def _wav(ctx: Context, source: tuple[str, str]) -> list[str]:
    family = "wav"
    music, track = source
    task_id = await ctx.create(family, "/api/v1/wav/generate", {"taskId": music, "audioId": track})
    await ctx.app.advance(120)
    done = await ctx.details(family, "/api/v1/wav/record-info", task_id)
    _expect(family, "successFlag", done["successFlag"], "SUCCESS")
    _expect(family, "audioWavUrl is set", bool(done["response"]["audioWavUrl"]), True)
    return [task_id]


async def _separate(ctx: Context, source: tuple[str, str]) -> list[str]:
    family = "separation (separate_vocal)"
    music, track = source
    body = {"taskId": music, "audioId": track, "type": "separate_vocal"}
    task_id = await ctx.create(family, "/api/v1/vocal-removal/generate", body)
    await ctx.app.advance(120)
    done = await ctx.details(family, "/api/v1/vocal-removal/record-info", task_id)
    _expect(family, "successFlag", done["successFlag"], "SUCCESS")
    stems = sorted(k for k, v in done["response"].items() if k != "originUrl" and isinstance(v, str))
    _expect(family, "stems", stems, ["instrumentalUrl", "vocalUrl"])
    return [task_id]


async def _separated(ctx: Context) -> str:
    """The finished separation MIDI starts from (its callback is cleared before the timer starts)."""
    music, tracks = await ctx.music([180.0])
    body = {"taskId": music, "audioId": tracks[0], "type": "separate_vocal"}
    task_id = await ctx.create("midi set-up", "/api/v1/vocal-removal/generate", body)
    await ctx.app.advance(120)
    done = await ctx.details("midi set-up", "/api/v1/vocal-removal/record-info", task_id)
    _expect("midi set-up", "separation successFlag", done["successFlag"], "SUCCESS")
    return task_id


async def _midi(ctx: Context, separation: str) -> list[str]:
    family = "midi (after a separation)"
    task_id = await ctx.create(family, "/api/v1/midi/generate", {"taskId": separation})
    await ctx.app.advance(120)
    done = await ctx.details(family, "/api/v1/midi/record-info", task_id)
    _expect(family, "successFlag", done["successFlag"], 1)
    _expect(family, "has instruments", bool(done["midiData"]["instruments"]), True)
    return [task_id]


async def _video(ctx: Context, source: tuple[str, str]) -> list[str]:
    family = "video"
    music, track = source
    task_id = await ctx.create(family, "/api/v1/mp4/generate", {"taskId": music, "audioId": track, "author": "Ann"})
    await ctx.app.advance(120)
    done = await ctx.details(family, "/api/v1/mp4/record-info", task_id)
    _expect(family, "successFlag", done["successFlag"], "SUCCESS")
    _expect(family, "videoUrl is set", bool(done["response"]["videoUrl"]), True)
    return [task_id]


async def _cover(ctx: Context, source: tuple[str, str]) -> list[str]:
    family = "cover"
    music, _ = source
    task_id = await ctx.create(family, "/api/v1/suno/cover/generate", {"taskId": music})
    await ctx.app.advance(60)
    done = await ctx.details(family, "/api/v1/suno/cover/record-info", task_id)
    flag = 1 if ctx.app.profile.cover_flag == "integer" else "SUCCESS"
    _expect(family, "successFlag", done["successFlag"], flag)
    _expect(family, "images", len(done["response"]["images"]), 2)
    return [task_id]


async def _persona(ctx: Context, source: tuple[str, str]) -> list[str]:
    family = "persona"
    music, track = source
    body = {"taskId": music, "audioId": track, "name": "Ann", "description": "warm alto"}
    answer = await ctx.post("/api/v1/generate/generate-persona", body)
    _expect(family, "code", answer.get("code"), 200)
    _expect(family, "personaId is set", bool(answer["data"]["personaId"]), True)
    return []


async def _boost(ctx: Context, _: Any) -> list[str]:
    family = "boost style"
    answer = await ctx.post("/api/v1/style/generate", {"content": "Pop, Mysterious"})
    _expect(family, "code", answer.get("code"), 200)
    _expect(family, "successFlag", answer["data"]["successFlag"], "1")
    return []


async def _lyrics_track(ctx: Context) -> tuple[str, str]:
    music, tracks = await ctx.music([60.0], prompt="[Verse]\nNeon rain on the harbour\nlights")
    return music, tracks[0]


async def _timestamps(ctx: Context, source: tuple[str, str]) -> list[str]:
    family = "timestamped lyrics"
    music, track = source
    answer = await ctx.post("/api/v1/generate/get-timestamped-lyrics", {"taskId": music, "audioId": track})
    _expect(family, "code", answer.get("code"), 200)
    words = answer["data"]["alignedWords"]
    _expect(family, "last word", words[-1]["word"].split()[-1] if words else None, "lights")
    return []


async def _upload_track(ctx: Context) -> str:
    _, tracks = await ctx.music([100.0])
    return f"http://mock/_mock/files/{tracks[0]}.{AUDIO_EXTENSION}"


async def _upload_cover(ctx: Context, upload: str) -> list[str]:
    family = "upload-cover"
    body = {"uploadUrl": upload, "customMode": False, "instrumental": False, "model": "V4_5", "prompt": "a calm cover"}
    task_id = await ctx.create(family, "/api/v1/generate/upload-cover", body)
    await ctx.app.advance(200)
    done = await ctx.details(family, "/api/v1/generate/record-info", task_id)
    _expect(family, "status", done["status"], "SUCCESS")
    _expect(family, "operationType", done["operationType"], "upload_cover")
    return [task_id]


MARKET_BODY = {
    "model": "ai-music-api/generate",
    "input": {
        "custom_mode": True,
        "instrumental": False,
        "model": "V5",
        "title": "t",
        "style": "pop",
        "prompt": "la",
    },
}


async def _market(ctx: Context, _: Any) -> list[str]:
    family = "market job (ai-music-api/generate)"
    task_id = await ctx.create(family, MARKET_PATH, MARKET_BODY)
    state = None
    for _step in range(40):  # 30 mock seconds a step, 20 mock minutes at most
        await ctx.app.advance(30)
        state = (await ctx.details(family, "/api/v1/jobs/recordInfo", task_id))["state"]
        if state in ("success", "fail"):
            break
    _expect(family, "state", state, "success")
    return [task_id]


@dataclass(frozen=True)
class Family:
    """One row: its set-up, its timed run and the callbacks it must deliver."""

    name: str
    what: str
    callbacks: int
    run: Run
    setup: Setup = _nothing


FAMILIES: tuple[Family, ...] = (
    Family(
        BASELINE, "generate, advance(150), record-info SUCCESS, replace-section, advance(60), SUCCESS", 4, _generate
    ),
    Family("lyrics", "generate-lyrics, advance(60), record-info SUCCESS with 2 variants", 1, _lyrics),
    Family("wav", "convert-to-wav, advance(120), wav record-info SUCCESS", 1, _wav, _one_track),
    Family(
        "separation (separate_vocal)",
        "separate-vocals, advance(120), SUCCESS with vocal and instrumental URLs",
        1,
        _separate,
        _one_track,
    ),
    Family(
        "midi (after a separation)",
        "generate-midi on a finished separation (made in the set-up), advance(120), successFlag 1",
        1,
        _midi,
        _separated,
    ),
    Family("video", "create-music-video, advance(120), mp4 record-info SUCCESS", 1, _video, _one_track),
    Family("cover", "generate-cover-image, advance(60), successFlag 1 with 2 images", 1, _cover, _one_track),
    Family("persona", "generate-persona (synchronous): code 200 with a personaId", 0, _persona, _one_track),
    Family("boost style", "boost-music-style (synchronous): code 200, successFlag '1'", 0, _boost),
    Family(
        "timestamped lyrics",
        "get-timestamped-lyrics (synchronous) of a 60 s track: aligned words ending in the prompt's last",
        0,
        _timestamps,
        _lyrics_track,
    ),
    Family(
        "upload-cover",
        "upload-cover of a /_mock/files/ track, advance(200), record-info SUCCESS (text, first, complete)",
        3,
        _upload_cover,
        _upload_track,
    ),
)


def _market_family(app: MockApp) -> Family:
    callbacks = 1 if getattr(app.profile, "market_callback", "classic") == "record" else 3
    return Family(
        "market job (ai-music-api/generate)",
        "jobs/createTask, advance(30) until jobs/recordInfo state == success",
        callbacks,
        _market,
    )


@dataclass(frozen=True)
class FamilyResult:
    """One row of the table."""

    name: str
    what: str
    flows: int
    callbacks: int
    mean_ms: float
    p50_ms: float
    max_ms: float
    ratio: float


@dataclass
class FamilyRun:
    """Every row, how it was run, and the rows left out (with why)."""

    rounds: int
    flows_per_round: int
    rows: list[FamilyResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def _one(ctx: Context, family: Family) -> float:
    """One flow of ``family``: set-up, timed run, then its callbacks checked; the run's wall ms."""
    state = await family.setup(ctx)
    ctx.receiver.clear()  # callbacks of the set-up (MIDI's separation) are not the flow's
    began = time.perf_counter()
    made = await family.run(ctx, state)
    elapsed = (time.perf_counter() - began) * 1000
    received = ctx.receiver.received
    for _ in range(200):  # advance() awaits delivery on the virtual clock; a bounded safety net, not timed
        if len(received) >= family.callbacks:
            break
        await asyncio.sleep(0.005)
        received = ctx.receiver.received
    if len(received) != family.callbacks:
        raise FlowError(f"{family.name}: {len(received)} callbacks arrived, documented {family.callbacks}")
    strangers = [r.task_id for r in received if r.task_id not in made]
    if strangers:
        raise FlowError(f"{family.name}: callbacks about tasks the flow did not make: {strangers}")
    ctx.receiver.clear()
    return elapsed


async def _families(rounds: int, flows: int, receiver: CallbackReceiver) -> FamilyRun:
    app = create_app("kie", virtual_clock=True, seed=1)
    run = FamilyRun(rounds, flows)
    families = list(FAMILIES)
    if MARKET_PATH in {op.path for op in app.operations}:
        families.append(_market_family(app))
    else:
        run.notes.append(
            f"Market job row skipped: the kie document on this branch does not serve `POST {MARKET_PATH}` "
            '(`create_app("kie").operations` has no such path).'
        )
    times: dict[str, list[float]] = {f.name: [] for f in families}
    ratios: dict[str, list[float]] = {f.name: [] for f in families}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock", headers=AUTH
    ) as client:
        ctx = Context(app, client, receiver)
        for family in families:  # warm-up: one of each (connection to the receiver, caches)
            await _one(ctx, family)
        for r in range(rounds):
            order = families[r % len(families) :] + families[: r % len(families)]
            medians: dict[str, float] = {}
            for family in order:
                got = [await _one(ctx, family) for _ in range(flows)]
                times[family.name] += got
                medians[family.name] = statistics.median(got)
            for name, median in medians.items():
                ratios[name].append(median / medians[BASELINE])
    await app.aclose()
    for family in families:
        got = times[family.name]
        run.rows.append(
            FamilyResult(
                family.name,
                family.what,
                len(got),
                family.callbacks * len(got),
                statistics.fmean(got),
                statistics.median(got),
                max(got),
                statistics.median(ratios[family.name]),
            )
        )
    return run


def run_families(rounds: int, flows: int) -> FamilyRun:
    """``rounds`` interleaved rounds of ``flows`` flows per family on one app (after one warm-up flow each)."""
    with CallbackReceiver() as receiver:
        return asyncio.run(_families(rounds, flows, receiver))


if __name__ == "__main__":  # python -m bench.families: a quick look
    for row in run_families(1, 5).rows:
        print(f"{row.name:40} {row.mean_ms:7.2f} {row.p50_ms:7.2f} {row.ratio:5.2f}")
