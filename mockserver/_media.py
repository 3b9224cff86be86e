"""Real files behind every URL: track audio and covers, and the files of every job kind (WAV, stems, video...).

A track's files are ``/_mock/files/{track_id}.{mp3|wav|png}`` and ``/_mock/stream/{track_id}``;
a task's files are ``/_mock/files/{task_id}/{name}``, built by its kind (``JobKind.files``).
Every file answers Range requests.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import _audio as audio
from ._artifacts.images import cover_image
from ._errors import ApiError, MockError
from ._kind import Artifact
from ._state import MockState
from ._store import Track
from ._views import AUDIO_EXTENSION

__all__ = ["AUDIO_EXTENSION", "MediaFiles", "RangeNotSatisfiable", "media_response", "parse_range"]


class RangeNotSatisfiable(MockError, ValueError):
    """A Range header selects no byte of a representation of ``total`` bytes."""

    def __init__(self, header: str, total: int) -> None:
        super().__init__(f"range {header!r} selects no byte of {total}")
        self.total = total


_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)")


def _position(digits: str, total: int) -> int:
    """A byte position or suffix length, as given when it is at most ``total``, else ``total + 1``.

    Every number past the body selects the same bytes, so a position of thousands of digits
    (which ``int()`` refuses past Python's int-string limit) is read as just past the end.
    """
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(total)):
        return total + 1
    return min(int(digits), total + 1)


def _order(digits: str) -> tuple[int, str]:
    """A key that orders decimal numerals as their values, without converting them."""
    digits = digits.lstrip("0")
    return len(digits), digits


def parse_range(header: str | None, total: int) -> tuple[int, int] | None:
    """Resolve a ``Range`` header against a body of ``total`` bytes (RFC 9110 §14).

    Returns the inclusive ``(first, last)`` byte positions for a single
    ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` range (``b`` is clamped to the
    end, a suffix longer than the body selects all of it). Returns None when
    the whole body should be sent: no header, another range unit, a malformed
    header (ignored, as the RFC allows), or several ranges (multipart
    responses are not implemented; the full body is a permitted answer).
    Raises RangeNotSatisfiable when the range selects no byte: ``a >= total``,
    ``bytes=-0``, or any range of an empty body.
    """
    if header is None:
        return None
    unit, equals, range_set = header.partition("=")
    specs = [spec.strip(" \t") for spec in range_set.split(",")]
    specs = [spec for spec in specs if spec]
    if not equals or unit.strip(" \t").lower() != "bytes" or len(specs) != 1:
        return None
    match = _RANGE_SPEC.fullmatch(specs[0])
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first_text, last_text = match.groups()
    if first_text == "":
        suffix = _position(last_text, total)
        if suffix == 0 or total == 0:
            raise RangeNotSatisfiable(header, total)
        return max(0, total - suffix), total - 1
    if last_text != "" and _order(last_text) < _order(first_text):
        return None  # an invalid range-spec: ignore the header
    first = _position(first_text, total)
    last = None if last_text == "" else _position(last_text, total)
    if first >= total:
        raise RangeNotSatisfiable(header, total)
    return first, total - 1 if last is None else min(last, total - 1)


def media_response(request: Request, body: bytes, content_type: str) -> Response:
    """Serve ``body`` with single-range support.

    200 with the whole body, or 206 with ``Content-Range`` for a satisfiable
    ``Range``, or 416 with ``Content-Range: bytes */total`` for an
    unsatisfiable one; always ``Accept-Ranges: bytes`` and ``Content-Length``.
    HEAD gets the same status and headers as GET but no body. A request with
    ``If-Range`` gets the full body: there are no validators, so it can never
    match.
    """
    total = len(body)
    headers = {"Accept-Ranges": "bytes"}
    header = None if "if-range" in request.headers else request.headers.get("range")
    try:
        selected = parse_range(header, total)
    except RangeNotSatisfiable:
        headers.update({"Content-Range": f"bytes */{total}", "Content-Length": "0"})
        return Response(b"", 416, headers)
    status, payload = 200, body
    if selected is not None:
        first, last = selected
        status, payload = 206, body[first : last + 1]
        headers["Content-Range"] = f"bytes {first}-{last}/{total}"
    headers["Content-Length"] = str(len(payload))
    content = b"" if request.method == "HEAD" else payload
    return Response(content, status, headers, media_type=content_type)


class MediaFiles:
    """Serves a track's audio (with Range support) and cover image; keeps the last few encoded."""

    def __init__(self, state: MockState, answer: Callable[[int, str], Response], cache_size: int = 8) -> None:
        self._state = state
        self._answer = answer
        self._cache: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
        self._cache_size = cache_size
        self._artifacts: OrderedDict[str, Artifact] = OrderedDict()

    def routes(self) -> list[Route]:
        return [
            Route("/_mock/files/{name}", self._file, methods=["GET", "HEAD"]),
            Route("/_mock/files/{task_id}/{name}", self._task_file, methods=["GET", "HEAD"]),
            Route("/_mock/stream/{track_id}", self._stream, methods=["GET", "HEAD"]),
        ]

    def pcm(self, track: Track) -> audio.Pcm:
        """The samples of a track; a replace-section track is its source with the span regenerated."""
        splice = track.splice
        source = self._state.store.tracks.get(splice.source_id) if splice else None
        if splice is None or source is None:
            return audio.synthesize(track.duration, track.seed)
        return audio.splice(self.pcm(source), splice.start_s, splice.end_s, track.seed)

    def track(self, track_id: str) -> Track | None:
        """The stored track (the Renderer protocol the kinds' file builders use)."""
        return self._state.store.tracks.get(track_id)

    def encode(self, pcm: audio.Pcm) -> Artifact:
        """Audio as the mock serves it: MP3 when lameenc is installed, else WAV."""
        body, content_type = audio.encode(pcm)
        return Artifact(body, content_type)

    async def _task_file(self, request: Request) -> Response:
        task_id, name = request.path_params["task_id"], request.path_params["name"]
        try:
            task = self._state.store.tasks.get(task_id)
            if task is None:
                raise ApiError(404, f"Not found: no task {task_id!r}; files exist for tasks the mock created")
            if self._state.tasks.expired(task):
                days = self._state.profile.retention(task.kind)
                raise ApiError(404, f"Not found: the files of task {task_id} have expired (kept {days:g} days)")
            if not self._state.tasks.succeeded(task):
                status = self._state.tasks.status(task)
                raise ApiError(404, f"Not found: task {task_id} has no files yet (status {status})")
            kind = self._state.kinds[task.kind]
            key = f"{task_id}/{name}"
            artifact = self._artifacts.get(key)
            if artifact is None:
                artifact = await run_in_threadpool(kind.files, task, name, self)
                if artifact is None:
                    raise ApiError(404, f"Not found: task {task_id} ({task.kind}) has no file {name!r}")
                self._artifacts[key] = artifact
                while len(self._artifacts) > self._cache_size:
                    self._artifacts.popitem(last=False)
            self._artifacts.move_to_end(key)
        except ApiError as error:
            return self._answer(error.code, error.msg)
        return media_response(request, artifact.body, artifact.content_type)

    def _track(self, track_id: str) -> Track:
        track = self._state.store.tracks.get(track_id)
        if track is None:
            raise ApiError(404, f"Not found: no track {track_id!r}; files exist for tracks the mock created")
        task = self._state.store.tasks[track.task_id]
        if self._state.tasks.expired(task):
            days = self._state.profile.retention(task.kind)
            raise ApiError(404, f"Not found: the files of track {track_id} have expired (kept {days:g} days)")
        return track

    async def _encoded(self, track: Track) -> tuple[bytes, str]:
        cached = self._cache.get(track.id)
        if cached is None:
            cached = await run_in_threadpool(lambda: audio.encode(self.pcm(track)))
            self._cache[track.id] = cached
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        self._cache.move_to_end(track.id)
        return cached

    async def _file(self, request: Request) -> Response:
        name = request.path_params["name"]
        track_id, _, extension = name.rpartition(".")
        try:
            track = self._track(track_id)
            if extension == "png":
                return media_response(request, cover_image(track.seed), "image/png")
            if extension != AUDIO_EXTENSION:
                raise ApiError(404, f"Not found: {name!r}; this mock serves {track_id}.{AUDIO_EXTENSION} and .png")
            body, content_type = await self._encoded(track)
        except ApiError as error:
            return self._answer(error.code, error.msg)
        return media_response(request, body, content_type)

    async def _stream(self, request: Request) -> Response:
        try:
            track = self._track(request.path_params["track_id"])
            body, content_type = await self._encoded(track)
        except ApiError as error:
            return self._answer(error.code, error.msg)
        return media_response(request, body, content_type)
