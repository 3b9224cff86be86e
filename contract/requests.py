"""Hand-written request strategies for the rules JSON Schema cannot say, concentrated on boundaries.

Schemathesis generates from the bundled document; these strategies add what it cannot know:
the interval bounds (6-60 s where documented), 2 decimal places, ``start < end``, <= 50 % of
the track, the track selector of each profile, model-dependent lengths. Each :class:`Probe` is
a request; whether it must be accepted or rejected is decided by :mod:`contract.rules`, not
here. :func:`pinned_probes` lists the exact boundary points every run sends;
:func:`boundary_probes` draws more around them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from . import rules

__all__ = ["Probe", "TaskFixture", "Track", "boundary_probes", "pinned_probes", "valid_body"]

CALLBACK = "https://callback.invalid/suno"
UNKNOWN_TASK = "0" * 32
UNKNOWN_AUDIO = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Track:
    """A finished track the suite may edit: its audioId, 0-based index and duration (s)."""

    id: str
    index: int
    duration: float


@dataclass(frozen=True)
class TaskFixture:
    """A finished music task on the target (seeded on the mock, or given with --task-id)."""

    task_id: str
    tracks: tuple[Track, ...]


@dataclass(frozen=True)
class Probe:
    """One request: operation, JSON body or query, and the boundary it exercises."""

    operation: str
    label: str
    body: dict[str, Any] | None = None
    query: dict[str, str] | None = None
    #: The track a replace-section body edits (its duration decides the stateful rules).
    track: Track | None = None


def valid_body(provider: str, operation: str, task: TaskFixture | None, callback: str = CALLBACK) -> dict[str, Any]:
    """A body that keeps every documented rule (for a fixture task when one is given)."""
    if operation == "generate-music":
        return {
            "customMode": True,
            "instrumental": False,
            "model": "V4_5",
            "prompt": "[Verse]\nNeon rain on the harbour",
            "style": "synthwave",
            "title": "Harbour Lights",
            "callBackUrl": callback,
        }
    track = task.tracks[0] if task else None
    if operation == "extend-music":
        return {
            "defaultParamFlag": False,
            "audioId": track.id if track else UNKNOWN_AUDIO,
            "model": "V4_5",
            "callBackUrl": callback,
        }
    if operation == "replace-section":
        body: dict[str, Any] = {
            "taskId": task.task_id if task else UNKNOWN_TASK,
            "prompt": "A calm piano line",
            "tags": "jazz",
            "title": "Relaxing Piano",
            "infillStartS": 10.0,
            "infillEndS": 20.0,
            "callBackUrl": callback,
        }
        if rules.track_selector(provider) == "audioId":
            body["audioId"] = track.id if track else UNKNOWN_AUDIO
        else:
            body["musicIndex"] = track.index if track else 0
        return body
    if operation == "get-timestamped-lyrics":
        return {"taskId": task.task_id if task else UNKNOWN_TASK, "audioId": track.id if track else UNKNOWN_AUDIO}
    raise ValueError(f"{operation} takes no body")


def _with(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = dict(body)
    for key, value in changes.items():
        if value is _DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


_DROP: Any = object()


def _generate_probes(provider: str) -> list[Probe]:
    base = valid_body(provider, "generate-music", None)
    out = [Probe("generate-music", "valid custom-mode body", base)]
    for model in rules.models(provider)[:1] + rules.models(provider)[-1:]:
        limit = rules.title_limit(provider, "generate-music", model)
        for n in (limit, limit + 1):
            out.append(Probe("generate-music", f"title {n} chars on {model}", _with(base, model=model, title="t" * n)))
        plimit, slimit = rules.prompt_limit(model, True), rules.style_limit(model)
        out.append(
            Probe(
                "generate-music", f"prompt {plimit + 1} on {model}", _with(base, model=model, prompt="p" * (plimit + 1))
            )
        )
        out.append(
            Probe(
                "generate-music", f"style {slimit + 1} on {model}", _with(base, model=model, style="s" * (slimit + 1))
            )
        )
    non_custom = {"customMode": False, "instrumental": False, "model": "V4_5", "callBackUrl": CALLBACK}
    out.append(Probe("generate-music", "non-custom prompt 500", _with(non_custom, prompt="p" * 500)))
    out.append(Probe("generate-music", "non-custom prompt 501", _with(non_custom, prompt="p" * 501)))
    out.append(Probe("generate-music", "non-custom without prompt", non_custom))
    out.append(Probe("generate-music", "custom without title", _with(base, title=_DROP)))
    out.append(Probe("generate-music", "without callBackUrl", _with(base, callBackUrl=_DROP)))
    out.append(Probe("generate-music", "styleWeight 1.01", _with(base, styleWeight=1.01)))
    out.append(Probe("generate-music", "styleWeight 0.005", _with(base, styleWeight=0.005)))
    out.append(Probe("generate-music", "audioWeight 1", _with(base, audioWeight=1)))
    foreign = next(m for m in ("V3_5", "V5_5", "V4_5ALL") if m not in rules.models(provider))
    out.append(Probe("generate-music", f"model {foreign} (not offered)", _with(base, model=foreign)))
    out.append(Probe("generate-music", "customMode as a string", _with(base, customMode="true")))
    return out


def _replace_probes(provider: str, task: TaskFixture | None) -> list[Probe]:
    base = valid_body(provider, "replace-section", task)
    track = task.tracks[0] if task else None

    def span(label: str, start: float, end: float) -> Probe:
        return Probe("replace-section", label, _with(base, infillStartS=start, infillEndS=end), track=track)

    out = [
        span("valid 10-20 s", 10.0, 20.0),
        span("interval 5.99 s", 10.0, 15.99),
        span("interval 6.00 s", 10.0, 16.0),
        span("3 decimals in infillStartS", 10.005, 20.0),
        span("3 decimals in infillEndS", 10.0, 20.001),
        span("start == end", 20.0, 20.0),
        span("start > end", 30.0, 20.0),
        span("negative start", -0.01, 10.0),
        span("interval 60.01 s", 10.0, 70.01),
    ]
    if track is not None:
        half = round(track.duration / 2, 2)
        out += [
            span("span exactly 50% of the track", 0.0, half),
            span("span 50% + 0.01 s", 0.0, round(half + 0.01, 2)),
            span("end past the track", round(track.duration - 10, 2), round(track.duration + 0.01, 2)),
        ]
    selector = rules.track_selector(provider)
    out.append(Probe("replace-section", f"without {selector}", _with(base, **{selector: _DROP}), track=track))
    wrong: Any = 0 if selector == "audioId" else "0"
    out.append(Probe("replace-section", f"{selector} of the wrong type", _with(base, **{selector: wrong}), track=track))
    if selector == "musicIndex":
        out.append(Probe("replace-section", "musicIndex -1", _with(base, musicIndex=-1), track=track))
    out.append(Probe("replace-section", "fullLyrics as a number", _with(base, fullLyrics=42), track=track))
    out.append(Probe("replace-section", "without tags", _with(base, tags=_DROP), track=track))
    return out


def _extend_probes(provider: str, task: TaskFixture | None) -> list[Probe]:
    base = valid_body(provider, "extend-music", task)
    custom = _with(base, defaultParamFlag=True, continueAt=30.5, prompt="p", style="s", title="t")
    model = rules.models(provider)[-1]
    limit = rules.title_limit(provider, "extend-music", model)
    return [
        Probe("extend-music", "reuse the source's parameters", base),
        Probe("extend-music", "defaultParamFlag without custom fields", _with(base, defaultParamFlag=True)),
        Probe("extend-music", "continueAt 0", _with(custom, continueAt=0)),
        Probe("extend-music", "continueAt 3 decimals", _with(custom, continueAt=30.125)),
        Probe("extend-music", f"title {limit + 1} on {model}", _with(custom, model=model, title="t" * (limit + 1))),
        Probe("extend-music", "without audioId", _with(base, audioId=_DROP)),
    ]


def _lyrics_probes(provider: str, task: TaskFixture | None) -> list[Probe]:
    base = valid_body(provider, "get-timestamped-lyrics", task)
    out = [Probe("get-timestamped-lyrics", "without taskId", _with(base, taskId=_DROP))]
    if provider in ("kie", "apikley"):
        out.append(Probe("get-timestamped-lyrics", "without audioId", _with(base, audioId=_DROP)))
    else:
        out.append(Probe("get-timestamped-lyrics", "musicIndex 2", _with(base, audioId=_DROP, musicIndex=2)))
    return out


def pinned_probes(provider: str, task: TaskFixture | None) -> list[Probe]:
    """The exact boundary points of every documented rule, for one profile."""
    return [
        *_generate_probes(provider),
        *_extend_probes(provider, task),
        *_replace_probes(provider, task),
        *_lyrics_probes(provider, task),
        Probe("get-music-details", "taskId of 65 characters", query={"taskId": "a" * 65}),
        Probe("get-music-details", "empty taskId", query={"taskId": ""}),
        Probe("get-music-details", "without taskId", query={}),
    ]


# -- drawn probes ----------------------------------------------------------------------------

_TIMES = st.sampled_from([0.0, 0.01, 5.99, 6.0, 6.01, 10.0, 10.5, 59.99, 60.0, 60.01, 99.99, 100.0, 120.0])
_NUDGE = st.sampled_from([0.0, 0.0, 0.01, -0.01, 0.001, -0.001, 0.005])
_WEIGHTS = st.sampled_from([0, 1, 0.0, 0.01, 0.5, 0.99, 1.0, 1.01, -0.01, 0.005, 0.999, 0.123])


def _replace_strategy(provider: str, task: TaskFixture | None) -> st.SearchStrategy[Probe]:
    base = valid_body(provider, "replace-section", task)
    tracks = task.tracks if task else (None,)

    @st.composite
    def build(draw: st.DrawFn) -> Probe:
        track = draw(st.sampled_from(tracks))
        start = round(draw(_TIMES), 2) + draw(_NUDGE)
        span = draw(st.sampled_from([5.99, 6.0, 6.01, 10.0, 59.99, 60.0, 60.01, 0.0, -1.0]))
        if track is not None and draw(st.booleans()):
            span = round(track.duration / 2, 2) + draw(st.sampled_from([0.0, 0.01, -0.01]))
        end = round(start + span, 2) + draw(_NUDGE)
        body = _with(base, infillStartS=round(start, 3), infillEndS=round(end, 3))
        if track is not None:
            body[rules.track_selector(provider)] = (
                track.id if rules.track_selector(provider) == "audioId" else track.index
            )
        return Probe("replace-section", f"span {end - start:.3f} s", body, track=track)

    return build()


def _generate_strategy(provider: str) -> st.SearchStrategy[Probe]:
    base = valid_body(provider, "generate-music", None)

    @st.composite
    def build(draw: st.DrawFn) -> Probe:
        model = draw(st.sampled_from([*rules.models(provider), "V3_5", "V5_5", "V6"]))
        custom = draw(st.booleans())
        body = _with(base, model=model, customMode=custom)
        if custom:
            known = model if model in rules.models(provider) else "V4_5"
            limit = rules.title_limit(provider, "generate-music", known)
            body["title"] = "t" * draw(st.sampled_from([1, limit, limit + 1, 80, 81, 100, 101]))
            body["style"] = "s" * draw(st.sampled_from([1, 200, 201, 1000, 1001]))
        else:
            body = _with(body, style=_DROP, title=_DROP, prompt="p" * draw(st.sampled_from([1, 500, 501])))
        weight = draw(st.sampled_from(["styleWeight", "weirdnessConstraint", "audioWeight", None]))
        if weight:
            body[weight] = draw(_WEIGHTS)
        return Probe("generate-music", f"{model} custom={custom}", body)

    return build()


def boundary_probes(provider: str, operation: str, task: TaskFixture | None) -> st.SearchStrategy[Probe] | None:
    """Drawn probes around the boundaries of ``operation``'s rules (None: pinned probes suffice)."""
    makers: dict[str, Callable[[], st.SearchStrategy[Probe]]] = {
        "replace-section": lambda: _replace_strategy(provider, task),
        "generate-music": lambda: _generate_strategy(provider),
    }
    maker = makers.get(operation)
    return maker() if maker else None
