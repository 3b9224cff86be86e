"""Reading a ``multipart/form-data`` body (the stream upload): text fields and files.

The standard library's MIME parser does the splitting; a part with a ``filename`` is a
:class:`FormFile` (its bytes exactly as sent), any other part a UTF-8 string.  A body that is
not such a form raises ValueError with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

__all__ = ["FormFile", "parse_form"]


@dataclass(frozen=True, slots=True)
class FormFile:
    """One uploaded file of a form."""

    filename: str
    content_type: str
    body: bytes


def parse_form(raw: bytes, content_type: str) -> dict[str, Any]:
    """The fields of a form body sent with ``content_type`` (which names the boundary)."""
    if "boundary=" not in content_type:
        raise ValueError("the Content-Type has no boundary: send the body as multipart/form-data")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise ValueError("is not a multipart/form-data body (no part found)")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise ValueError("a form part has no name in its Content-Disposition")
        _utf8("a form part's name", name)
        payload = part.get_payload(decode=True)
        body = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            _utf8(f"form field {name}: the filename", filename)
            fields[name] = FormFile(filename, part.get_content_type(), body)
            continue
        try:
            fields[name] = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"form field {name}: is not UTF-8 text") from None
    return fields


def _utf8(what: str, text: str) -> None:
    """Header words the MIME parser kept as undecodable bytes (lone surrogates) are refused."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} is not UTF-8 text") from None
