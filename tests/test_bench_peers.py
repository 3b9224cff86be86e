"""``python -m bench --peers``: the peers' configuration and the report, without network or peers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Self

import pytest

from bench import peers
from bench.loadgen import LoadResult
from bench.served import Round
from mockserver.openapi import PROVIDERS, load_spec


def test_the_wiremock_stub_requires_exactly_the_fields_the_spec_requires() -> None:
    spec = load_spec("kie")
    schema = spec["components"]["schemas"]["ReplaceSectionRequest"]
    required = peers.required_fields(spec)
    assert required == schema["required"] and {"taskId", "audioId", "prompt"} <= set(required)
    stub = json.loads(json.dumps(peers.wiremock_stub(required)))  # what is written to mappings/
    request = stub["request"]
    assert request["method"] == "POST" and request["urlPath"] == "/api/v1/generate/replace-section"
    assert [p["matchesJsonPath"] for p in request["bodyPatterns"]] == [f"$.{name}" for name in required]
    assert request["headers"]["Authorization"] == {"matches": "Bearer .+"}
    assert stub["response"]["status"] == 200 and stub["response"]["jsonBody"]["code"] == 200
    for provider in PROVIDERS:  # every provider's document has the operation with required fields
        assert peers.required_fields(load_spec(provider))


def test_the_bench_body_holds_every_required_field(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import served

    class _Client:
        def __init__(self, **_: Any) -> None:
            pass

        def __enter__(self) -> Self:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def post(self, *_: Any, **__: Any) -> Any:
            class _Answer:
                def json(self) -> dict[str, Any]:
                    return {"data": {"taskId": "t" * 32, "tracks": [{"id": "a1"}, {"id": "a2"}]}}

            return _Answer()

    monkeypatch.setattr("bench.served.httpx.Client", _Client)
    body = served.valid_body("http://127.0.0.1:1")
    assert set(peers.required_fields(load_spec("kie"))) <= set(body)
    assert body["taskId"] == "t" * 32 and body["audioId"] == "a1"


def test_the_command_lines_bind_loopback_and_keep_the_peers_as_shipped(tmp_path: Path) -> None:
    jar, prism, spec = tmp_path / "wm.jar", tmp_path / "prism", tmp_path / "openapi.json"
    wiremock = peers.wiremock_command(jar, 9001, tmp_path / "wm")
    assert wiremock[:3] == ["java", "-jar", str(jar)]
    assert wiremock[wiremock.index("--bind-address") + 1] == "127.0.0.1"
    assert wiremock[wiremock.index("--port") + 1] == "9001"
    assert wiremock[wiremock.index("--root-dir") + 1] == str(tmp_path / "wm")
    assert "--no-request-journal" not in wiremock and not any(a.startswith("--max-request-journal") for a in wiremock)
    assert peers.prism_command(prism, spec, 9002) == [
        str(prism), "mock", "--host", "127.0.0.1", "--port", "9002", str(spec)
    ]  # fmt: skip
    granian = peers.granian_command("bench.granian_app:mock", 9003)
    assert granian[granian.index("--host") + 1] == "127.0.0.1" and granian[-1] == "bench.granian_app:mock"
    assert granian[granian.index("--workers") + 1] == "1" and granian[granian.index("--interface") + 1] == "asgi"


def test_installed_peers_are_found_without_npm_and_missing_ones_are_installed_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []

    def npm(argv: list[str], **_: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append(argv)
        build = tmp_path / "node_modules" / "wiremock" / "build"
        build.mkdir(parents=True)
        (build / "wiremock-standalone-3.13.2.jar").write_bytes(b"")
        (tmp_path / "node_modules" / ".bin").mkdir()
        (tmp_path / "node_modules" / ".bin" / "prism").write_bytes(b"")
        return subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr("bench.peers.subprocess.run", npm)
    first = peers.ensure_peers(tmp_path)
    assert calls and calls[0][:2] == ["npm", "install"] and calls[0][-2:] == [
        "wiremock@3.13.2", "@stoplight/prism-cli@5.16.0"
    ]  # fmt: skip
    assert calls[0][calls[0].index("--prefix") + 1] == str(tmp_path)
    again = peers.ensure_peers(tmp_path)
    assert len(calls) == 1 and again == first and first.wiremock_jar.name == "wiremock-standalone-3.13.2.jar"
    monkeypatch.setenv("SUNO_BENCH_PEERS", str(tmp_path))
    assert peers.peers_dir() == tmp_path


def _result(rps: float, cpu_us: float = 100.0) -> Round:
    return Round(LoadResult("wrk", 16, 5.0, int(rps * 5), 0, rps, 1.0, 2.0), cpu_us)


def test_the_report_gives_every_ratio_as_the_median_of_same_round_ratios() -> None:
    run = peers.PeerRun(16, 5.0, commands={"a": "run a", "b": "run b"})
    run.rounds = {
        "a": [_result(100, 50), _result(300, 60), _result(200, 40)],
        "b": [_result(50, 200), _result(100, 60), _result(400, 80)],
    }
    assert run.ratio("a", "b") == 2.0  # per round 2.0, 3.0, 0.5
    assert run.ratio("b", "a") == 0.5
    assert run.cpu_ratio("a", "b") == 2.0  # b's CPU over a's per round: 4.0, 1.0, 2.0
    assert run.median("a").rps == 200 and run.cpu_us("a") == 50
    text = peers.render_peers([run], "wrk", (1.0, 2.0, 3.0))
    assert text.count("| a | 1 | 2.00 |") == 2 and "| b | 0.50 | 1 |" in text
    assert "| a | 200 | 1.00 | 2.00 | 0 | 50 |" in text and "- b: `run b`" in text
