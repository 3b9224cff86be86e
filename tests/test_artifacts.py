"""Tests for mockserver._artifacts: WAV, stems, MIDI, MP4, cover images, lyrics (and audio.melody)."""

from __future__ import annotations

import io
import math
import operator
import re
import struct
import wave
import zlib
from array import array

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver._artifacts import (
    REMAINDER,
    STEMS,
    TICKS_PER_SECOND,
    VOCAL_STEMS,
    Instrument,
    Note,
    align,
    encode_midi,
    generate_lyrics,
    music_covers,
    music_video,
    separate_vocal,
    split_stem,
    split_stem_advanced,
    transcribe,
    wav_file,
    waveform,
)
from mockserver._audio import Pcm, melody, note_grid, splice, synthesize

from .support import mp4_info

seeds = st.integers(min_value=-(2**63), max_value=2**63)

# ------------------------------------------------------------------- melody


def midi_hz(pitch: float) -> float:
    return 440.0 * 2 ** ((pitch - 69) / 12)


@settings(deadline=None, max_examples=40)
@given(seed=seeds, duration=st.floats(min_value=0, max_value=20), rate=st.sampled_from([8000, 22050]))
def test_melody_tiles_the_rendered_samples(seed: int, duration: float, rate: int) -> None:
    notes = melody(duration, seed, rate)
    count = round(duration * rate)
    note, _ = note_grid(seed, rate)
    assert len(notes) == -(-count // note)
    position = 0.0
    for start, end, _freq in notes:
        assert start == position < end
        position = end
    assert position == count / rate


@settings(deadline=None, max_examples=30)
@given(seed=seeds, rate=st.sampled_from([8000, 22050, 44100]))
def test_note_grid_is_where_synthesize_starts_notes_and_repeats(seed: int, rate: int) -> None:
    note, notes = note_grid(seed, rate)
    samples = synthesize((2 * note * notes + note // 2) / rate, seed, rate).samples
    loop = note * notes
    assert samples[loop : 2 * loop] == samples[:loop]
    assert samples[2 * loop :] == samples[: len(samples) - 2 * loop]
    assert all(samples[i] == 0 for i in range(0, len(samples), note))  # every note rises from silence


def goertzel_power(samples: array[int], rate: int, freq: float) -> float:
    """Power of ``freq`` in a Hann-windowed block (one DFT bin at an arbitrary frequency)."""
    count = len(samples)
    coefficient = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    step = 2 * math.pi / (count - 1)
    for i, x in enumerate(samples):
        s1, s2 = x * (0.5 - 0.5 * math.cos(step * i)) + coefficient * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coefficient * s1 * s2


@settings(deadline=None, max_examples=12)
@given(seed=seeds)
def test_melody_is_the_dominant_pitch_of_every_rendered_note(seed: int) -> None:
    """In each note's window, the stated pitch beats its neighbours (1-2 semitones off, an octave off)."""
    rate = 22050
    pcm = synthesize(3.0, seed, rate)
    for start, end, freq in melody(3.0, seed, rate)[:-1]:
        window = pcm.samples[round(start * rate) : round(end * rate)]
        pitch = 69 + 12 * math.log2(freq / 440)
        assert abs(pitch - round(pitch)) < 1e-9
        powers = {
            offset: goertzel_power(window, rate, midi_hz(pitch + offset)) for offset in (-12, -2, -1, 0, 1, 2, 12)
        }
        assert max(powers, key=powers.__getitem__) == 0, powers


def test_melody_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="duration_s"):
        melody(-1.0, 1)
    with pytest.raises(ValueError, match="sample_rate"):
        melody(1.0, 1, 0)
    with pytest.raises(ValueError, match="sample_rate"):
        note_grid(1, -5)


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


# --------------------------------------------------------------------- MIDI


def read_midi(data: bytes) -> tuple[mido.MidiFile, list[list[tuple[int, int, float, float, int]]]]:
    """The file and, per track, its notes as ``(channel, pitch, start s, end s, velocity)``."""
    midi = mido.MidiFile(file=io.BytesIO(data))
    tempo = 500_000
    per_track = []
    for track in midi.tracks:
        now, sounding, notes = 0, {}, []
        for message in track:
            now += message.time
            if message.type == "set_tempo":
                tempo = message.tempo
            seconds = mido.tick2second(now, midi.ticks_per_beat, tempo)
            if message.type == "note_on" and message.velocity > 0:
                sounding[message.channel, message.note] = (seconds, message.velocity)
            elif message.type in ("note_off", "note_on"):
                start, velocity = sounding.pop((message.channel, message.note))
                notes.append((message.channel, message.note, start, seconds, velocity))
        assert not sounding
        per_track.append(sorted(notes, key=lambda n: (n[2], n[1])))
    return midi, per_track


@settings(deadline=None, max_examples=15)
@given(seed=seeds, duration=st.floats(min_value=0.1, max_value=60))
def test_midi_file_reads_back_as_the_transcription(seed: int, duration: float) -> None:
    instruments = transcribe(duration, seed)
    data = encode_midi(instruments)
    assert data[:8] == b"MThd\x00\x00\x00\x06"
    assert struct.unpack(">HHH", data[8:14]) == (1, 1 + len(instruments), 480)
    midi, tracks = read_midi(data)
    assert midi.type == 1
    assert [t.name for t in midi.tracks[1:]] == [instrument.name for instrument in instruments]
    tick = 1 / TICKS_PER_SECOND
    for instrument, notes in zip(instruments, tracks[1:], strict=True):
        expected = sorted(instrument.notes, key=lambda n: (n.start, n.pitch))
        assert len(notes) == len(expected)
        for (_, pitch, start, end, velocity), note in zip(notes, expected, strict=True):
            assert pitch == note.pitch
            assert start == pytest.approx(note.start, abs=tick / 2 + 1e-9)
            # a note is never shorter than one tick (encode_midi's rule): a shorter one ends a tick after its start
            floor = max(note.end, round(note.start * TICKS_PER_SECOND) / TICKS_PER_SECOND + tick)
            assert end == pytest.approx(floor if note.end - note.start < tick else note.end, abs=tick / 2 + 1e-9)
            assert velocity == round(note.velocity * 127)
    assert midi.length == pytest.approx(duration, abs=2 * tick)  # the last note may be stretched to one tick


def test_midi_lead_is_the_rendered_melody_and_bass_follows_it() -> None:
    lead, bass, drums = transcribe(10, 31)
    tune = melody(10, 31)
    assert [(n.start, n.end) for n in lead.notes] == [(start, end) for start, end, _ in tune]
    assert [midi_hz(n.pitch) for n in lead.notes] == pytest.approx([freq for _, _, freq in tune])
    assert all(36 <= n.pitch < 48 for n in bass.notes)
    assert [n.pitch % 12 for n in bass.notes] == [n.pitch % 12 for n in lead.notes[::4]]
    assert drums.drums and {n.pitch for n in drums.notes} == {36, 38, 42}
    assert lead.as_dict()["name"] == "Acoustic Grand Piano"
    notes = lead.as_dict()["notes"]
    assert isinstance(notes, list)
    assert notes[0] == {
        "pitch": lead.notes[0].pitch,
        "start": 0.0,
        "end": lead.notes[0].end,
        "velocity": 0.8,
    }


def test_midi_drums_play_on_channel_ten() -> None:
    _, tracks = read_midi(encode_midi(transcribe(4, 8)))
    channels = [{note[0] for note in track} for track in tracks[1:]]
    assert channels == [{0}, {1}, {9}]


def test_encode_midi_rejects_notes_outside_midi() -> None:
    with pytest.raises(ValueError, match="invalid note"):
        encode_midi([Instrument("x", 0, False, (Note(128, 0.0, 1.0, 0.5),))])
    with pytest.raises(ValueError, match="invalid note"):
        encode_midi([Instrument("x", 0, False, (Note(60, 1.0, 0.5, 0.5),))])


# ---------------------------------------------------------------------- MP4


def boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int]]:
    """The boxes in ``data[start:end]``: ``(type, payload start, payload end)``; sizes must tile exactly."""
    end = len(data) if end is None else end
    found = []
    while start < end:
        size, kind = struct.unpack(">I4s", data[start : start + 8])
        assert size >= 8 and start + size <= end
        found.append((kind, start + 8, start + size))
        start += size
    assert start == end
    return found


