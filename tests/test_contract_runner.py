"""The any-language client runner: programs in JavaScript and shell judged against the served mock."""

from __future__ import annotations

import pathlib

import pytest

from contract._cli import main
from contract._client_report import KEY, SentRequest, held_name, judge_request, scenarios
from contract._readiness import Verdict
from contract._runner import run_client

CLIENTS = pathlib.Path(__file__).parent / "clients"


def test_a_correct_javascript_client_handles_every_scenario_tried() -> None:
    report = run_client(["node", str(CLIENTS / "flow.js")], "kie", only=["generate-music: code 402", "AUDIO_FAILED"])
    assert [run.scenario.name for run in report.runs] == [
        "success",
        "generate-music: code 402",
        "generate-music: code 402 in HTTP 500",
        "get-music-details: state GENERATE_AUDIO_FAILED",
    ]
    assert report.ok, report.summary()
    assert all(run.verdict is Verdict.HANDLED for run in report.runs)
    success = report.runs[0]
    assert [(r.method, r.path) for r in success.requests][:2] == [
        ("POST", "/api/v1/generate"),
        ("GET", "/api/v1/generate/record-info"),
    ]
    assert "PASSED" in report.summary()


def test_a_javascript_client_that_trusts_http_200_is_flagged() -> None:
    report = run_client(["node", str(CLIENTS / "flow.js"), "ignore-code"], "kie", only=["generate-music: code 402"])
    forced = report.runs[1]
    assert forced.scenario.name == "generate-music: code 402"
    assert forced.verdict is Verdict.CRASHED, report.summary()
    assert "TypeError" in forced.detail
    assert not report.ok


def test_a_javascript_client_breaking_a_request_rule_is_told_once() -> None:
    report = run_client(["node", str(CLIENTS / "flow.js"), "string-flag"], "kie", only=["generate-music: code 455"])
    assert report.runs[0].verdict is Verdict.SUCCESS_AS_FAILURE  # the mock refused the body
    broken = report.violations()
    rule = "generate-music: customMode: must be a boolean (got 'false')"
    assert broken[rule] == ["success", "generate-music: code 455"], report.summary()
    assert report.summary().count(rule) == 1
    assert not any("refused it" in v for v in broken)  # the contract's own reading names the rule


def test_a_shell_curl_client_passes_through_the_cli(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    junit = tmp_path / "client.xml"
    argv = ["client", "--provider", "kie", "--only", "SENSITIVE_WORD", "--junit", str(junit)]
    code = main([*argv, "--", "sh", str(CLIENTS / "flow.sh")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ok   get-music-details: state SENSITIVE_WORD_ERROR: handled (exit 2: failed: the task ended" in out
    assert 'failures="0"' in junit.read_text() and 'tests="2"' in junit.read_text()


def test_a_program_that_cannot_start_is_a_crash_and_no_command_a_usage_error() -> None:
    report = run_client(["/nonexistent/client"], "kie")
    assert report.runs[0].verdict is Verdict.CRASHED and "could not start" in report.runs[0].detail
    assert "sent no request" in report.notes[0]
    assert main(["client", "--"]) == 2


def _sent(authorization: str | None, body: object, code: int | None = 200) -> SentRequest:
    return SentRequest("POST", "/api/v1/generate", {}, body, authorization, 200, code, "")


def test_each_request_is_judged_by_the_contract_rules_and_the_key() -> None:
    body = {"customMode": False, "instrumental": False, "prompt": "p", "model": "V4_5", "callBackUrl": "http://x/cb"}
    assert judge_request("kie", _sent(f"Bearer {KEY}", body)) == []
    assert judge_request("kie", _sent(None, body, 401)) == [
        "generate-music: sent no Authorization header (the documents need 'Bearer <key>')"
    ]
    assert judge_request("kie", _sent(KEY, body, 401)) == [
        "generate-music: the Authorization header lacks the Bearer scheme"
    ]
    assert judge_request("kie", _sent(f"Bearer {KEY}", [body], 422)) == [
        "generate-music: the body is not a JSON object"
    ]
    unknown = SentRequest("GET", "/api/v1/nothing", {}, None, f"Bearer {KEY}", 200, 404, "")
    assert judge_request("kie", unknown) == ["GET /api/v1/nothing is not a documented kie operation"]


def test_a_program_that_reports_a_result_at_first_success_is_flagged_by_the_held_scenario() -> None:
    held = held_name()
    assert held == "get-music-details: held 3 reads at each of PENDING, TEXT_SUCCESS, FIRST_SUCCESS"
    correct = run_client(["node", str(CLIENTS / "flow.js")], "kie", only=["held"])
    assert [run.scenario.name for run in correct.runs] == ["success", held]
    assert correct.ok, correct.summary()
    stages = [sent.status for sent in correct.runs[1].requests if sent.path == "/api/v1/generate/record-info"]
    assert stages == ["PENDING"] * 3 + ["TEXT_SUCCESS"] * 3 + ["FIRST_SUCCESS"] * 3 + ["SUCCESS"]

    early = run_client(["node", str(CLIENTS / "flow.js"), "first-success"], "kie", only=["held"])
    assert early.runs[0].verdict is Verdict.HANDLED  # only the held scenario checks the stage read last
    run = early.runs[1]
    assert run.verdict is Verdict.EARLY_SUCCESS, early.summary()
    assert "after 7 details read(s), the last FIRST_SUCCESS: the task had not reached SUCCESS" in run.detail
    assert not early.ok and "reported a result before SUCCESS" in early.summary()


def test_scenario_names_are_unique_when_two_families_share_a_details_operation() -> None:
    # music and replace-section are both read through get-music-details: each failure state is tried on
    # each family's task, and the report must tell the two apart
    used = ["generate-music", "get-music-details", "replace-section"]
    names = [s.name for s in scenarios("kie", used)]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    states = [n for n in names if n.startswith("get-music-details: state ")]
    assert any(n.endswith(" of generate-music") for n in states), states
    assert any(n.endswith(" of replace-section") for n in states), states
    only_music = [s.name for s in scenarios("kie", ["generate-music", "get-music-details"])]
    assert "get-music-details: state GENERATE_AUDIO_FAILED" in only_music, only_music
