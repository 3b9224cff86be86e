"""Callback delivery: allow-list, optional signing, retries on mock time, and a journal of attempts.

:meth:`CallbackDispatcher.dispatch` only schedules work on the
:class:`~mockserver._clock.Scheduler`; it never waits for the receiver, so a
delivery can neither block nor alter an API response.  Each attempt is an
HTTP POST of the JSON payload; only a 200 answer counts as delivered.  A
failed attempt (connection error, timeout, any other status) is retried after
an exponential backoff measured in mock time, until the policy's attempts are
used up.  Every attempt, including one refused by the allow-list, is recorded
in the :class:`CallbackJournal`.

The journal may hold tens of thousands of attempts, so an :class:`Attempt` keeps the
body it sent zlib-compressed (one bytes object shared by every attempt of a delivery,
about a quarter of the JSON) and parses :attr:`Attempt.payload` only when it is read.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import inspect
import ipaddress
import json
import math
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from mockserver._clock import Scheduler
from mockserver._envelope import render
from mockserver._errors import MockError
from mockserver._events import Events
from mockserver._lifecycle import Stage

__all__ = [
    "Attempt",
    "CallbackDispatcher",
    "CallbackJournal",
    "CallbackPolicy",
    "CallbackWaitTimeout",
    "is_allowed",
    "sign",
]


@dataclass(frozen=True)
class CallbackPolicy:
    """How one callback is delivered.

    ``timeout_s`` is in real seconds, because the receiver is a real HTTP
    server however fast the mock clock runs.  ``backoff_base_s`` is in mock
    seconds: the gap after failed attempt ``n`` is
    ``backoff_base_s * backoff_factor ** (n - 1)`` (2 s, then 4 s by default;
    the providers do not document their intervals).
    """

    timeout_s: float = 15.0
    attempts: int = 3
    backoff_base_s: float = 2.0
    backoff_factor: float = 2.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.timeout_s) or self.timeout_s <= 0:
            raise ValueError(f"CallbackPolicy.timeout_s must be a finite number of seconds > 0, got {self.timeout_s!r}")
        if self.attempts < 1:
            raise ValueError(f"CallbackPolicy.attempts counts the first try too and must be >= 1, got {self.attempts}")
        if not math.isfinite(self.backoff_base_s) or self.backoff_base_s < 0:
            raise ValueError(f"CallbackPolicy.backoff_base_s must be finite and >= 0, got {self.backoff_base_s!r}")
        if not math.isfinite(self.backoff_factor) or self.backoff_factor < 1:
            raise ValueError(f"CallbackPolicy.backoff_factor must be finite and >= 1, got {self.backoff_factor!r}")

    def backoff(self, failed_attempt: int) -> float:
        """Return the mock seconds to wait after attempt number ``failed_attempt`` (1-based) failed."""
        return self.backoff_base_s * self.backoff_factor ** (failed_attempt - 1)


#: zlib window for journaled bodies: callback payloads are a few KiB, and a small window
#: compresses them as well as the default one at a third of the cost.
_ZLIB_WBITS = 12


def _compress(body: bytes) -> bytes:
    return zlib.compress(body, 6, _ZLIB_WBITS)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivery attempt of one callback.

    ``at`` is the mock time the attempt started; ``duration_ms`` is real time.
    ``delivered`` is True only for a 200 answer.  ``final`` is True when no
    further attempt follows (delivered, attempts used up, or URL refused).

    :attr:`body` is the exact JSON sent, kept as ``compressed_body``
    (``zlib.compress(body)``); :attr:`payload` is that JSON parsed, a new dict on
    each access.  :meth:`as_dict` is the JSON shape ``GET /_mock/callbacks`` lists.
    """

    task_id: str
    stage: Stage
    attempt: int
    url: str
    compressed_body: bytes = field(repr=False)
    at: float
    status_code: int | None
    error: str | None
    duration_ms: float
    delivered: bool
    final: bool

    @property
    def body(self) -> bytes:
        """The request body that was POSTed (UTF-8 JSON)."""
        return zlib.decompress(self.compressed_body)

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON payload that was POSTed, parsed (a new dict on each access)."""
        payload: dict[str, Any] = json.loads(self.body)
        return payload

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: every field, with ``stage`` as its value and ``payload`` parsed instead of the body."""
        return {
            "task_id": self.task_id,
            "stage": self.stage.value,
            "attempt": self.attempt,
            "url": self.url,
            "payload": self.payload,
            "at": self.at,
            "status_code": self.status_code,
            "error": self.error,
            "duration_ms": self.duration_ms,
            "delivered": self.delivered,
            "final": self.final,
        }