def child(data: bytes, parent: tuple[bytes, int, int], path: str) -> tuple[bytes, int, int]:
    """Walk ``a/b/c`` down from ``parent`` (only plain container boxes on the way)."""
    for name in path.split("/"):
        matches = [box for box in boxes(data, parent[1], parent[2]) if box[0] == name.encode()]
        assert len(matches) == 1, name
        parent = matches[0]
    return parent


@settings(deadline=None, max_examples=30)
@given(duration=st.floats(min_value=0.05, max_value=600), seed=seeds)
def test_mp4_duration_reads_back_with_mutagen(duration: float, seed: int) -> None:
    data = music_video(duration, seed, size=16)
    info = mp4_info(data)
    assert info.length == pytest.approx(duration, abs=0.05)
    assert (info.codec, info.channels, info.sample_rate) == ("mp4a.6B", 1, 32000)


def test_mp4_box_structure() -> None:
    data = music_video(240, 9)
    top = boxes(data)
    assert [kind for kind, _, _ in top] == [b"ftyp", b"moov", b"mdat"]
    ftyp, moov, mdat = top
    assert data[ftyp[1] : ftyp[1] + 4] == b"isom"
    mvhd = child(data, moov, "mvhd")
    timescale, duration = struct.unpack(">II", data[mvhd[1] + 12 : mvhd[1] + 20])
    assert duration / timescale == 240
    traks = [box for box in boxes(data, moov[1], moov[2]) if box[0] == b"trak"]
    handlers = []
    for trak in traks:
        child(data, trak, "tkhd")
        mdhd = child(data, trak, "mdia/mdhd")
        scale, length = struct.unpack(">II", data[mdhd[1] + 12 : mdhd[1] + 20])
        assert length / scale == 240
        hdlr = child(data, trak, "mdia/hdlr")
        handlers.append(data[hdlr[1] + 8 : hdlr[1] + 12])
        stbl = child(data, trak, "mdia/minf/stbl")
        assert {kind for kind, _, _ in boxes(data, stbl[1], stbl[2])} == {b"stsd", b"stts", b"stsc", b"stsz", b"stco"}
        stts, stsz, stco = (child(data, stbl, name) for name in ("stts", "stsz", "stco"))
        entries = struct.unpack(">I", data[stts[1] + 4 : stts[1] + 8])[0]
        deltas = struct.unpack(f">{2 * entries}I", data[stts[1] + 8 : stts[2]])
        assert sum(count * delta for count, delta in zip(deltas[::2], deltas[1::2], strict=True)) == length
        sample_size, count = struct.unpack(">II", data[stsz[1] + 4 : stsz[1] + 12])
        offsets = struct.unpack(f">{count}I", data[stco[1] + 8 : stco[2]])
        assert all(mdat[1] <= offset and offset + sample_size <= mdat[2] for offset in offsets)
        first = data[offsets[0] : offsets[0] + sample_size]
        assert first.startswith(b"\x89PNG" if handlers[-1] == b"vide" else b"\xff\xfb")
    assert handlers == [b"vide", b"soun"]
    assert len(data) < 64_000  # a few tens of KB even for 240 s


