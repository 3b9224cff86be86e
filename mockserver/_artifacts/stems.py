"""Stems for the vocal-separation operations: a track's samples dealt out to instruments.

A mock has no instruments to separate, but clients of the real API check what
they can: a stem per name, each a real, non-silent file of the track's length,
and the stems adding back up to the track. So the stems here are a *gain
partition* of the source: every note slot of the song's loop
(:func:`mockserver._audio.note_grid`) gives each of the twelve instruments of
:data:`STEMS` a whole-number share of 128 (shares are distinct within a slot,
at least 1, and sum to 128), and each stem is the melody at its note-by-note
loudness. Shares change only at note boundaries, where a synthesized note has
faded to zero, so a stem has no clicks.

Exactness: with ``S_j`` the summed share of the first ``j`` instruments, each
sample ``x`` gives ``C_j = floor(x * S_j / 128)`` and instrument ``j`` gets
``C_{j+1} - C_j``. Floor is monotone, so every stem, and every sum of stems,
has the sign of ``x`` and at most its magnitude: nothing can overflow int16
or clip, and the stems telescope to ``C_12 - C_0 = x`` exactly. A group of
neighbouring instruments is a range of the same telescope, which is why
:func:`separate_vocal`'s vocals are exactly ``vocals + backing_vocals`` of
:func:`split_stem`, and :func:`split_stem_advanced` extracts exactly the stem
:func:`split_stem` gives that instrument.

Speed without per-sample Python: one note's samples become 24-bit lanes of a
single integer (offset binary, ``x + 32768``), so one multiplication, shift and
mask compute ``C_j`` for the whole note at C speed, and slicing plus
``bytes.translate`` turn lanes back into int16 bytes. Only distinct loops are
computed: a loop-sized chunk of the source equal to the first reuses its
stems, so a synthesized track costs one loop, however long it is; any other
source (a spliced track) is still exact, just computed chunk by chunk.
"""

from __future__ import annotations

import random
import sys
from array import array
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate

from .._audio import Pcm, note_grid

__all__ = [
    "REMAINDER",
    "STEMS",
    "VOCAL_STEMS",
    "separate_vocal",
    "split_stem",
    "split_stem_advanced",
]

