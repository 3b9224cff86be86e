"""Cover images: a track's own PNG, and the two distinct covers per task of "Generate Music Cover".

The real API returns two candidate images for a cover task. Each is a
:func:`cover_image` PNG (the one a track's ``imageUrl`` serves) drawn from its own seed, derived from
the task's seed so that neither repeats the track's own cover and the pair is
the same on every request.
"""

from __future__ import annotations

import math
import random
import struct
import zlib

__all__ = ["COVER_CONTENT_TYPE", "cover_image", "music_covers"]

COVER_CONTENT_TYPE = "image/png"


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, payload, CRC."""
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _diagonal_strip(rng: random.Random, length: int) -> bytes:
    """RGB pixels along the diagonal: a two-color gradient with soft bands."""
    start = [rng.randrange(256) for _ in range(3)]
    end = [rng.randrange(256) for _ in range(3)]
    bands = rng.randint(2, 9)
    pixels = bytearray()
    for i in range(length):
        t = i / max(1, length - 1)
        shade = 0.8 + 0.2 * math.cos(2 * math.pi * bands * t)
        pixels += bytes(round(shade * (a + t * (b - a))) for a, b in zip(start, end, strict=True))
    return bytes(pixels)


def cover_image(seed: int, size: int = 256) -> bytes:
    """A deterministic ``size`` x ``size`` RGB PNG (content type ``image/png``).

    The picture is a diagonal gradient between two seed-derived colors with
    soft bands; its direction also depends on the seed.
    """
    if not 1 <= size <= 4096:
        raise ValueError(f"size must satisfy 1 <= size <= 4096, got size={size!r}")
    rng = random.Random(f"suno-mockkit/cover/{seed}")
    strip = _diagonal_strip(rng, 2 * size - 1)
    rows = range(size - 1, -1, -1) if rng.random() < 0.5 else range(size)
    raw = b"".join(b"\x00" + strip[3 * y : 3 * (y + size)] for y in rows)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(raw, 6)),
            _png_chunk(b"IEND", b""),
        )
    )


def music_covers(seed: int, size: int = 256) -> tuple[bytes, bytes]:
    """Two different ``size`` x ``size`` PNG images for ``seed`` (deterministic)."""
    rng = random.Random(f"suno-mockkit/music-cover/{seed}")
    first = cover_image(rng.getrandbits(64), size)
    second = first
    while second == first:  # two seeds drawing the same picture is possible, if very unlikely
        second = cover_image(rng.getrandbits(64), size)
    return first, second
