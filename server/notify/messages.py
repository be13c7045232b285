"""Notification texts in the recipient's language and the site's time zone: which device,
where, what is wrong, what to do, and what exactly the rule found. Pure: every word comes
from the catalogues (server.i18n), every date and number is formatted by Babel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from server.i18n import Words
from server.rules.findings import AlertType, Phrase, Severity
from server.store.models import Purpose


@dataclass(frozen=True)
class Item:
    """One alert event to tell a contact of."""

    alert_id: int
    purpose: Purpose
    type: AlertType
    severity: Severity
    device_id: str
    device_name: str
    place: str
    detail: Phrase
    at: datetime

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Item:
        """As planning wrote it into the outbox row (server.notify.planning.item_body)."""
        phrase = body.get("phrase")
        return cls(
            alert_id=int(body["alert_id"]),
            purpose=Purpose(body["purpose"]),
            type=AlertType(body["type"]),
            severity=Severity(body["severity"]),
            device_id=str(body["device_id"]),
            device_name=str(body["device_name"]),
            place=str(body["place"]),
            detail=Phrase.from_json(phrase) if isinstance(phrase, dict) else Phrase(f"detail.{body['type']}"),
            at=datetime.fromisoformat(str(body["at"])),
        )


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def device_link(public_url: str | None, device_id: str) -> str | None:
    """The device's page on this server, when the installation says where people reach it."""
    return f"{public_url.rstrip('/')}/devices/{quote(device_id)}" if public_url else None


def _block(words: Words, site: str, item: Item, public_url: str | None) -> str:
    what = words(f"reason.{item.type}")
    device = f"{item.device_name} ({item.device_id})" if item.device_name else item.device_id
    where = f"{words('notice.where')}: " + ", ".join(part for part in (device, item.place, site) if part)
    link = device_link(public_url, item.device_id)
    if link:
        where += f"\n{words('notice.link')}: {link}"
    if item.purpose is Purpose.RESOLVED:
        return f"{words('notice.resolved')}: {what}\n{where}"
    heading = (
        f"{words(f'notice.{item.purpose}')}. "
        if item.purpose in (Purpose.REMINDER, Purpose.ESCALATION)
        else ""
    )
    return (
        f"{heading}{what} [{words(f'ui.{item.severity}')}]\n{where}\n"
        f"{words('notice.todo')}: {words(f'todo.{item.type}')}\n"
        f"{words('notice.detail')}: {words.phrase(item.detail)}"
    )


def render(words: Words, site: str, items: list[Item], public_url: str | None = None) -> Message:
    """One message for everything a contact is told about one site at once; with `public_url`,
    each device's page is linked."""
    text = "\n\n".join(_block(words, site, item, public_url) for item in items)
    if len(items) == 1:
        first = items[0]
        prefix = f"{words('notice.resolved')}: " if first.purpose is Purpose.RESOLVED else ""
        subject = f"[aedmon] {site}: {prefix}{words(f'reason.{first.type}')} – {first.device_id}"
    else:
        subject = f"[aedmon] {site}: {words('notice.n_alerts', n=len(items))}"
    return Message(subject, text)


def render_digest(
    words: Words, site: str, day: date, devices: int, items: list[Item], public_url: str | None = None
) -> Message:
    """The daily summary of one site: how many devices, and every alert still open."""
    digest = f"{words('notice.digest')} {words.day(day)}"
    subject = f"[aedmon] {site}: {digest}"
    head = f"{digest}, {site}: {words('notice.n_devices', n=devices)}."
    if not items:
        return Message(subject, f"{head}\n\n{words('notice.none')}")
    return Message(
        f"{subject}, {words('notice.n_alerts', n=len(items))}",
        f"{head}\n\n{render(words, site, items, public_url).text}",
    )
