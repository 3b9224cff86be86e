"""The terminal log of ``suno-mock serve``: one line per API request and per job event.

Plain text (coloured when the stream is a terminal) or JSON, one object per line, for CI
logs. It prints what :mod:`mockserver._events` carries, which never holds an API key: a key
shows as its :func:`~mockserver._events.key_tag`.

``serve`` writes from a thread (``background=True``): a request only queues its event, and an
output nobody reads (a pipe left full) costs dropped lines, counted in the log, never a stalled
server.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from ._events import Event

__all__ = ["BACKLOG", "BATCH_S", "FORMATS", "TerminalLog"]

FORMATS = ("plain", "json")
LogFormat = Literal["plain", "json"]

_RESET = "\x1b[0m"
_COLOURS = {"green": "\x1b[32m", "yellow": "\x1b[33m", "red": "\x1b[31m", "cyan": "\x1b[36m", "dim": "\x1b[2m"}
_OUTCOME_COLOURS = {"delivered": "green", "retry": "yellow", "gave-up": "red", "refused": "red"}
#: What a line shows of a refusal's message at most (characters).
_MSG_SHOWN = 240
#: Events a background log holds unwritten before it drops new ones (and says how many).
BACKLOG = 10_000
#: A background log writes what came in the last this many real seconds at once (one wake-up and one
#: write per batch, not per line: a wake-up per request cost more than the request).
BATCH_S = 0.05


_MILLIS = tuple(f".{n:03d}" for n in range(1000))
#: One encoder for every JSON line (``json.dumps`` with options builds a new one per call).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class _Seconds:
    """A time format worked out once per whole second (strftime costs more than the rest of a line)."""

    __slots__ = ("_pattern", "_second", "_text")

    def __init__(self, pattern: str) -> None:
        self._pattern = pattern
        self._second = -1
        self._text = ""

    def __call__(self, at: float) -> str:
        second = int(at // 1)
        if second != self._second:
            self._second, self._text = second, datetime.fromtimestamp(second, UTC).strftime(self._pattern)
        return self._text + _MILLIS[min(999, int((at - second) * 1000))]


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
        background: bool = False,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"log format {fmt!r} is not allowed; use one of {', '.join(FORMATS)}")
        self._stream = stream
        self._json = fmt == "json"
        isatty = getattr(stream, "isatty", None)
        self._colour = bool(isatty and isatty()) if colour is None else colour
        self._wall = wall
        self._clock, self._mock_clock = _Seconds("%H:%M:%S"), _Seconds("%H:%M:%S")
        self._iso, self._mock_iso = _Seconds("%Y-%m-%dT%H:%M:%S"), _Seconds("%Y-%m-%dT%H:%M:%S")
        #: Events not written because the backlog was full (background only).
        self.dropped = 0
        self._background = background
        self._pending: deque[tuple[float, Event]] = deque()
        self._wake = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._write_batches, name="suno-mock-log", daemon=True)
            self._thread.start()

    def __call__(self, event: Event) -> None:
        if not self._background:
            self._write(self.line(event, self._wall()))
        elif len(self._pending) < BACKLOG:
            self._pending.append((self._wall(), event))
            if not self._wake.is_set():
                self._wake.set()
        else:
            self.dropped += 1

    def close(self, timeout: float = 2.0) -> None:
        """Write what is queued (for at most ``timeout`` seconds) and stop the thread."""
        if self._thread is not None:
            self._closing = True
            self._wake.set()
            self._thread.join(timeout)

    def _write(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()

    def _write_batches(self) -> None:
        told = 0
        while True:
            self._wake.wait()
            if not self._closing:
                time.sleep(BATCH_S)  # let a batch gather
            self._wake.clear()
            lines = []
            if self.dropped > told:
                lines.append(f"suno-mock: {self.dropped - told} log lines dropped (the output was not read)")
                told = self.dropped
            pending = self._pending
            while pending:
                wall, event = pending.popleft()
                lines.append(self.line(event, wall))
            try:
                if lines:
                    self._write("\n".join(lines))
            except (OSError, ValueError):  # the output is gone (closed pipe): stop writing, keep serving
                return
            if self._closing and not self._pending:
                return

    def line(self, event: Event, wall: float | None = None) -> str:
        """The event as one line (no newline); ``wall`` is the real time it shows (default: now)."""
        wall = self._wall() if wall is None else wall
        if self._json:
            record: dict[str, Any] = {
                "time": self._iso(wall) + "Z",
                "event": event.type,
                "mock_time": self._mock_iso(event.at) + "Z",
            }
            record.update(event.fields)
            return _encode(record)
        return f"{self._clock(wall)} {self._paint('dim', f'{event.type:<8}')} {self._text(event)}"

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
        mock = f"mock {self._mock_clock(event.at)}"
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
