"""Small value strategies shared by :mod:`contract.strategies` and the family answers.

Identifiers, texts, URLs and times as the documents show them (suno-api.md 1.1, 4.2): task ids
are 32 lowercase hex characters, audio ids UUIDs, ``createTime`` a ``"YYYY-MM-DD HH:MM:SS"``
string or epoch milliseconds.
"""

from __future__ import annotations

import time
from typing import Literal

from hypothesis import strategies as st

__all__ = [
    "HEX",
    "T0",
    "CreateTimeStyle",
    "audio_ids",
    "create_times",
    "durations",
    "format_time",
    "task_ids",
    "texts",
    "urls",
]

#: How ``createTime`` is written: the documented string, or epoch milliseconds (real callbacks).
CreateTimeStyle = Literal["string", "epoch_ms"]

HEX = "0123456789abcdef"
#: The epoch of the real api.box callback (suno-api.md 4.2), in seconds.
T0 = 1_758_044_664.461


def format_time(at: float, style: CreateTimeStyle) -> str | int:
    """``at`` (epoch seconds) as the documented string or as epoch milliseconds."""
    if style == "epoch_ms":
        return int(at * 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))


def task_ids() -> st.SearchStrategy[str]:
    """Real task ids are 32 lowercase hex characters (suno-api.md 1.1)."""
    return st.text(HEX, min_size=32, max_size=32)


def audio_ids() -> st.SearchStrategy[str]:
    return st.uuids().map(str)


def texts(max_size: int = 40) -> st.SearchStrategy[str]:
    return st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=max_size)


def durations() -> st.SearchStrategy[float]:
    return st.integers(100, 48_000).map(lambda cs: cs / 100)


def create_times(style: CreateTimeStyle | None = None) -> st.SearchStrategy[str | int]:
    """``createTime`` values: the documented string, epoch milliseconds (real callbacks), or both."""
    seconds = st.floats(1_600_000_000, 1_900_000_000, allow_nan=False, allow_infinity=False)
    as_string: st.SearchStrategy[str | int] = seconds.map(lambda s: format_time(s, "string"))
    as_ms: st.SearchStrategy[str | int] = seconds.map(lambda s: format_time(s, "epoch_ms"))
    if style == "string":
        return as_string
    if style == "epoch_ms":
        return as_ms
    return st.one_of(as_string, as_ms)


def urls(kind: str) -> st.SearchStrategy[str]:
    return st.builds(
        lambda host, name: f"https://{host}/{name}.{kind}",
        st.sampled_from(["apiboxfiles.erweima.ai", "cdn1.suno.ai", "tempfile.aiquickdraw.com", "cdn.mock.invalid"]),
        st.text(HEX, min_size=8, max_size=32),
    )
