"""The terminal log of ``suno-mock serve``: one line per API request and per job event.

Plain text (coloured when the stream is a terminal) or JSON, one object per line, for CI
logs. It prints what :mod:`mockserver.events` carries, which never holds an API key: a key
shows as its :func:`~mockserver.events.key_tag`.

``serve`` writes from a thread (``background=True``): a request only queues its event, and an
output nobody reads (a pipe left full) costs dropped lines, counted in the log, never a stalled
server.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from .events import Event

__all__ = ["BACKLOG", "FORMATS", "TerminalLog"]

FORMATS = ("plain", "json")
LogFormat = Literal["plain", "json"]

_RESET = "\x1b[0m"
_COLOURS = {"green": "\x1b[32m", "yellow": "\x1b[33m", "red": "\x1b[31m", "cyan": "\x1b[36m", "dim": "\x1b[2m"}
_OUTCOME_COLOURS = {"delivered": "green", "retry": "yellow", "gave-up": "red", "refused": "red"}
#: What a line shows of a refusal's message at most (characters).
_MSG_SHOWN = 240
#: Events a background log holds unwritten before it drops new ones (and says how many).
BACKLOG = 10_000


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
        background: bool = False,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"log format {fmt!r} is not allowed; use one of {', '.join(FORMATS)}")
        self._stream = stream
        self._json = fmt == "json"
        isatty = getattr(stream, "isatty", None)
        self._colour = bool(isatty and isatty()) if colour is None else colour
        self._wall = wall
        #: Events not written because the backlog was full (background only).
        self.dropped = 0
        self._queue: queue.SimpleQueue[tuple[float, Event] | None] | None = None
        self._thread: threading.Thread | None = None
        if background:
            self._queue = queue.SimpleQueue()
            self._thread = threading.Thread(target=self._write_queued, name="suno-mock-log", daemon=True)
            self._thread.start()

    def __call__(self, event: Event) -> None:
        if self._queue is None:
            self._write(self.line(event, self._wall()))
        elif self._queue.qsize() < BACKLOG:
            self._queue.put((self._wall(), event))
        else:
            self.dropped += 1

    def close(self, timeout: float = 2.0) -> None:
        """Write what is queued (for at most ``timeout`` seconds) and stop the thread."""
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)

    def _write(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()

    def _write_queued(self) -> None:
        assert self._queue is not None
        told = 0
        while (item := self._queue.get()) is not None:
            try:
                if self.dropped > told:
                    self._write(f"suno-mock: {self.dropped - told} log lines dropped (the output was not read)")
                    told = self.dropped
                self._write(self.line(item[1], item[0]))
            except (OSError, ValueError):  # the output is gone (closed pipe): stop writing, keep serving
                return

    def line(self, event: Event, wall: float | None = None) -> str:
        """The event as one line (no newline); ``wall`` is the real time it shows (default: now)."""
        wall = self._wall() if wall is None else wall
        if self._json:
            record: dict[str, Any] = {"time": _iso(wall), "event": event.type, "mock_time": _iso(event.at)}
            record.update(event.fields)
            return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        return f"{_clock(wall)} {self._paint('dim', f'{event.type:<8}')} {self._text(event)}"

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
