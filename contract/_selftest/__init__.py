"""The mutation self-test: the server suite run against broken servers, each of which must be caught.

Each mutant is the mock behind a wrapper that breaks one documented rule (an ASGI proxy that
rewrites requests or answers, a relay between the mock and the suite's callback receiver, or
one of the mock's own profile switches set against the documents); none of them lives in the
mock's code. A mutant is caught when the suite fails, in the named check, with a message that
says what broke. ``suno-contract selftest`` runs them all and prints the mutation score::

    suno-contract selftest [--only NAME ...] [--max-examples N]

The wrappers start the mock in process (this package answers; it judges nothing: the judging
is the server suite's). What lives where:

- ``wrappers.py``: :func:`mock`, :class:`Mutant` (the ASGI proxy) and ``Relay`` (the callback relay);
- ``mutants.py``: the catalogue, :data:`MUTANTS` (each a :class:`Mutation`: provider, wrapper, check, words);
- ``run.py``: :func:`suite_result`, :func:`run_mutant`, :func:`run_selftest` and the :class:`SelftestReport`.
"""

from .mutants import MUTANTS, Mutation
from .run import SelftestReport, run_mutant, run_selftest, suite_result
from .wrappers import mock

__all__ = ["MUTANTS", "Mutation", "SelftestReport", "mock", "run_mutant", "run_selftest", "suite_result"]
