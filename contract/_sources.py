"""The source section of the server suite: requests naming a task they may not use.

Operations that work on a finished task (extend, replace-section, WAV, stems, video, MIDI, ...)
name it by ``taskId`` and one of its tracks by ``audioId``. The documents say what such a
request may not name, and this section probes it on every served operation, per family:

- **a track of another task** (``audioId`` from one finished task, ``taskId`` of another): the
  track must belong to the task, so the request is refused like an unknown one (404 or 422);
- **an unknown task** (every field that names the task given an id no task has, the rest of the
  body valid, its track included): refused (404 or 422), on every served operation that builds
  on a task;
- **a task past its retention**: music and its derived files are kept 14 days (kie, apikley)
  or 15 days (sunoapi; suno-api.md 3.1 "Retention"), so after 16 days no operation may build on
  the task (refused like an unknown one), while its details either still answer (200, the same
  shape) or answer 404: the documents do not say which.

Moving a task past its retention needs the target's clock: on suno-mockkit's mock with a
virtual clock it is moved with ``POST /_mock/clock/advance`` (after every other classic
section, since it ages every task); elsewhere the probe is not run and the run says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from . import _checks as checks
from . import _families as families
from ._families import UNKNOWN_TASK, Operation, Source
from ._requests import valid_body

if TYPE_CHECKING:
    from ._server.suite import Suite

__all__ = ["PAST_RETENTION_S", "RECOVERING", "foreign_tracks", "past_retention", "unknown_tasks"]

#: Operations that exist to bring a task's audio back (api-family.md #27): the documents do not say
#: they stop at the retention, so a task past it is not probed on them.
RECOVERING = frozenset({"recover-audio"})
#: Longer than every documented retention (14 d kie/apikley, 15 d sunoapi): one day more.
PAST_RETENTION_S = 16 * 86400.0


def _building(suite: Suite) -> list[tuple[str, Operation, Source]]:
    """(id, operation, its source) for each served operation that builds on a finished task the suite has."""
    found = []
    for op_id, op in suite.served.items():
        if op.valid is None or op.needs is None or not op.refs:
            continue
        source = suite.sources.get(op.needs)
        if source is None:
            continue
        found.append((op_id, op, source))
    return found


def _refused(op: Operation) -> list[int]:
    """The codes a request naming a task it may not use may answer (those of an unknown one, never 200)."""
    return [code for code in op.unknown_codes if code != 200]


def foreign_tracks(suite: Suite) -> None:
    """``audioId`` of another finished task than ``taskId``: refused like an unknown track."""
    for op_id, op, source in _building(suite):
        track_refs = [r for r in suite.refs(op, dict.fromkeys(r.field for r in op.refs)) if r.names == "track"]
        task_refs = [r for r in op.refs if r.names == "task"]
        if not track_refs or not task_refs or not _refused(op):
            continue
        other = suite.fresh_source() if op.needs == "music" else None
        if other is None or not other.tracks:
            suite.notes.append(f"{op_id}: a track of another task was not tried (it needs a second {op.needs} task)")
            continue
        body = valid_body(suite.provider, op_id, source)
        for ref in track_refs:
            if ref.field in body:
                body[ref.field] = other.tracks[0].id
        exchange = suite.send(op_id, body=body, label="a track of another task")
        if exchange is None:
            continue
        suite.examples += 1
        suite.judge_shape(exchange)
        allowed = _refused(op)
        why = f"{op_id} naming {track_refs[0].field} of another task than {task_refs[0].field} must be refused"
        failure = checks.expect_code(exchange, allowed, why)
        suite.record("stateful_rules", op_id, failure, exchange)
        suite.cover(f"{op_id}: a track of another task gets {' or '.join(map(str, allowed))}", failure)


def unknown_tasks(suite: Suite) -> None:
    """Each field naming the task given an id no task has (the track a real one): refused like an unknown task."""
    for op_id, op, source in _building(suite):
        task_refs = [r for r in op.refs if r.names == "task" and (r.providers is None or suite.provider in r.providers)]
        allowed = _refused(op)
        body = valid_body(suite.provider, op_id, source)
        fields = [r.field for r in task_refs if r.field in body]
        if not fields or not allowed:
            continue
        for name in fields:
            body[name] = UNKNOWN_TASK
        exchange = suite.send(op_id, body=body, label="an unknown task")
        if exchange is None:
            continue
        suite.examples += 1
        suite.judge_shape(exchange)
        why = f"{op_id} naming an unknown {' and '.join(fields)} ({UNKNOWN_TASK}) must be refused"
        failure = checks.expect_code(exchange, allowed, why)
        suite.record("not_found", op_id, failure, exchange)
        suite.cover(f"{op_id}: an unknown {fields[0]} gets {' or '.join(map(str, allowed))}", failure)


def _advance(suite: Suite, seconds: float) -> bool:
    """Move the mock's virtual clock; whether it moved."""
    try:
        answer = suite.client.post("/_mock/clock/advance", json={"seconds": seconds}).json()
    except (httpx.HTTPError, ValueError):
        return False
    finally:
        suite.requests += 1
    return isinstance(answer, dict) and answer.get("code") == 200


def past_retention(suite: Suite) -> None:
    """Every finished task aged past every documented retention: nothing builds on it; its details 200 or 404."""
    building = _building(suite)
    if not building and not suite.sources:
        return
    if not suite.is_mock or not _advance(suite, PAST_RETENTION_S):
        suite.notes.append(
            "tasks past their retention were not probed: that needs a task older than 16 days (suno-mockkit's mock "
            "with --virtual-clock ages its own)"
        )
        return
    suite.progress("tasks past their retention")
    for op_id, op, source in building:
        if op_id in RECOVERING:
            continue
        body = valid_body(suite.provider, op_id, source)
        exchange = suite.send(op_id, body=body, label="a task past its retention")
        if exchange is None:
            continue
        suite.examples += 1
        suite.judge_shape(exchange)
        allowed = _refused(op)
        why = f"{op_id} on a {op.needs} task older than its documented retention must be refused"
        failure = checks.expect_code(exchange, allowed, why)
        suite.record("stateful_rules", op_id, failure, exchange)
        suite.cover(f"{op_id}: a {op.needs} task past its retention gets {' or '.join(map(str, allowed))}", failure)
    for fam in families.FAMILIES:
        finished = suite.sources.get(fam.name)
        details = fam.details
        if finished is None or details is None or details.id not in suite.served:
            continue
        query = {fam.details_query: finished.task_id}
        exchange = suite.send(details.id, query=query, label="details past retention")
        if exchange is None:
            continue
        suite.examples += 1
        suite.judge_shape(exchange)
        failure = checks.expect_code(exchange, [200, 404], f"details of a {fam.name} task past its retention")
        record, shown = fam.record(exchange.body), fam.answered_id(exchange.body)
        if failure is None and exchange.code == 200 and (not isinstance(record, dict) or shown != finished.task_id):
            failure = f"details of {finished.task_id} past its retention answered another task or no data"
        suite.record("time", details.id, failure, exchange)
        suite.cover(f"{details.id}: a {fam.name} task past its retention answers 200 or 404", failure)