STEMS = (
    "vocals",
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
"""The instruments of :func:`split_stem`, in telescope order (the vocal pair first)."""

VOCAL_STEMS = ("vocals", "instrumental")
"""The stems of :func:`separate_vocal`."""

REMAINDER = "remainder"
"""The key of everything but the extracted instrument in :func:`split_stem_advanced`."""

_SHARE_BITS = 7
_WHOLE = 1 << _SHARE_BITS  # shares are out of 128
_SHARES = (39, 22, 16, 12, 10, 8, 6, 5, 4, 3, 2, 1)
"""Shares by rank within a slot: distinct (so stems differ), >= 1 (so none is silent), summing to 128."""

# How much each instrument tends to stand out; the rest is a random walk per slot.
_BIAS = (0.6, 0.1, 0.4, 0.4, 0.2, 0.2, 0.0, 0.0, 0.1, -0.2, -0.1, -0.1)

_LANE = 3  # bytes per sample lane: (x + 32768) * share < 2**23
_FLIP_SIGN = bytes(b ^ 0x80 for b in range(256))
_MINUS = tuple(bytes((b - k) & 0xFF for b in range(256)) for k in range(_WHOLE + 1))

assert sum(_SHARES) == _WHOLE and len(_SHARES) == len(STEMS) == len(_BIAS)
assert len(set(_SHARES)) == len(_SHARES) and _SHARES[0] + _SHARES[1] < _WHOLE // 2


def _slot_shares(seed: int, slots: int) -> list[tuple[int, ...]]:
    """Each slot's share per instrument: the instruments ranked by a biased random walk."""
    rng = random.Random(f"suno-mockkit/stems/{seed}")
    presence = [rng.random() for _ in STEMS]
    rows = []
    for _ in range(slots):
        presence = [min(1.0, max(0.0, level + rng.uniform(-0.3, 0.3))) for level in presence]
        ranking = sorted(range(len(STEMS)), key=lambda j: -(presence[j] + _BIAS[j]))
        shares = [0] * len(STEMS)
        for rank, j in enumerate(ranking):
            shares[j] = _SHARES[rank]
        rows.append(tuple(shares))
    return rows


@lru_cache(maxsize=64)
def _lane_constants(count: int) -> tuple[int, int]:
    """``(65536 in every lane, 0xFFFF in every lane)`` for ``count`` lanes."""
    ones = int.from_bytes(b"\x01\x00\x00" * count, "little")
    return ones << 16, ones * 0xFFFF


def _le_bytes(samples: array[int]) -> bytes:
    """The samples as little-endian int16 bytes."""
    if sys.byteorder == "little":
        return samples.tobytes()
    swapped = array("h", samples)
    swapped.byteswap()
    return swapped.tobytes()


def _from_le(pieces: Sequence[bytes]) -> array[int]:
    """Native int16 samples from pieces of little-endian bytes (appended in place: no joined copy)."""
    samples = array("h")
    for piece in pieces:
        samples.frombytes(piece)
    if sys.byteorder != "little":
        samples.byteswap()
    return samples


class _Output:
    """One stem being assembled: its int16 low bytes and high bytes, note by note."""

    def __init__(self) -> None:
        self.lows: list[bytes] = []
        self.highs: list[bytes] = []

    def add(self, lanes: int, count: int, share: int) -> None:
        """Append ``count`` lanes holding ``stem + 256 * share`` in their low 16 bits."""
        data = lanes.to_bytes(_LANE * count, "little")
        self.lows.append(data[0::_LANE])
        self.highs.append(data[1::_LANE].translate(_MINUS[share]))

    def samples(self) -> bytes:
        """The assembled little-endian int16 bytes."""
        low = b"".join(self.lows)
        out = bytearray(2 * len(low))
        out[0::2] = low
        out[1::2] = b"".join(self.highs)
        return bytes(out)


def _split_loop(
    chunk: bytes, note: int, cumulative: Sequence[tuple[int, ...]], ranges: Sequence[tuple[int, int]]
) -> list[bytes]:
    """Stems of at most one loop of little-endian samples: one per range, then the complement."""
    count = len(chunk) // 2
    lanes = bytearray(_LANE * count)
    lanes[0::_LANE] = chunk[0::2]
    lanes[1::_LANE] = chunk[1::2].translate(_FLIP_SIGN)  # x + 32768 as unsigned 16 bits
    view = memoryview(lanes)
    outputs = [_Output() for _ in range(len(ranges) + 1)]
    for first in range(0, count, note):
        size = min(note, count - first)
        top, mask = _lane_constants(size)
        lane_x = int.from_bytes(view[_LANE * first : _LANE * (first + size)], "little")
        sums = cumulative[first // note]
        levels = {0: 0, len(STEMS): lane_x}  # C_j + 256 * S_j per lane, by j
        taken, taken_share = 0, 0
        for output, (low, high) in zip(outputs, ranges, strict=False):
            for j in (low, high):
                if j not in levels:
                    levels[j] = ((lane_x * sums[j]) >> _SHARE_BITS) & mask
            part = levels[high] - levels[low]
            share = sums[high] - sums[low]
            output.add(part + top, size, share)
            taken += part
            taken_share += share
        outputs[-1].add(lane_x - taken + top, size, _WHOLE - taken_share)
    return [output.samples() for output in outputs]


def _partition(source: Pcm, seed: int, ranges: Sequence[tuple[int, int]]) -> list[Pcm]:
    """The stems of ``source`` for disjoint instrument ranges, then everything else.

    Loop-sized chunks equal to the first one reuse its stems (shares depend
    only on the slot within the loop, so the result is the same either way).
    """
    note, notes = note_grid(seed, source.sample_rate)
    cumulative = [tuple(accumulate(row, initial=0)) for row in _slot_shares(seed, notes)]
    raw = _le_bytes(source.samples)
    step = 2 * note * notes
    first_chunk = raw[:step]
    first_stems: list[bytes] = []
    pieces: list[list[bytes]] = [[] for _ in range(len(ranges) + 1)]
    for start in range(0, len(raw), step):
        chunk = raw[start : start + step]
        if first_stems and chunk == first_chunk[: len(chunk)]:
            stems = [stem[: len(chunk)] for stem in first_stems]
        else:
            stems = _split_loop(chunk, note, cumulative, ranges)
            first_stems = first_stems or stems
        for piece, stem in zip(pieces, stems, strict=True):
            piece.append(stem)
    return [Pcm(_from_le(piece), source.sample_rate) for piece in pieces]


def separate_vocal(source: Pcm, seed: int) -> dict[str, Pcm]:
    """``{"vocals": ..., "instrumental": ...}``: two stems that sum to ``source`` exactly.

    ``seed`` is the track's seed (it fixes the note grid and the shares).
    Vocals are :func:`split_stem`'s ``vocals + backing_vocals``, sample for
    sample; the instrumental is the other ten instruments.
    """
    vocals, instrumental = _partition(source, seed, [(0, 2)])
    return dict(zip(VOCAL_STEMS, (vocals, instrumental), strict=True))


def split_stem(source: Pcm, seed: int) -> dict[str, Pcm]:
    """All twelve stems of :data:`STEMS`, in that order; they sum to ``source`` exactly."""
    stems = _partition(source, seed, [(j, j + 1) for j in range(len(STEMS) - 1)])
    return dict(zip(STEMS, stems, strict=True))


def split_stem_advanced(source: Pcm, seed: int, instrument: str) -> dict[str, Pcm]:
    """``{instrument: ..., "remainder": ...}``: one instrument extracted, plus everything else.

    The extracted stem is exactly :func:`split_stem`'s stem of that
    instrument, and the two sum to ``source`` exactly. Raises ValueError for a
    name not in :data:`STEMS`.
    """
    if instrument not in STEMS:
        raise ValueError(f"instrument must be one of {', '.join(STEMS)}; got instrument={instrument!r}")
    j = STEMS.index(instrument)
    extracted, remainder = _partition(source, seed, [(j, j + 1)])
    return {instrument: extracted, REMAINDER: remainder}
