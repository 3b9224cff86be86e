"""The OLD code set: what a NEW code of the mock's answers reads as on a page that documents OLD codes.

sunoapi.org's WAV, recovery and timestamped-lyrics pages, and the file-upload pages, list the OLD
set (shared/reference/suno-api.md 1.3): 400 invalid parameters, 429 insufficient credits, 430 call
frequency too high (405 "call limit exceeded" and 413 "prompt too long" have no NEW twin the mock
could tell apart; it never answers them).  The spec marks such operations ``x-code-set``; the app
re-spells the codes of its own refusals (validation, rules, credits, the rate limit), never a
code a fault rule or ``X-Mock-Code`` asked for.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["OLD_CODES"]

#: NEW code -> its OLD twin.
OLD_CODES: Mapping[int, int] = {422: 400, 402: 429, 429: 430}
