"""One hierarchy for every error the kit (mock server and contract suites) raises or answers with.

Every exception class defined in ``mockserver`` or ``contract`` sits in this tree
(``tests/test_house.py`` walks both packages to check it). Errors about an argument, setting or
header value are also ``ValueError``; a wait that ran out is also ``TimeoutError``. Classes defined
elsewhere are named with their module.

::

    MockError
    ├── ConfigError (ValueError)         a setting, profile override, rule file or argument that cannot be used
    │   └── UnknownProvider              a provider name with no bundled document (mockserver.openapi)
    ├── RangeNotSatisfiable (ValueError) a Range header that selects no byte of a file (mockserver._media)
    ├── CallbackWaitTimeout (TimeoutError)  the awaited callback attempt did not come (mockserver._callback_journal)
    ├── ApiError                         an answer: the envelope {code, msg, data: null} with this code
    ├── DomainError                      what the engine refuses; the app answers it with its documented code
    │   ├── NotFound                     no such task, track or file (the profile's not-found code)
    │   ├── Invalid                      a request that breaks a documented cross-field or stateful rule (422)
    │   ├── Conflict                     a once-only operation called again (409)
    │   └── InsufficientCredits          the key's balance cannot pay for the task (402)
    └── ContractError                    the contract side's branch
        ├── ContractViolation (AssertionError)  a client broke documented request rules (contract._violations)
        ├── RealHostBlocked (ConnectionRefusedError)  a real API host dialled under a router (contract._hostguard)
        └── NoRequestSeen (UserWarning)  a warning: a router saw no request at all (contract._violations)

    BaseException
    └── RequestBudgetExceeded            a client made more requests than the router allows (contract._violations)

``RequestBudgetExceeded`` is the one class outside ``MockError``, on purpose: like pytest's
``Failed`` it derives from ``BaseException`` so that a client's ``except Exception`` cannot swallow
it and poll on forever.
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


class ContractError(MockError):
    """Base of the contract suites' errors (``contract``)."""
