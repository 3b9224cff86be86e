"""Tests for mockserver.artifacts: WAV, stems, MIDI, MP4, cover images, lyrics (and audio.melody)."""

from __future__ import annotations

import io
import struct
import wave
import zlib
from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.artifacts import (
    music_covers,
    wav_file,
)
from mockserver.audio import synthesize

seeds = st.integers(min_value=-(2**63), max_value=2**63)

# ---------------------------------------------------------------------- WAV


@settings(deadline=None, max_examples=25)
@given(seed=seeds, duration=st.floats(min_value=0, max_value=5), rate=st.sampled_from([8000, 22050, 44100]))
def test_wav_reads_back_with_the_stdlib(seed: int, duration: float, rate: int) -> None:
    pcm = synthesize(duration, seed, rate)
    data = wav_file(pcm)
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt "
    with wave.open(io.BytesIO(data)) as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (1, 2, rate)
        assert reader.getnframes() == len(pcm.samples)
        assert reader.getnframes() / reader.getframerate() == pcm.duration_s
        frames = array("h", reader.readframes(reader.getnframes()))
    assert frames == pcm.samples  # this host is little-endian, as WAV is


def test_wav_of_a_long_track_has_its_duration() -> None:
    data = wav_file(synthesize(240, 3))
    with wave.open(io.BytesIO(data)) as reader:
        assert reader.getnframes() / reader.getframerate() == 240
    assert len(data) == 44 + 2 * 240 * 22050


# ------------------------------------------------------------------- images


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking its signature, chunk CRCs and pixel data length."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, idat = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, payload = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + payload)
        chunks.append(kind)
        idat += payload if kind == b"IDAT" else b""
        if kind == b"IHDR":
            width, height = struct.unpack(">II", payload[:8])
        position += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND"
    assert len(zlib.decompress(idat)) == height * (1 + 3 * width)
    return width, height


@settings(deadline=None, max_examples=20)
@given(seed=seeds)
def test_music_covers_are_two_distinct_pngs(seed: int) -> None:
    first, second = music_covers(seed, size=32)
    assert first != second
    assert png_size(first) == png_size(second) == (32, 32)
    assert music_covers(seed, size=32) == (first, second)


def test_music_covers_default_size() -> None:
    assert all(png_size(image) == (256, 256) for image in music_covers(1))
