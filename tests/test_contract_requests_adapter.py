"""The router checks and answers ``requests`` calls as it does httpx ones (contract/_requests_adapter.py)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import requests

from contract import ContractViolation, suno_router
from contract._requests_adapter import SunoAdapter

GENERATE: dict[str, Any] = {
    "customMode": False,
    "instrumental": False,
    "prompt": "rain",
    "model": "V4_5",
    "callBackUrl": "https://e.com/cb",
}
AUTH = {"Authorization": "Bearer test-key"}


def test_requests_calls_are_answered_by_the_mock_and_checked_while_a_router_is_active() -> None:
    original = requests.Session.get_adapter
    with suno_router("kie") as router:
        created = requests.post(f"{router.base_url}/api/v1/generate", json=GENERATE, headers=AUTH, timeout=5)
        assert created.status_code == 200 and created.json()["code"] == 200
        task_id = created.json()["data"]["taskId"]
        details = requests.get(
            f"{router.base_url}/api/v1/generate/record-info", params={"taskId": task_id}, headers=AUTH, timeout=5
        )
        assert details.json()["data"]["taskId"] == task_id
        assert router.operations_called == ["generate-music", "get-music-details"]
        with pytest.raises(ContractViolation, match=r"customMode: must be a boolean \(got 'no'\)"):
            requests.post(f"{router.base_url}/api/v1/generate", json={**GENERATE, "customMode": "no"}, headers=AUTH)
        router.violations.clear()
        with router.forced(code=402, operation="generate-music"):
            refused = requests.post(f"{router.base_url}/api/v1/generate", json=GENERATE, headers=AUTH, timeout=5)
        assert refused.json()["code"] == 402
    assert requests.Session.get_adapter is original  # the last router out restores requests


def test_a_broken_rule_swallowed_by_a_requests_client_is_raised_at_teardown() -> None:
    def swallowing_test() -> None:
        with suno_router("kie") as router, contextlib.suppress(ContractViolation):  # the client swallows it
            requests.get(f"{router.base_url}/api/v1/chat/credit", timeout=5)  # no Authorization header

    with pytest.raises(ContractViolation, match="recorded during the test"):
        swallowing_test()


def test_a_session_may_mount_the_adapter_itself_and_keys_are_never_shown() -> None:
    with suno_router("kie", strict=False) as router, requests.Session() as session:
        session.mount(router.base_url, SunoAdapter(router))
        answer = session.get(f"{router.base_url}/api/v1/chat/credit", headers={"Authorization": "sk-secret-123"})
        assert answer.json()["code"] == 401
        shown = str(router.violations[0])
        assert "sk-secret-123" not in shown and "<key #" in shown
        router.violations.clear()
