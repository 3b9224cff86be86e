"""Callback delivery: the policy, retries on mock time, one shared HTTP client, each attempt journaled.

:meth:`CallbackDispatcher.dispatch` only schedules work on the
:class:`~mockserver._scheduler.Scheduler`; it never waits for the receiver, so a
delivery can neither block nor alter an API response.  Each attempt is an
HTTP POST of the JSON payload; only a 200 answer counts as delivered.  A
failed attempt (connection error, timeout, any other status) is retried after
an exponential backoff measured in mock time, until the policy's attempts are
used up.  Every attempt, including one refused by the allow-list, is recorded
in the :class:`~mockserver._callback_journal.CallbackJournal`.

Where callbacks may go is :mod:`mockserver._allowlist`; the optional signature headers are
:mod:`mockserver._signing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._allowlist import is_allowed, refusal
from ._callback_journal import Attempt, CallbackJournal, compress
from ._envelope import render
from ._events import Events
from ._lifecycle import Stage
from ._scheduler import Scheduler
from ._signing import signature, signed_task_id

if TYPE_CHECKING:
    # httpx (~0.09 s with the click, rich and pygments its __init__ pulls in) is imported by the
    # first delivery, not at start-up: a mock answers without it
    import httpx

__all__ = ["CallbackDispatcher", "CallbackPolicy"]


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


def _default_client() -> httpx.AsyncClient:
    import httpx

    # trust_env=False: a proxy from the environment must never see callbacks aimed at loopback.
    return httpx.AsyncClient(trust_env=False, follow_redirects=False)


def _pooled_client(connections: int, *, plain_http: bool) -> httpx.AsyncClient:
    """The default client, keeping alive as many connections as may be in use (none is closed and reopened).

    ``plain_http``: for http:// URLs only (redirects are not followed, so no request of it ever
    uses TLS); without verification httpx loads no CA bundle, which costs about 1.5 MiB of RSS.
    """
    import httpx

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

    ``allow`` extends the loopback-only allow-list (see :func:`~mockserver._allowlist.is_allowed`).
    With ``signing_key`` set, every request carries :func:`~mockserver._signing.sign` headers whose
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
        signed_id = signed_task_id(payload) if self._signing_key is not None else None
        delivery = _Delivery(task_id, stage, url, compress(body), policy, on_final, signed_id)
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
                refusal(delivery.url),
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
            headers.update(signature(delivery.signed_id, self._signing_key, int(started_at)))
        import httpx  # in sys.modules once the client exists: a dict lookup per attempt

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
        signed_id = signed_task_id(payload) if self._signing_key is not None else None
        delivery = _Delivery(task_id, stage, url, compress(body), policy, None, signed_id)
        started_at = self._scheduler.clock.now()
        if not is_allowed(url, self._allow):
            self._finish(delivery, number, started_at, None, refusal(url), 0.0, final=True)
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
