"""Webhook channel: a JSON POST signed as the Standard Webhooks specification says.

Headers: `webhook-id` (the same for a retry of the same delivery, so a receiver can drop a
repeat), `webhook-timestamp` (Unix seconds when it was sent, so a receiver can refuse a
replay) and `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. The
key is the secret's bytes, or for a secret in the specification's own form (`whsec_…`) the
bytes it encodes, so any Standard Webhooks library verifies it (the README shows one).
Receivers of the earlier headers still get `X-Aedmon-Signature: sha256=<hex HMAC of the
body>` and `X-Aedmon-Delivery`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

import httpx

from aedmon.clock import Clock, utc_now
from server.store.models import Contact

from .channels import ChannelError
from .messages import Message

STANDARD_PREFIX = "whsec_"


def signing_key(secret: str) -> bytes:
    """The HMAC key of a webhook secret: `whsec_<base64>` as the specification has it, else
    the secret's own UTF-8 bytes."""
    if secret.startswith(STANDARD_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(STANDARD_PREFIX) + "==", validate=False)
        except binascii.Error as exc:
            raise ValueError("a whsec_ webhook secret must be base64 after its prefix") from exc
    return secret.encode()


def signature(secret: str, body: bytes) -> str:
    """The earlier `X-Aedmon-Signature` value: HMAC-SHA256 of the body alone."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: v1 and the base64 HMAC-SHA256 of id, timestamp and body."""
    signed = message_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class WebhookChannel:
    name = "webhook"

    def __init__(self, secret: str, *, timeout: float = 5.0, clock: Clock = utc_now) -> None:
        # The timestamp says when the message really left, for the receiver's replay window:
        # the wall clock, whatever clock the rules run on.
        self._secret, self._key, self._clock = secret, signing_key(secret) if secret else b"", clock
        self._client = httpx.Client(timeout=timeout)

    def serves(self, contact: Contact) -> bool:
        return bool(contact.webhook_url)

    def send(self, contact: Contact, message: Message, payload: dict[str, Any]) -> None:
        if not self._secret:
            raise ChannelError("AEDMON_WEBHOOK_SECRET is not set: webhooks are never sent unsigned")
        body = json.dumps({**payload, "subject": message.subject, "text": message.text}).encode()
        delivery = str(payload["delivery"])
        message_id = "msg_aedmon_" + delivery.replace(",", "_")
        timestamp = int(self._clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": standard_signature(self._key, message_id, timestamp, body),
            "X-Aedmon-Signature": signature(self._secret, body),
            "X-Aedmon-Delivery": delivery,
        }
        try:
            response = self._client.post(str(contact.webhook_url), content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ChannelError(f"webhook unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 300:
            raise ChannelError(f"webhook answered {response.status_code}")
