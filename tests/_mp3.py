"""Reading an MP3's duration from its frame headers: what the tests use to check the mock's encoded audio.

Test-only: the mock never parses MP3; it encodes through lameenc (:func:`mockserver._audio.encode_mp3`).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

__all__ = ["mp3_duration"]

_MP3_KBPS_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_KBPS_V2 = (
    0,
    8,
    16,
    24,
    32,
    40,
    48,
    56,
    64,
    80,
    96,
    112,
    128,
    144,
    160,
)  # also 2.5
_MP3_RATES = {
    3: (44100, 48000, 32000),
    2: (22050, 24000, 16000),
    0: (11025, 12000, 8000),
}


class _Frame(NamedTuple):
    """The parts of an MPEG audio Layer III frame header that matter here."""

    length: int
    samples: int
    sample_rate: int
    side_info: int


def _parse_frame(data: bytes, pos: int) -> _Frame | None:
    """Parse the Layer III frame header at ``pos``, or None if there is none."""
    if pos + 4 > len(data) or data[pos] != 0xFF or data[pos + 1] & 0xE0 != 0xE0:
        return None
    version, layer = (data[pos + 1] >> 3) & 3, (data[pos + 1] >> 1) & 3
    rate_index, kbps_index = (data[pos + 2] >> 2) & 3, data[pos + 2] >> 4
    if version == 1 or layer != 1 or rate_index == 3 or kbps_index in (0, 15):
        return None  # reserved version, not Layer III, reserved rate, free/bad bit rate
    mpeg1 = version == 3
    rate = _MP3_RATES[version][rate_index]
    kbps = (_MP3_KBPS_V1 if mpeg1 else _MP3_KBPS_V2)[kbps_index]
    padding = (data[pos + 2] >> 1) & 1
    mono = data[pos + 3] >> 6 == 3
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    samples = 1152 if mpeg1 else 576
    return _Frame(samples // 8 * kbps * 1000 // rate + padding, samples, rate, side_info)


def _skip_id3v2(data: bytes) -> int:
    """Offset of the first byte after a leading ID3v2 tag (0 if there is none)."""
    if len(data) < 10 or data[:3] != b"ID3":
        return 0
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def _vbr_tag(data: bytes, pos: int, frame: _Frame) -> tuple[bool, int | None]:
    """Whether the frame is a Xing/Info tag frame, and its frame count if stated."""
    tag = pos + 4 + frame.side_info
    if data[tag : tag + 4] not in (b"Xing", b"Info"):
        return False, None
    has_count = len(data) >= tag + 12 and data[tag + 7] & 1
    return True, struct.unpack(">I", data[tag + 8 : tag + 12])[0] if has_count else None


def mp3_duration(data: bytes) -> float:
    """Duration in seconds of an MPEG-1/2/2.5 Layer III stream.

    Uses the frame count of a leading Xing/Info tag when present; otherwise
    walks the frame headers (skipping an ID3v2 tag and resynchronizing over
    junk) and sums each frame's samples. Raises ValueError if no frame is found.
    """
    pos, frames, seconds = _skip_id3v2(data), 0, 0.0
    while pos + 4 <= len(data):
        frame = _parse_frame(data, pos)
        if frame is None:
            pos += 1
            continue
        if frames == 0:
            is_tag, count = _vbr_tag(data, pos, frame)
            if count is not None:
                return count * frame.samples / frame.sample_rate
            if is_tag:
                pos += frame.length
                continue
        frames += 1
        seconds += frame.samples / frame.sample_rate
        pos += frame.length
    if frames == 0:
        raise ValueError("no MPEG Layer III frame found in data")
    return seconds
