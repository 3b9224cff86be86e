"""Forced answers of the client router: a documented code or task state answered instead of the mock's.

:func:`force_rule` checks what :meth:`contract._client.SunoRouter.force` is asked for against the
documents and the contract's table and returns the :class:`Force` rule; :meth:`Force.answer` builds
each forced answer (:mod:`contract._answers`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from . import _families as families
from . import _rules as rules
from ._answers import SpecResponse, build_response
from ._documents import documented_codes
from ._drawing import CreateTimeStyle

__all__ = ["Force", "among", "force_rule", "restyled"]


@dataclass
class Force:
    """One forced answer rule; see :meth:`SunoRouter.force`."""

    operations: frozenset[str]
    code: int = 200
    http_status: int | None = None
    statuses: tuple[Any, ...] = ()
    create_time: CreateTimeStyle = "string"
    times: int | None = None
    #: How many requests this rule answered.
    used: int = 0
    _removed: bool = field(default=False, repr=False)

    def active(self) -> bool:
        """Whether the rule still answers requests."""
        return not self._removed and (self.times is None or self.used < self.times)

    def next_status(self, operation_id: str) -> Any:
        """The task state the next answer forces (None: no state, or not a details read)."""
        if self.code != 200 or not self.statuses or not families.reading(operation_id):
            return None
        return self.statuses[min(self.used, len(self.statuses) - 1)]

    def answer(self, provider: str, operation_id: str, query: Mapping[str, str]) -> SpecResponse:
        """The forced answer for one request (advances through ``statuses``)."""
        record: dict[str, Any] = {}
        readers = families.reading(operation_id)
        if readers and self.code == 200:
            record = {"create_time": self.create_time}
            if self.statuses:
                record["status"] = self.statuses[min(self.used, len(self.statuses) - 1)]
        self.used += 1
        query_field = readers[0].details_query if readers else "taskId"
        task_id = query.get(query_field) or "5c79b2e8a1f34d6b9c0e7a1d2f3b4e8e"
        return build_response(
            provider, operation_id, self.code, http_status=self.http_status, task_id=task_id, **record
        )


def _epoch_ms(value: Any) -> Any:
    """A ``"YYYY-MM-DD HH:MM:SS"`` createTime as epoch milliseconds (anything else as it is)."""
    if not isinstance(value, str):
        return value
    try:
        when = dt.datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return value
    return int(when.timestamp() * 1000)


def restyled(response: httpx.Response, create_time: CreateTimeStyle) -> httpx.Response:
    """The mock's own details answer, its tracks' ``createTime`` written as epoch ms when that style is forced."""
    if create_time != "epoch_ms":
        return response
    body = response.json()
    data = body.get("data") if isinstance(body, dict) else None
    inner = data.get("response") if isinstance(data, dict) else None
    tracks = inner.get("sunoData") if isinstance(inner, dict) else None
    for track in tracks if isinstance(tracks, list) else []:
        if isinstance(track, dict) and "createTime" in track:
            track["createTime"] = _epoch_ms(track["createTime"])
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-length"]
    return httpx.Response(response.status_code, headers=headers, json=body, request=response.request)


def among(value: Any, states: Sequence[Any]) -> bool:
    """``value`` is one of ``states`` (True is not the integer state 1)."""
    return any(type(value) is type(state) and value == state for state in states)


def force_rule(
    provider: str,
    *,
    code: int = 200,
    status: str | int | Sequence[str | int] | None = None,
    operation: str | None = None,
    http_status: int | None = None,
    create_time: CreateTimeStyle = "string",
    times: int | None = None,
) -> Force:
    """The :class:`Force` rule :meth:`contract._client.SunoRouter.force` asks for (ValueError: not documented)."""
    statuses: tuple[Any, ...] = ()
    served = rules.OPERATIONS[provider]
    if status is not None:
        statuses = (status,) if isinstance(status, (str, int)) else tuple(status)
        if not statuses:
            raise ValueError("status=[] forces nothing; give at least one task state")
        operation = _details_for(provider, statuses, operation)
    if operation is not None and operation not in served:
        raise ValueError(f"{provider} has no operation {operation!r}; use one of {', '.join(served)}")
    candidates = [operation] if operation is not None else list(served)
    matching = frozenset(
        op
        for op in candidates
        if any(c == code and (http_status is None or h == http_status) for h, c in documented_codes(provider, op))
    )
    if not matching:
        listed = ", ".join(f"{c} (HTTP {h})" for op in candidates for h, c in documented_codes(provider, op))
        raise ValueError(
            f"code {code} is not documented for {operation or 'any operation'} on {provider}; use one of {listed}"
        )
    return Force(matching, code, http_status, statuses, create_time, times)


def _details_for(provider: str, statuses: tuple[Any, ...], operation: str | None) -> str:
    """The details operation a forced ``status=`` applies to (see :meth:`contract._client.SunoRouter.force`)."""
    served = rules.OPERATIONS[provider]
    details = [op for op in served if families.reading(op)]
    if operation is not None and operation not in details:
        raise ValueError(f"status= applies to a details operation ({', '.join(details)}); {operation!r} is not one")
    for op in [operation] if operation is not None else details:
        documented = _states(provider, op)
        if all(among(value, documented) for value in statuses):
            return op
    documented = _states(provider, operation or details[0])
    wrong = next(v for v in statuses if not among(v, documented))
    raise ValueError(f"status {wrong!r} is not documented; use one of {', '.join(map(str, documented))}")


def _states(provider: str, details: str) -> list[Any]:
    out: list[Any] = []
    for family in families.reading(details):
        status = family.forceable_status(provider)
        if status is not None:
            out += [v for v in (*status.order, *status.failures) if v not in out]
    return out
