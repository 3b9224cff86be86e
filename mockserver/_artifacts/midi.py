"""MIDI for "Generate MIDI": a transcription of the track and a Standard MIDI File of it.

The real API answers with instruments, each a list of notes ``{pitch, start,
end, velocity}`` (MIDI note number, seconds, velocity 0-1). Here the lead is
read from :func:`mockserver._audio.melody`, the very notes the synthesizer
renders, so a client that compares the transcription with the audio finds them
in agreement. A bass line (the pitch class of each group of four melody notes,
two octaves down) and a drum pattern on the melody's pulse are added, because
real answers carry several instruments and clients iterate over them; the
audio holds only the lead.

:func:`encode_midi` writes the same notes as a format-1 Standard MIDI File (a
tempo track plus one track per instrument, drums on channel 10), for clients
that want a ``.mid`` file.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from .._audio import melody

__all__ = [
    "TICKS_PER_QUARTER",
    "TICKS_PER_SECOND",
    "Instrument",
    "Note",
    "encode_midi",
    "transcribe",
]

TICKS_PER_QUARTER = 480
_TEMPO_US = 500_000  # a quarter note per half second: 120 bpm
TICKS_PER_SECOND = TICKS_PER_QUARTER * 1_000_000 // _TEMPO_US
"""Time resolution of :func:`encode_midi` (960 ticks, about 1 ms)."""

_DRUM_CHANNEL = 9  # channel 10 in General MIDI's 1-based numbering
_KICK, _SNARE, _HI_HAT = 36, 38, 42
_BASS_GROUP = 4  # melody notes per bass note
_DRUM_HIT_S = 0.1


@dataclass(frozen=True)
class Note:
    """One note: MIDI pitch (60 is middle C), start and end in seconds, velocity in (0, 1]."""

    pitch: int
    start: float
    end: float
    velocity: float

    def as_dict(self) -> dict[str, int | float]:
        """The note as the API's JSON shows it."""
        return {"pitch": self.pitch, "start": self.start, "end": self.end, "velocity": self.velocity}


@dataclass(frozen=True)
class Instrument:
    """A named instrument (a General MIDI program, or the drum kit) and its notes in time order."""

    name: str
    program: int
    drums: bool
    notes: tuple[Note, ...]

    def as_dict(self) -> dict[str, object]:
        """The instrument as the API's JSON shows it: name and notes."""
        return {"name": self.name, "notes": [note.as_dict() for note in self.notes]}


def _midi_pitch(frequency_hz: float) -> int:
    """The MIDI note number of an equal-tempered frequency (A4 = 440 Hz = 69)."""
    return round(69 + 12 * math.log2(frequency_hz / 440.0))


def transcribe(duration_s: float, seed: int, sample_rate: int = 22050) -> tuple[Instrument, ...]:
    """Lead, bass and drums for ``synthesize(duration_s, seed, sample_rate)``.

    The lead has one note per rendered note, same times and pitch. Raises
    ValueError as :func:`mockserver._audio.synthesize` does.
    """
    tune = melody(duration_s, seed, sample_rate)
    lead = tuple(Note(_midi_pitch(freq), start, end, 0.8) for start, end, freq in tune)
    bass = tuple(
        Note(36 + lead[i].pitch % 12, lead[i].start, lead[min(i + _BASS_GROUP, len(lead)) - 1].end, 0.7)
        for i in range(0, len(lead), _BASS_GROUP)
    )
    hits: list[Note] = []
    for index, note in enumerate(lead):
        end = min(note.end, note.start + _DRUM_HIT_S)
        if index % 4 == 0:
            hits.append(Note(_KICK, note.start, end, 1.0))
        elif index % 4 == 2:
            hits.append(Note(_SNARE, note.start, end, 0.9))
        hits.append(Note(_HI_HAT, note.start, end, 0.5))
    return (
        Instrument("Acoustic Grand Piano", 0, False, lead),
        Instrument("Electric Bass (finger)", 33, False, bass),
        Instrument("Drums", 0, True, tuple(hits)),
    )


# ------------------------------------------------------------------ SMF writer


def _varlen(value: int) -> bytes:
    """A MIDI variable-length quantity: 7 bits a byte, most significant first."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _chunk(kind: bytes, payload: bytes) -> bytes:
    """An SMF chunk: four-letter type, 32-bit big-endian length, payload."""
    return kind + struct.pack(">I", len(payload)) + payload


def _meta(kind: int, data: bytes) -> bytes:
    """A meta event (without its delta time)."""
    return bytes((0xFF, kind)) + _varlen(len(data)) + data


def _track(events: list[tuple[int, int, bytes]]) -> bytes:
    """An MTrk chunk of ``(tick, order, event)``; ties break by ``order`` (note-offs first)."""
    body = bytearray()
    now = 0
    for tick, _, event in sorted(events, key=lambda item: (item[0], item[1])):
        body += _varlen(tick - now) + event
        now = tick
    body += b"\x00" + _meta(0x2F, b"")
    return _chunk(b"MTrk", bytes(body))


def _ticks(seconds: float) -> int:
    """Seconds to ticks at the file's fixed tempo."""
    return round(seconds * TICKS_PER_SECOND)


def _instrument_track(instrument: Instrument, channel: int) -> bytes:
    """Name, program change (not for drums) and the notes of one instrument."""
    events = [(0, 0, _meta(0x03, instrument.name.encode("utf-8")))]
    if not instrument.drums:
        events.append((0, 1, bytes((0xC0 | channel, instrument.program & 0x7F))))
    for note in instrument.notes:
        start = _ticks(note.start)
        end = max(start + 1, _ticks(note.end))
        velocity = min(127, max(1, round(note.velocity * 127)))
        events.append((start, 3, bytes((0x90 | channel, note.pitch, velocity))))
        events.append((end, 2, bytes((0x80 | channel, note.pitch, 0))))
    return _track(events)


def encode_midi(instruments: Sequence[Instrument]) -> bytes:
    """A format-1 Standard MIDI File: a tempo track, then one track per instrument.

    480 ticks per quarter at 120 bpm (960 ticks a second), so note times are
    kept to the nearest tick. Melodic instruments get channels 1-9 and 11-16 in
    order (at most 15 of them); drums play on channel 10. A note is never shorter
    than one tick; at one tick a note-off comes before a note-on.
    """
    melodic = [channel for channel in range(16) if channel != _DRUM_CHANNEL]
    if sum(not instrument.drums for instrument in instruments) > len(melodic):
        raise ValueError(f"at most {len(melodic)} melodic instruments fit the 16 MIDI channels")
    for instrument in instruments:
        for note in instrument.notes:
            if not (0 <= note.pitch <= 127 and 0 <= note.start <= note.end and 0 < note.velocity <= 1):
                raise ValueError(f"invalid note in {instrument.name!r}: {note!r}")
    tempo = _track(
        [
            (0, 0, _meta(0x51, _TEMPO_US.to_bytes(3, "big"))),
            (0, 1, _meta(0x58, bytes((4, 2, 24, 8)))),  # 4/4
        ]
    )
    tracks = []
    channels = iter(melodic)
    for instrument in instruments:
        channel = _DRUM_CHANNEL if instrument.drums else next(channels)
        tracks.append(_instrument_track(instrument, channel))
    header = _chunk(b"MThd", struct.pack(">HHH", 1, 1 + len(tracks), TICKS_PER_QUARTER))
    return header + tempo + b"".join(tracks)
