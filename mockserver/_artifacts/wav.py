"""The file of "Convert to WAV": the track's own samples in a RIFF/WAVE container.

Conversion must not change the music, so the WAV holds exactly the samples
the MP3 was encoded from (16-bit mono PCM at the track's rate), written by the
same :func:`mockserver._audio.encode_wav` the media routes fall back to; the
stdlib ``wave`` module reads it back sample for sample.
"""

from __future__ import annotations

from .._audio import Pcm, encode_wav

__all__ = ["WAV_CONTENT_TYPE", "wav_file"]

WAV_CONTENT_TYPE = "audio/wav"


def wav_file(pcm: Pcm) -> bytes:
    """A RIFF/WAVE file of ``pcm``: 44-byte header, then the samples little-endian."""
    return encode_wav(pcm)
