"""The four provider profiles and the switches on which they differ.

Differences the providers *document* (field names, limits, models, paths) live in the bundled
OpenAPI documents. The switches here cover what the documents leave open (reference section 8):
each has a documented default per provider and can be overridden with ``--set key=value``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from ._errors import ConfigError
from .openapi import PROVIDERS, UnknownProvider

__all__ = ["PROFILES", "Profile", "apply_profile", "get_profile"]

CreateTime = Literal["string", "epoch_ms"]
ErrorStyle = Literal["error", "null", "empty"]


@dataclass(frozen=True)
class Profile:
    """What one reseller does where the documents are silent or disagree."""

    name: str
    #: Days a finished task's results stay available (music 15 on sunoapi, 14 elsewhere).
    retention_days: float = 14.0
    #: Days a replace-section task's results stay available: 14 on every provider ("Generated files
    #: will be retained for 14 days", seeds 000, 001, 002; seed 004's copy stops before its notes,
    #: and shared/seeds/README.md gives 14 days for all four). Music on sunoapi keeps 15.
    replace_retention_days: float = 14.0
    #: Days a file of the file-upload API stays available: "Files are temporary: 3 days" (the upload
    #: pages of kie and sunoapi; one kie page says 24 hours). After it the file answers 404.
    upload_retention_days: float = 3.0
    #: ``createTime`` as the documented "YYYY-MM-DD HH:MM:SS" string or as epoch milliseconds
    #: (what a real api.box callback carried).
    create_time: CreateTime = "string"
    #: ``record-info.type``: examples show "GENERATE"; the schema enum says chirp-*.
    record_type: str = "GENERATE"
    #: ``operationType`` of a replace-section task (undocumented; "generate" keeps the enum).
    replace_operation_type: str = "generate"
    #: ``data.data`` of the text-stage callback: ``[]`` (documented) or ``null``.
    text_callback_data: Literal["empty", "null"] = "empty"
    #: Music error callbacks: "empty" sends ``data: []`` (kie docs), "null" sends ``data: null``
    #: (sunoapi), "error" sends an ``error`` string instead.
    music_error_callback: ErrorStyle = "empty"
    #: Replace-section error callbacks: "error" carries an ``error`` string (kie), "null" sends
    #: ``data: null`` (sunoapi CN), "empty" sends ``data: []``.
    replace_error_callback: ErrorStyle = "error"
    #: Ids a replace-section callback carries: "new" sends the new task's id as ``task_id`` and the
    #: new track's id as ``data[].id`` (what the submit answer and Get Music Details show); "parent"
    #: sends the request's ``taskId`` and the source track's id, as the examples of seeds 001 and 003
    #: show (they may be copied from the generate page).
    replace_callback_ids: Literal["new", "parent"] = "new"
    #: Set CALLBACK_EXCEPTION when every attempt to deliver the ``complete`` callback failed.
    mark_callback_exception: bool = False
    #: Replace-section interval rule override: "spec" keeps the document's ``x-interval``;
    #: "none" drops the length rule; "MIN-MAX" or "MIN-" sets one (seconds).
    replace_interval: str = "spec"
    #: Mock seconds before the first retry of a failed callback; later gaps double.
    callback_backoff_s: float = 2.0
    #: Whether the provider documents webhook signing (kie's HMAC scheme).
    webhook_signing: bool = False
    #: Code for a task or track that does not exist.
    not_found_code: int = 404
    #: A second Convert to WAV of the same track answers 409 "WAV record already exists" (inferred
    #: from the code tables; false converts it again).
    wav_conflict: bool = True
    #: The task id key of lyrics callbacks: ``taskId`` (sunoapi) or ``task_id`` (kie).
    lyrics_task_key: Literal["taskId", "task_id"] = "task_id"
    #: The stems object of separation callbacks: ``vocal_removal_info`` (sunoapi) or
    #: ``vocal_separation_info`` (kie).
    stems_key: Literal["vocal_removal_info", "vocal_separation_info"] = "vocal_separation_info"
    #: Cover-image ``successFlag``: integers 0-3 (sunoapi, kie) or status strings (apikley's page).
    cover_flag: Literal["integer", "string"] = "integer"
    #: A second persona for the same audioId: "conflict" answers 409 (documented), "same" returns the
    #: first persona with the new name and description (observed on kie by a third party).
    persona_repeat: Literal["conflict", "same"] = "conflict"
    #: Callbacks of kie Market jobs: "classic" sends the classic body of the task's kind (the
    #: create-music-video page's hint); "record" sends the recordInfo data on completion or failure
    #: (what kie's generic Market models send). Unverified for the Suno models either way.
    market_callback: Literal["classic", "record"] = "classic"
    #: "new": the NEW code set on every operation (the mock's default); "old": the OLD set (400
    #: invalid, 429 insufficient credits, 430 call frequency too high) on the operations whose pages
    #: document it (``x-code-set: old`` in the spec: sunoapi's WAV, recovery, timestamped lyrics,
    #: the file uploads); see ``_codeset`` for 405 and 413.
    code_set: Literal["new", "old"] = "new"
    #: With ``code_set=old``, the code of the rate limit on the OLD-code pages: 430 "call frequency
    #: too high" or 405 "rate limit exceeded"; the pages list both and do not say which one the
    #: documented 20-per-10-s limit answers (unverified).
    old_rate_limit_code: int = 430

    def with_overrides(self, overrides: dict[str, str]) -> Profile:
        """A copy with ``key=value`` strings applied; unknown keys and bad values are refused."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for key, raw in overrides.items():
            if key not in fields or key == "name":
                allowed = ", ".join(sorted(set(fields) - {"name"}))
                raise ConfigError(f"unknown profile setting {key!r}; settings are: {allowed}")
            changes[key] = _coerce(key, raw, getattr(self, key))
        profile = dataclasses.replace(self, **changes)
        profile.check()
        return profile

    def check(self) -> None:
        """Refuse values outside each switch's allowed set."""
        choices: dict[str, tuple[str, ...]] = {
            "create_time": ("string", "epoch_ms"),
            "text_callback_data": ("empty", "null"),
            "music_error_callback": ("error", "null", "empty"),
            "replace_error_callback": ("error", "null", "empty"),
            "replace_callback_ids": ("new", "parent"),
            "lyrics_task_key": ("taskId", "task_id"),
            "stems_key": ("vocal_removal_info", "vocal_separation_info"),
            "cover_flag": ("integer", "string"),
            "persona_repeat": ("conflict", "same"),
            "market_callback": ("classic", "record"),
            "code_set": ("new", "old"),
        }
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                raise ConfigError(
                    f"profile setting {key}={getattr(self, key)!r} is not allowed; use one of {', '.join(allowed)}"
                )
        if self.old_rate_limit_code not in (430, 405):
            raise ConfigError(
                f"profile setting old_rate_limit_code={self.old_rate_limit_code!r} is not allowed; use one of 430, 405"
            )
        interval_bounds(self.replace_interval)

    def retention(self, kind: str) -> float:
        """Days the results of a task of job kind ``kind`` stay available."""
        if kind == "replace":
            return self.replace_retention_days
        return self.upload_retention_days if kind == "upload" else self.retention_days


