"""The documented request rules of each provider profile, written out on their own.

This module is the oracle of the contract suites. It deliberately does **not** import the
mock (``mockserver``) nor evaluate the JSON Schemas of the bundled documents: every rule below
is transcribed by hand from the reference notes (``shared/reference/suno-api.md``, cited by
section and source key) so that a server, the mock included, is judged against the documents
and not against its own code.

Public API:

- :class:`Violation`: one broken rule (``field``, ``value``, ``rule``);
- :func:`request_violations`: every stateless rule of an operation's query and body;
- :func:`replace_section_violations`: the rules that need the source track's duration;
- :data:`OPERATIONS`: provider -> operationId -> (METHOD, path);
- :data:`CREATING`: the operationIds that create (and bill) tasks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CREATING",
    "MISSING",
    "OPERATIONS",
    "PROVIDERS",
    "Violation",
    "decimal_places",
    "interval_rule",
    "models",
    "replace_section_violations",
    "request_violations",
    "track_selector",
]

PROVIDERS: tuple[str, ...] = ("kie", "sunoapi", "apibox", "apikley")


class _Missing:
    """The value of a field that was not sent."""

    def __repr__(self) -> str:
        return "<missing>"


#: ``Violation.value`` of a required field that is absent.
MISSING: Any = _Missing()


@dataclass(frozen=True)
class Violation:
    """One broken rule: which field, what value was sent, which rule it breaks."""

    field: str
    value: Any
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule} (got {self.value!r})"


# --------------------------------------------------------------------------------------------
# Operations (suno-api.md 2.0 endpoint index; 2.5 for the credits paths)
# --------------------------------------------------------------------------------------------

_COMMON_OPS: dict[str, tuple[str, str]] = {
    "generate-music": ("POST", "/api/v1/generate"),  # 2.1
    "extend-music": ("POST", "/api/v1/generate/extend"),  # 2.2
    "get-music-details": ("GET", "/api/v1/generate/record-info"),  # 2.3
    "replace-section": ("POST", "/api/v1/generate/replace-section"),  # 2.4
    "get-timestamped-lyrics": ("POST", "/api/v1/generate/get-timestamped-lyrics"),  # 2.13
}
# 2.5: kie and apikley serve credits under /api/v1/chat/credit [KIE-CREDIT], [APK-CREDIT];
# sunoapi under /api/v1/generate/credit [SA-CREDIT]; api.box is unconfirmed, the bundled
# document uses the sunoapi path (inference noted in 2.5).
_CREDIT_PATH = {
    "kie": "/api/v1/chat/credit",
    "apikley": "/api/v1/chat/credit",
    "sunoapi": "/api/v1/generate/credit",
    "apibox": "/api/v1/generate/credit",
}

#: provider -> operationId -> (METHOD, path)
OPERATIONS: dict[str, dict[str, tuple[str, str]]] = {
    provider: {**_COMMON_OPS, "get-remaining-credits": ("GET", _CREDIT_PATH[provider])} for provider in PROVIDERS
}

#: Operations that create a task and draw credits (2.0: "Every task-creating endpoint returns
#: data: {taskId}"; 2.5: "Insufficient credits makes generation fail").
CREATING: frozenset[str] = frozenset({"generate-music", "extend-music", "replace-section"})

# --------------------------------------------------------------------------------------------
# Per-profile facts (suno-api.md 0.1, 2.1, 2.2, 2.4, 6)
# --------------------------------------------------------------------------------------------

# 0.1 / 2.1: G3 enum for kie [KIE-GEN] and sunoapi [SA-GEN]; apikley's page lists V4..V5
# [APK-GEN]; api.box follows its G1 quickstart [BOX-QS]: V3_5..V5.
_MODELS: dict[str, tuple[str, ...]] = {
    "kie": ("V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5", "V5_5"),
    "sunoapi": ("V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5", "V5_5"),
    "apikley": ("V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5"),
    "apibox": ("V3_5", "V4", "V4_5", "V4_5PLUS", "V5"),
}
# 2.1: "V4 <= 3000 ... V4_5+ <= 5000" for custom prompts, "V4 <= 200, V4_5+ <= 1000" for
# style [SA-GEN], [KIE-GEN]; G1 puts V3_5 with V4 [SA-v1].
_SHORT_MODELS = frozenset({"V3_5", "V4"})
# 2.1 title on generate: kie/apikley 80 for all models [KIE-GEN], [APK-GEN]; sunoapi 80 for
# V4 and V4_5ALL, 100 otherwise [SA-GEN]; api.box (G1) 80 [SA-v1].
# 2.2 title on extend: V4 and V4_5ALL 80, others 100 [KIE-3P]; G1 (api.box): V3_5/V4 80.
_TITLE80_GENERATE: dict[str, frozenset[str] | None] = {
    "kie": None,  # None: 80 for every model
    "apikley": None,
    "apibox": None,
    "sunoapi": frozenset({"V4", "V4_5ALL"}),
}
_TITLE80_EXTEND: dict[str, frozenset[str]] = {
    "kie": frozenset({"V4", "V4_5ALL"}),
    "apikley": frozenset({"V4", "V4_5ALL"}),
    "sunoapi": frozenset({"V4", "V4_5ALL"}),
    "apibox": frozenset({"V3_5", "V4"}),
}
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
# 6: fullLyrics is an optional string on kie and apikley; absent on sunoapi (seed 004) and on
# api.box (seed 002), where an unknown field is simply ignored.
_FULL_LYRICS = frozenset({"kie", "apikley"})

_PERSONA_MODELS = ("style_persona", "voice_persona")  # 2.1 personaModel
_VOCAL_GENDERS = ("m", "f")  # 2.1 vocalGender
_CALLBACK_MAX = 2048  # bundled common.yaml CallBackUrl maxLength
_TASK_ID_MAX = 64  # bundled common.yaml TaskIdQuery: 1..64 characters


def models(provider: str) -> tuple[str, ...]:
    """The model enum of ``provider`` (suno-api.md 0.1, 2.1)."""
    return _MODELS[_known(provider)]


def interval_rule(provider: str) -> tuple[float, float] | None:
    """The replace-section ``(min, max)`` seconds of ``provider``, or None when none is stated."""
    return _INTERVAL[_known(provider)]


def track_selector(provider: str) -> str:
    """``"audioId"`` or ``"musicIndex"``: how replace-section names the track (suno-api.md 6)."""
    return _SELECTOR[_known(provider)]


def title_limit(provider: str, operation_id: str, model: str) -> int:
    """The documented maximum title length for a model (suno-api.md 2.1, 2.2)."""
    if operation_id == "extend-music":
        return 80 if model in _TITLE80_EXTEND[_known(provider)] else 100
    short = _TITLE80_GENERATE[_known(provider)]
    return 80 if short is None or model in short else 100


def prompt_limit(model: str, custom: bool) -> int:
    """Prompt length: 500 outside custom mode, else 3000 (V3_5/V4) or 5000 (suno-api.md 2.1)."""
    if not custom:
        return 500
    return 3000 if model in _SHORT_MODELS else 5000


def style_limit(model: str) -> int:
    """Style length: 200 for V3_5/V4, else 1000 (suno-api.md 2.1)."""
    return 200 if model in _SHORT_MODELS else 1000


def _known(provider: str) -> str:
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}: choose one of {', '.join(PROVIDERS)}")
    return provider


# --------------------------------------------------------------------------------------------
# Value predicates
# --------------------------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_integer(value: object) -> bool:
    # JSON Schema counts 1.0 as an integer.
    return _is_number(value) and float(value).is_integer()  # type: ignore[arg-type]


def decimal_places(value: float) -> int:
    """Digits after the decimal point of the shortest representation of ``value``."""
    try:
        exponent = Decimal(repr(value)).as_tuple().exponent
    except InvalidOperation:
        return 0
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _dec(value: float) -> Decimal:
    return Decimal(repr(value))


_SCHEME = re.compile(r"^https?://", re.IGNORECASE)


def _uri_problem(value: str) -> str | None:
    """Why ``value`` is not an http(s) URI, or None."""
    if len(value) > _CALLBACK_MAX:
        return f"must be at most {_CALLBACK_MAX} characters long"
    if not _SCHEME.match(value):
        return "must be an http:// or https:// URL"
    if any(ch.isspace() for ch in value):
        return "must be a valid URI (no whitespace)"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "must be a valid URI"
    if not (parts.netloc or parts.path):
        return "must be a valid URI (no host)"
    return None


class _Checker:
    """Accumulates violations for one body."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        self.out: list[Violation] = []

    def add(self, field: str, value: Any, rule: str) -> None:
        self.out.append(Violation(field, value, rule))

    def required(self, *names: str, why: str = "") -> None:
        for name in names:
            if name not in self.body:
                self.add(name, MISSING, "is required" + (f" {why}" if why else ""))

    def string(self, name: str, max_len: int | None = None, min_len: int = 0) -> None:
        if name not in self.body:
            return
        value = self.body[name]
        if not isinstance(value, str):
            self.add(name, value, "must be a string")
        elif max_len is not None and len(value) > max_len:
            self.add(name, value, f"must be at most {max_len} characters long")
        elif len(value) < min_len:
            self.add(name, value, f"must be at least {min_len} characters long")

    def boolean(self, name: str) -> None:
        if name in self.body and not isinstance(self.body[name], bool):
            self.add(name, self.body[name], "must be a boolean")

    def enum(self, name: str, allowed: tuple[str, ...]) -> None:
        if name in self.body and (not isinstance(self.body[name], str) or self.body[name] not in allowed):
            self.add(name, self.body[name], f"must be one of {', '.join(allowed)}")

    def number(
        self,
        name: str,
        *,
        minimum: float | None = None,
        exclusive_minimum: float | None = None,
        maximum: float | None = None,
        places: int | None = None,
    ) -> bool:
        """Check a number; True when it is a number (whatever its bounds)."""
        if name not in self.body:
            return False
        value = self.body[name]
        if not _is_number(value):
            self.add(name, value, "must be a number")
            return False
        if minimum is not None and value < minimum:
            self.add(name, value, f"must be >= {minimum}")
        if exclusive_minimum is not None and value <= exclusive_minimum:
            self.add(name, value, f"must be > {exclusive_minimum}")
        if maximum is not None and value > maximum:
            self.add(name, value, f"must be <= {maximum}")
        if places is not None and decimal_places(value) > places:
            self.add(name, value, f"must have at most {places} decimal places")
        return True

    def weight(self, name: str) -> None:
        # 2.1: styleWeight / weirdnessConstraint / audioWeight are 0-1, multipleOf 0.01.
        self.number(name, minimum=0, maximum=1, places=2)

    def callback(self, name: str = "callBackUrl") -> None:
        if name not in self.body:
            return
        value = self.body[name]
        if not isinstance(value, str):
            self.add(name, value, "must be a string")
            return
        problem = _uri_problem(value)
        if problem:
            self.add(name, value, problem)


