"""The server conformance suite: does a server at a base URL follow its provider profile's rules?

What went where (the old ``contract/_server.py``, split by concept):

- ``config.py``: :class:`SuiteConfig`, what to test and how hard;
- ``report.py``: :class:`Outcome`, :class:`RuleOutcome`, :class:`SuiteResult` and its summary (the spend
  guard is ``contract._spend.SpendGuard``, shared with the plugin's live proxy);
- ``receiver.py``: the loopback ``SuiteReceiver`` (``REFUSE``: the paths it refuses on purpose);
- ``suite.py``: ``Suite``, the running state every section is a function over: ``send`` (through the
  spend guard), ``judge`` and ``judge_shape`` (the rule oracle), ``record``/``cover``, once-only bookkeeping;
- ``discovery.py``: ``probe_mock``, ``discover`` (the served operations), ``fixture`` (the finished music task);
- ``sections.py``: ``auth``, ``not_found``, ``malformed``, ``pinned``, ``once_only``, ``drawn``, ``generated``;
- ``lifecycle.py``: ``lifecycle``, ``poll``, ``reread``, ``callbacks`` (order, count, retries of refused ones);
- ``run.py``: :func:`suite_session` (the shared set-up), ``SECTIONS`` (the run's order), :func:`run_server_suite`.
  A new probe family is a function ``(suite: Suite) -> None`` in a section module, listed in ``run.SECTIONS``.

Usage from Python::

    from contract import SuiteConfig, run_server_suite
    result = run_server_suite(SuiteConfig(provider="kie", token="t", app=asgi_app))   # in-process
    result = run_server_suite(SuiteConfig(provider="kie", token="t", base_url="http://127.0.0.1:8000"))
    assert result.ok, result.summary()

What it sends (in this order): a probe for the mock's admin API, ``GET /openapi.json`` to learn
which operations the server declares (the contract's table, :mod:`contract._families`, says what
each one must do; a family is exercised when its operations are declared), the authentication
and not-found checks, malformed bodies, the lifecycle of one task per served family (polled to a
final state, then read again: a finished task must stay the same), the probes
:mod:`contract._requests` derives from the table, a second call of each once-only operation
(cover image, persona, WAV) on the task or track of its first, drawn boundary probes, and
requests generated from the bundled document by Schemathesis (positive and negative). Every
answer is judged by :mod:`contract._checks` against the rules of :mod:`contract._rules` (a body
that breaks only a rule the documents disagree on may be accepted or rejected); the summary
ends with the coverage table: per documented rule, how many probes were sent and whether it held.

Once-only operations: on the mock, every probe that names a task or track an earlier call
already used is moved onto a freshly seeded task (``POST /_mock/tasks``), so probes that must
be accepted still can be; elsewhere the documented repeat answer is accepted for them too.

No spending by accident: against a non-loopback URL, a creating call that the rules say could
succeed is sent only while ``spend_budget`` allows; every such call is counted.
"""

from .config import SuiteConfig
from .report import Outcome, RuleOutcome, SuiteResult
from .run import run_server_suite, suite_session

__all__ = ["Outcome", "RuleOutcome", "SuiteConfig", "SuiteResult", "run_server_suite", "suite_session"]