def test_mp4_is_deterministic_and_rejects_no_duration() -> None:
    assert music_video(12.5, 4) == music_video(12.5, 4)
    assert music_video(12.5, 4) != music_video(12.5, 5)
    with pytest.raises(ValueError, match="duration_s"):
        music_video(0, 1)


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


# ------------------------------------------------------------------- lyrics

SECTIONS = ["[Verse]", "[Chorus]", "[Verse 2]", "[Chorus]", "[Bridge]", "[Chorus]", "[Outro]"]


@settings(deadline=None, max_examples=40)
@given(prompt=st.text(max_size=200), seed=seeds)
def test_lyrics_are_two_sectioned_titled_variants(prompt: str, seed: int) -> None:
    variants = generate_lyrics(prompt, seed)
    assert len(variants) == 2 and variants[0].text != variants[1].text
    for lyrics in variants:
        assert lyrics.title.strip() == lyrics.title and lyrics.title
        blocks = lyrics.text.split("\n\n")
        assert [block.splitlines()[0] for block in blocks] == SECTIONS
        choruses = [block for block in blocks if block.startswith("[Chorus]")]
        assert len(set(choruses)) == 1
        assert all(len(block.splitlines()) >= 3 for block in blocks)
    assert generate_lyrics(prompt, seed) == variants


