"""Tests for mockserver._audio: synthesis, splicing, encoding, images, ranges."""

from __future__ import annotations

import io
import math
import struct
import sys
import wave
import zlib
from array import array
from fractions import Fraction
from typing import NamedTuple

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from mockserver import _audio as audio
from mockserver._artifacts.images import cover_image
from mockserver._audio import Pcm, encode, encode_mp3, encode_wav, splice, synthesize
from mockserver._media import RangeNotSatisfiable, media_response, parse_range

from ._mp3 import mp3_duration

HAS_LAMEENC = audio._lameenc is not None
needs_lameenc = pytest.mark.skipif(not HAS_LAMEENC, reason="lameenc not installed")

# ------------------------------------------------------------------- synthesis


@settings(deadline=None, max_examples=40)
@given(
    duration=st.floats(min_value=0, max_value=3, allow_nan=False),
    seed=st.integers(),
    rate=st.sampled_from([8000, 22050, 44100]),
)
def test_synthesize_has_exact_sample_count(duration: float, seed: int, rate: int) -> None:
    pcm = synthesize(duration, seed, rate)
    assert len(pcm.samples) == round(duration * rate)
    assert pcm.sample_rate == rate
    assert pcm.samples.typecode == "h"


def test_synthesize_is_deterministic_and_seed_dependent() -> None:
    assert synthesize(2.5, 42) == synthesize(2.5, 42)
    assert synthesize(2.5, 42).samples != synthesize(2.5, 43).samples
    assert synthesize(2.5, -42).samples != synthesize(2.5, 42).samples


def test_synthesize_is_audible_and_unclipped() -> None:
    samples = synthesize(4, 9).samples
    assert 3000 < max(samples) < 32767
    assert -32767 < min(samples) < -3000


def test_long_track_is_prefix_consistent() -> None:
    """A longer track starts with the shorter one: the song loops, not restarts."""
    short, long = synthesize(30, 5).samples, synthesize(240, 5).samples
    assert len(long) == 240 * 22050
    assert long[: len(short)] == short