class CallbackWaitTimeout(MockError, TimeoutError):
    """Raised by :meth:`CallbackJournal.wait_for` when the awaited attempt did not show up in time."""


class CallbackJournal:
    """The most recent ``max_attempts`` delivery attempts, oldest dropped first."""

    def __init__(self, max_attempts: int = 10_000) -> None:
        if max_attempts < 1:
            raise ValueError(f"CallbackJournal max_attempts must be >= 1, got {max_attempts}")
        self._attempts: deque[Attempt] = deque(maxlen=max_attempts)
        self._changed = asyncio.Event()
        self.dropped = 0
        """How many attempts were dropped because the journal was full."""

    def record(self, attempt: Attempt) -> None:
        """Append ``attempt`` (dropping the oldest if full) and wake :meth:`wait_for` callers."""
        if len(self._attempts) == self._attempts.maxlen:
            self.dropped += 1
        self._attempts.append(attempt)
        self._changed.set()
        self._changed = asyncio.Event()

    def attempts(self, task_id: str | None = None) -> list[Attempt]:
        """Return the recorded attempts, oldest first, optionally only those of ``task_id``."""
        return [a for a in self._attempts if task_id is None or a.task_id == task_id]

    def clear(self) -> None:
        """Forget every recorded attempt and reset the dropped count."""
        self._attempts.clear()
        self.dropped = 0

    async def wait_for(
        self,
        task_id: str,
        stage: Stage,
        *,
        delivered: bool = True,
        timeout: float = 10.0,
    ) -> Attempt:
        """Wait up to ``timeout`` real seconds for an attempt of ``task_id``'s ``stage`` callback.

        With ``delivered=True`` this is the attempt that was delivered; with
        ``delivered=False`` the last attempt of a delivery that finally failed.
        Attempts already in the journal count.  With a virtual clock nothing
        happens while waiting: advance the scheduler first.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = next(
                (
                    a
                    for a in self._attempts
                    if a.task_id == task_id
                    and a.stage == stage
                    and (a.delivered if delivered else a.final and not a.delivered)
                ),
                None,
            )
            if found is not None:
                return found
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise CallbackWaitTimeout(self._describe_miss(task_id, stage, delivered, timeout))
            # asyncio.timeout rather than wait_for(), which on Python 3.11 can swallow a cancel
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._changed.wait()

    def _describe_miss(self, task_id: str, stage: Stage, delivered: bool, timeout: float) -> str:
        wanted = "delivered" if delivered else "finally failed"
        seen = [
            f"{a.stage} attempt {a.attempt}: "
            + ("delivered" if a.delivered else f"failed ({a.error or f'HTTP {a.status_code}'})")
            for a in self.attempts(task_id)
        ]
        summary = "; ".join(seen) if seen else "no attempt at all (is callBackUrl set, and has mock time advanced?)"
        return f"no {wanted} {stage!s} callback for task {task_id!r} within {timeout} s; seen: {summary}"


def _host_of(url: str) -> str | None:
    """Return the lower-case host of an http(s) URL, or None if it is not one."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    return host


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _matches(host: str, entry: str) -> bool:
    """Return True if ``host`` is the allowed host name, IP address or CIDR network ``entry``."""
    entry = entry.strip().strip("[]").lower()
    if host == entry:
        return True
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


def is_allowed(url: str, allow: frozenset[str] = frozenset()) -> bool:
    """Return True if callbacks may be sent to ``url``.

    Allowed are http(s) URLs to loopback (``localhost``, 127.0.0.0/8, ``::1``)
    and to the host names, IP addresses or CIDR networks listed in ``allow``.
    Host names are compared literally; they are never resolved.
    """
    host = _host_of(url)
    return host is not None and (_is_loopback(host) or any(_matches(host, entry) for entry in allow))