# --------------------------------------------------------------------------------------------
# Operation rules
# --------------------------------------------------------------------------------------------


def _model(check: _Checker, provider: str) -> str | None:
    """Check ``model``; the model when it is a documented one (length rules depend on it)."""
    check.enum("model", _MODELS[provider])
    model = check.body.get("model")
    return model if isinstance(model, str) and model in _MODELS[provider] else None


def _optional_common(check: _Checker) -> None:
    # 2.1 / 2.2 optional fields shared by generate and extend.
    check.string("negativeTags")
    check.enum("vocalGender", _VOCAL_GENDERS)
    for name in ("styleWeight", "weirdnessConstraint", "audioWeight"):
        check.weight(name)
    check.string("personaId")
    check.enum("personaModel", _PERSONA_MODELS)


def _generate(check: _Checker, provider: str) -> None:
    # 2.1 Generate Music.
    body = check.body
    check.required("customMode", "instrumental", "model", "callBackUrl")
    check.boolean("customMode")
    check.boolean("instrumental")
    model = _model(check, provider)
    check.callback()
    _optional_common(check)
    custom = body.get("customMode")
    if custom is True:
        # "Custom mode: instrumental:true needs style and title; instrumental:false needs
        # style, prompt and title" [SA-GEN], [KIE-GEN].
        check.required("style", "title", why="when customMode is true")
        if body.get("instrumental") is False:
            check.required("prompt", why="when customMode is true and instrumental is false")
    elif custom is False:
        check.required("prompt", why="when customMode is false")  # "Non-custom mode needs only prompt"
    if model is not None:
        check.string("prompt", prompt_limit(model, custom is not False))
        check.string("style", style_limit(model))
        check.string("title", title_limit(provider, "generate-music", model))
    else:
        check.string("prompt", 500 if custom is False else None)
        check.string("style")
        check.string("title")


