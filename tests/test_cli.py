"""`suno-mock serve` as the README starts it: a real process on loopback."""

from __future__ import annotations

import importlib.util
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

EXE = shutil.which("suno-mock") or ""


def _command(*args: str) -> list[str]:
    return [EXE, *args] if EXE else [sys.executable, "-m", "mockserver", *args]


#: The start-up line: provider, URL, then the stack it serves on (uvicorn's version, parser, loop).
START_LINE = re.compile(
    r"suno-mock: serving provider (\w+) at (http://127\.0\.0\.1:\d+) "
    r"\(uvicorn ([\d.]+), (httptools|h11), (uvloop|asyncio); spec: /openapi\.json\); Ctrl-C stops"
)


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


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
    match = START_LINE.search(line)
    assert match, f"unexpected first line: {line!r}"
    assert match.group(1) == "sunoapi"
    # the fastest stack installed is the one named (uvicorn[standard] brings httptools and uvloop)
    assert match.group(3) == uvicorn.__version__
    assert match.group(4) == ("httptools" if _installed("httptools") else "h11")
    assert match.group(5) == ("uvloop" if _installed("uvloop") else "asyncio")
    yield process, match.group(2)
    if process.poll() is None:
        process.kill()
    process.communicate()  # waits, and closes the pipes


def test_serve_http_h11_serves_on_h11_and_says_so() -> None:
    process = subprocess.Popen(
        _command("serve", "--port", "0", "--http", "h11"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        match = START_LINE.search(process.stdout.readline())
        assert match and match.group(4) == "h11"
        with httpx.Client(base_url=match.group(2), timeout=10) as client:
            assert client.get("/_mock/health").json()["code"] == 200
    finally:
        process.kill()
        process.communicate()  # waits, and closes the pipes


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
    from mockserver._process import Freezer

    app = create_app("kie", virtual_clock=True, seed=1)
    freeze = Freezer(app, every=3)
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


def test_start_up_runs_with_the_collector_paused_and_main_turns_it_back_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No garbage collection while the app is built; whatever way ``main`` returns, the collector is on again."""
    import gc

    from mockserver import _cli

    seen: list[bool] = []
    real_build = _cli.build

    def build(args: object) -> object:
        seen.append(gc.isenabled())
        return real_build(args)  # type: ignore[arg-type]

    monkeypatch.setattr(_cli, "build", build)
    assert gc.isenabled()
    assert _cli.main(["serve", "--port", "0", "--workers", "0"]) == 2  # refused after the app was built
    assert seen == [False]
    assert gc.isenabled()
    assert "--workers 0: must be 1 or more" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _cli.main(["serve", "--no-such-option"])
    assert gc.isenabled()
