"""The file-upload API (base64, stream, URL) and kie's Get Download URL, served by the mock itself.

An upload is kept in memory as a task of the ``upload`` kind (no lifecycle: it is there at once),
and its file is served at ``downloadUrl``, ``/_mock/files/{id}/{fileName}`` (Range requests
work, as for every task file).  The answer is the upload pages' ``{success, code, msg, data}``.
An existing ``fileName`` under the same ``uploadPath`` is overwritten: the new upload gets a new
``downloadUrl`` and the old one answers 404.  An upload is kept for the profile's
``upload_retention_days`` on the mock clock (3 days, the upload pages); after that its file answers
404 and the mock no longer reads it as a source.

The URL upload fetches ``fileUrl`` only from loopback and the hosts the user allowed with
``--callback-allow`` (the allow-list of callbacks); any other host is refused, naming the field,
and the mock never reaches the internet.  A URL of the mock's own files is read from the mock
itself.  Download timeout 30 s (the page), at most 100 MB (the page's recommendation).

Get Download URL (kie, ``common/download-url``) accepts only URLs the mock made (a file of a
task, a track or an upload it holds); others answer 422, as kie's page says for URLs kie did not
generate, and so does a file past its retention (the profile's ``retention_days``, an upload's
``upload_retention_days``).  The answer is the URL with ``expires`` (20 minutes, the page), which the mock does not
enforce.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .. import _audio as audio
from .._allowlist import is_allowed
from .._artifacts.images import cover_image
from .._behaviour import Call, invalid, unexpired
from .._envelope import Answer
from .._formbody import FormFile
from .._kind import Artifact, JobKind, Renderer, Snapshot
from .._lifecycle import Lifecycle, Progress, Status
from .._store import Task, Track
from .._views import AUDIO_EXTENSION, file_url

__all__ = ["BEHAVIOURS", "KIND"]

#: The URL upload's download timeout (the page) and size limit (the page's recommendation).
FETCH_TIMEOUT_S = 30.0
FETCH_LIMIT_BYTES = 100 * 1024 * 1024
#: How long a Get Download URL link is valid (kie's page).
LINK_S = 20 * 60
UPLOADED = "File uploaded successfully"

_DATA_URL = re.compile(r"data:([\w.+-]+/[\w.+-]+)?(?:;[\w-]+=[^;,]*)*;base64,(.*)", re.DOTALL)
_FILE_PATH = re.compile(r"/_mock/files/([^/]+)(?:/([^/]+))?")
_STREAM_PATH = re.compile(r"/_mock/stream/([^/]+)")


@dataclass(frozen=True, slots=True)
class Upload:
    """What an upload task keeps: where it was put and its bytes."""

    path: str
    name: str
    body: bytes
    content_type: str


def _upload_record(shot: Snapshot) -> dict[str, Any]:
    upload: Upload = shot.task.detail
    return {
        "fileName": upload.name,
        "filePath": f"{upload.path}/{upload.name}",
        "downloadUrl": file_url(shot.task.base_url, shot.task.id, quote(upload.name)),
        "fileSize": len(upload.body),
        "mimeType": upload.content_type,
        "uploadedAt": datetime.fromtimestamp(shot.task.created_at, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
    }


def _upload_file(task: Task, name: str, renderer: Renderer) -> Artifact | None:
    upload: Upload = task.detail
    return Artifact(upload.body, upload.content_type) if unquote(name) == upload.name else None


KIND = JobKind(
    name="upload",
    lifecycle=Lifecycle(
        kind="upload",
        progress=(Progress(None, Status.SUCCESS, 0.0),),
        failures=frozenset(),
        at_creation=frozenset(),
    ),
    failures={},
    view=_upload_record,
    payload=lambda task, stage, failure, profile: None,  # no callbacks
    files=_upload_file,
)


def _sniff(body: bytes, name: str) -> str:
    """The media type of an uploaded file: from its first bytes, else from its name."""
    if body.startswith(b"RIFF") and body[8:12] == b"WAVE":
        return "audio/wav"
    if body.startswith(b"ID3") or body[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if body[4:8] == b"ftyp":
        return "video/mp4"
    if body.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if body.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if body.startswith(b"MThd"):
        return "audio/midi"
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


_EXTENSIONS = {
    "audio/wav": ".wav",
    "audio/mpeg": ".mp3",
    "video/mp4": ".mp4",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "audio/midi": ".mid",
    "text/plain": ".txt",
}


def _keep(call: Call, body: bytes, name: str | None, content_type: str | None) -> Answer:
    """Store an upload (replacing one of the same path and name) and answer the upload pages' shape."""
    tasks = call.tasks
    path = str(call.body["uploadPath"])
    task = tasks.new_task(
        call.operation.operation_id, param={"uploadPath": path}, base_url=call.base_url, token=call.token
    )
    kind_type = content_type or _sniff(body, name or "")
    if not name:
        name = task.id + (_EXTENSIONS.get(kind_type) or mimetypes.guess_extension(kind_type) or ".bin")
    task.kind = "upload"
    task.operation_type = "upload"
    task.detail = Upload(path, name, body, kind_type)
    previous = tasks.store.once.get(("upload", f"{path}/{name}"))
    if previous is not None:  # "an existing name is overwritten": the old URL answers 404 from now on
        tasks.store.tasks.pop(previous, None)
    tasks.store.once[("upload", f"{path}/{name}")] = task.id
    tasks.add(task)
    return Answer(200, UPLOADED, KIND.view(tasks.snapshot(task)), {"success": True})


