"""The API key of a request: ``Authorization: Bearer <key>``, or a 401 naming what is wrong, never the key."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from ._errors import ApiError
from ._redact import fingerprint

__all__ = ["bearer_token"]

_SPACE = re.compile(r"\s")
#: The scheme of an Authorization header: an RFC 9110 token (perhaps empty).
_SCHEME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]*")
#: Schemes a 401 message names; any other word before the key could be (part of) a key.
_SCHEMES = frozenset(
    {"basic", "digest", "token", "apikey", "api-key", "key", "negotiate", "ntlm", "oauth", "hoba", "mutual", "dpop"}
)
#: Bytes a 401 message names: the usual blanks a client puts between 'Bearer' and the key.
_BYTE_NAMES = {
    "\t": "a tab (0x09)",
    "\xa0": "a non-breaking space (0xA0)",
    "\xc2": "byte 0xC2 (a non-breaking space is C2 A0 in UTF-8)",
}


def _byte(char: str) -> str:
    """A character of a header (decoded as Latin-1, so one byte) by name or code, never as text of the key."""
    return _BYTE_NAMES.get(char, f"byte 0x{ord(char):02X}")


def _scheme_problem(value: str, scheme: str, rest: str) -> str:
    """Why an Authorization header without the Bearer scheme is refused, naming a well-known scheme only."""
    if not value:
        return "got an empty header"
    if not rest:
        return f"got one word and no 'Bearer' before it: a bare API key? fingerprint {fingerprint(value)}"
    if scheme.lower() in _SCHEMES:
        return f"got the {scheme!r} scheme"
    return f"got another scheme or none; header fingerprint {fingerprint(value)}"


def bearer_token(headers: Mapping[str, str], tokens: Collection[str]) -> str:
    """The API key of ``Authorization: Bearer <key>``; a 401 naming what is wrong, never the key itself.

    ``tokens``, when not empty, are the only keys accepted (``--token``).
    """
    header = headers.get("authorization")
    if header is None:
        raise ApiError(401, "Unauthorized: the Authorization header is missing; send 'Authorization: Bearer <API key>'")
    value = header.strip(" \t")
    token = value[7:].lstrip(" ")
    if value[:7] != "Bearer " or not token or _SPACE.search(token):  # not the common case: look closer
        token = _malformed(value)
    if tokens and token not in tokens:
        raise ApiError(
            401,
            f"Unauthorized: this API key ({fingerprint(token)}) is not one the mock was started with (--token)",
        )
    return token


def _malformed(value: str) -> str:
    """The key of a header other than exactly 'Bearer <key>', or the 401 naming what is wrong with it."""
    scheme = match.group() if (match := _SCHEME.match(value)) else ""
    rest = value[len(scheme) :]
    token = rest.lstrip(" ")
    if scheme.lower() != "bearer":
        problem = _scheme_problem(value, scheme, rest)
    elif not rest:
        problem = "got no API key after 'Bearer'"
    elif not rest.startswith(" "):
        problem = f"'Bearer' must be followed by a space, not {_byte(rest[0])}"
    elif blank := _SPACE.search(token):
        problem = f"the API key contains spaces: {_byte(blank.group())} at character {blank.start()}"
    else:
        problem = ""
    if problem:
        raise ApiError(401, f"Unauthorized: the Authorization header must be 'Bearer <API key>' ({problem})")
    return token
