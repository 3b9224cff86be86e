"""The file-upload API (base64, stream, URL; kie and sunoapi) and kie's Get Download URL.

Facts: ``shared/reference/api-family.md`` 2.5 #35-38. Uploads take ``uploadPath`` (no leading or
trailing slash) and an optional ``fileName``; base64 takes ``base64Data`` (plain or a data URL),
URL takes ``fileUrl`` (http/https). They answer ``{success, code, msg, data: {fileName, filePath,
downloadUrl, fileSize, mimeType, uploadedAt}}`` synchronously. Get Download URL takes ``url`` (only
URLs kie generated) and answers the link in ``data``.

The stream upload's body is multipart/form-data; the suite sends JSON bodies, so its fields are
not probed here (body None). The URL upload's valid body names a track file of a finished music
task (a URL the server itself made, the only kind every server can fetch).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from .._checking import Checker
from ._model import Family, Field, Operation, Ref, Source

__all__ = ["FAMILY"]

UPLOADS_BY = frozenset({"kie", "sunoapi"})
UPLOAD_PATH = Field("uploadPath", "string", required=True, min_length=1, max_length=512, example="suno/uploads")
FILE_NAME = Field("fileName", "string", min_length=1, max_length=255)
HELLO = "SGVsbG8sIG1vY2sh"  # "Hello, mock!"


_DATA_URL = re.compile(r"data:[^,]*;base64,(.*)", re.DOTALL)


def _cross_base64(check: Checker, provider: str) -> None:
    """``base64Data`` is base64, or a data URL ``data:<type>;base64,<data>`` (the base64 upload page)."""
    value = check.body.get("base64Data")
    if not isinstance(value, str) or not value:
        return
    found = _DATA_URL.fullmatch(value)
    try:
        base64.b64decode("".join((found.group(1) if found else value).split()), validate=True)
    except (binascii.Error, ValueError):
        check.add("base64Data", value, "must be base64 or a data URL (data:<type>;base64,<data>)")


def _base64_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {"base64Data": HELLO, "uploadPath": "suno/uploads", "fileName": "hello.txt"}


def _track_url(source: Source | None) -> str:
    track = source.tracks[0] if source and source.tracks else None
    return track.url if track and track.url else "https://example.com/audio/track.mp3"


def _url_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {"fileUrl": _track_url(source), "uploadPath": "suno/uploads"}


def _download_body(provider: str, source: Source | None, callback: str) -> dict[str, Any]:
    return {"url": _track_url(source)}


BASE64 = Operation(
    id="upload-file-base64",
    method="POST",
    path="/api/file-base64-upload",
    source="api-family.md 2.5 #35 [KIE-UP], [SA-UP]",
    body=(Field("base64Data", "string", required=True, min_length=1, example=HELLO), UPLOAD_PATH, FILE_NAME),
    cross=_cross_base64,
    valid=_base64_body,
    documented_by=UPLOADS_BY,
)
STREAM = Operation(
    id="upload-file-stream",
    method="POST",
    path="/api/file-stream-upload",
    source="api-family.md 2.5 #36 [KIE-UP], [SA-UP], F:56945751550 (multipart: file, uploadPath, fileName)",
    # the suite sends JSON, which a server reading the form refuses: a request naming `file` may get 200 or 422
    refs=(Ref("file", "task"),),
    unknown_codes=(200, 422),
    documented_by=UPLOADS_BY,
)
URL = Operation(
    id="upload-file-url",
    method="POST",
    path="/api/file-url-upload",
    source="api-family.md 2.5 #37 [KIE-UP], share.apidog.com .../upload-file-url",
    body=(Field("fileUrl", "uri", required=True, example="https://example.com/a.mp3"), UPLOAD_PATH, FILE_NAME),
    valid=_url_body,
    needs="music",
    # a URL the server cannot fetch (the mock: a host not allowed) is refused: accepted (200) or 422
    refs=(Ref("fileUrl", "track"),),
    unknown_codes=(200, 422),
    documented_by=UPLOADS_BY,
)
DOWNLOAD = Operation(
    id="get-download-url",
    method="POST",
    path="/api/v1/common/download-url",
    source="api-family.md 2.5 #38 [KIE-DL] (only URLs kie generated; others 422)",
    body=(Field("url", "uri", required=True, example="https://example.com/a.mp3"),),
    valid=_download_body,
    needs="music",
    # `url` names a file the server generated; any other URL answers 422 ([KIE-DL])
    refs=(Ref("url", "track"),),
    unknown_codes=(200, 422),
    documented_by=frozenset({"kie"}),
)

FAMILY = Family(
    name="files",
    source="api-family.md 2.5 #35-38",
    others=(BASE64, STREAM, URL, DOWNLOAD),
    unverified=("the stream upload's multipart fields (not probed); uploads' retention (3 days or 24 h)"),
)
