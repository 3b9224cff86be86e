"""The images of "Generate Music Cover": two distinct covers per task.

The real API returns two candidate images for a cover task. Each is a
:func:`mockserver._audio.cover_image` PNG drawn from its own seed, derived from
the task's seed so that neither repeats the track's own cover and the pair is
the same on every request.
"""

from __future__ import annotations

import random

from .._audio import cover_image

__all__ = ["COVER_CONTENT_TYPE", "music_covers"]

COVER_CONTENT_TYPE = "image/png"


def music_covers(seed: int, size: int = 256) -> tuple[bytes, bytes]:
    """Two different ``size`` x ``size`` PNG images for ``seed`` (deterministic)."""
    rng = random.Random(f"suno-mockkit/music-cover/{seed}")
    first = cover_image(rng.getrandbits(64), size)
    second = first
    while second == first:  # two seeds drawing the same picture is possible, if very unlikely
        second = cover_image(rng.getrandbits(64), size)
    return first, second