def _extend(check: _Checker, provider: str) -> None:
    # 2.2 Extend Music.
    body = check.body
    check.required("defaultParamFlag", "audioId", "model", "callBackUrl")
    check.boolean("defaultParamFlag")
    check.string("audioId")
    model = _model(check, provider)
    check.callback()
    _optional_common(check)
    check.boolean("instrumental")
    if body.get("defaultParamFlag") is True:
        # "true = use custom params (then continueAt, prompt, style, title are required)" [SA-v1]
        check.required("continueAt", "prompt", "style", "title", why="when defaultParamFlag is true")
    # "continueAt > 0 and < total duration of the source audio" [SA-v1]; seconds with 2 decimals.
    check.number("continueAt", exclusive_minimum=0, places=2)
    if model is not None:
        check.string("prompt", prompt_limit(model, True))
        check.string("style", style_limit(model))
        check.string("title", title_limit(provider, "extend-music", model))
    else:
        for name in ("prompt", "style", "title"):
            check.string(name)


def _replace_section(check: _Checker, provider: str) -> None:
    # 2.4 and 6 Replace Music Section.
    selector = _SELECTOR[provider]
    check.required("taskId", selector, "prompt", "tags", "title", "infillStartS", "infillEndS")
    for name in ("taskId", "prompt", "tags", "title", "negativeTags"):
        check.string(name)
    if selector == "audioId":
        check.string("audioId")
    elif "musicIndex" in check.body:
        # [SEED-BOX-RS]: musicIndex is an integer, 0-based.
        value = check.body["musicIndex"]
        if not _is_integer(value):
            check.add("musicIndex", value, "must be an integer")
        elif value < 0:
            check.add("musicIndex", value, "must be >= 0")
    if provider in _FULL_LYRICS:
        check.string("fullLyrics")
    check.callback()
    # "Times are numbers with 2 decimals, minimum 0; start must be less than end."
    start_ok = check.number("infillStartS", minimum=0, places=2)
    end_ok = check.number("infillEndS", minimum=0, places=2)
    if not (start_ok and end_ok):
        return
    start, end = check.body["infillStartS"], check.body["infillEndS"]
    if start >= end:
        check.add("infillEndS", end, f"must be greater than infillStartS ({start!r})")
        return
    bounds = _INTERVAL[provider]
    if bounds is not None:
        low, high = bounds
        span = _dec(end) - _dec(start)
        if span < _dec(low) or span > _dec(high):
            check.add(
                "infillEndS - infillStartS",
                float(span),
                f"the interval must be between {low:g} and {high:g} seconds",
            )


