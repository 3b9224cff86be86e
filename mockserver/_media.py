"""Real files behind every URL: track audio and covers, and the files of every job kind (WAV, stems, video...).

A track's files are ``/_mock/files/{track_id}.{mp3|wav|png}`` and ``/_mock/stream/{track_id}``;
a task's files are ``/_mock/files/{task_id}/{name}``, built by its kind (``JobKind.files``).
Every file answers Range requests.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import _audio as audio
from ._errors import ApiError
from ._kind import Artifact
from ._state import MockState
from ._store import Track
from ._views import AUDIO_EXTENSION

__all__ = ["AUDIO_EXTENSION", "MediaFiles"]


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
        return audio.media_response(request, artifact.body, artifact.content_type)

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
                return audio.media_response(request, audio.cover_image(track.seed), "image/png")
            if extension != AUDIO_EXTENSION:
                raise ApiError(404, f"Not found: {name!r}; this mock serves {track_id}.{AUDIO_EXTENSION} and .png")
            body, content_type = await self._encoded(track)
        except ApiError as error:
            return self._answer(error.code, error.msg)
        return audio.media_response(request, body, content_type)

    async def _stream(self, request: Request) -> Response:
        try:
            track = self._track(request.path_params["track_id"])
            body, content_type = await self._encoded(track)
        except ApiError as error:
            return self._answer(error.code, error.msg)
        return audio.media_response(request, body, content_type)
