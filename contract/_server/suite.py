"""The running suite: its state, the sending (through the spend guard) and the rule oracle every section uses.

:class:`Suite` is the small context the sections (:mod:`.sections`, :mod:`.discovery`,
:mod:`.lifecycle`, :mod:`contract._sources`, :mod:`contract._market`) are functions over: what the
target serves, the finished tasks requests may name, the once-only calls already made, and the
outcomes and coverage recorded so far.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import httpx

from .. import _checks as checks
from .. import _families as families
from .. import _rules as rules
from .._checking import is_integer
from .._checks import Exchange, ResponseShapes
from .._families import Operation, Source, Track
from .._requests import valid_body, valid_query
from .._spend import SpendGuard
from .config import SuiteConfig
from .report import Outcome, RuleOutcome

if TYPE_CHECKING:
    from .lifecycle import Expected
    from .receiver import SuiteReceiver

__all__ = ["NO_BODY", "Suite"]

#: ``send(body=NO_BODY)``: the request has no JSON body (``raw`` may still give one).
NO_BODY: Any = object()


class Suite:
    """One run's state against one target, and the sending and judging every section shares."""

    def __init__(self, config: SuiteConfig, client: httpx.Client, loopback: bool) -> None:
        self.config = config
        self.provider = config.provider
        self.client = client
        self.loopback = loopback
        self.shapes = ResponseShapes(config.provider)
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self.coverage: dict[str, RuleOutcome] = {}
        self.notes: list[str] = []
        self.spend = SpendGuard(loopback=loopback, budget=config.spend_budget)
        self.requests = 0
        self.examples = 0
        self.is_mock = False
        #: The table's operations this run exercises (those the served spec declares).
        self.served: dict[str, Operation] = {}
        #: Finished tasks requests may name, by family (the music fixture, then what the lifecycle made).
        self.sources: dict[str, Source] = {}
        #: More finished music tasks seeded on the mock, so that each probe of a once-only operation
        #: that must be accepted names a task or track no earlier call used.
        self.fresh: list[Source] = []
        #: (operation, task or track id) a once-only operation has already been called on.
        self.spent: set[tuple[str, str]] = set()
        self.expected_callbacks: list[Expected] = []
        self.receiver: SuiteReceiver | None = None

    @property
    def task(self) -> Source | None:
        """The finished music task the stateful checks edit."""
        return self.sources.get("music")

    def source_for(self, operation: str) -> Source | None:
        needs = families.operation(operation).needs
        return self.sources.get(needs) if needs else None

    def request_for(self, operation: Operation) -> dict[str, Any]:
        """A valid request (body or query) for ``operation``, naming the suite's sources."""
        source = self.source_for(operation.id)
        if operation.query:
            return {"query": valid_query(self.provider, operation.id, source)}
        if operation.body is not None:
            return {"body": valid_body(self.provider, operation.id, source)}
        return {}

    # reporting ---------------------------------------------------------------------------------
    def progress(self, text: str) -> None:
        if self.config.progress:
            self.config.progress(f"[{self.provider}] {text}")

    def record(self, check: str, operation: str, failure: str | None, exchange: Exchange | None) -> None:
        outcome = self.outcomes.setdefault((check, operation), Outcome(check, operation))
        if failure is None:
            outcome.passed += 1
            return
        outcome.failed += 1
        if outcome.failed == 1:
            outcome.message = failure
            outcome.curl = exchange.curl() if exchange else ""
            self.progress(f"FAIL {check} {operation}: {failure}")

    def cover(self, rule: str, failure: str | None) -> None:
        """Count one probe of a documented rule (the coverage table)."""
        if not rule:
            return
        entry = self.coverage.setdefault(rule, RuleOutcome(rule))
        entry.probes += 1
        if failure is not None:
            entry.failed += 1
            entry.message = entry.message or failure

    # sending -----------------------------------------------------------------------------------
    def send(
        self,
        operation: str,
        *,
        body: Any = NO_BODY,
        raw: bytes | None = None,
        content_type: str | None = "application/json",
        query: Mapping[str, Any] | None = None,
        auth: str = "valid",
        path: str | None = None,
        method: str | None = None,
        track: Track | None = None,
        label: str = "",
    ) -> Exchange | None:
        """Send one request through the spend guard; None when the guard withheld it."""
        entry = families.OPERATIONS.get(operation)
        op_method, op_path = (entry.method, entry.path_for(self.provider)) if entry else ("GET", "/")
        headers: dict[str, str] = {}
        if auth == "valid":
            headers["Authorization"] = f"Bearer {self.config.token}"
        elif auth == "bad":
            headers["Authorization"] = f"Bearer invalid-{secrets.token_hex(8)}"
        elif auth == "raw":
            headers["Authorization"] = self.config.token
        elif auth == "basic":
            headers["Authorization"] = "Basic dXNlcjpwYXNz"
        content: bytes | None = raw
        if body is not NO_BODY:
            content = json.dumps(body, ensure_ascii=False).encode()
        if content is not None and content_type:
            headers["Content-Type"] = content_type
        request = self.client.build_request(
            method or op_method,
            path or op_path,
            params=dict(query) if query else None,
            headers=headers,
            content=content,
        )
        exchange = Exchange(operation, request, meta={"auth": auth, "label": label})
        if entry is not None and entry.creates and self._may_succeed(exchange, track):
            if not self.spend.allow(f"{operation} {label}".strip()):
                return None
            exchange.meta["may_succeed"] = True
        self.requests += 1
        try:
            exchange.response = self.client.send(request)
            exchange.response.read()
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
        return exchange

    def sent_body(self, exchange: Exchange) -> tuple[bool, Any]:
        """(is JSON, decoded body) of what was actually sent."""
        req = exchange.request
        if not req.content:
            return True, None
        if req.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return False, None
        try:
            return True, json.loads(req.content)
        except ValueError:
            return False, None

    def _may_succeed(self, exchange: Exchange, track: Track | None) -> bool:
        if exchange.meta.get("auth") != "valid":
            return False  # no valid key: nobody can be billed
        is_json, body = self.sent_body(exchange)
        if not is_json or not isinstance(body, dict):
            return False
        if rules.request_violations(self.provider, exchange.operation, body):
            return False
        return not (
            track is not None and rules.stateful_violations(self.provider, exchange.operation, body, track.duration)
        )

    # judging -----------------------------------------------------------------------------------
    def judge_shape(self, exchange: Exchange) -> bool:
        """Envelope and response schema; True when both hold."""
        op = exchange.operation
        failure = checks.envelope(exchange)
        self.record("envelope", op, failure, exchange)
        self.cover(f"{op}: every answer is the documented envelope", failure)
        if failure:
            return False
        failure = self.shapes.check_response(exchange)
        self.record("response_schema", op, failure, exchange)
        self.cover(f"{op}: every answer matches its documented schema", failure)
        return failure is None

    def judge(self, exchange: Exchange | None, track: Track | None = None) -> str | None:
        """The rule oracle for a request sent with a valid key; the failure it found, if any."""
        if exchange is None:
            return None
        self.examples += 1
        self.judge_shape(exchange)
        op = exchange.operation
        entry = families.operation(op)
        is_json, body = self.sent_body(exchange)
        query = dict(parse_qsl(exchange.request.url.query.decode(), keep_blank_values=True))
        if not is_json:
            failure = checks.expect_code(exchange, [422], "a body that is not JSON must be rejected")
            self.record("malformed_body", op, failure, exchange)
            return failure
        found = rules.request_violations(self.provider, op, body, query)
        repeat = self._repeated(entry, body)
        if found:
            why = f"breaks the documented rule '{found[0]}'"
            failure = checks.expect_code(exchange, [422, *repeat], why)
            self.record("rejects_invalid", op, failure, exchange)
            return failure
        if track is not None and entry.stateful is not None:
            stateful = rules.stateful_violations(self.provider, op, body, track.duration)
            if stateful:
                why = f"breaks the documented rule '{stateful[0]}'"
                failure = checks.expect_code(exchange, [422, *repeat], why)
                self.record("stateful_rules", op, failure, exchange)
                return failure
        disputed = rules.disputed_violations(self.provider, op, body) if entry.body is not None else []
        if self._ids_known(entry, body, query):
            allowed = [200, 402] if entry.creates else [200]
            why = "keeps every documented rule, so it must not be rejected"
            if disputed:
                allowed.append(422)
                why = f"breaks only '{disputed[0]}', on which the documents disagree, so it is accepted or rejected"
            if repeat:
                why += f"; it names a {entry.once} {op} was already called on"
            failure = checks.expect_code(exchange, [*allowed, *repeat], why)
            self.record("accepts_valid", op, failure, exchange)
            if exchange.code == 200:
                self.use_up(entry, body)
        elif 200 in entry.unknown_codes:
            why = "keeps every documented rule (unknown task)"
            failure = checks.expect_code(exchange, list(entry.unknown_codes), why)
            self.record("accepts_valid", op, failure, exchange)
        else:
            why = "names a task or track that does not exist"
            failure = checks.expect_code(exchange, list(entry.unknown_codes), why)
            self.record("not_found", op, failure, exchange)
        return failure

    def _known_sources(self, entry: Operation) -> list[Source]:
        source = self.sources.get(entry.needs) if entry.needs else None
        if source is None:
            return []
        return [source, *self.fresh] if entry.needs == "music" else [source]

    def _ids_known(self, entry: Operation, body: Any, query: Mapping[str, str]) -> bool:
        """Whether every task or track the request names is one the suite knows to exist."""
        if not entry.refs:
            return True
        return self._named_source(entry, body, query) is not None

    def _named_source(self, entry: Operation, body: Any, query: Mapping[str, str] | None = None) -> Source | None:
        """The known finished task whose ids the request names (None: it names an unknown one)."""
        values = {**(query or {}), **(body if isinstance(body, Mapping) else {})}
        for source in self._known_sources(entry):
            if all(self._names(source, ref.names, values[ref.field]) for ref in self.refs(entry, values)):
                return source
        return None

    def refs(self, entry: Operation, values: Mapping[str, Any]) -> list[families.Ref]:
        return [
            ref
            for ref in entry.refs
            if (ref.providers is None or self.provider in ref.providers) and ref.field in values
        ]

    @staticmethod
    def _names(source: Source, kind: str, value: Any) -> bool:
        if kind == "task":
            return bool(value == source.task_id)
        if kind == "track":
            return value in {t.id for t in source.tracks}
        return is_integer(value) and 0 <= value < len(source.tracks)

    # once-only operations ----------------------------------------------------------------------
    def once_key(self, entry: Operation, body: Any) -> tuple[str, str] | None:
        """(operation, the task or track id) that a call of a once-only operation uses up."""
        if entry.once is None or not isinstance(body, Mapping):
            return None
        field = next((r.field for r in entry.refs if r.names == entry.once), None)
        value = body.get(field) if field else None
        return (entry.id, value) if isinstance(value, str) else None

    def use_up(self, entry: Operation, body: Any) -> None:
        key = self.once_key(entry, body)
        if key is not None:
            self.spent.add(key)

    def _repeated(self, entry: Operation, body: Any) -> list[int]:
        """The documented repeat codes when ``body`` names a task or track already used up, else []."""
        key = self.once_key(entry, body)
        return list(entry.repeat_codes) if key is not None and key in self.spent else []

    def fresh_source(self) -> Source | None:
        """A newly seeded finished music task (on the mock only), with the fixture's durations."""
        if not self.is_mock or "music" not in self.sources:
            return None
        durations = [t.duration for t in self.sources["music"].tracks]
        response = self.client.post("/_mock/tasks", json={"durations": durations})
        self.requests += 1
        try:
            data = response.json()["data"]
            tracks = tuple(Track(str(t["id"]), int(t["index"]), float(t["duration"])) for t in data["tracks"])
            source = Source(str(data["taskId"]), tracks)
        except (ValueError, KeyError, TypeError):
            return None
        self.fresh.append(source)
        return source

    def unspent(self, operation: str, body: Any, track: Track | None) -> tuple[Any, Track | None]:
        """The request of a once-only operation moved onto a fresh task when its own was used up.

        Probes that must be accepted then still can be: each names a task (or track) no earlier
        call used. Only the mock can seed fresh tasks; elsewhere the request is left as it is
        and :meth:`judge` accepts the documented repeat answer as well.
        """
        entry = families.operation(operation)
        key = self.once_key(entry, body)
        if key is None or key not in self.spent:
            return body, track
        source = self._named_source(entry, body)
        fresh = self.fresh_source() if source is not None else None
        if source is None or fresh is None:
            return body, track
        moved = dict(body)
        index = next((t.index for t in source.tracks if t.id == body.get("audioId")), 0)
        for ref in self.refs(entry, body):
            if ref.names == "task":
                moved[ref.field] = fresh.task_id
            elif ref.names == "track":
                moved[ref.field] = fresh.tracks[min(index, len(fresh.tracks) - 1)].id
        new_track = fresh.tracks[min(track.index, len(fresh.tracks) - 1)] if track is not None else None
        return moved, new_track