def upload_base64(call: Call) -> Answer:
    """Base64 file upload: plain base64 or a data URL."""
    text = str(call.body["base64Data"])
    content_type = None
    found = _DATA_URL.fullmatch(text.strip())
    if found is not None:
        content_type, text = found.group(1), found.group(2)
    elif text.startswith("data:"):
        raise invalid("base64Data", text, "a data URL must read data:<type>;base64,<data>")
    try:
        body = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise invalid("base64Data", text, "is not base64 (A-Z a-z 0-9 + / with = padding)") from None
    return _keep(call, body, call.body.get("fileName"), content_type)


def upload_stream(call: Call) -> Answer:
    """File stream upload: ``file`` (binary), ``uploadPath`` and an optional ``fileName`` as form fields."""
    form = call.body
    schema = call.operation.form_schema or {}
    for field in schema.get("required", []):
        if field not in form:
            raise invalid(field, None, "is required (a form field)")
    upload = form["file"]
    if not isinstance(upload, FormFile):
        raise invalid("file", upload, "must be a file part (with a filename), not a text field")
    for field in ("uploadPath", "fileName"):
        value = form.get(field)
        if value is not None and not isinstance(value, str):
            raise invalid(field, value.filename, "must be a text field, not a file")
        rule = schema.get("properties", {}).get(field, {})
        if isinstance(value, str) and not (
            rule.get("minLength", 0) <= len(value) <= rule.get("maxLength", len(value))
            and re.search(rule.get("pattern", ""), value)
        ):
            raise invalid(field, value, f"must match {rule.get('pattern')} ({rule.get('description', '')})")
    name = form.get("fileName") or upload.filename or None
    given = upload.content_type if upload.content_type not in ("application/octet-stream", "text/plain") else None
    return _keep(call, upload.body, name, given)


async def upload_from_url(call: Call) -> Answer:
    """URL file upload: fetch ``fileUrl`` from an allowed host (never the internet)."""
    url = str(call.body["fileUrl"])
    host = urlsplit(url).hostname or ""
    own = _own_file(call, url)
    content_type: str | None
    if own is not None:
        body, content_type = own
    elif _on_this_mock(call, url):
        raise invalid(
            "fileUrl", url, "is not a file this mock holds (never made, or past its retention): use a URL it answered"
        )
    elif is_allowed(url, call.allow):
        body, content_type = await _fetch(url)
    else:
        raise invalid(
            "fileUrl",
            url,
            f"host {host!r} is not allowed: the mock fetches only from loopback and the hosts of "
            f"--callback-allow (start it with --callback-allow {host})",
        )
    name = call.body.get("fileName") or unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or None
    return _keep(call, body, name, content_type)


async def _fetch(url: str) -> tuple[bytes, str | None]:
    import httpx  # the one use in this module: not imported at start-up for it

    try:
        async with (
            httpx.AsyncClient(timeout=FETCH_TIMEOUT_S, follow_redirects=False, trust_env=False) as client,
            client.stream("GET", url) as answer,
        ):
            if answer.status_code != 200:
                raise invalid("fileUrl", url, f"the download answered HTTP {answer.status_code}, not 200")
            body = bytearray()
            async for chunk in answer.aiter_bytes():
                body += chunk
                if len(body) > FETCH_LIMIT_BYTES:
                    raise invalid("fileUrl", url, f"the file is larger than {FETCH_LIMIT_BYTES} bytes")
            media = answer.headers.get("content-type", "").split(";")[0].strip() or None
    except httpx.HTTPError as error:
        raise invalid("fileUrl", url, f"the download failed ({type(error).__name__})") from None
    return bytes(body), None if media in (None, "application/octet-stream") else media


