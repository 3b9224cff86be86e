"""Replace Music Section: one new track, read through Get Music Details like a music task.

Facts: ``shared/reference/suno-api.md`` 2.4, 4.3 and 6 (the provider comparison). Callbacks
``complete`` or ``error`` only; the receiver has 10 s; "up to 3 attempts with exponential backoff".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from .._checking import Checker, Violation, dec, is_number
from ._model import (
    CALLBACK,
    UNKNOWN_AUDIO,
    UNKNOWN_TASK,
    Callbacks,
    Family,
    Field,
    Operation,
    Probe,
    Ref,
    Source,
    changed,
)
from .music import DETAILS, STATUS, record_stage, tracks_of

__all__ = ["FAMILY", "interval_rule", "replace_section_violations", "track_selector"]

# 6: interval rule (infillEndS - infillStartS): 6-60 s on apikley [SEED-APK-RS] and sunoapi
# [SEED-SA-RS]; none stated on kie's Mintlify seed [SEED-KIE-RS] and on api.box [SEED-BOX-RS].
_INTERVAL: dict[str, tuple[float, float] | None] = {
    "kie": None,
    "apibox": None,
    "apikley": (6.0, 60.0),
    "sunoapi": (6.0, 60.0),
}
# 6: api.box (docs.api.box seed 002) selects the track with musicIndex (integer, 0-based);
# the others with audioId.
_SELECTOR = {"kie": "audioId", "apikley": "audioId", "sunoapi": "audioId", "apibox": "musicIndex"}
_BY_AUDIO_ID = frozenset(p for p, s in _SELECTOR.items() if s == "audioId")
# 6: fullLyrics is an optional string on kie and apikley; absent on sunoapi (seed 004) and on
# api.box (seed 002), where an unknown field is simply ignored.
_FULL_LYRICS = frozenset({"kie", "apikley"})


def interval_rule(provider: str) -> tuple[float, float] | None:
    """The replace-section ``(min, max)`` seconds of ``provider``, or None when none is stated."""
    return _INTERVAL[provider]


def track_selector(provider: str) -> str:
    """``"audioId"`` or ``"musicIndex"``: how replace-section names the track (suno-api.md 6)."""
    return _SELECTOR[provider]


def _times(check: Checker, provider: str) -> None:
    """ "Times are numbers with 2 decimals, minimum 0; start must be less than end"; the interval rule."""
    start: Any = check.body.get("infillStartS")
    end: Any = check.body.get("infillEndS")
    if not (is_number(start) and is_number(end)):
        return
    if start >= end:
        check.add("infillEndS", end, f"must be greater than infillStartS ({start!r})")
        return
    bounds = _INTERVAL[provider]
    if bounds is not None:
        low, high = bounds
        span = dec(end) - dec(start)
        if span < dec(low) or span > dec(high):
            check.add(
                "infillEndS - infillStartS", float(span), f"the interval must be between {low:g} and {high:g} seconds"
            )


def replace_section_violations(provider: str, body: Mapping[str, Any], track_duration: float) -> list[Violation]:
    """The replace-section rules that need the source track's ``track_duration`` (seconds).

    6: "Replaced length must be <= 50 % of the original duration (every provider)", and the span
    must lie within the track. Only numbers are judged; types are the stateless rules'.
    """
    start: Any = body.get("infillStartS")
    end: Any = body.get("infillEndS")
    out: list[Violation] = []
    if not (is_number(start) and is_number(end)):
        return out
    duration = dec(track_duration)
    if dec(end) > duration:
        out.append(Violation("infillEndS", end, f"must be within the track's duration ({track_duration:g} s)"))
    span = dec(end) - dec(start)
    if span > 0 and span * 2 > duration:
        out.append(
            Violation(
                "infillEndS - infillStartS",
                float(span),
                f"the replaced span must be at most 50% of the track's duration ({track_duration:g} s)",
            )
        )
    return out


def _valid(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    track = source.tracks[0] if source and source.tracks else None
    body: dict[str, Any] = {
        "taskId": source.task_id if source else UNKNOWN_TASK,
        "prompt": "A calm piano line",
        "tags": "jazz",
        "title": "Relaxing Piano",
        "infillStartS": 10.0,
        "infillEndS": 20.0,
        "callBackUrl": callback,
    }
    if _SELECTOR[provider] == "audioId":
        body["audioId"] = track.id if track else UNKNOWN_AUDIO
    else:
        body["musicIndex"] = track.index if track else 0
    return body


def _probes(provider: str, source: Source | None) -> list[Probe]:
    """The cross-field and stateful boundaries: the interval, start < end, 50% of the track, end within it."""
    base = _valid(provider, source, CALLBACK)
    track = source.tracks[0] if source and source.tracks else None
    interval = "replace-section: the interval rule (6-60 s where documented)"
    order = "replace-section: infillStartS < infillEndS"

    def span(label: str, start: float, end: float, rule: str) -> Probe:
        body = changed(base, {"infillStartS": start, "infillEndS": end})
        return Probe("replace-section", label, body, track=track, rule=rule)

    out = [
        span("interval 5.99 s", 10.0, 15.99, interval),
        span("interval 6.00 s", 10.0, 16.0, interval),
        span("interval 60.00 s", 10.0, 70.0, interval),
        span("interval 60.01 s", 10.0, 70.01, interval),
        span("start == end", 20.0, 20.0, order),
        span("start > end", 30.0, 20.0, order),
    ]
    if track is not None:
        half = round(track.duration / 2, 2)
        rule = "replace-section: the span is at most 50% of the track and ends within it"
        out += [
            span("span exactly 50% of the track", 0.0, half, rule),
            span("span 50% + 0.01 s", 0.0, round(half + 0.01, 2), rule),
            span("end past the track", round(track.duration - 10, 2), round(track.duration + 0.01, 2), rule),
        ]
    return out


_TIMES = st.sampled_from([0.0, 0.01, 5.99, 6.0, 6.01, 10.0, 10.5, 59.99, 60.0, 60.01, 99.99, 100.0, 120.0])
_NUDGE = st.sampled_from([0.0, 0.0, 0.01, -0.01, 0.001, -0.001, 0.005])


def _drawn(provider: str, source: Source | None) -> st.SearchStrategy[Probe]:
    base = _valid(provider, source, CALLBACK)
    tracks = source.tracks if source and source.tracks else (None,)
    selector = _SELECTOR[provider]

    @st.composite
    def build(draw: st.DrawFn) -> Probe:
        track = draw(st.sampled_from(tracks))
        start = round(draw(_TIMES), 2) + draw(_NUDGE)
        span = draw(st.sampled_from([5.99, 6.0, 6.01, 10.0, 59.99, 60.0, 60.01, 0.0, -1.0]))
        if track is not None and draw(st.booleans()):
            span = round(track.duration / 2, 2) + draw(st.sampled_from([0.0, 0.01, -0.01]))
        end = round(start + span, 2) + draw(_NUDGE)
        body = changed(base, {"infillStartS": round(start, 3), "infillEndS": round(end, 3)})
        if track is not None:
            body[selector] = track.id if selector == "audioId" else track.index
        return Probe(
            "replace-section", f"span {end - start:.3f} s", body, track=track, rule="replace-section: drawn spans"
        )

    return build()


def _stateful(provider: str, body: Mapping[str, Any], duration: float) -> list[Violation]:
    return replace_section_violations(provider, body, duration)


REPLACE = Operation(
    id="replace-section",
    method="POST",
    path="/api/v1/generate/replace-section",
    source="suno-api.md 2.4, 6 (seeds 000-004)",
    body=(
        # "prompt, tags, title, infillStartS, infillEndS are required, and so is taskId".
        Field("taskId", "string", required=True, example=UNKNOWN_TASK),
        Field("audioId", "string", required=True, providers=_BY_AUDIO_ID, example=UNKNOWN_AUDIO),
        # [SEED-BOX-RS]: musicIndex is an integer, 0-based.
        Field("musicIndex", "integer", required=True, minimum=0, providers=frozenset({"apibox"}), example=0),
        Field("prompt", "string", required=True, example="p"),
        Field("tags", "string", required=True, example="jazz"),
        Field("title", "string", required=True, example="t"),
        Field("infillStartS", "number", required=True, minimum=0, places=2, example=10.0),
        Field("infillEndS", "number", required=True, minimum=0, places=2, example=20.0),
        Field("negativeTags", "string", example="rock"),
        Field("fullLyrics", "string", providers=_FULL_LYRICS, example="[Verse]\nla"),
        Field("callBackUrl", "uri", example=CALLBACK),
    ),
    cross=_times,
    stateful=_stateful,
    valid=_valid,
    creates=True,
    needs="music",
    refs=(
        Ref("taskId", "task"),
        Ref("audioId", "track", providers=_BY_AUDIO_ID),
        Ref("musicIndex", "index", providers=frozenset({"apibox"})),
    ),
    probes=_probes,
    drawn=_drawn,
)

FAMILY = Family(
    name="replace",
    source="suno-api.md 2.4, 4.1, 4.3, 6",
    creating=(REPLACE,),
    details=DETAILS,  # "Status is checked via /api/v1/generate/record-info"
    status=STATUS,
    # 4.3: "Only a complete (success) or error callback"; 10 s timeout; up to 3 attempts.
    callbacks=Callbacks(stages=("complete",), timeout_s=10.0, attempts=3),
    results=1,
    record_check=record_stage,
    echoes_param=True,
    tracks=tracks_of,
    unverified="the CN callback pages say 15 s for the receiver (4.1); the interval rule differs by doc version (6)",
)
