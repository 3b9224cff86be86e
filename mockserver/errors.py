"""One hierarchy for every error the mock raises or answers with."""

from __future__ import annotations

from collections.abc import Mapping


class MockError(Exception):
    """Base of every suno-mockkit error."""


class ConfigError(MockError, ValueError):
    """A setting, profile override or rule file that cannot be used; the message says why."""


class ApiError(MockError):
    """An outcome answered to the client as the documented envelope ``{code, msg, data: null}``."""

    def __init__(
        self, code: int, msg: str, *, http_status: int | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        #: Forces the HTTP status (e.g. the documented HTTP 500); None follows the status mode.
        self.http_status = http_status
        #: Extra response headers (``Retry-After`` on a rate-limited call).
        self.headers = dict(headers) if headers else None
