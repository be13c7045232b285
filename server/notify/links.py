"""One tap to take an alert: a link that lets the person it was sent to acknowledge that one
alert from a phone, without signing in.

The token is signed with the installation's link key (`--link-secret-file`, the same on
every server) and binds one alert, one occurrence of it (a reopened alert is another
matter) and one contact, until it expires (24 h after it was sent). It is short enough for
an SMS: the numbers as varints (the expiry in whole hours), then 10 bytes (80 bits) of
HMAC-SHA256, in base64url: about 24 characters.
Whether it may still be used (the alert still open, the contact not removed) is the
store's to say when it is used; this module says only whether a token is one this
installation issued, and what it names. Pure.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

LIFETIME = timedelta(hours=24)
MIN_KEY_BYTES = 32
_MAC_BYTES = 10
_PURPOSE = b"aedmon-take-1\x00"
_CSRF = b"aedmon-take-form-1\x00"
MAX_TOKEN_CHARS = 80


@dataclass(frozen=True)
class Take:
    """What a take link names."""

    alert_id: int
    occurrence: int
    contact_id: int
    expires: datetime


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_varints(data: bytes, count: int) -> list[int] | None:
    values, value, shift = [], 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if shift > 63:
            return None
        if not byte & 0x80:
            values.append(value)
            value, shift = 0, 0
    return values if len(values) == count and shift == 0 else None


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, _PURPOSE + body, hashlib.sha256).digest()[:_MAC_BYTES]


def issue(key: bytes, alert_id: int, occurrence: int, contact_id: int, now: datetime) -> str:
    """A token for this contact to take this occurrence of this alert, good for LIFETIME."""
    expires = int((now + LIFETIME).timestamp()) // 3600  # whole hours: a shorter token (23 to 24 h)
    body = b"".join(_varint(n) for n in (alert_id, occurrence, contact_id, expires))
    return base64.urlsafe_b64encode(body + _mac(key, body)).rstrip(b"=").decode()


def read(key: bytes, token: str) -> Take | None:
    """What the token names, if this installation signed it (expired or not); else None."""
    if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != token:
        return None  # not in its one written form (such as other unused low bits at its end)
    body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, _mac(key, body)):
        return None
    numbers = _read_varints(body, 4)
    if numbers is None:
        return None
    alert_id, occurrence, contact_id, expires = numbers
    try:
        at = datetime.fromtimestamp(expires * 3600, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return Take(alert_id, occurrence, contact_id, at)


def form_token(key: bytes, token: str) -> str:
    """The CSRF token of the page a take link opens: only that page can post its form."""
    return hmac.new(key, _CSRF + token.encode(), hashlib.sha256).hexdigest()[:32]


def link(public_url: str, token: str) -> str:
    """The link as a message carries it; without its scheme in an SMS, where phones link it anyway."""
    return f"{public_url.rstrip('/')}/t/{token}"
