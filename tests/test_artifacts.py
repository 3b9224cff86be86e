"""Tests for mockserver.artifacts: WAV, stems, MIDI, MP4, cover images, lyrics (and audio.melody)."""

from __future__ import annotations

import io
import operator
import struct
import wave
import zlib
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.artifacts import (
    REMAINDER,
    STEMS,
    VOCAL_STEMS,
    music_covers,
    separate_vocal,
    split_stem,
    split_stem_advanced,
    wav_file,
)
from mockserver.audio import Pcm, note_grid, splice, synthesize

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


# -------------------------------------------------------------------- stems


def total(stems: dict[str, Pcm]) -> array[int]:
    """Sample-by-sample sum of the stems, in Python ints (no wrap-around)."""
    parts = [stem.samples for stem in stems.values()]
    sums = [0] * len(parts[0])
    for part in parts:
        sums = list(map(operator.add, sums, part))
    return array("q", sums)


def assert_partition(source: Pcm, stems: dict[str, Pcm]) -> None:
    """Each stem has the source's shape, sign and at most its magnitude; together they are the source."""
    for stem in stems.values():
        assert stem.sample_rate == source.sample_rate
        assert len(stem.samples) == len(source.samples)
        assert all(s * x >= 0 and abs(s) <= abs(x) for s, x in zip(stem.samples, source.samples, strict=True))
    assert total(stems) == array("q", source.samples)


def assert_distinct_and_audible(stems: dict[str, Pcm]) -> None:
    values = [stem.samples for stem in stems.values()]
    assert all(max(map(abs, samples)) > 0 for samples in values)
    assert len({samples.tobytes() for samples in values}) == len(values)


stem_tracks = st.tuples(seeds, st.floats(min_value=0.5, max_value=4), st.sampled_from([8000, 22050]))


@settings(deadline=None, max_examples=30)
@given(stem_tracks)
def test_separate_vocal_sums_to_the_source(track: tuple[int, float, int]) -> None:
    seed, duration, rate = track
    source = synthesize(duration, seed, rate)
    stems = separate_vocal(source, seed)
    assert tuple(stems) == VOCAL_STEMS
    assert_partition(source, stems)
    assert_distinct_and_audible(stems)


@settings(deadline=None, max_examples=15)
@given(stem_tracks)
def test_split_stem_sums_to_the_source(track: tuple[int, float, int]) -> None:
    seed, duration, rate = track
    source = synthesize(duration, seed, rate)
    stems = split_stem(source, seed)
    assert tuple(stems) == STEMS
    assert_partition(source, stems)
    assert_distinct_and_audible(stems)


@settings(deadline=None, max_examples=20)
@given(stem_tracks, st.sampled_from(STEMS))
def test_split_stem_advanced_extracts_the_split_stem(track: tuple[int, float, int], instrument: str) -> None:
    seed, duration, rate = track
    source = synthesize(duration, seed, rate)
    stems = split_stem_advanced(source, seed, instrument)
    assert tuple(stems) == (instrument, REMAINDER)
    assert_partition(source, stems)
    assert_distinct_and_audible(stems)
    assert stems[instrument] == split_stem(source, seed)[instrument]


@settings(deadline=None, max_examples=15)
@given(stem_tracks)
def test_vocals_are_split_stem_vocals_plus_backing(track: tuple[int, float, int]) -> None:
    seed, duration, rate = track
    source = synthesize(duration, seed, rate)
    split = split_stem(source, seed)
    vocals = list(map(operator.add, split["vocals"].samples, split["backing_vocals"].samples))
    assert separate_vocal(source, seed)["vocals"].samples.tolist() == vocals


def test_stems_are_deterministic_in_seed_duration_and_type() -> None:
    source = synthesize(3, 11)
    assert separate_vocal(source, 11) == separate_vocal(synthesize(3, 11), 11)
    assert split_stem(source, 11) == split_stem(source, 11)
    assert separate_vocal(source, 11)["vocals"] != separate_vocal(synthesize(3, 12), 12)["vocals"]
    # A longer track's stems start with the shorter one's (the shares follow the song's loop).
    longer = separate_vocal(synthesize(30, 11), 11)["vocals"].samples
    assert longer[: len(source.samples)] == separate_vocal(source, 11)["vocals"].samples


def test_stems_of_a_long_track_sum_to_it() -> None:
    """Whole loops are reused; the sum must still hold across every loop and the cut-off last one."""
    seed = 2024
    source = synthesize(45.3, seed)
    note, notes = note_grid(seed)
    assert len(source.samples) > 4 * note * notes
    for stems in (separate_vocal(source, seed), split_stem(source, seed)):
        assert total(stems) == array("q", source.samples)


def test_stems_of_a_spliced_track_sum_to_it() -> None:
    """A source that does not loop (a replaced section) is split exactly too."""
    source = splice(synthesize(20, 5), 4.0, 13.0, 77)
    stems = split_stem(source, 5)
    assert_partition(source, stems)
    assert_distinct_and_audible(stems)


def test_stems_of_an_empty_track_are_empty() -> None:
    stems = split_stem(synthesize(0, 1), 1)
    assert all(len(stem.samples) == 0 for stem in stems.values())


def test_split_stem_advanced_rejects_an_unknown_instrument() -> None:
    with pytest.raises(ValueError, match="instrument"):
        split_stem_advanced(synthesize(1, 1), 1, "kazoo")


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
