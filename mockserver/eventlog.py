"""The terminal log of ``suno-mock serve``: one line per API request and per job event.

Plain text (coloured when the stream is a terminal) or JSON, one object per line, for CI
logs. It prints what :mod:`mockserver.events` carries, which never holds an API key: a key
shows as its :func:`~mockserver.events.key_tag`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from .events import Event

__all__ = ["FORMATS", "TerminalLog"]

FORMATS = ("plain", "json")
LogFormat = Literal["plain", "json"]

_RESET = "\x1b[0m"
_COLOURS = {"green": "\x1b[32m", "yellow": "\x1b[33m", "red": "\x1b[31m", "cyan": "\x1b[36m", "dim": "\x1b[2m"}
_OUTCOME_COLOURS = {"delivered": "green", "retry": "yellow", "gave-up": "red", "refused": "red"}
#: What a line shows of a refusal's message at most (characters).
_MSG_SHOWN = 240


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S.%f")[:-3]


class TerminalLog:
    """An event listener that writes one line per event to ``stream`` (and flushes it).

    ``colour`` None colours when ``stream`` is a terminal. ``wall`` gives the real time a line
    starts with (UTC); the mock time of a job event is shown after ``mock``.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        fmt: LogFormat = "plain",
        colour: bool | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"log format {fmt!r} is not allowed; use one of {', '.join(FORMATS)}")
        self._stream = stream
        self._json = fmt == "json"
        isatty = getattr(stream, "isatty", None)
        self._colour = bool(isatty and isatty()) if colour is None else colour
        self._wall = wall

    def __call__(self, event: Event) -> None:
        self._stream.write(self.line(event) + "\n")
        self._stream.flush()

    def line(self, event: Event) -> str:
        """The event as one line (no newline)."""
        if self._json:
            record: dict[str, Any] = {"time": _iso(self._wall()), "event": event.type, "mock_time": _iso(event.at)}
            record.update(event.fields)
            return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        return f"{_clock(self._wall())} {self._paint('dim', f'{event.type:<8}')} {self._text(event)}"

    def _paint(self, colour: str, text: str) -> str:
        return f"{_COLOURS[colour]}{text}{_RESET}" if self._colour else text

    def _text(self, event: Event) -> str:
        f = event.fields
        if event.type == "request":
            code = f["code"]
            colour = "green" if code == 200 else "yellow" if 400 <= code < 500 else "red"
            text = f"{f['method']} {f['path']} {self._paint(colour, str(code))} {f['ms']:.1f} ms"
            if f.get("task_id"):
                text += f" task {f['task_id']}"
            if f.get("key"):
                text += f" key {f['key']}"
            if f.get("msg"):
                msg = f["msg"] if len(f["msg"]) <= _MSG_SHOWN else f["msg"][: _MSG_SHOWN - 3] + "..."
                text += f" | {msg}"
            return text
        mock = f"mock {_clock(event.at)}"
        if event.type == "stage":
            status = f" -> {f['status']}" if f.get("status") else ""
            return f"task {f['task_id']} ({f['kind']}) {self._paint('cyan', str(f['stage']))}{status} {mock}"
        if event.type == "callback":
            answer = f"HTTP {f['status_code']}" if f.get("status_code") is not None else (f.get("error") or "no answer")
            outcome = str(f["outcome"])
            if outcome == "retry":
                outcome += f" in {f['retry_in']:g} s"
            painted = self._paint(_OUTCOME_COLOURS.get(str(f["outcome"]), "red"), outcome)
            return (
                f"task {f['task_id']} {f['stage']} #{f['attempt']} -> {f['url']}: {answer}, {f['ms']:.1f} ms, "
                f"{painted} {mock}"
            )
        if event.type == "clock":
            return f"advanced {f['seconds']:g} s, {mock}"
        extra = " ".join(f"{key}={value}" for key, value in f.items())
        return f"{extra} {mock}".strip()