def test_synthesize_zero_duration_is_empty() -> None:
    assert len(synthesize(0, 1).samples) == 0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"duration_s": -1.0, "seed": 1}, "duration_s"),
        ({"duration_s": float("nan"), "seed": 1}, "duration_s"),
        ({"duration_s": float("inf"), "seed": 1}, "duration_s"),
        ({"duration_s": 1.0, "seed": 1, "sample_rate": 0}, "sample_rate"),
    ],
)
def test_synthesize_rejects_bad_arguments(kwargs: dict[str, float], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        synthesize(**kwargs)  # type: ignore[arg-type]  # bad arguments, on purpose


# ---------------------------------------------------------------------- splice

RATE = 8000


class SpliceCase(NamedTuple):
    """A source track (by seed and length) and a splice request on it."""

    source_seed: int
    samples: int
    start: float
    end: float
    seed: int
    blend: float

    def source(self) -> Pcm:
        return synthesize(self.samples / RATE, self.source_seed, RATE)


@st.composite
def splice_cases(draw: st.DrawFn) -> SpliceCase:
    """A span of at least 50 ms, replaced with music from a different seed."""
    source_seed, seed = draw(st.integers()), draw(st.integers())
    assume(source_seed != seed)
    samples = draw(st.integers(min_value=800, max_value=6 * RATE))
    duration = samples / RATE
    start = draw(st.floats(min_value=0, max_value=duration - 0.05))
    end = draw(st.floats(min_value=start + 0.05, max_value=duration))
    blend = draw(st.floats(min_value=0, max_value=1))
    return SpliceCase(source_seed, samples, start, end, seed, blend)


@settings(deadline=None)
@given(splice_cases())
def test_splice_changes_only_the_span(case: SpliceCase) -> None:
    source = case.source()
    result = splice(source, case.start, case.end, case.seed, case.blend)
    assert result.sample_rate == source.sample_rate
    assert len(result.samples) == len(source.samples) == case.samples
    changed = [i for i, (a, b) in enumerate(zip(source.samples, result.samples, strict=True)) if a != b]
    assert changed, "the span must be replaced"
    assert Fraction(case.start) <= Fraction(changed[0], RATE)
    assert Fraction(changed[-1], RATE) <= Fraction(case.end)
    assert splice(source, case.start, case.end, case.seed, case.blend) == result


@settings(deadline=None, max_examples=30)
@given(splice_cases())
def test_splice_blends_between_old_and_new(case: SpliceCase) -> None:
    source = case.source()
    first = math.ceil(Fraction(case.start) * RATE)  # first sample at or after start
    stop = min(case.samples, math.floor(Fraction(case.end) * RATE) + 1)
    new = synthesize((stop - first) / RATE, case.seed, RATE).samples
    mixed = splice(source, case.start, case.end, case.seed, case.blend).samples
    old = source.samples[first:stop]
    assert len(new) == len(old)
    for m, o, n in zip(mixed[first:stop], old, new, strict=True):
        assert min(o, n) <= m <= max(o, n)


def test_splice_without_blend_inserts_the_seeds_music() -> None:
    source = synthesize(3, 1, RATE)
    result = splice(source, 1.0, 2.0, 77, blend_s=0)
    assert result.samples[8000:16001] == synthesize(8001 / RATE, 77, RATE).samples
    assert result.samples[:8000] == source.samples[:8000]
    assert result.samples[16001:] == source.samples[16001:]


def test_splice_crossfades_linearly_inside_the_span() -> None:
    source = synthesize(3, 1, RATE)
    result = splice(source, 1.0, 2.0, 77, blend_s=0.25).samples  # span 8000..16000, fade 2000
    new = synthesize(8001 / RATE, 77, RATE).samples
    old = source.samples[8000:16001]
    for j in range(2000):
        weight = (j + 1) / 2001
        assert result[8000 + j] == round(old[j] + weight * (new[j] - old[j]))
        assert result[16000 - j] == round(old[8000 - j] + weight * (new[8000 - j] - old[8000 - j]))
    assert result[10000:14001] == new[2000:6001]


def test_splice_keeps_samples_just_outside_exact_boundaries() -> None:
    source = synthesize(2, 3, RATE)
    result = splice(source, 0.5, 1.5, 4)  # both edges fall exactly on samples
    assert result.samples[:4000] == source.samples[:4000]
    assert result.samples[12001:] == source.samples[12001:]


def test_splice_up_to_the_end() -> None:
    source = synthesize(1, 3, RATE)
    result = splice(source, 0.0, source.duration_s, 4, blend_s=0)
    assert result.samples == synthesize(1, 4, RATE).samples


@pytest.mark.parametrize(
    ("start", "end", "blend", "name", "value"),
    [
        (-0.5, 1.0, 0.25, "start_s", "-0.5"),
        (float("nan"), 1.0, 0.25, "start_s", "nan"),
        (0.5, 2.5, 0.25, "end_s", "2.5"),
        (1.0, 1.0, 0.25, "end_s", "1.0"),
        (1.5, 1.0, 0.25, "end_s", "1.0"),
        (0.0, 1.0, -0.1, "blend_s", "-0.1"),
    ],
)
def test_splice_rejects_bad_arguments(start: float, end: float, blend: float, name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name) as info:
        splice(synthesize(2, 1, RATE), start, end, 5, blend)
    assert value in str(info.value)
    assert "must satisfy" in str(info.value) or "must be" in str(info.value)


# -------------------------------------------------------------------- encoding


def le_bytes(samples: array[int]) -> bytes:
    copy = array("h", samples)
    if sys.byteorder == "big":
        copy.byteswap()
    return copy.tobytes()


@pytest.mark.parametrize("duration", [0.0, 0.7, 12.3])
def test_wav_round_trips_exactly(duration: float) -> None:
    pcm = synthesize(duration, 11)
    with wave.open(io.BytesIO(encode_wav(pcm)), "rb") as reader:
        assert (reader.getnchannels(), reader.getsampwidth()) == (1, 2)
        assert reader.getframerate() == 22050
        assert reader.getnframes() / reader.getframerate() == pcm.duration_s
        assert reader.readframes(reader.getnframes()) == le_bytes(pcm.samples)


@needs_lameenc
@pytest.mark.parametrize("duration", [0.3, 2.0, 31.7])
def test_mp3_decodes_to_about_the_stated_duration(duration: float) -> None:
    data, content_type = encode(synthesize(duration, 12))
    assert content_type == "audio/mpeg"
    assert abs(mp3_duration(data) - duration) < 0.1


def test_encode_falls_back_to_wav_without_lameenc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audio, "_lameenc", None)
    data, content_type = encode(synthesize(1, 2))
    assert content_type == "audio/wav"
    assert data == encode_wav(synthesize(1, 2))
    with pytest.raises(RuntimeError, match="lameenc"):
        encode_mp3(synthesize(1, 2))


