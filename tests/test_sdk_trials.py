"""A real third-party SDK, unchanged, against the served mock: suno-easy 0.2.0 (PyPI, for sunoapi.org).

The automated half of ``docs/sdk-trials/`` (the README there has the other SDKs and the manual
commands). suno-easy is in the ``test`` extra; it speaks ``requests`` over the network, so the mock
is the plugin's ``suno_server`` on a loopback port, on the virtual clock: each task is created with
``wait=False``, the clock is moved past its end, and the SDK's own ``Task.wait`` then finds it done
at its first poll. The one change a user makes is the base URL: suno-easy has no option for it, only
the class attribute ``SunoClient.BASE_URL``, set here on the instance.

Two tests pin what suno-easy 0.2.0 gets wrong against the providers' documents (not the mock): when
a version bump changes them, the README's table changes too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import pytest
from suno_easy import SunoClient, Task
from suno_easy.webhooks import (
    parse_cover_image_webhook,
    parse_lyrics_webhook,
    parse_midi_webhook,
    parse_music_webhook,
    parse_vocal_separation_webhook,
    parse_wav_webhook,
)

from contract import SunoServer
from mockserver import CallbackReceiver

#: Longer than any kind's lifecycle (music completes at 150 mock seconds).
PAST_THE_END = 400.0

pytestmark = pytest.mark.suno(provider="sunoapi")

T = TypeVar("T")


def sdk(server: Any, callback_url: str) -> SunoClient:
    client = SunoClient(api_key=server.token, callback_url=callback_url)
    client.BASE_URL = server.url
    return client


def pending(submitted: Task[T] | T) -> Task[T]:
    """The SDK's handle for a task created with ``wait=False`` (its methods return ``Task[T] | T``)."""
    assert isinstance(submitted, Task), submitted
    return submitted


def finish(server: SunoServer, task: Task[T]) -> T:
    """Run the mock's clock past the task's end, then let the SDK poll it once."""
    server.advance(PAST_THE_END)
    return task.wait(timeout=5, poll_interval=0)


def song_task(server: SunoServer, client: SunoClient) -> tuple[str, str, list[Any]]:
    task = pending(
        client.music.generate(
            prompt="[Verse]\nNeon rain on empty streets", style="synthwave", title="Neon Rain", model="V4_5", wait=False
        )
    )
    songs = finish(server, task)
    return task.task_id, songs[0].id, songs


def test_generate_then_every_follow_up_a_real_integration_makes(
    suno_server: SunoServer, callback_receiver: CallbackReceiver, tmp_path: Path
) -> None:
    client = sdk(suno_server, f"{callback_receiver.url}/suno")
    assert client.account.get_credits().remaining > 0

    task_id, audio_id, songs = song_task(suno_server, client)
    assert [s.title for s in songs] == ["Neon Rain", "Neon Rain"]
    assert all(s.audio_url and s.image_url and s.duration for s in songs)
    songs[0].download(str(tmp_path / "song.mp3"))
    songs[0].download_image(str(tmp_path / "cover.png"))
    assert (tmp_path / "song.mp3").stat().st_size > 0
    assert (tmp_path / "cover.png").read_bytes()[:4] == b"\x89PNG"

    wav = finish(suno_server, pending(client.audio.convert_wav(task_id, audio_id, wait=False)))
    wav.download(str(tmp_path / "song.wav"))
    assert (tmp_path / "song.wav").read_bytes()[:4] == b"RIFF"

    separation = pending(client.audio.separate_vocals(task_id, audio_id, wait=False))
    stems = finish(suno_server, separation)
    assert stems.vocal_url and stems.instrumental_url
    stems.download_vocal(str(tmp_path / "vocals.mp3"))
    assert (tmp_path / "vocals.mp3").stat().st_size > 0
    midi = finish(suno_server, pending(client.audio.generate_midi(separation.task_id, audio_id, wait=False)))
    assert midi.state == "complete"
    assert midi.instruments
    assert all(n.end > n.start for i in midi.instruments for n in i.notes)

    video = finish(suno_server, pending(client.video.create(task_id, audio_id, author="trial", wait=False)))
    video.download(str(tmp_path / "song.mp4"))
    assert (tmp_path / "song.mp4").read_bytes()[4:8] == b"ftyp"
    cover = finish(suno_server, pending(client.audio.generate_cover_image(task_id, wait=False)))
    assert len(cover.images) == 2

    lyrics = finish(suno_server, pending(client.lyrics.generate("a song about the sea at night", wait=False)))
    assert lyrics
    assert all(item.text for item in lyrics)
    timed = client.lyrics.get_timestamped(task_id, audio_id)
    # The first word carries its section tag, as in the documents' example ("[Verse]\nNeon").
    assert [w.word for w in timed.aligned_words][:2] == ["[Verse]\nNeon", "rain"]
    assert client.audio.boost_style("dreamy lo-fi").result
    assert client.persona.create(task_id, audio_id, name="Trial", description="warm voice").persona_id