class _StoreFiles:
    """The media layer's Renderer over the store: builds the files of tasks and tracks the mock holds."""

    def __init__(self, call: Call) -> None:
        self._tracks = call.tasks.store.tracks

    def track(self, track_id: str) -> Track | None:
        return self._tracks.get(track_id)

    def pcm(self, track: Track) -> audio.Pcm:
        splice = track.splice  # a replace-section track: its source with the span regenerated (as media.py)
        source = self._tracks.get(splice.source_id) if splice else None
        if splice is None or source is None:
            return audio.synthesize(track.duration, track.seed)
        return audio.splice(self.pcm(source), splice.start_s, splice.end_s, track.seed)

    def encode(self, pcm: audio.Pcm) -> Artifact:
        body, content_type = audio.encode(pcm)
        return Artifact(body, content_type)


def _on_this_mock(call: Call, url: str) -> bool:
    """Whether ``url`` is a file path of this mock (``/_mock/files/...`` on its own host)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" == call.base_url and _FILE_PATH.fullmatch(parts.path) is not None


def _own_file(call: Call, url: str) -> tuple[bytes, str] | None:
    """The bytes of a file the mock serves at ``url`` on this host (read from the mock, not fetched).

    An upload, a task's file (WAV, stems, video, images...) or a track's audio or image; None when
    ``url`` is not such a file of this host.
    """
    parts = urlsplit(url)
    found = _FILE_PATH.fullmatch(parts.path)
    if found is None or f"{parts.scheme}://{parts.netloc}" != call.base_url:
        return None
    tasks, renderer = call.tasks, _StoreFiles(call)
    if found.group(2) is None:  # /_mock/files/{track}.{extension}
        track_id, _, extension = found.group(1).rpartition(".")
        track = renderer.track(track_id)
        if track is None or extension not in (AUDIO_EXTENSION, "png"):
            return None
        owner = tasks.get(track.task_id)
        if owner is None or tasks.expired(owner):
            return None
        if extension == "png":
            return cover_image(track.seed), "image/png"
        made = renderer.encode(renderer.pcm(track))
        return made.body, made.content_type
    task = tasks.get(found.group(1))
    if task is None or not tasks.succeeded(task) or tasks.expired(task):
        return None
    if task.kind == "upload":
        upload: Upload = task.detail
        return upload.body, upload.content_type
    artifact = tasks.kinds[task.kind].files(task, unquote(found.group(2)), renderer)
    return None if artifact is None else (artifact.body, artifact.content_type)


def _track_owner(call: Call, track_id: str) -> Task | None:
    """The task of the mock's track ``track_id``, or None when there is no such track."""
    track = call.tasks.track(track_id)
    return None if track is None else call.tasks.get(track.task_id)


def download_url(call: Call) -> str:
    """Get Download URL (kie): a link to a file the mock made, valid 20 minutes."""
    url = str(call.body["url"])
    parts = urlsplit(url)
    task: Task | None = None
    what = "track"
    if (found := _FILE_PATH.fullmatch(parts.path)) is not None:
        if found.group(2) is not None:
            task = call.tasks.get(found.group(1))
            what = "upload" if task is not None and task.kind == "upload" else "task"
        else:
            task = _track_owner(call, found.group(1).rsplit(".", 1)[0])
    elif (stream := _STREAM_PATH.fullmatch(parts.path)) is not None:
        task = _track_owner(call, stream.group(1))
    if task is None:
        raise invalid("url", url, "is not a file URL the mock generated (a task, track or upload file it holds)")
    unexpired(call, "url", url, task, what)  # past retention (an upload's own 3 days): gone, as its file is
    expires = int(call.tasks.now()) + LINK_S
    return f"{call.base_url}{parts.path}?expires={expires}"


BEHAVIOURS = {
    "upload-file-base64": upload_base64,
    "upload-file-stream": upload_stream,
    "upload-file-url": upload_from_url,
    "get-download-url": download_url,
}
