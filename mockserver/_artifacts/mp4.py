"""The music video of "Create Music Video": a small but well-formed MP4 (ISO base media file).

Clients of the real API download the video, check it is MP4 and read its
duration; few play it in a test. So the file here is built for parsers, and
small enough to build on every request:

* a video track with one sample, the track's cover as a PNG frame (MP4
  registers PNG as object type 0x6D), shown for the whole duration;
* an audio track of silent MPEG-1 Layer III frames (object type 0x6B). A
  silent frame is a header and zero side info; every sample of the track
  points at the same 144 bytes in ``mdat``, so the file grows by four bytes
  per 36 ms of audio (about 27 KB for 240 s) instead of 32 kbit/s.

The movie header, both track headers and both media headers state the
duration, so readers that take it from any of them (``mvhd``, or the sound
track's ``mdhd`` as mutagen does) agree.
"""

from __future__ import annotations

import math
import struct

from .images import cover_image

__all__ = ["MP4_AUDIO_RATE", "music_video"]

_MOVIE_TIMESCALE = 1000  # movie and video durations in milliseconds
MP4_AUDIO_RATE = 32000
"""Sample rate (and timescale) of the silent audio track."""

_MP3_FRAME_SAMPLES = 1152
# MPEG-1 Layer III, no CRC, 32 kbit/s, 32 kHz, no padding, mono; zero side info decodes to silence.
_SILENT_MP3_FRAME = bytes((0xFF, 0xFB, 0x18, 0xC0)) + bytes(140)
_MP3_BITRATE = 32000
_UNITY_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
_LANGUAGE_UND = ((ord("u") - 0x60) << 10) | ((ord("n") - 0x60) << 5) | (ord("d") - 0x60)
_MAX_DURATION_S = 86_400.0  # keeps every duration within 32 bits at 32 kHz


def _box(kind: bytes, *payload: bytes) -> bytes:
    """A box: 32-bit size, four-character type, payload."""
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    """A full box: a box whose payload starts with a version byte and 24 bits of flags."""
    return _box(kind, struct.pack(">I", (version << 24) | flags), *payload)


def _descriptor(tag: int, payload: bytes) -> bytes:
    """An MPEG-4 descriptor with the four-byte size form that every reader accepts."""
    size = len(payload)
    length = bytes((0x80 | (size >> 21) & 0x7F, 0x80 | (size >> 14) & 0x7F, 0x80 | (size >> 7) & 0x7F, size & 0x7F))
    return bytes((tag,)) + length + payload


def _esds(object_type: int, stream_type: int, buffer_size: int, bitrate: int) -> bytes:
    """An elementary stream descriptor box naming the codec by its MPEG-4 object type."""
    decoder_config = _descriptor(
        0x04,
        struct.pack(">BB", object_type, (stream_type << 2) | 1)
        + buffer_size.to_bytes(3, "big")
        + struct.pack(">II", bitrate, bitrate),
    )
    sl_config = _descriptor(0x06, b"\x02")
    return _full_box(b"esds", 0, 0, _descriptor(0x03, struct.pack(">HB", 1, 0) + decoder_config + sl_config))


def _tkhd(track_id: int, duration: int, volume: int, width: int, height: int) -> bytes:
    """Track header: enabled and in the movie, duration in the movie timescale."""
    return _full_box(
        b"tkhd",
        0,
        0x3,
        struct.pack(">IIIII", 0, 0, track_id, 0, duration),
        bytes(8),
        struct.pack(">hhHH", 0, 0, volume, 0),
        _UNITY_MATRIX,
        struct.pack(">II", width << 16, height << 16),
    )


def _mdhd(timescale: int, duration: int) -> bytes:
    """Media header: the track's own timescale and duration."""
    return _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, duration, _LANGUAGE_UND, 0))


def _hdlr(handler: bytes, name: str) -> bytes:
    """Handler reference: what kind of media the track holds."""
    return _full_box(b"hdlr", 0, 0, struct.pack(">I", 0), handler, bytes(12), name.encode("ascii") + b"\x00")


def _dinf() -> bytes:
    """Data information: the media is in this file."""
    return _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)))


def _stbl(entry: bytes, deltas: list[tuple[int, int]], size: int, offsets: list[int]) -> bytes:
    """Sample table: one sample per chunk, all ``size`` bytes, at ``offsets``."""
    return _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), entry),
        _full_box(b"stts", 0, 0, struct.pack(">I", len(deltas)), *(struct.pack(">II", n, d) for n, d in deltas)),
        _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, 1, 1)),
        _full_box(b"stsz", 0, 0, struct.pack(">II", size, len(offsets))),
        _full_box(b"stco", 0, 0, struct.pack(f">I{len(offsets)}I", len(offsets), *offsets)),
    )


