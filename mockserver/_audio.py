"""Deterministic audio for the mock: synthesis, splicing and encoding.

Every ``audioUrl``/``streamAudioUrl`` the mock hands out points at a real file
built here (cover images are :mod:`mockserver._artifacts.images`; serving them,
with byte ranges, is :mod:`mockserver._media`). Everything is a pure function of its arguments (the seed in
particular), so the same track always yields byte-identical media; caching is the
caller's business.

Audio is mono 16-bit PCM (:class:`Pcm`). :func:`encode` produces MP3 through the
optional ``lameenc`` package when it is importable and falls back to WAV. A WAV
file holds exactly the synthesized samples; an MP3 file decodes to approximately
the stated duration, because the encoder adds a start delay and pads the last
frame (a few tens of milliseconds at 22050 Hz).
"""

from __future__ import annotations

import importlib
import io
import math
import random
import sys
import wave
from array import array
from dataclasses import dataclass
from fractions import Fraction
from types import ModuleType

__all__ = [
    "Pcm",
    "encode",
    "encode_mp3",
    "encode_wav",
    "melody",
    "note_grid",
    "splice",
    "synthesize",
]


def _optional_module(name: str) -> ModuleType | None:
    """Import ``name`` if it is installed, else return None."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


_lameenc = _optional_module("lameenc")

MP3_BITRATE_KBPS = 64
"""Constant bit rate used for MP3 output."""

_MP3_SAMPLE_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})

# --------------------------------------------------------------------------- PCM


@dataclass(frozen=True)
class Pcm:
    """Mono signed 16-bit PCM in native byte order.

    The dataclass is frozen, but ``samples`` is a mutable ``array('h')``: treat
    it as read-only. Instances compare by value and are not hashable.
    """

    samples: array[int]
    sample_rate: int

    @property
    def duration_s(self) -> float:
        """Duration in seconds (sample count divided by sample rate)."""
        return len(self.samples) / self.sample_rate


def _le_bytes(samples: array[int]) -> bytes:
    """Return the samples as little-endian bytes, as WAV and LAME expect."""
    if sys.byteorder == "little":
        return samples.tobytes()
    swapped = array("h", samples)
    swapped.byteswap()
    return swapped.tobytes()


# --------------------------------------------------------------------- synthesis

_WAVETABLE_SIZE = 2048  # a power of two, so a phase wraps with a bit mask
_PEAK = 0.6 * 32767
_SCALES = ((0, 2, 4, 7, 9), (0, 3, 5, 7, 10))  # major and minor pentatonic
_NOTE_LENGTHS_S = (0.18, 0.2, 0.25, 0.3)
_DEGREES = 10  # two octaves of a pentatonic scale


@dataclass(frozen=True)
class _Style:
    """Everything a seed decides about a track."""

    root_midi: int
    scale: tuple[int, ...]
    note_s: float
    decay_per_s: float
    partials: tuple[float, ...]
    song: tuple[int, ...]  # scale degrees


def _phrase(rng: random.Random, length: int) -> list[int]:
    """A random walk over scale degrees.

    There are no rests: every note sounds, so two different seeds never both
    fall silent over the same stretch (``splice`` relies on this to audibly
    replace a span).
    """
    degree = rng.randrange(3, 7)
    notes = []
    for _ in range(length):
        degree = min(_DEGREES - 1, max(0, degree + rng.randint(-2, 2)))
        notes.append(degree)
    return notes


def _style(seed: int) -> _Style:
    """Derive the musical parameters of a track from its seed."""
    rng = random.Random(f"suno-mockkit/audio/{seed}")
    verse, bridge = _phrase(rng, 8), _phrase(rng, 8)
    cadence = [*verse[:-1], 0]  # the last phrase resolves on the root
    return _Style(
        root_midi=rng.randrange(52, 65),
        scale=rng.choice(_SCALES),
        note_s=rng.choice(_NOTE_LENGTHS_S),
        decay_per_s=rng.uniform(3.0, 8.0),
        partials=(
            1.0,
            rng.uniform(0.2, 0.6),
            rng.uniform(0.05, 0.3),
            rng.uniform(0.0, 0.15),
        ),
        song=tuple(verse + verse + bridge + cadence),
    )


def _wavetable(partials: tuple[float, ...]) -> list[float]:
    """One period of the harmonic timbre, normalized to a peak of at most 1."""
    scale = 1.0 / sum(partials)
    step = 2.0 * math.pi / _WAVETABLE_SIZE
    return [
        scale * sum(amp * math.sin((k + 1) * step * i) for k, amp in enumerate(partials))
        for i in range(_WAVETABLE_SIZE)
    ]


def _envelope(length: int, sample_rate: int, decay_per_s: float) -> list[float]:
    """Per-note gain: 5 ms linear attack, exponential decay, 10 ms release to 0."""
    gains = [_PEAK * math.exp(-decay_per_s * i / sample_rate) for i in range(length)]
    attack = min(length, max(1, round(0.005 * sample_rate)))
    release = min(length, max(1, round(0.010 * sample_rate)))
    for i in range(attack):
        gains[i] *= i / attack
    for i in range(release):
        gains[length - 1 - i] *= i / release
    return gains


def _note(table: list[float], envelope: list[float], freq: float, sample_rate: int) -> bytes:
    """Render one note of ``freq`` Hz as native-order int16 bytes."""
    increment = freq * _WAVETABLE_SIZE / sample_rate
    mask = _WAVETABLE_SIZE - 1
    return array(
        "h",
        [int(gain * table[int(i * increment) & mask]) for i, gain in enumerate(envelope)],
    ).tobytes()


def _degree_hz(style: _Style, degree: int) -> float:
    """Frequency of a scale degree (degrees past the scale climb an octave)."""
    octave, step = divmod(degree, len(style.scale))
    midi = style.root_midi + 12 * octave + style.scale[step]
    return 440.0 * math.pow(2.0, (midi - 69) / 12)


def _note_samples(style: _Style, sample_rate: int) -> int:
    """Length of every note in samples (one place, so the melody and the render agree)."""
    return max(1, round(style.note_s * sample_rate))


def _song_bytes(style: _Style, sample_rate: int) -> bytes:
    """One full pass of the song; notes are rendered once and reused."""
    length = _note_samples(style, sample_rate)
    table = _wavetable(style.partials)
    envelope = _envelope(length, sample_rate, style.decay_per_s)
    notes = {degree: _note(table, envelope, _degree_hz(style, degree), sample_rate) for degree in set(style.song)}
    return b"".join(notes[degree] for degree in style.song)


def _render(count: int, seed: int, sample_rate: int) -> array[int]:
    """Exactly ``count`` samples of the seed's song, looped as needed."""
    song = _song_bytes(_style(seed), sample_rate)
    repeats = -(-2 * count // len(song))
    samples = array("h")
    samples.frombytes(memoryview(song * repeats)[: 2 * count])
    return samples


def synthesize(duration_s: float, seed: int, sample_rate: int = 22050) -> Pcm:
    """Synthesize ``round(duration_s * sample_rate)`` samples of music for ``seed``.

    The seed picks key, scale, tempo, timbre and a short pentatonic melody
    (AABA form) that loops for the whole track. Notes are rendered once from a
    wavetable and then tiled as bytes, so long tracks are cheap to build and no
    per-sample Python floats are kept. The result is deterministic.
    """
    if not (math.isfinite(duration_s) and duration_s >= 0):
        raise ValueError(f"duration_s must be finite and >= 0, got duration_s={duration_s!r}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be > 0, got sample_rate={sample_rate!r}")
    return Pcm(_render(round(duration_s * sample_rate), seed, sample_rate), sample_rate)


def note_grid(seed: int, sample_rate: int = 22050) -> tuple[int, int]:
    """``(samples per note, notes per loop)`` of the song :func:`synthesize` renders for ``seed``.

    Every note starts on a multiple of the first number and starts and ends at
    zero amplitude (attack and release ramps), and the output repeats exactly
    after the product of the two. Derived products (stems) use this to change
    gains only where the signal is silent and to compute one loop instead of
    the whole track.
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be > 0, got sample_rate={sample_rate!r}")
    style = _style(seed)
    return _note_samples(style, sample_rate), len(style.song)


def melody(duration_s: float, seed: int, sample_rate: int = 22050) -> list[tuple[float, float, float]]:
    """The notes ``synthesize(duration_s, seed, sample_rate)`` renders: ``(start_s, end_s, frequency_hz)``.

    Read from the same style and note length as the renderer, so a MIDI
    transcription built on it follows the audio by construction. Notes are
    contiguous, in order, and cover ``[0, duration]`` of the rendered samples
    exactly (times are sample positions divided by the rate); the last note is
    cut short where the track ends. Same validation as :func:`synthesize`.
    """
    if not (math.isfinite(duration_s) and duration_s >= 0):
        raise ValueError(f"duration_s must be finite and >= 0, got duration_s={duration_s!r}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be > 0, got sample_rate={sample_rate!r}")
    style = _style(seed)
    count = round(duration_s * sample_rate)
    length = _note_samples(style, sample_rate)
    song = style.song
    return [
        (
            first / sample_rate,
            min(first + length, count) / sample_rate,
            _degree_hz(style, song[index % len(song)]),
        )
        for index, first in enumerate(range(0, count, length))
    ]


# ------------------------------------------------------------------------ splice


def _check_span(source: Pcm, start_s: float, end_s: float, blend_s: float) -> None:
    """Raise ValueError unless 0 <= start_s < end_s <= duration and blend_s >= 0."""
    duration = source.duration_s
    if not (math.isfinite(start_s) and start_s >= 0):
        raise ValueError(f"start_s must satisfy 0 <= start_s, got start_s={start_s!r}")
    if not end_s <= duration:
        raise ValueError(f"end_s must satisfy end_s <= duration ({duration!r}), got end_s={end_s!r}")
    if not start_s < end_s:
        raise ValueError(f"end_s must satisfy start_s < end_s, got start_s={start_s!r}, end_s={end_s!r}")
    if not (math.isfinite(blend_s) and blend_s >= 0):
        raise ValueError(f"blend_s must be finite and >= 0, got blend_s={blend_s!r}")


def _span_indices(source: Pcm, start_s: float, end_s: float) -> tuple[int, int]:
    """Half-open sample range ``[first, stop)`` of samples whose time lies in the span.

    Sample ``i`` sits at time ``i / sample_rate``; the arithmetic is exact
    (Fraction), so no sample strictly outside the span is ever selected.
    """
    rate = source.sample_rate
    first = math.ceil(Fraction(start_s) * rate)
    stop = min(len(source.samples), math.floor(Fraction(end_s) * rate) + 1)
    return first, max(first, stop)


def _crossfade(old: array[int], new: array[int], weights: list[float]) -> array[int]:
    """Mix ``old`` towards ``new`` sample by sample; weight 1 means all new."""
    return array("h", [round(o + w * (n - o)) for o, n, w in zip(old, new, weights, strict=True)])


def splice(source: Pcm, start_s: float, end_s: float, seed: int, blend_s: float = 0.25) -> Pcm:
    """Replace the section ``[start_s, end_s]`` of ``source`` with new material.

    The replacement is ``synthesize``-style music for ``seed``, starting at the
    beginning of its song. Linear crossfades of ``blend_s`` seconds (shortened
    to half the span if needed) lie *inside* the span, at each edge. Exactness
    guarantee: every sample at a time ``i / sample_rate`` strictly before
    ``start_s`` or strictly after ``end_s`` is byte-identical to the source,
    and the result has the same length and sample rate. Deterministic per seed.

    Raises ValueError unless ``0 <= start_s < end_s <= source.duration_s`` and
    ``blend_s >= 0``.
    """
    _check_span(source, start_s, end_s, blend_s)
    first, stop = _span_indices(source, start_s, end_s)
    span = stop - first
    new = _render(span, seed, source.sample_rate)
    fade = min(round(blend_s * source.sample_rate), span // 2)
    ramp = [(j + 1) / (fade + 1) for j in range(fade)]
    old = source.samples
    samples = (
        old[:first]
        + _crossfade(old[first : first + fade], new[:fade], ramp)
        + new[fade : span - fade]
        + _crossfade(old[stop - fade : stop], new[span - fade :], ramp[::-1])
        + old[stop:]
    )
    return Pcm(samples, source.sample_rate)


# ---------------------------------------------------------------------- encoding


def encode_wav(pcm: Pcm) -> bytes:
    """Encode as a 16-bit mono WAV file; it decodes to exactly the same samples."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(pcm.sample_rate)
        writer.writeframes(_le_bytes(pcm.samples))
    return buffer.getvalue()


def encode_mp3(pcm: Pcm) -> bytes:
    """Encode as constant-bit-rate mono MP3 with ``lameenc``.

    The decoded duration is approximately ``pcm.duration_s``: LAME adds a start
    delay and pads the final frame. Raises RuntimeError if ``lameenc`` is not
    installed or the sample rate is not one MP3 supports.
    """
    if _lameenc is None:
        raise RuntimeError("MP3 encoding needs the optional 'lameenc' package")
    if pcm.sample_rate not in _MP3_SAMPLE_RATES:
        raise RuntimeError(f"MP3 cannot carry sample_rate={pcm.sample_rate}")
    encoder = _lameenc.Encoder()
    encoder.set_bit_rate(MP3_BITRATE_KBPS)
    encoder.set_in_sample_rate(pcm.sample_rate)
    encoder.set_channels(1)
    encoder.set_quality(7)  # fastest; ample for a mock
    return bytes(encoder.encode(_le_bytes(pcm.samples))) + bytes(encoder.flush())


def encode(pcm: Pcm) -> tuple[bytes, str]:
    """Encode for serving: ``(file bytes, content type)``.

    MP3 (``audio/mpeg``) when ``lameenc`` is importable and the sample rate is
    valid for MP3, otherwise WAV (``audio/wav``). MP3 duration is approximate
    (encoder delay and padding); WAV duration is exact.
    """
    if _lameenc is not None and pcm.sample_rate in _MP3_SAMPLE_RATES:
        return encode_mp3(pcm), "audio/mpeg"
    return encode_wav(pcm), "audio/wav"