def _refusal(url: str) -> str:
    """Explain why ``url`` (already known not to be allowed) was refused, and how to allow it."""
    host = _host_of(url)
    if host is None:
        return f"callBackUrl {url!r} is not an http(s) URL with a host; no callback was sent"
    return f"host {host!r} is not allowed; start the mock with --callback-allow {host}"


def _task_id_of(payload: Mapping[str, Any]) -> str:
    data = payload.get("data")
    task_id = data.get("task_id", data.get("taskId")) if isinstance(data, Mapping) else None
    if task_id is None:  # the MIDI and recovery callbacks carry it beside code
        task_id = payload.get("task_id")
    if not isinstance(task_id, str) or not task_id:
        raise ValueError(
            'signing needs the task id in payload["data"]["task_id"], payload["data"]["taskId"] or '
            'payload["task_id"]; add it to the payload or run without a signing key'
        )
    return task_id


def sign(payload: Mapping[str, Any], key: str, timestamp: int) -> dict[str, str]:
    """Return kie-style webhook signature headers for ``payload``.

    ``X-Webhook-Signature`` is ``base64(HMAC-SHA256(key, taskId + "." + timestamp))``
    with the task id taken from ``payload["data"]["task_id"]`` or else
    ``payload["data"]["taskId"]``.
    """
    return _signature(_task_id_of(payload), key, timestamp)


def _signature(task_id: str, key: str, timestamp: int) -> dict[str, str]:
    message = f"{task_id}.{timestamp}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return {
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": base64.b64encode(digest).decode(),
    }


def _default_client() -> httpx.AsyncClient:
    # trust_env=False: a proxy from the environment must never see callbacks aimed at loopback.
    return httpx.AsyncClient(trust_env=False, follow_redirects=False)


def _pooled_client(connections: int, *, plain_http: bool) -> httpx.AsyncClient:
    """The default client, keeping alive as many connections as may be in use (none is closed and reopened).

    ``plain_http``: for http:// URLs only (redirects are not followed, so no request of it ever
    uses TLS); without verification httpx loads no CA bundle, which costs about 1.5 MiB of RSS.
    """
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    if plain_http:
        return httpx.AsyncClient(trust_env=False, follow_redirects=False, limits=limits, verify=False)
    return httpx.AsyncClient(trust_env=False, follow_redirects=False, limits=limits)


@dataclass(frozen=True, slots=True)
class _Delivery:
    task_id: str
    stage: Stage
    url: str
    #: What is POSTed, zlib-compressed: decompressed for each request, journaled as it is.
    compressed_body: bytes
    policy: CallbackPolicy
    on_final: Callable[[bool], None] | None
    #: The task id the signature covers (from the payload), when signing.
    signed_id: str | None


