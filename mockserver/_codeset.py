"""The OLD code set: what a NEW code of the mock's answers reads as on a page that documents OLD codes.

sunoapi.org's WAV, recovery and timestamped-lyrics pages, and the file-upload pages, list the OLD
set (shared/reference/suno-api.md 1.3): 400 invalid parameters, 429 insufficient credits, 430 call
frequency too high, 405 rate limit exceeded ("调用超过限制"), 413 theme or prompt too long.  The spec
marks such operations ``x-code-set``; the app re-spells the codes of its own refusals (validation,
rules, credits, the rate limit), never a code a fault rule or ``X-Mock-Code`` asked for.

Two OLD codes have no NEW twin:

- 405 and 430 both name a rate limit, and the pages do not say which one the documented
  "20 requests every 10 seconds" answers (suno-api.md 5: "405 or 430 under the OLD set").  The
  profile switch ``old_rate_limit_code`` chooses: 430 (default; "call frequency too high" is that
  limit's wording, and a third-party guide says "often 430") or 405.
- 413 "theme or prompt too long": no operation with OLD codes takes a theme or a prompt (WAV,
  recovery, timestamped lyrics and the uploads name a task, a track or a file), so nothing the mock
  serves can be too long in that sense and 413 is not answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._providers import Profile
    from ._spec import Operation

__all__ = ["OLD_CODES", "OLD_RATE_LIMIT_CODES", "answers_old_codes", "rate_limit_code"]

#: The NEW set's rate-limit code.
NEW_RATE_LIMIT_CODE = 429
#: The OLD set's two rate-limit codes (the values of the switch ``old_rate_limit_code``).
OLD_RATE_LIMIT_CODES: tuple[int, ...] = (430, 405)

#: NEW code -> its OLD twin.
OLD_CODES: Mapping[int, int] = {422: 400, 402: 429, 429: 430}


def answers_old_codes(operation: Operation, profile: Profile) -> bool:
    """Whether ``operation`` answers from the OLD set on ``profile`` (``x-code-set`` and ``code_set``)."""
    return operation.code_set == "old-only" or (operation.code_set == "old" and profile.code_set == "old")


def rate_limit_code(operation: Operation, profile: Profile) -> int:
    """The code the rate limit answers on ``operation``, before the app re-spells it with :data:`OLD_CODES`.

    429 (NEW), which the app turns into 430 on an OLD-code page; 405 there when the profile's
    ``old_rate_limit_code`` says so (405 has no NEW twin, so the app leaves it as it is).
    """
    if profile.old_rate_limit_code == 405 and answers_old_codes(operation, profile):
        return 405
    return NEW_RATE_LIMIT_CODE