def interval_bounds(value: str) -> tuple[float | None, float | None] | None:
    """Parse ``replace_interval``: None for "spec", (None, None) for "none", else the bounds."""
    if value == "spec":
        return None
    if value == "none":
        return (None, None)
    low, sep, high = value.partition("-")
    try:
        bounds = (float(low) if low else None, float(high) if high else None)
    except ValueError:
        bounds = (None, None)
        sep = ""
    if not sep or bounds == (None, None):
        raise ConfigError(
            f"replace_interval={value!r} is not allowed; use 'spec', 'none', 'MIN-MAX' or 'MIN-' (seconds), e.g. '6-60'"
        )
    return bounds


def apply_profile(spec: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """Write the profile's interval override into the replace-section schema it governs (``spec``, changed)."""
    bounds = interval_bounds(profile.replace_interval)
    if bounds is None:
        return spec
    for schema in spec["components"]["schemas"].values():
        rule = schema.get("x-interval")
        if isinstance(rule, dict):
            rule.pop("minSeconds", None)
            rule.pop("maxSeconds", None)
            low, high = bounds
            if low is not None:
                rule["minSeconds"] = low
            if high is not None:
                rule["maxSeconds"] = high
    return spec


def _coerce(key: str, raw: str, current: object) -> object:
    if isinstance(current, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"profile setting {key}={raw!r} is not allowed; use true or false")
    if isinstance(current, (int, float)):
        try:
            return type(current)(raw)
        except ValueError:
            raise ConfigError(f"profile setting {key}={raw!r} is not allowed; use a number") from None
    return raw


PROFILES: dict[str, Profile] = {
    "kie": Profile(name="kie", webhook_signing=True),
    "sunoapi": Profile(
        name="sunoapi",
        retention_days=15.0,
        music_error_callback="null",
        replace_error_callback="null",
        lyrics_task_key="taskId",
        stems_key="vocal_removal_info",
    ),
    # api.box runs sunoapi's document set (reference api-family.md 0.5): its callbacks follow sunoapi's.
    "apibox": Profile(
        name="apibox",
        replace_error_callback="empty",
        lyrics_task_key="taskId",
        stems_key="vocal_removal_info",
    ),
    "apikley": Profile(name="apikley", cover_flag="string"),
}
assert tuple(PROFILES) == PROVIDERS


def get_profile(name: str, overrides: dict[str, str] | None = None) -> Profile:
    """The named profile with overrides applied."""
    try:
        profile = PROFILES[name]
    except KeyError:
        raise ConfigError(str(UnknownProvider(name))) from None
    return profile.with_overrides(overrides) if overrides else profile
