"""Identifiers: the fast UUID formatting is the standard library's, bit for bit."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from mockserver._ids import RandomSource, uuid4_text


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_uuid4_text_is_what_uuid_makes(bits: int) -> None:
    assert uuid4_text(bits) == str(uuid.UUID(int=bits, version=4))


def test_track_ids_are_version_4_and_repeat_by_seed() -> None:
    first, again, other = RandomSource(5), RandomSource(5), RandomSource(6)
    ids = [first.track_id() for _ in range(50)]
    assert ids == [again.track_id() for _ in range(50)]
    assert ids != [other.track_id() for _ in range(50)]
    assert all(uuid.UUID(i).version == 4 and uuid.UUID(i).variant == uuid.RFC_4122 for i in ids)