class CallbackDispatcher:
    """Delivers callbacks through one shared HTTP client, at most ``max_concurrency`` at a time.

    ``allow`` extends the loopback-only allow-list (see :func:`is_allowed`).
    With ``signing_key`` set, every request carries :func:`sign` headers whose
    timestamp is the mock time of the attempt.  ``client_factory`` builds the
    shared :class:`httpx.AsyncClient` on first use; :meth:`aclose` closes it.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        journal: CallbackJournal,
        *,
        allow: frozenset[str] = frozenset(),
        signing_key: str | None = None,
        client_factory: Callable[[], httpx.AsyncClient] = _default_client,
        max_concurrency: int = 100,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        self._scheduler = scheduler
        self._journal = journal
        self._allow = allow
        self._signing_key = signing_key
        self._client_factory = client_factory
        # By "is a plain http:// URL sent through the default client"; the TLS one is made
        # only when an https:// callback is sent.
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._max_concurrency = max_concurrency
        self._task_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        # Attempts that are due, oldest first, with the mock time each became due.  The
        # scheduled action of an attempt queues it here and, while fewer than max_concurrency
        # do, starts a sender that sends from the queue until it is empty: a backlog of
        # thousands of due callbacks is a deque of tuples, not thousands of waiting tasks.
        self._due: deque[tuple[_Delivery, int, float]] = deque()
        self._senders: list[Coroutine[Any, Any, None]] = []
        #: Callback attempt events (see :mod:`mockserver._events`); the app shares its hub.
        self.events = Events()
        self._senders_loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(max_concurrency)  # attempts from a shared store, at most this many at once
        self._slots_loop: asyncio.AbstractEventLoop | None = None
        self._run_attempt = self._attempt  # one bound method for every scheduled attempt
        self._run_sender = self._sender

    def dispatch(
        self,
        task_id: str,
        stage: Stage,
        url: str,
        payload: Mapping[str, Any],
        *,
        policy: CallbackPolicy,
        on_final: Callable[[bool], None] | None = None,
    ) -> None:
        """Schedule delivery of ``payload`` to ``url`` starting now; return immediately.

        The payload is serialised here, so later changes to it are not sent and
        a payload that is not JSON-serialisable raises at once.  ``on_final`` is
        called exactly once, with True if an attempt got a 200 answer and False
        once every attempt failed or the URL was refused.
        """
        body = render(payload)
        # the signed id is read now, so that a payload that cannot be signed raises here
        signed_id = _task_id_of(payload) if self._signing_key is not None else None
        delivery = _Delivery(task_id, stage, url, _compress(body), policy, on_final, signed_id)
        self._scheduler.call_at(self._scheduler.clock.now(), self._run_attempt, delivery, 1)

    @contextlib.asynccontextmanager
    async def _in_order(self, task_id: str) -> AsyncIterator[None]:
        """One request at a time per task, in the order the attempts became due (asyncio locks are FIFO)."""
        lock, users = self._task_locks.get(task_id, (asyncio.Lock(), 0))
        self._task_locks[task_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._task_locks[task_id]
            if users == 1:
                del self._task_locks[task_id]
            else:
                self._task_locks[task_id] = (lock, users - 1)

    async def aclose(self) -> None:
        """Close the shared HTTP client (a new one is made if callbacks are dispatched afterwards)."""
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aclose()

    def _client_for(self, url: str) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client_loop is not loop:
            # a client (and its connection pool) belongs to the event loop that made it
            self._clients, self._client_loop = {}, loop
        plain = self._client_factory is _default_client and url[:7].lower() == "http://"
        client = self._clients.get(plain)
        if client is None:
            if self._client_factory is _default_client:
                client = _pooled_client(self._max_concurrency, plain_http=plain)
            else:
                client = self._client_factory()
            self._clients[plain] = client
        return client

    def _attempt(self, delivery: _Delivery, number: int) -> Awaitable[None] | None:
        """The scheduled action of one attempt: refuse it, or queue it and return a sender if one is needed."""
        started_at = self._scheduler.clock.now()
        if not is_allowed(delivery.url, self._allow):
            self._finish(
                delivery,
                number,
                started_at,
                None,
                _refusal(delivery.url),
                0.0,
                final=True,
            )
            return None
        self._due.append((delivery, number, started_at))
        return self._sender()

    def _sender(self) -> Awaitable[None] | None:
        """A new sender for the queue, or None if there is nothing to send or max_concurrency senders live."""
        loop = asyncio.get_running_loop()
        if self._senders_loop is not loop:
            # senders of an event loop that has gone will never finish
            self._senders_loop, self._senders = loop, []
        if not self._due:
            return None
        if len(self._senders) >= self._max_concurrency:
            # drop senders that finished (or were cancelled, even before they started)
            self._senders = [s for s in self._senders if inspect.getcoroutinestate(s) != inspect.CORO_CLOSED]
            if len(self._senders) >= self._max_concurrency:
                return None  # the live senders take the new attempt in turn
        sender = self._send_due()
        self._senders.append(sender)
        return sender

    async def _send_due(self) -> None:
        """Send queued attempts, oldest first, until none is left."""
        try:
            while self._due:
                await self._send(*self._due.popleft())
        except BaseException:
            if self._due:  # hand the rest on rather than leave it until another attempt is due
                self._scheduler.call_at(self._scheduler.clock.now(), self._run_sender)
            raise

    async def _send(self, delivery: _Delivery, number: int, started_at: float) -> None:
        """POST one attempt (one request at a time per task), journal it, and schedule a retry if it failed."""
        status_code, error, duration_ms = await self._post(delivery, started_at)
        final = status_code == 200 or number >= delivery.policy.attempts
        self._finish(delivery, number, started_at, status_code, error, duration_ms, final=final)
        if not final:
            at = self._scheduler.clock.now() + delivery.policy.backoff(number)
            self._scheduler.call_at(at, self._run_attempt, delivery, number + 1)

    async def _post(self, delivery: _Delivery, started_at: float) -> tuple[int | None, str | None, float]:
        """POST one attempt (one request at a time per task): the status code, the error and the real milliseconds."""
        headers = {"Content-Type": "application/json"}
        if self._signing_key is not None and delivery.signed_id is not None:
            headers.update(_signature(delivery.signed_id, self._signing_key, int(started_at)))
        client = self._client_for(delivery.url)
        body = zlib.decompress(delivery.compressed_body)
        status_code: int | None = None
        error: str | None = None
        async with self._in_order(delivery.task_id):
            began = time.perf_counter()
            try:
                async with asyncio.timeout(delivery.policy.timeout_s):
                    response = await client.post(
                        delivery.url,
                        content=body,
                        headers=headers,
                        timeout=delivery.policy.timeout_s,
                    )
                status_code = response.status_code
            except (TimeoutError, httpx.TimeoutException):
                error = f"no answer within {delivery.policy.timeout_s} s (receiver timeout)"
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                error = f"{type(exc).__name__}: {str(exc) or 'request failed'}"
            duration_ms = (time.perf_counter() - began) * 1000
        if status_code is not None and status_code != 200:
            error = f"receiver answered HTTP {status_code}; only 200 counts as delivered"
        return status_code, error, duration_ms

    async def attempt(
        self,
        task_id: str,
        stage: Stage,
        url: str,
        payload: Mapping[str, Any],
        *,
        policy: CallbackPolicy,
        number: int,
    ) -> tuple[bool, bool]:
        """Make attempt ``number`` of one delivery now and journal it; no retry is scheduled here.

        For deliveries kept in a shared store, which schedules the retries itself. Returns
        ``(delivered, final)``: final when delivered, refused, or the policy's last attempt.
        """
        body = render(payload)
        signed_id = _task_id_of(payload) if self._signing_key is not None else None
        delivery = _Delivery(task_id, stage, url, _compress(body), policy, None, signed_id)
        started_at = self._scheduler.clock.now()
        if not is_allowed(url, self._allow):
            self._finish(delivery, number, started_at, None, _refusal(url), 0.0, final=True)
            return False, True
        loop = asyncio.get_running_loop()
        if self._slots_loop is not loop:
            self._slots, self._slots_loop = asyncio.Semaphore(self._max_concurrency), loop
        async with self._slots:
            status_code, error, duration_ms = await self._post(delivery, started_at)
        final = status_code == 200 or number >= policy.attempts
        self._finish(delivery, number, started_at, status_code, error, duration_ms, final=final)
        return status_code == 200, final

    def _finish(
        self,
        delivery: _Delivery,
        number: int,
        at: float,
        status_code: int | None,
        error: str | None,
        duration_ms: float,
        *,
        final: bool,
    ) -> None:
        """Journal one attempt and, if it is the last one, report the outcome through ``on_final``."""
        delivered = status_code == 200
        self._journal.record(
            attempt := Attempt(
                task_id=delivery.task_id,
                stage=delivery.stage,
                attempt=number,
                url=delivery.url,
                compressed_body=delivery.compressed_body,
                at=at,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
                delivered=delivered,
                final=final,
            )
        )
        if self.events.listeners:
            self._tell(attempt, delivery.policy)
        if final and delivery.on_final is not None:
            delivery.on_final(delivered)

    def _tell(self, attempt: Attempt, policy: CallbackPolicy) -> None:
        """The attempt as an event: delivered, retry (and in how many mock seconds), gave-up or refused."""
        if attempt.delivered:
            outcome, retry_in = "delivered", None
        elif not attempt.final:
            outcome, retry_in = "retry", policy.backoff(attempt.attempt)
        else:
            # only a refused URL ends a delivery at its first attempt when more were allowed
            outcome, retry_in = ("refused" if attempt.attempt < policy.attempts else "gave-up"), None
        self.events.emit(
            "callback",
            attempt.at,
            task_id=attempt.task_id,
            stage=attempt.stage.value,
            attempt=attempt.attempt,
            url=attempt.url,
            status_code=attempt.status_code,
            error=attempt.error,
            ms=round(attempt.duration_ms, 1),
            outcome=outcome,
            retry_in=retry_in,
        )
