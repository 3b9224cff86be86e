"""Deterministic media for the mock: synthesized audio, cover images, range serving.

Every ``audioUrl``/``streamAudioUrl``/``imageUrl`` the mock hands out points at a
real file built here. Everything is a pure function of its arguments (the seed in
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
import re
import struct
import sys
import wave
import zlib
from array import array
from dataclasses import dataclass
from fractions import Fraction
from types import ModuleType
from typing import NamedTuple

from starlette.requests import Request
from starlette.responses import Response

from ._errors import MockError

__all__ = [
    "Pcm",
    "RangeNotSatisfiable",
    "cover_image",
    "encode",
    "encode_mp3",
    "encode_wav",
    "media_response",
    "melody",
    "mp3_duration",
    "note_grid",
    "parse_range",
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


# ------------------------------------------------------------------ MP3 parsing

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


# ------------------------------------------------------------------ cover image


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


# ---------------------------------------------------------------- range serving


class RangeNotSatisfiable(MockError, ValueError):
    """A Range header selects no byte of a representation of ``total`` bytes."""

    def __init__(self, header: str, total: int) -> None:
        super().__init__(f"range {header!r} selects no byte of {total}")
        self.total = total


_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)")


def _position(digits: str, total: int) -> int:
    """A byte position or suffix length, as given when it is at most ``total``, else ``total + 1``.

    Every number past the body selects the same bytes, so a position of thousands of digits
    (which ``int()`` refuses past Python's int-string limit) is read as just past the end.
    """
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(total)):
        return total + 1
    return min(int(digits), total + 1)


def _order(digits: str) -> tuple[int, str]:
    """A key that orders decimal numerals as their values, without converting them."""
    digits = digits.lstrip("0")
    return len(digits), digits


def parse_range(header: str | None, total: int) -> tuple[int, int] | None:
    """Resolve a ``Range`` header against a body of ``total`` bytes (RFC 9110 §14).

    Returns the inclusive ``(first, last)`` byte positions for a single
    ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` range (``b`` is clamped to the
    end, a suffix longer than the body selects all of it). Returns None when
    the whole body should be sent: no header, another range unit, a malformed
    header (ignored, as the RFC allows), or several ranges (multipart
    responses are not implemented; the full body is a permitted answer).
    Raises RangeNotSatisfiable when the range selects no byte: ``a >= total``,
    ``bytes=-0``, or any range of an empty body.
    """
    if header is None:
        return None
    unit, equals, range_set = header.partition("=")
    specs = [spec.strip(" \t") for spec in range_set.split(",")]
    specs = [spec for spec in specs if spec]
    if not equals or unit.strip(" \t").lower() != "bytes" or len(specs) != 1:
        return None
    match = _RANGE_SPEC.fullmatch(specs[0])
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first_text, last_text = match.groups()
    if first_text == "":
        suffix = _position(last_text, total)
        if suffix == 0 or total == 0:
            raise RangeNotSatisfiable(header, total)
        return max(0, total - suffix), total - 1
    if last_text != "" and _order(last_text) < _order(first_text):
        return None  # an invalid range-spec: ignore the header
    first = _position(first_text, total)
    last = None if last_text == "" else _position(last_text, total)
    if first >= total:
        raise RangeNotSatisfiable(header, total)
    return first, total - 1 if last is None else min(last, total - 1)


def media_response(request: Request, body: bytes, content_type: str) -> Response:
    """Serve ``body`` with single-range support.

    200 with the whole body, or 206 with ``Content-Range`` for a satisfiable
    ``Range``, or 416 with ``Content-Range: bytes */total`` for an
    unsatisfiable one; always ``Accept-Ranges: bytes`` and ``Content-Length``.
    HEAD gets the same status and headers as GET but no body. A request with
    ``If-Range`` gets the full body: there are no validators, so it can never
    match.
    """
    total = len(body)
    headers = {"Accept-Ranges": "bytes"}
    header = None if "if-range" in request.headers else request.headers.get("range")
    try:
        selected = parse_range(header, total)
    except RangeNotSatisfiable:
        headers.update({"Content-Range": f"bytes */{total}", "Content-Length": "0"})
        return Response(b"", 416, headers)
    status, payload = 200, body
    if selected is not None:
        first, last = selected
        status, payload = 206, body[first : last + 1]
        headers["Content-Range"] = f"bytes {first}-{last}/{total}"
    headers["Content-Length"] = str(len(payload))
    content = b"" if request.method == "HEAD" else payload
    return Response(content, status, headers, media_type=content_type)