def test_the_music_family_through_the_sdk(suno_server: SunoServer, callback_receiver: CallbackReceiver) -> None:
    client = sdk(suno_server, f"{callback_receiver.url}/suno")
    task_id, audio_id, _ = song_task(suno_server, client)
    upload = f"{suno_server.url}/_mock/files/{audio_id}.mp3"  # a file the mock serves: its length is known
    calls = {
        "extend": client.music.extend(
            audio_id, 60, "[Bridge]\nla la", style="synthwave", title="II", model="V4_5", wait=False
        ),
        "replace-section": client.music.replace_section(
            task_id,
            audio_id,
            prompt="soft strings",
            tags="ambient",
            title="Calm",
            full_lyrics="[Verse]\nla",
            infill_start_s=10.0,
            infill_end_s=30.0,
            wait=False,
        ),
        "sounds": client.music.generate_sounds("rain on a tin roof", wait=False),
        "mashup": client.music.mashup(
            [upload, upload], prompt="mix", style="pop", title="Mash", model="V4_5", wait=False
        ),
        "upload-cover": client.audio.cover(upload, style="jazz", title="Cover", prompt="la", model="V4_5", wait=False),
        "upload-extend": client.audio.extend(upload, 30, "la", style="jazz", title="Ext", model="V4_5", wait=False),
        "add-vocals": client.audio.add_vocals(
            upload, prompt="la la", title="Voc", style="pop", negative_tags="metal", wait=False
        ),
        "add-instrumental": client.audio.add_instrumental(
            upload, title="Inst", tags="piano", negative_tags="drums", wait=False
        ),
    }
    suno_server.advance(PAST_THE_END)
    finished = {name: pending(task).wait(timeout=5, poll_interval=0) for name, task in calls.items()}
    assert {name: len(songs) for name, songs in finished.items()} == {
        name: 1 if name == "replace-section" else 2 for name in calls
    }
    assert all(song.audio_url for songs in finished.values() for song in songs)


def test_its_webhook_parsers_read_the_mocks_callbacks(
    suno_server: SunoServer, callback_receiver: CallbackReceiver
) -> None:
    client = sdk(suno_server, f"{callback_receiver.url}/suno")
    task_id, audio_id, _ = song_task(suno_server, client)

    def final(task: Task[Any]) -> dict[str, Any]:
        finish(suno_server, task)
        payload: dict[str, Any] = callback_receiver.wait_for(
            lambda r: r.stage in (None, "complete"), task_id=task.task_id
        ).json()
        return payload

    event, songs = parse_music_webhook(callback_receiver.wait_for(task_id=task_id, stage="complete").json())
    assert event.is_final
    assert songs[0].id == audio_id
    assert all(s.audio_url for s in songs)
    event, wav = parse_wav_webhook(final(pending(client.audio.convert_wav(task_id, audio_id, wait=False))))
    assert event.is_success
    assert wav.wav_url
    separation = pending(client.audio.separate_vocals(task_id, audio_id, wait=False))
    final(separation)
    event, midi = parse_midi_webhook(
        final(pending(client.audio.generate_midi(separation.task_id, audio_id, wait=False)))
    )
    assert midi.instruments
    event, cover = parse_cover_image_webhook(final(pending(client.audio.generate_cover_image(task_id, wait=False))))
    assert len(cover.images) == 2
    event, lyrics = parse_lyrics_webhook(final(pending(client.lyrics.generate("the sea", wait=False))))
    assert lyrics
    assert lyrics[0].text


def test_suno_easy_0_2_0_misses_the_documented_separation_callback_key(
    suno_server: SunoServer, callback_receiver: CallbackReceiver
) -> None:
    """sunoapi.org documents the stems under ``data.vocal_removal_info``; suno-easy reads ``data``."""
    client = sdk(suno_server, f"{callback_receiver.url}/suno")
    task_id, audio_id, _ = song_task(suno_server, client)
    separation = pending(client.audio.separate_vocals(task_id, audio_id, wait=False))
    finish(suno_server, separation)
    payload = callback_receiver.wait_for(task_id=separation.task_id).json()
    assert payload["data"]["vocal_removal_info"]["vocal_url"]  # the mock sends what the document shows
    _, stems = parse_vocal_separation_webhook(payload)
    assert stems.vocal_url is None  # the SDK's bug: when this fails, update docs/sdk-trials/README.md


@pytest.mark.suno(sensitive_words=frozenset({"forbidden"}))
def test_suno_easy_0_2_0_does_not_see_a_documented_failure_status(
    suno_server: SunoServer, callback_receiver: CallbackReceiver
) -> None:
    """SENSITIVE_WORD_ERROR (like GENERATE_AUDIO_FAILED) is a final status; suno-easy polls on until its timeout."""
    client = sdk(suno_server, f"{callback_receiver.url}/suno")
    task = pending(client.music.generate(prompt="forbidden words", style="pop", title="No", model="V4_5", wait=False))
    suno_server.advance(PAST_THE_END)
    assert task.info()["status"] == "SENSITIVE_WORD_ERROR"
    with pytest.raises(TimeoutError):  # the SDK's bug: when this fails, update docs/sdk-trials/README.md
        task.wait(timeout=1, poll_interval=1)
