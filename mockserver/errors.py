"""One hierarchy for every error the mock raises or answers with.

::

    MockError
    ├── ConfigError (ValueError)     a setting, profile override, rule file or argument that cannot be used
    ├── ApiError                     an answer: the envelope {code, msg, data: null} with this code
    └── DomainError                  what the engine refuses; the app answers it with its documented code
        ├── NotFound                 no such task, track or file (the profile's not-found code)
        ├── Invalid                  a request that breaks a documented cross-field or stateful rule (422)
        ├── Conflict                 a once-only operation called again (409)
        └── InsufficientCredits      the key's balance cannot pay for the task (402)
"""

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


class DomainError(MockError):
    """Something the engine refuses; the app maps each subclass to its documented code."""


class NotFound(DomainError):
    """No such task, track or file; answered with the profile's not-found code."""


class Invalid(DomainError):
    """A documented cross-field or stateful rule is broken; answered with 422."""


class Conflict(DomainError):
    """A once-only operation was called again; answered with 409."""


class InsufficientCredits(DomainError):
    """The key's balance cannot pay for the task; answered with 402."""