def _timestamped_lyrics(check: _Checker, provider: str) -> None:
    # 2.13 / bundled documents: kie and apikley require taskId and audioId; sunoapi and api.box
    # require taskId and accept audioId or musicIndex (0 or 1).
    check.required("taskId")
    check.string("taskId")
    check.string("audioId")
    if provider in ("kie", "apikley"):
        check.required("audioId")
    elif "musicIndex" in check.body:
        value = check.body["musicIndex"]
        if not _is_integer(value) or value not in (0, 1):
            check.add("musicIndex", value, "must be 0 or 1")


_BODY_RULES = {
    "generate-music": _generate,
    "extend-music": _extend,
    "replace-section": _replace_section,
    "get-timestamped-lyrics": _timestamped_lyrics,
}


def request_violations(
    provider: str,
    operation_id: str,
    body: Mapping[str, Any] | None = None,
    query: Mapping[str, str] | None = None,
) -> list[Violation]:
    """Every documented stateless rule ``body`` and ``query`` break, for one operation.

    ``body`` is the decoded JSON body (None: no body sent); anything that is not a JSON object
    is itself a violation. Fields the documents do not name are ignored. An empty list means
    a correct server must not reject the request for its parameters (it may still answer 404
    for an unknown task or track, or 422 for a rule that needs the track,
    see :func:`replace_section_violations`).
    """
    ops = OPERATIONS[_known(provider)]
    if operation_id not in ops:
        raise ValueError(f"unknown operationId {operation_id!r}: choose one of {', '.join(ops)}")
    if operation_id == "get-music-details":
        # 2.3: taskId is a required query string (1-64 characters in the bundled document).
        query = query or {}
        if "taskId" not in query:
            return [Violation("taskId", MISSING, "is required (query parameter)")]
        task_id = query["taskId"]
        if not isinstance(task_id, str) or not 1 <= len(task_id) <= _TASK_ID_MAX:
            return [Violation("taskId", task_id, f"must be 1 to {_TASK_ID_MAX} characters long")]
        return []
    if operation_id == "get-remaining-credits":
        return []  # 2.5: no parameters
    obj: object = body
    if obj is None:
        return [Violation("body", MISSING, "is required (a JSON object)")]
    if not isinstance(obj, Mapping):
        return [Violation("body", obj, "must be a JSON object")]
    check = _Checker(obj)
    _BODY_RULES[operation_id](check, provider)
    return check.out


def replace_section_violations(provider: str, body: Mapping[str, Any], track_duration: float) -> list[Violation]:
    """The replace-section rules that need the source track's ``track_duration`` (seconds).

    6: "Replaced length must be <= 50 % of the original duration (every provider)", and the span
    must lie within the track. Only numbers are judged; types are :func:`request_violations`'.
    """
    _known(provider)
    start: Any = body.get("infillStartS")
    end: Any = body.get("infillEndS")
    out: list[Violation] = []
    if not (_is_number(start) and _is_number(end)):
        return out
    duration = _dec(track_duration)
    if _dec(end) > duration:
        out.append(Violation("infillEndS", end, f"must be within the track's duration ({track_duration:g} s)"))
    span = _dec(end) - _dec(start)
    if span > 0 and span * 2 > duration:
        out.append(
            Violation(
                "infillEndS - infillStartS",
                float(span),
                f"the replaced span must be at most 50% of the track's duration ({track_duration:g} s)",
            )
        )
    return out
