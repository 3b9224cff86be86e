"""`suno-mock serve` as the README starts it: a real process on loopback."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

EXE = shutil.which("suno-mock") or ""


def _command(*args: str) -> list[str]:
    return [EXE, *args] if EXE else [sys.executable, "-m", "mockserver.cli", *args]


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        _command("serve", "--port", "0", "--provider", "sunoapi", "--token", "k1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"serving provider (\w+) at (http://127\.0\.0\.1:\d+)", line)
    assert match, f"unexpected first line: {line!r}"
    assert match.group(1) == "sunoapi"
    yield process, match.group(2)
    if process.poll() is None:
        process.kill()
        process.wait()


def test_served_mock_answers_a_valid_replace_section(served: tuple[subprocess.Popen[str], str]) -> None:
    process, url = served
    with httpx.Client(base_url=url, timeout=10) as client:
        seeded = client.post("/_mock/tasks", json={"durations": [120.0, 96.5]}).json()["data"]
        body = {
            "taskId": seeded["taskId"],
            "audioId": seeded["tracks"][1]["id"],
            "prompt": "A calm piano",
            "tags": "jazz",
            "title": "Calm",
            "infillStartS": 10.0,
            "infillEndS": 16.0,
        }
        answer = client.post("/api/v1/generate/replace-section", json=body, headers={"Authorization": "Bearer k1"})
        assert answer.status_code == 200
        assert answer.json()["code"] == 200 and re.fullmatch(r"[0-9a-f]{32}", answer.json()["data"]["taskId"])
        refused = client.post("/api/v1/generate/replace-section", json=body, headers={"Authorization": "Bearer k2"})
        assert refused.json()["code"] == 401
        assert client.get("/openapi.json").json()["info"]["title"] == "Suno API as served by sunoapi.org"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "suno-mock: stopped" in out
    assert "Traceback" not in err


def test_bad_setting_is_refused_at_start_up_with_what_is_allowed() -> None:
    result = subprocess.run(
        _command("serve", "--set", "replace_interval=sometimes"), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "replace_interval='sometimes' is not allowed; use 'spec', 'none', 'MIN-MAX' or 'MIN-'" in result.stderr


def test_spec_command_prints_the_bundled_document() -> None:
    result = subprocess.run(_command("spec", "--provider", "apibox"), capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert '"musicIndex"' in result.stdout and "common.yaml" not in result.stdout


def test_serve_freezes_accepted_tasks_in_batches_and_counts_again_after_a_reset() -> None:
    import gc

    from mockserver import create_app
    from mockserver.cli import _Freezer

    app = create_app("kie", virtual_clock=True, seed=1)
    freeze = _Freezer(app, every=3)
    try:
        frozen = gc.get_freeze_count()
        app.seed_task([60.0])
        app.seed_task([60.0])
        assert freeze() is False and gc.get_freeze_count() == frozen
        app.seed_task([60.0])
        assert freeze() is True and gc.get_freeze_count() > frozen
        assert freeze() is False  # counted from the freeze
        app.state.reset()
        app.seed_task([60.0])
        app.seed_task([60.0])
        assert freeze() is False  # 2 since the reset (seen at the first look after it)
        app.seed_task([60.0])
        assert freeze() is True
    finally:
        gc.unfreeze()