def test_encode_uses_wav_for_rates_mp3_cannot_carry() -> None:
    pcm = synthesize(0.5, 2, sample_rate=7000)
    assert encode(pcm) == (encode_wav(pcm), "audio/wav")


# ----------------------------------------------------------------- MP3 parsing

MPEG1_128K_44K_MONO = bytes([0xFF, 0xFB, 0x90, 0xC0])  # 417-byte frames
MPEG2_64K_22K_MONO = bytes([0xFF, 0xF3, 0x80, 0xC0])  # 208-byte frames
MPEG2_64K_22K_MONO_PADDED = bytes([0xFF, 0xF3, 0x82, 0xC0])  # 209-byte frames


def frame(header: bytes, length: int, body: bytes = b"") -> bytes:
    return header + body + bytes(length - len(header) - len(body))


def id3v2(payload_size: int) -> bytes:
    size = bytes((payload_size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x04\x00\x00" + size + b"\xff" * payload_size


def test_mp3_duration_counts_frames_of_each_kind() -> None:
    data = (
        id3v2(300)
        + frame(MPEG1_128K_44K_MONO, 417) * 10
        + b"junk"
        + frame(MPEG2_64K_22K_MONO, 208) * 5
        + frame(MPEG2_64K_22K_MONO_PADDED, 209) * 3
    )
    assert mp3_duration(data) == pytest.approx(10 * 1152 / 44100 + 8 * 576 / 22050)


def test_mp3_duration_honours_the_padding_bit() -> None:
    """Ignoring padding would land on a fake MPEG-1 header at byte 208 and lose sync."""
    padded = frame(MPEG2_64K_22K_MONO_PADDED, 208, b"") + b"\xff"
    data = padded + MPEG1_128K_44K_MONO[1:] + frame(MPEG2_64K_22K_MONO, 208) * 4
    assert mp3_duration(data) == pytest.approx(5 * 576 / 22050)


def test_mp3_duration_trusts_a_xing_frame_count() -> None:
    tag = bytes(17) + b"Xing" + struct.pack(">II", 1, 1000)
    data = frame(MPEG1_128K_44K_MONO, 417, tag) + frame(MPEG1_128K_44K_MONO, 417) * 3
    assert mp3_duration(data) == pytest.approx(1000 * 1152 / 44100)


def test_mp3_duration_skips_an_info_frame_without_count() -> None:
    tag = bytes(17) + b"Info" + struct.pack(">I", 0)
    data = frame(MPEG1_128K_44K_MONO, 417, tag) + frame(MPEG1_128K_44K_MONO, 417) * 3
    assert mp3_duration(data) == pytest.approx(3 * 1152 / 44100)


def test_mp3_duration_rejects_non_mp3() -> None:
    with pytest.raises(ValueError, match="no MPEG"):
        mp3_duration(encode_wav(synthesize(0.2, 1)))


# ----------------------------------------------------------------- cover image


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, payload = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + payload)
        chunks.append((kind, payload))
        pos += 12 + length
    return chunks


@pytest.mark.parametrize("size", [1, 7, 256])
def test_cover_image_is_a_valid_png(size: int) -> None:
    chunks = png_chunks(cover_image(3, size))
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBBBBB", chunks[0][1]) == (size, size, 8, 2, 0, 0, 0)
    raw = zlib.decompress(chunks[1][1])
    assert len(raw) == size * (1 + 3 * size)
    assert all(raw[row * (1 + 3 * size)] == 0 for row in range(size))


def test_cover_image_is_deterministic_and_varied() -> None:
    assert cover_image(8) == cover_image(8)
    assert cover_image(8) != cover_image(9)
    raw = zlib.decompress(png_chunks(cover_image(8, 32))[1][1])
    pixels = {raw[i : i + 3] for i in range(1, len(raw), 3)}
    assert len(pixels) > 10


@pytest.mark.parametrize("size", [0, -3, 5000])
def test_cover_image_rejects_bad_sizes(size: int) -> None:
    with pytest.raises(ValueError, match="size"):
        cover_image(1, size)


# ----------------------------------------------------------------- parse_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", (0, 0)),
        ("bytes=2-", (2, 9)),
        ("bytes=-3", (7, 9)),
        ("bytes=-30", (0, 9)),
        ("bytes=5-100", (5, 9)),
        ("BYTES=1-2", (1, 2)),
        ("bytes= 1-2 ,", (1, 2)),
        ("items=0-1", None),
        ("bytes=0-1,3-4", None),
        ("bytes=5-2", None),
        ("bytes=-", None),
        ("bytes=abc", None),
        ("bytes=+1-2", None),
        ("bytes 1-2", None),
    ],
)
def test_parse_range_examples(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 10) == expected


