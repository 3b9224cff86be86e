"""Real files behind the URLs of the derived operations, as pure functions of the track.

Each module is one product: :mod:`.wav` (Convert to WAV), :mod:`.stems` (vocal
separation and stem splitting), :mod:`.midi` (MIDI transcription and a
Standard MIDI File), :mod:`.mp4` (music video), :mod:`.images` (music cover
images) and :mod:`.lyrics` (generated lyrics, word timings, waveform). They do
no I/O and know nothing of HTTP: they return bytes, or :class:`Pcm` samples
for the caller to encode like any track, so serving, caching and byte ranges
stay with the HTTP layer. Everything is deterministic in its arguments.
"""

from __future__ import annotations

from .images import COVER_CONTENT_TYPE, music_covers
from .lyrics import Lyrics, align, generate_lyrics, waveform
from .midi import TICKS_PER_QUARTER, TICKS_PER_SECOND, Instrument, Note, encode_midi, transcribe
from .mp4 import MP4_AUDIO_RATE, music_video
from .stems import REMAINDER, STEMS, VOCAL_STEMS, separate_vocal, split_stem, split_stem_advanced
from .wav import WAV_CONTENT_TYPE, wav_file

__all__ = [
    "COVER_CONTENT_TYPE",
    "MP4_AUDIO_RATE",
    "REMAINDER",
    "STEMS",
    "TICKS_PER_QUARTER",
    "TICKS_PER_SECOND",
    "VOCAL_STEMS",
    "WAV_CONTENT_TYPE",
    "Instrument",
    "Lyrics",
    "Note",
    "align",
    "encode_midi",
    "generate_lyrics",
    "music_covers",
    "music_video",
    "separate_vocal",
    "split_stem",
    "split_stem_advanced",
    "transcribe",
    "wav_file",
    "waveform",
]
