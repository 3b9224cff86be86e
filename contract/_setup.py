"""The configuration of one test's mock: the ``suno`` markers merged over the ``--suno-*`` options and ini keys.

:func:`setup_of` gives the :class:`Setup` of a test (closest marker wins); :func:`parse_time_scale`
and :func:`parse_seed` read the option and ini values. Importing this module imports only pytest
and the standard library (the plugin loads it at start-up); the mock is imported on first use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import pytest

__all__ = ["DEFAULT_TOKEN", "DOCS", "Setup", "fail", "parse_poll_step", "parse_seed", "parse_time_scale", "setup_of"]

DOCS = "docs/pytest-plugin.md"
#: The API key the fixtures' clients send unless the marker sets ``tokens=[...]``.
DEFAULT_TOKEN = "suno-test-key"
#: Keys of ``@pytest.mark.suno`` besides the :class:`mockserver.Settings` fields.
_MARKER_KEYS = ("provider", "time_scale", "faults", "seed", "expect_rejections", "poll_step")
#: Settings fields the marker may not set (the plugin derives them).
_DERIVED = ("virtual_clock",)


def parse_time_scale(text: str) -> float | None:
    if text.strip().lower() == "virtual":
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise ValueError("use 'virtual' or a number of mock seconds per real second > 0")
    return value


#: What a poll step must be (the options', ini key's and marker's message).
POLL_STEP_RULE = "use a number of mock seconds >= 0 that each details read moves the virtual clock on (0: never)"


def parse_poll_step(text: str) -> float:
    """Mock seconds each details read moves ``suno_respx``'s virtual clock on (a number >= 0)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError(POLL_STEP_RULE)
    return value


def parse_seed(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError("use an integer, or 'none' for random ids") from None


def _default(config: pytest.Config, name: str) -> str:
    value = config.getoption(f"--suno-{name.replace('_', '-')}")
    return str(value) if value is not None else str(config.getini(f"suno_{name}"))


@dataclass(frozen=True)
class Setup:
    """What the markers and options ask of one test's mock."""

    provider: str
    settings: Mapping[str, Any]
    faults: tuple[Mapping[str, Any], ...] = ()
    expect_rejections: bool = False
    #: Mock seconds each details read through ``suno_respx`` moves the virtual clock on (0 on a scaled clock).
    poll_step: float = 0.0

    @property
    def key(self) -> str:
        """Tests with equal keys can share a served mock."""
        return repr((self.provider, sorted((k, repr(v)) for k, v in self.settings.items())))

    @property
    def token(self) -> str:
        tokens = self.settings.get("tokens") or ()
        return sorted(tokens)[0] if tokens else DEFAULT_TOKEN


def fail(message: str) -> NoReturn:
    __tracebackhide__ = True
    pytest.fail(message, pytrace=False)


def setup_of(request: pytest.FixtureRequest) -> Setup:
    """Merge the ``suno`` markers (closest wins) over the options and ini keys."""
    __tracebackhide__ = True
    import dataclasses

    from mockserver import Settings, openapi

    node = request.node
    options: dict[str, Any] = {}
    for mark in reversed(list(node.iter_markers("suno"))):
        if mark.args:
            fail(f"@pytest.mark.suno takes keywords only, got {mark.args!r}; e.g. @pytest.mark.suno(provider='kie')")
        options.update(mark.kwargs)
    fields = {f.name for f in dataclasses.fields(Settings)} - set(_DERIVED) - {"time_scale", "seed"}
    unknown = sorted(set(options) - set(_MARKER_KEYS) - fields)
    if unknown:
        allowed = ", ".join(sorted({*_MARKER_KEYS, *fields}))
        fail(f"@pytest.mark.suno got unknown keyword(s) {', '.join(unknown)}; allowed: {allowed} (see {DOCS})")
    config = request.config
    provider = options.pop("provider", None) or _default(config, "provider")
    if provider not in openapi.PROVIDERS:
        fail(f"suno provider {provider!r} is unknown; use one of {', '.join(openapi.PROVIDERS)}")
    scale = options.pop("time_scale") if "time_scale" in options else parse_time_scale(_default(config, "time_scale"))
    seed = options.pop("seed") if "seed" in options else parse_seed(_default(config, "seed"))
    faults = options.pop("faults", None) or ()
    if isinstance(faults, Mapping) or not all(isinstance(rule, Mapping) for rule in faults):
        fail(f"@pytest.mark.suno(faults=...) must be a list of rule dicts, got {faults!r}")
    expect = bool(options.pop("expect_rejections", False))
    step = _poll_step(options.pop("poll_step", None), config, scale)
    settings: dict[str, Any] = {**options, "seed": seed}
    if "store" not in settings and (store := str(config.getini("suno_mock_store")).strip()):
        # each pytest-xdist worker resets its mocks between tests: give each one its own file or database
        settings["store"] = store.replace("{worker}", os.environ.get("PYTEST_XDIST_WORKER", "main"))
    if scale is None:
        settings["virtual_clock"] = True
    else:
        settings["time_scale"] = scale
    try:
        Settings(**settings)
    except (TypeError, ValueError) as exc:
        fail(f"@pytest.mark.suno: {exc}")
    return Setup(provider, settings, tuple(faults), expect, step)


def _poll_step(marked: Any, config: pytest.Config, scale: float | None) -> float:
    """The marker's ``poll_step``, else the option's or ini key's; on a scaled clock (time moves by itself) 0."""
    __tracebackhide__ = True
    if marked is None:
        return 0.0 if scale is not None else parse_poll_step(_default(config, "poll_step"))
    if isinstance(marked, bool) or not isinstance(marked, (int, float)) or not 0 <= marked < float("inf"):
        fail(f"@pytest.mark.suno(poll_step={marked!r}) is not allowed: {POLL_STEP_RULE}")
    if marked and scale is not None:
        fail(
            f"@pytest.mark.suno(poll_step={marked!r}) needs the virtual clock, but this test runs at "
            f"time_scale={scale:g} (time moves by itself); drop poll_step or time_scale"
        )
    return float(marked)
