"""The lifecycle sections: one task per served family polled to a final state and read again, then its callbacks.

``poll`` checks the status only moves forward and the details match it; ``reread`` that a finished
task stays the same; ``callbacks`` the order, count and payloads of what the receiver got, and
that a refused delivery (HTTP 500), and one the receiver does not answer in time
(``SuiteConfig.callback_hold``), is retried as documented.

A family's table says where its answers put things (:class:`contract._families.Family`): the
created task's id (``created_id_at``), the details query that names it (``details_query``), the
id the details answer names (``answered_id_at``), the record judged (``record_at``) and its status
(``Status.at``: ``data.status``, ``data.successFlag``, or Recovery's top-level ``code``, where 201
means running rather than a refusal). Every wait goes through ``SuiteConfig.sleep``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .. import _checks as checks
from .. import _families as families
from .._checks import Exchange
from .._families import CALLBACK, Family, Operation, Source, Track
from .._requests import valid_body
from .receiver import HANG, REFUSE
from .suite import Suite

__all__ = ["CALLBACK_STEP", "MOST_ATTEMPTS", "REREADS", "Expected", "callbacks", "lifecycle"]


#: The most delivery attempts any document allows (3: replace-section, sunoapi music); families that
#: document no retries are held to it.
MOST_ATTEMPTS = 3


@dataclass
class Expected:
    """A task the lifecycle created, whose callbacks are checked at the end."""

    task_id: str
    family: Family
    path: str
    operation: str
    #: The receiver refuses every delivery on purpose: the callbacks must be retried as documented.
    refused: bool = False
    #: The refusal is no answer within the server's receiver timeout (the receiver holds it), not HTTP 500.
    hung: bool = False


#: How often a finished task is read again (the time checks).
REREADS = 3
#: Seconds between two looks at the receiver while callbacks are still due.
CALLBACK_STEP = 0.05


def lifecycle(suite: Suite) -> None:
    """Create one task per served family (in table order), poll it to a final state, read it again."""
    callback_base = suite.receiver.url if suite.receiver else None
    nonce = secrets.token_hex(4)
    for fam in families.FAMILIES:
        op = next((o for o in fam.creating if o.id in suite.served), None)
        if op is None or fam.details is None:
            continue
        if fam.details.id not in suite.served:
            suite.notes.append(f"lifecycle of {op.id} not run: {fam.details.id} is not served")
            continue
        source = suite.source_for(op.id)
        if op.needs and source is None:
            suite.notes.append(f"lifecycle of {op.id} not run: it needs a finished {op.needs} task")
            continue
        path = f"/callback/{fam.name}-{nonce}"
        callback = f"{callback_base}{path}" if callback_base else CALLBACK
        track = source.tracks[0] if source and source.tracks else None
        body, track = suite.unspent(op.id, valid_body(suite.provider, op.id, source, callback=callback), track)
        exchange = suite.send(op.id, body=body, track=track, label="lifecycle")
        if exchange is None:
            suite.notes.append(f"lifecycle of {op.id} not run: it creates a billed task; allow it with --spend-budget")
            continue
        suite.examples += 1
        task_id = _created(suite, fam, op, exchange, "lifecycle")
        if task_id is None:
            continue
        suite.use_up(op, body)
        final = poll(suite, fam, op.id, task_id, body)
        if final is not None and fam.name not in suite.sources:
            tracks = tuple(fam.tracks(final)) if fam.tracks else ()
            suite.sources[fam.name] = Source(task_id, tracks)
        if callback_base:
            suite.expected_callbacks.append(Expected(task_id, fam, path, op.id))
            refused_delivery(suite, fam, op, source, track, f"{callback_base}{REFUSE}{fam.name}-{nonce}")
            if suite.config.callback_hold and fam.callbacks is not None and fam.callbacks.attempts:
                url = f"{callback_base}{HANG}{fam.name}-{nonce}"
                refused_delivery(suite, fam, op, source, track, url, hung=True)


def refused_delivery(
    suite: Suite,
    fam: Family,
    op: Operation,
    source: Source | None,
    track: Track | None,
    url: str,
    *,
    hung: bool = False,
) -> None:
    """One more task whose callbacks the receiver refuses on purpose (HTTP 500, or no answer in time if ``hung``)."""
    if fam.callbacks is None:
        return
    body, track = suite.unspent(op.id, valid_body(suite.provider, op.id, source, callback=url), track)
    label = "lifecycle: callbacks not answered in time" if hung else "lifecycle: callbacks refused on purpose"
    exchange = suite.send(op.id, body=body, track=track, label=label)
    if exchange is None:
        return
    suite.examples += 1
    task_id = _created(suite, fam, op, exchange, "callbacks refused")
    if task_id is None:
        return
    suite.use_up(op, body)
    suite.expected_callbacks.append(Expected(task_id, fam, urlsplit(url).path, op.id, refused=True, hung=hung))


def _created(suite: Suite, fam: Family, op: Operation, exchange: Exchange, why: str) -> str | None:
    """The id of the task a valid creating request made (where the family's answer puts it), or None, recorded."""
    where = ".".join(fam.created_id_at)
    if not suite.judge_shape(exchange) or exchange.code != 200:
        failure = checks.expect_code(exchange, [200], f"a valid {op.id} request ({why})")
        suite.record("lifecycle", op.id, failure or f"no task id at {where} in the answer", exchange)
        return None
    task_id = fam.created_id(exchange.body)
    if task_id is None:
        suite.record("lifecycle", op.id, f"a created {fam.name} task answered no task id string at {where}", exchange)
    return task_id


def poll(suite: Suite, fam: Family, op: str, task_id: str, sent: Mapping[str, Any]) -> dict[str, Any] | None:
    """Poll the family's details operation to a final state; the final ``data`` when it succeeded."""
    details, status = fam.details, fam.status_for(suite.provider)
    assert details is not None and status is not None
    query = {fam.details_query: task_id}
    clock = suite.config.clock
    deadline = clock() + suite.config.lifecycle_timeout
    last: Any = None
    finished: dict[str, Track] = {}
    polls = 0
    while True:
        exchange = suite.send(details.id, query=query, label="lifecycle poll")
        assert exchange is not None  # a free read is never withheld
        polls += 1
        suite.examples += 1
        if not suite.judge_shape(exchange):
            suite.record("lifecycle", op, f"{details.id} answered an undocumented shape while polling", exchange)
            return None
        record = fam.record(exchange.body)
        if not status.answers(exchange.code) or not isinstance(record, dict):
            suite.record("lifecycle", op, f"{details.id} of a created task answered code {exchange.code}", exchange)
            return None
        value = status.read(exchange.body)
        answered = fam.answered_id(exchange.body)
        found = {
            f"{details.id}: {status.field} only moves forward ({fam.name})": checks.status_move(status, last, value),
            f"{details.id}: the details show what the {status.field} says ({fam.name})": (
                fam.record_check(record, value, fam.results) if fam.record_check else None
            ),
            f"{details.id}: the details are those of the task asked for": (
                None
                if answered == task_id
                else f"{details.id} answered {'.'.join(fam.answered_id_at)} {answered!r} for {task_id!r}"
            ),
        }
        if fam.echoes_param:
            found[f"{details.id}: param echoes the request ({fam.name})"] = checks.param_echo(record.get("param"), sent)
        for rule, problem in found.items():
            suite.cover(rule, problem)
        failure = next((problem for problem in found.values() if problem), None)
        suite.record("lifecycle", op, failure, exchange)
        if failure:
            return None
        if fam.tracks is not None:
            changed = _tracks_changed(finished, fam.tracks(record))
            suite.record("time", op, changed, exchange)
            suite.cover(f"{details.id}: a finished track never changes between reads ({fam.name})", changed)
            if changed:
                return None
        last = value
        if status.is_terminal(value):
            suite.progress(f"lifecycle {op}: {value} after {polls} poll(s)")
            return reread(suite, fam, op, task_id, record) if value == status.success else None
        if clock() > deadline:
            suite.record(
                "lifecycle",
                op,
                f"task {task_id} still {value} after {suite.config.lifecycle_timeout:g} s; "
                "raise --lifecycle-timeout if the server is slow",
                exchange,
            )
            return None
        suite.config.sleep(suite.config.poll_interval)


def _tracks_changed(finished: dict[str, Track], tracks: list[Track]) -> str | None:
    for track in tracks:
        before = finished.setdefault(track.id, track)
        if before != track:
            return f"finished track {track.id} changed between two reads: {before} became {track}"
    return None


def reread(suite: Suite, fam: Family, op: str, task_id: str, first: dict[str, Any]) -> dict[str, Any] | None:
    """A finished task, read again several times, stays exactly the same (the time checks)."""
    details, status = fam.details, fam.status_for(suite.provider)
    assert details is not None and status is not None
    rule = f"{details.id}: a finished task read again stays the same ({fam.name})"
    reads = 0
    for _ in range(REREADS * 3):  # 429s (the documented query rate) are waited out, a few times
        if reads == REREADS:
            break
        exchange = suite.send(details.id, query={fam.details_query: task_id}, label="time: read a finished task")
        assert exchange is not None
        suite.examples += 1
        if not suite.judge_shape(exchange):
            suite.record("time", op, "a finished task read again answered an undocumented shape", exchange)
            return None
        if exchange.code == 429:  # the documented query rate (3 per second per task): wait, read again
            suite.config.sleep(max(suite.config.poll_interval, 0.4))
            continue
        reads += 1
        data = fam.record(exchange.body)
        failure: str | None
        if not status.answers(exchange.code) or not isinstance(data, dict):
            failure = f"a finished task read again answered code {exchange.code}"
        else:
            failure = checks.finished_unchanged(first, data, status.field)
            if (
                failure
                and first.get(status.field) == status.success
                and data.get(status.field) in ("CALLBACK_EXCEPTION",)
            ):
                # 3.1: "error while delivering the callback" may follow SUCCESS (the one documented move).
                suite.notes.append(f"{op}: {task_id} went from {status.success} to CALLBACK_EXCEPTION")
                first, failure = data, None
        suite.record("time", op, failure, exchange)
        suite.cover(rule, failure)
        if failure:
            return None
    return first


def callbacks(suite: Suite) -> None:
    """Order, count and payloads of the callbacks the receiver got for the lifecycle tasks."""
    if suite.receiver is None or not suite.expected_callbacks:
        return
    # The deliveries come over the network: a real deadline, left as soon as every task's have come.
    deadline = time.monotonic() + suite.config.callback_wait
    while time.monotonic() < deadline and not all(_finished(suite, e) for e in suite.expected_callbacks):
        suite.config.sleep(CALLBACK_STEP)
    for expected in suite.expected_callbacks:
        spec = expected.family.callbacks
        assert spec is not None
        payloads = suite.receiver.for_path(expected.path)
        if not payloads:
            message = (
                f"no callback for task {expected.task_id} within {suite.config.callback_wait:g} s of the end of the run"
            )
            if suite.config.require_callbacks:
                suite.record("callbacks", expected.operation, message, None)
                suite.cover(f"{expected.operation}: a callback arrives", message)
            else:
                suite.notes.append(message + " (not required; use --require-callbacks)")
            continue
        stages: list[str] = []
        where = ".".join(spec.task_id_path(suite.provider))
        for payload in payloads:
            failure = None
            problems = suite.shapes.check_callback(expected.operation, payload)
            if problems:
                failure = f"a {expected.family.name} callback breaks the documented payload: {'; '.join(problems)}"
            if failure is None:
                stage = spec.stage(payload)
                if stage is not None:
                    stages.append(stage)
                task_id = spec.task_id(payload, suite.provider)
                if task_id != expected.task_id:
                    failure = f"callback {where} {task_id!r} is not the created task {expected.task_id}"
            suite.record("callbacks", expected.operation, failure, None)
            suite.cover(f"{expected.operation}: callbacks carry the documented payload", failure)
            if failure:
                suite.outcomes[("callbacks", expected.operation)].curl = json.dumps(payload)[:400]
        if expected.refused:
            stages = _retried(suite, expected, payloads, stages)
        order = checks.callback_order(stages, spec, expected.family.name)
        suite.record("callbacks", expected.operation, order, None)
        suite.cover(f"{expected.operation}: callbacks in documented order and count ({spec.count} at most)", order)


def _retried(suite: Suite, expected: Expected, payloads: list[Any], stages: list[str]) -> list[str]:
    """Each refused callback was delivered again, no more often than documented; the stages, once each."""
    spec = expected.family.callbacks
    assert spec is not None
    most = spec.attempts or MOST_ATTEMPTS
    deliveries: dict[str, int] = {}
    for payload in payloads:
        key = json.dumps(payload, sort_keys=True)
        deliveries[key] = deliveries.get(key, 0) + 1
    failure = None
    what = (
        f"timed-out {{stage}} callback (no answer within {suite.config.callback_hold:g} s)"
        if expected.hung
        else "refused {stage} callback (HTTP 500)"
    )
    for key, count in deliveries.items():
        stage = spec.stage(json.loads(key)) or "?"
        if count < 2 and spec.attempts is not None:
            failure = f"a {what.format(stage=stage)} was not delivered again (1 attempt)"
        elif count > most:
            failure = f"a {what.format(stage=stage)} was delivered {count} times; at most {most} attempts"
        if failure:
            break
    kind = "a callback not answered in time" if expected.hung else "a refused callback"
    rule = (
        f"{expected.operation}: {kind} is delivered again, {most} attempts at most"
        if spec.attempts is not None
        else f"{expected.operation}: {kind} is not sent more than {most} times (retries undocumented)"
    )
    suite.record("callbacks", expected.operation, failure, None)
    suite.cover(rule, failure)
    # A retry may come after the next stage's first attempt (its backoff outlasts the gap between
    # stages), so the order is that of each stage's first delivery.
    return list(dict.fromkeys(stages))


def _finished(suite: Suite, expected: Expected) -> bool:
    assert suite.receiver is not None and expected.family.callbacks is not None
    spec = expected.family.callbacks
    ends = [p for p in suite.receiver.for_path(expected.path) if spec.stage(p) in ("complete", "error")]
    return len(ends) >= (spec.attempts or 1) if expected.refused else bool(ends)
