"""What the two served HTTP protocols (h11 and httptools) share about request heads.

Kept apart from both, so that serving on one stack does not import the other's parser.
"""

from __future__ import annotations

import re

__all__ = ["HEAD_TIMEOUT_S", "WORDS"]

#: Real seconds a connection has to send a whole request head (line and headers).
HEAD_TIMEOUT_S = 10.0
#: The leading words of a parser's error ("illegal header line: b'...'" -> "illegal header line").
WORDS = re.compile(r"[A-Za-z][A-Za-z ;,-]*[A-Za-z]")
