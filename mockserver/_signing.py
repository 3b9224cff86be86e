"""Optional kie-style webhook signatures: ``X-Webhook-Signature`` (HMAC-SHA256) and ``X-Webhook-Timestamp``."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

__all__ = ["sign", "signature", "signed_task_id"]


def signed_task_id(payload: Mapping[str, Any]) -> str:
    data = payload.get("data")
    task_id = data.get("task_id", data.get("taskId")) if isinstance(data, Mapping) else None
    if task_id is None:  # the MIDI and recovery callbacks carry it beside code
        task_id = payload.get("task_id")
    if not isinstance(task_id, str) or not task_id:
        raise ValueError(
            'signing needs the task id in payload["data"]["task_id"], payload["data"]["taskId"] or '
            'payload["task_id"]; add it to the payload or run without a signing key'
        )
    return task_id


def sign(payload: Mapping[str, Any], key: str, timestamp: int) -> dict[str, str]:
    """Return kie-style webhook signature headers for ``payload``.

    ``X-Webhook-Signature`` is ``base64(HMAC-SHA256(key, taskId + "." + timestamp))``
    with the task id taken from ``payload["data"]["task_id"]`` or else
    ``payload["data"]["taskId"]``.
    """
    return signature(signed_task_id(payload), key, timestamp)


def signature(task_id: str, key: str, timestamp: int) -> dict[str, str]:
    message = f"{task_id}.{timestamp}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return {
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": base64.b64encode(digest).decode(),
    }
