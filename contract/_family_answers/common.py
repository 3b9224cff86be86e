"""What the families' answers share: the kie-keyed providers, the stem names, the states and times."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .. import _families as families
from .._drawing import create_times, texts

__all__ = [
    "ALL_STEMS",
    "CALLBACK_URL",
    "KIE_KEYS",
    "SPLIT_STEMS",
    "TWO_STEMS",
    "camel",
    "details_times",
    "error_fields",
    "family_states",
    "family_status",
    "is_ended",
]


KIE_KEYS = frozenset({"kie", "apikley"})  # the providers whose callbacks follow kie's pages
CALLBACK_URL = "https://example.com/callback"

#: Snake-case stem names of callbacks (StemFiles) and their camelCase names in details (SeparationFiles).
TWO_STEMS = ("origin", "instrumental", "vocal")
SPLIT_STEMS = (
    "origin",
    "vocal",
    "backing_vocals",
    "drums",
    "bass",
    "guitar",
    "keyboard",
    "percussion",
    "strings",
    "synth",
    "fx",
    "brass",
    "woodwinds",
)
ALL_STEMS = (*SPLIT_STEMS, "instrumental")


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def family_status(family: str, provider: str) -> families.Status:
    status = families.family(family).status_for(provider)
    if status is None:
        raise RuntimeError(f"the contract's table gives the {family} family no status")
    return status


def family_states(family: str, provider: str) -> tuple[Any, ...]:
    status = family_status(family, provider)
    return (*status.order, *status.failures)


def details_times() -> st.SearchStrategy[str | int]:
    # Details times: typed date-time, shown as epoch ms in the documented examples (api-family.md #20).
    return create_times()


def is_ended(status: families.Status, state: Any) -> bool:
    return status.is_terminal(state)


def error_fields(draw: st.DrawFn, failed: bool) -> tuple[int | None, str | None]:
    if not failed:
        return None, None
    code = draw(st.one_of(st.none(), st.sampled_from([400, 408, 413, 451, 500, 501, 531])))
    return code, draw(st.one_of(st.none(), texts().filter(bool)))
