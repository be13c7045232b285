"""Webhook channel: JSON POST signed with HMAC-SHA256 over the exact body.

Headers: `X-Aedmon-Signature: sha256=<hex>` and `X-Aedmon-Delivery: <id>`, the same id
for a retry of the same delivery, so a receiver can drop a repeat."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from server.store.models import Contact

from .channels import ChannelError
from .messages import Message


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(self, secret: str, *, timeout: float = 10.0) -> None:
        self._secret = secret
        self._client = httpx.Client(timeout=timeout)

    def serves(self, contact: Contact) -> bool:
        return bool(contact.webhook_url)

    def send(self, contact: Contact, message: Message, payload: dict[str, Any]) -> None:
        if not self._secret:
            raise ChannelError("AEDMON_WEBHOOK_SECRET is not set: webhooks are never sent unsigned")
        body = json.dumps({**payload, "subject": message.subject, "text": message.text}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Aedmon-Signature": signature(self._secret, body),
            "X-Aedmon-Delivery": str(payload["delivery"]),
        }
        try:
            response = self._client.post(str(contact.webhook_url), content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ChannelError(f"webhook unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 300:
            raise ChannelError(f"webhook answered {response.status_code}")