def _video_trak(duration_ms: int, frame: bytes, frame_offset: int, size: int) -> bytes:
    """One PNG frame lasting the whole movie."""
    entry = _box(
        b"mp4v",
        bytes(6),
        struct.pack(">H", 1),  # data reference index
        bytes(16),
        struct.pack(">HHIIIH", size, size, 0x480000, 0x480000, 0, 1),  # 72 dpi, one frame per sample
        bytes(32),  # compressor name
        struct.pack(">Hh", 0x18, -1),
        _esds(0x6D, 0x04, len(frame), 0),
    )
    stbl = _stbl(entry, [(1, duration_ms)], len(frame), [frame_offset])
    minf = _box(b"minf", _full_box(b"vmhd", 0, 1, bytes(8)), _dinf(), stbl)
    mdia = _box(b"mdia", _mdhd(_MOVIE_TIMESCALE, duration_ms), _hdlr(b"vide", "VideoHandler"), minf)
    return _box(b"trak", _tkhd(1, duration_ms, 0, size, size), mdia)


def _audio_trak(duration_ms: int, samples: int, silence_offset: int) -> bytes:
    """Silent MP3 frames, every one read from the same bytes."""
    frames = -(-samples // _MP3_FRAME_SAMPLES)
    last = samples - (frames - 1) * _MP3_FRAME_SAMPLES
    deltas = [(frames - 1, _MP3_FRAME_SAMPLES), (1, last)] if frames > 1 else [(1, last)]
    entry = _box(
        b"mp4a",
        bytes(6),
        struct.pack(">H", 1),
        bytes(8),
        struct.pack(">HHHHI", 1, 16, 0, 0, MP4_AUDIO_RATE << 16),  # mono, 16 bits
        _esds(0x6B, 0x05, len(_SILENT_MP3_FRAME), _MP3_BITRATE),
    )
    stbl = _stbl(entry, deltas, len(_SILENT_MP3_FRAME), [silence_offset] * frames)
    minf = _box(b"minf", _full_box(b"smhd", 0, 0, bytes(4)), _dinf(), stbl)
    mdia = _box(b"mdia", _mdhd(MP4_AUDIO_RATE, samples), _hdlr(b"soun", "SoundHandler"), minf)
    return _box(b"trak", _tkhd(2, duration_ms, 0x0100, 0, 0), mdia)


def _moov(duration_s: float, frame: bytes, size: int, mdat_data_offset: int) -> bytes:
    """The movie box, with chunk offsets relative to where ``mdat``'s data starts."""
    duration_ms = max(1, round(duration_s * _MOVIE_TIMESCALE))
    samples = max(1, round(duration_s * MP4_AUDIO_RATE))
    mvhd = _full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, _MOVIE_TIMESCALE, duration_ms),
        struct.pack(">IH", 0x10000, 0x0100),  # rate 1.0, volume 1.0
        bytes(10),
        _UNITY_MATRIX,
        bytes(24),
        struct.pack(">I", 3),  # next track id
    )
    video = _video_trak(duration_ms, frame, mdat_data_offset, size)
    audio = _audio_trak(duration_ms, samples, mdat_data_offset + len(frame))
    return _box(b"moov", mvhd, video, audio)


def music_video(duration_s: float, seed: int, size: int = 256) -> bytes:
    """An MP4 of ``duration_s`` seconds: the seed's cover as a still, over silence.

    ``size`` is the frame's width and height in pixels (see
    :func:`mockserver._artifacts.images.cover_image`). Layout: ``ftyp``, ``moov``,
    ``mdat`` (moov first, as for progressive download). Raises ValueError
    unless ``0 < duration_s <= 86400``.
    """
    if not (math.isfinite(duration_s) and 0 < duration_s <= _MAX_DURATION_S):
        raise ValueError(f"duration_s must satisfy 0 < duration_s <= {_MAX_DURATION_S:g}, got {duration_s!r}")
    frame = cover_image(seed, size)
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isom", b"iso2", b"mp41")
    # The moov's size does not depend on the offsets it holds, so lay it out once to learn it.
    moov_size = len(_moov(duration_s, frame, size, 0))
    data_offset = len(ftyp) + moov_size + 8
    moov = _moov(duration_s, frame, size, data_offset)
    return ftyp + moov + _box(b"mdat", frame, _SILENT_MP3_FRAME)