def test_lyrics_echo_the_prompt() -> None:
    first, second = generate_lyrics("A synthwave song about neon rain over Tokyo", 3)
    assert first.title == "Synthwave Neon"
    for lyrics in (first, second):
        assert re.search(r"\b(synthwave|neon|rain|tokyo)\b", lyrics.text.lower())
    assert generate_lyrics("A synthwave song about neon rain over Tokyo", 4) != (first, second)


lyric_texts = st.one_of(
    st.builds(lambda p, s: generate_lyrics(p, s)[0].text, st.text(max_size=40), seeds),
    st.text(alphabet=st.sampled_from("ab [Verse]\n"), max_size=80),
)


def word_seconds(word: dict[str, object], key: str) -> float:
    """A word timing (``startS``/``endS``) of :func:`align`'s answer, which types its values as ``object``."""
    value = word[key]
    assert isinstance(value, int | float), (key, value)
    return float(value)


@settings(deadline=None, max_examples=60)
@given(text=lyric_texts, duration=st.floats(min_value=0, max_value=600))
def test_alignment_fits_inside_the_track(text: str, duration: float) -> None:
    words = align(text, duration)
    assert [re.sub(r"^(\[[^\]\n]*\]\n)+", "", str(w["word"])) for w in words] == [
        word for line in text.splitlines() if not re.fullmatch(r"\[[^\]\n]*\]", line.strip()) for word in line.split()
    ]
    previous_end = 0.0
    for word in words:
        start, end = word_seconds(word, "startS"), word_seconds(word, "endS")
        assert previous_end <= start <= end <= duration
        assert word["success"] is True and word["palign"] == 0
        previous_end = end


def test_alignment_of_generated_lyrics() -> None:
    text = generate_lyrics("late night drive", 1)[0].text
    words = align(text, 180)
    assert str(words[0]["word"]).startswith("[Verse]\n")
    assert sum(str(w["word"]).startswith("[Chorus]\n") for w in words) == 3
    assert all(word_seconds(w, "startS") < word_seconds(w, "endS") for w in words)
    assert word_seconds(words[0], "startS") > 0 and word_seconds(words[-1], "endS") < 180
    assert words == align(text, 180)


@pytest.mark.parametrize("text", ["", "   \n", "[Instrumental]", "[Intro]\n\n[Outro]\n"])
def test_an_instrumental_has_no_words(text: str) -> None:
    assert align(text, 120) == []


def test_alignment_rejects_a_bad_duration() -> None:
    with pytest.raises(ValueError, match="duration_s"):
        align("la la", float("nan"))


@settings(deadline=None, max_examples=30)
@given(seed=seeds, n=st.integers(min_value=0, max_value=2000))
def test_waveform_is_n_values_in_unit_range(seed: int, n: int) -> None:
    values = waveform(seed, n)
    assert len(values) == n
    assert all(0 <= value <= 1 for value in values)
    assert waveform(seed, n) == values
    if n >= 10:
        assert len(set(values)) > 1


def test_waveform_depends_on_the_seed_and_rejects_negative_n() -> None:
    assert waveform(1, 100) != waveform(2, 100)
    with pytest.raises(ValueError, match="n must"):
        waveform(1, -1)