@pytest.mark.parametrize(
    ("header", "total"),
    [("bytes=10-", 10), ("bytes=12-20", 10), ("bytes=-0", 10), ("bytes=-5", 0)],
)
def test_parse_range_unsatisfiable(header: str, total: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as info:
        parse_range(header, total)
    assert info.value.total == total
    assert isinstance(info.value, ValueError)


def reference_range(first: int | None, last: int | None, total: int) -> list[int] | None:
    """Brute-force model: the selected byte positions, or None to ignore the header."""
    if first is None:
        assert last is not None
        return [p for p in range(total) if p >= total - last]
    if last is not None and last < first:
        return None
    return [p for p in range(total) if first <= p and (last is None or p <= last)]


@given(
    total=st.integers(0, 40),
    first=st.none() | st.integers(0, 60),
    last=st.none() | st.integers(0, 60),
)
def test_parse_range_matches_reference_model(total: int, first: int | None, last: int | None) -> None:
    assume(first is not None or last is not None)
    header = f"bytes={'' if first is None else first}-{'' if last is None else last}"
    selected = reference_range(first, last, total)
    if selected is None:
        assert parse_range(header, total) is None
    elif not selected:
        with pytest.raises(RangeNotSatisfiable):
            parse_range(header, total)
    else:
        assert parse_range(header, total) == (selected[0], selected[-1])


@given(
    header=st.text(alphabet="bytes=-,0123456789 \tx+", max_size=20),
    total=st.integers(0, 30),
)
def test_parse_range_never_fails_otherwise(header: str, total: int) -> None:
    try:
        result = parse_range(header, total)
    except RangeNotSatisfiable:
        return
    if result is not None:
        assert 0 <= result[0] <= result[1] < total


# -------------------------------------------------------------- media_response

BODY = bytes(range(256)) * 4


async def serve(request: Request) -> Response:
    return media_response(request, BODY, "audio/mpeg")


@pytest.fixture
def client() -> TestClient:
    return TestClient(Starlette(routes=[Route("/media", serve, methods=["GET", "HEAD"])]))


def test_media_full_body(client: TestClient) -> None:
    response = client.get("/media")
    assert response.status_code == 200
    assert response.content == BODY
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(BODY))
    assert response.headers["content-type"] == "audio/mpeg"
    assert "content-range" not in response.headers


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=10-19", 10, 19), ("bytes=1000-", 1000, 1023), ("bytes=-4", 1020, 1023)],
)
def test_media_partial_content(client: TestClient, header: str, first: int, last: int) -> None:
    response = client.get("/media", headers={"Range": header})
    assert response.status_code == 206
    assert response.content == BODY[first : last + 1]
    assert response.headers["content-range"] == f"bytes {first}-{last}/{len(BODY)}"
    assert response.headers["content-length"] == str(last + 1 - first)
    assert response.headers["accept-ranges"] == "bytes"


def test_media_unsatisfiable_range(client: TestClient) -> None:
    response = client.get("/media", headers={"Range": "bytes=1024-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(BODY)}"
    assert response.content == b""


def test_media_if_range_sends_everything(client: TestClient) -> None:
    response = client.get("/media", headers={"Range": "bytes=0-9", "If-Range": '"x"'})
    assert response.status_code == 200
    assert response.content == BODY


def test_media_response_drops_the_body_for_head() -> None:
    request = Request({"type": "http", "method": "HEAD", "headers": [(b"range", b"bytes=2-5")]})
    response = media_response(request, BODY, "audio/wav")
    assert response.status_code == 206
    assert response.body == b""
    assert response.headers["content-length"] == "4"


def test_media_head_has_headers_but_no_body(client: TestClient) -> None:
    response = client.head("/media")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(BODY))
    assert response.headers["accept-ranges"] == "bytes"
    partial = client.head("/media", headers={"Range": "bytes=0-9"})
    assert partial.status_code == 206
    assert partial.content == b""
    assert partial.headers["content-length"] == "10"
    assert partial.headers["content-range"] == f"bytes 0-9/{len(BODY)}"
