"""The probing sections, each a plain function over the running :class:`~.suite.Suite`.

Authentication, not-found, malformed bodies, the probes derived from the table, the once-only
repeats, the drawn boundary probes and the Schemathesis-generated requests. :data:`.run.SECTIONS`
lists them in the order a run calls them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from mockserver import openapi

from .. import _checks as checks
from .. import _families as families
from .._checks import Exchange
from .._families import UNKNOWN_TASK, Probe
from .._requests import boundary_probes, derived_probes, valid_body
from .suite import NO_BODY, Suite

__all__ = ["auth", "drawn", "generated", "malformed", "not_found", "once_only", "pinned", "run_probe"]


def _codes(codes: list[int]) -> str:
    return " or ".join(map(str, codes))


def _echoed_key(exchange: Exchange) -> str | None:
    """A refusal must not show the key it was sent (its msg may name the problem and a fingerprint)."""
    sent = exchange.request.headers.get("authorization", "")
    key = sent.split(" ", 1)[1] if " " in sent else sent
    if len(key) < 8 or exchange.response is None:
        return None
    if key in exchange.response.content.decode("utf-8", "replace"):
        return f"the 401 answer shows the API key it was sent ({key[:4]}...): show a fingerprint at most"
    return None


def auth(suite: Suite) -> None:
    """401 on every operation without a key, with a bad key, with the key but no scheme, with Basic.

    The 401 is the documented envelope, and it never shows the key it was sent (an answer may
    name the problem and a fingerprint).
    """
    what = {
        "none": "without an Authorization header",
        "bad": "with a bad API key",
        "raw": "with the key but no Bearer scheme",
        "basic": "with Basic",
    }
    for op_id, op in suite.served.items():
        for auth, words in what.items():
            exchange = suite.send(op_id, auth=auth, **suite.request_for(op))
            if exchange is None:
                continue
            suite.examples += 1
            suite.judge_shape(exchange)
            failure = checks.expect_code(exchange, [401], f"a request {words} must be refused as unauthorized")
            if failure is None:
                failure = _echoed_key(exchange)
            suite.record("auth", op_id, failure, exchange)
            suite.cover(f"{op_id}: a request {words} gets the 401 envelope, not showing the key", failure)


def not_found(suite: Suite) -> None:
    """404 for an unknown task on every details operation, and for an unknown path."""
    seen: set[str] = set()
    for fam in families.FAMILIES:
        details = fam.details
        if details is None or details.id not in suite.served or details.id in seen:
            continue
        seen.add(details.id)
        exchange = suite.send(details.id, query={fam.details_query: UNKNOWN_TASK})
        if exchange is not None:
            suite.examples += 1
            suite.judge_shape(exchange)
            failure = checks.expect_code(exchange, [404], "unknown task")
            suite.record("not_found", details.id, failure, exchange)
            suite.cover(f"{details.id}: an unknown task gets 404", failure)
    exchange = suite.send("unknown-path", method="GET", path="/api/v1/generate/no-such-endpoint")
    if exchange is not None:
        suite.examples += 1
        failure = checks.envelope(exchange) or checks.expect_code(exchange, [404], "unknown path")
        suite.record("not_found", "unknown-path", failure, exchange)
        suite.cover("an unknown path gets 404", failure)


def malformed(suite: Suite) -> None:
    """Broken JSON, a JSON array and a wrong Content-Type on every operation with a body: 422, not 500."""
    for op_id, op in suite.served.items():
        if op.body is None:
            continue
        cases = [
            (b'{"taskId": "abc", ', "application/json", "malformed JSON"),
            (b"[1, 2]", "application/json", "a JSON array"),
            (json.dumps(suite.request_for(op)["body"]).encode(), "text/plain", "Content-Type text/plain"),
        ]
        for raw, media, label in cases:
            exchange = suite.send(op_id, raw=raw, content_type=media, label=label)
            if exchange is None:
                continue
            suite.examples += 1
            suite.judge_shape(exchange)
            why = f"a body with {label} must be rejected as invalid"
            failure = checks.expect_code(exchange, [422], why)
            suite.record("malformed_body", op_id, failure, exchange)
            suite.cover(f"{op_id}: a body with {label} gets 422", failure)


def pinned(suite: Suite) -> None:
    """The probes derived from the table: every field, condition, type, enum and bound of every rule."""
    for op_id in suite.served:
        for probe in derived_probes(suite.provider, op_id, suite.source_for(op_id)):
            run_probe(suite, probe)


def run_probe(suite: Suite, probe: Probe) -> None:
    if probe.query is not None:
        exchange = suite.send(probe.operation, query=probe.query, label=probe.label)
        track = probe.track
    else:
        body, track = suite.unspent(probe.operation, probe.body, probe.track)
        exchange = suite.send(probe.operation, body=body, track=track, label=probe.label)
    if exchange is not None:
        suite.cover(probe.rule, suite.judge(exchange, track))


def drawn(suite: Suite) -> None:
    """Hypothesis-drawn probes around the cross-field boundaries."""
    for op_id in suite.served:
        strategy = boundary_probes(suite.provider, op_id, suite.source_for(op_id))
        if strategy is not None:
            suite.progress(f"boundaries {op_id}")
            _run_given(suite, strategy, lambda probe: run_probe(suite, probe))


def generated(suite: Suite) -> None:
    """Schemathesis requests from the bundled document, positive and negative (none with ``schemathesis`` off)."""
    if not suite.config.schemathesis:
        return
    import schemathesis
    from schemathesis import GenerationMode

    from .._internals import case_has_no_body  # schemathesis: how a case without a body looks

    schema = schemathesis.openapi.from_dict(openapi.load_spec(suite.provider))
    for op_id, op in suite.served.items():
        operation = schema[op.path_for(suite.provider)][op.method]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            suite.progress(f"schemathesis {op_id} {mode.value}")

            def call(case: Any, op: str = op_id) -> None:
                body = NO_BODY if case_has_no_body(case) else case.body
                query = {k: v for k, v in (case.query or {}).items() if v is not None}
                raw = None
                if isinstance(body, bytes):  # negative mode may send bytes that are not JSON
                    body, raw = NO_BODY, body
                exchange = suite.send(
                    op, body=body, raw=raw, query=query, path=case.formatted_path, label="schemathesis"
                )
                suite.judge(exchange)

            try:
                _run_given(suite, operation.as_strategy(generation_mode=mode), call)
            except Exception as exc:  # schemathesis cannot always generate a mode (no parameters)
                suite.notes.append(f"schemathesis {op_id} {mode.value}: {type(exc).__name__}: {str(exc)[:120]}")


def _run_given(suite: Suite, strategy: st.SearchStrategy[Any], fn: Callable[[Any], None]) -> None:
    @hypothesis_seed(suite.config.seed)
    @settings(
        max_examples=suite.config.max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def run(value: Any) -> None:
        fn(value)

    run()


def once_only(suite: Suite) -> None:
    """A once-only operation called twice on the same task or track: the documented repeat answer."""
    for op_id, op in suite.served.items():
        if op.once is None or op.valid is None:
            continue
        source = suite.source_for(op_id)
        if source is None:
            suite.notes.append(f"{op_id}: the repeat was not tried (it needs a finished {op.needs} task)")
            continue
        body, track = suite.unspent(op_id, valid_body(suite.provider, op_id, source), source.tracks[0])
        key = suite.once_key(op, body)
        first: Exchange | None = None
        if key not in suite.spent:
            first = suite.send(op_id, body=body, track=track, label="once-only: first call")
            suite.judge(first, track)
        if key not in suite.spent:
            answer = "was not sent (spend budget)" if first is None else f"answered {first.code}"
            suite.notes.append(f"{op_id}: the repeat was not tried (the first call {answer})")
            continue
        again = suite.send(op_id, body=body, track=track, label="once-only: the same call again")
        if again is None:
            continue
        suite.examples += 1
        suite.judge_shape(again)
        allowed = list(op.repeat_codes)
        why = f"{op_id} called again on the same {op.once} (the documents allow it once)"
        failure = checks.expect_code(again, allowed, why)
        suite.record("once_only", op_id, failure, again)
        suite.cover(f"{op_id}: a second call on the same {op.once} answers {_codes(allowed)}", failure)
