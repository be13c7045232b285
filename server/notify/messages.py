"""Notification texts in the recipient's language and the site's time zone: which device,
where, what is wrong, what to do, and what exactly the rule found. Pure: every word comes
from the catalogues (server.i18n), every date and number is formatted by Babel.

Each message is written in three shapes, for where it lands: the whole text (e-mail,
webhooks), a chat's (a title and the text, which Apprise escapes for a chat that reads HTML
or Markdown, so a device named `*_<>[]` stays literal), and an SMS: one segment where it
can be (160 GSM-7 characters, 70 in UCS-2, which every Cyrillic or Czech message is),
at most three for a critical alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import smsutil

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
    told: tuple[tuple[str, str, datetime], ...] = ()  # an escalation's: who, on which channel, when

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
            told=tuple(
                (str(told["name"]), str(told["channel"]), datetime.fromisoformat(str(told["at"])))
                for told in body.get("told") or ()
                if isinstance(told, dict) and {"name", "channel", "at"} <= set(told)
            ),
        )


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    sms: str = ""  # the SMS shape: empty where none was written (then the text is sent)


def segments(text: str) -> int:
    """How many SMS segments the text takes (GSM-7 where every character is in it, else UCS-2)."""
    return len(smsutil.split(text).parts) if text else 0


def _joined(parts: list[str]) -> str:
    return "\n".join(part for part in parts if part)


def _fit(parts: list[str], budget: int, cut: int) -> str:
    """The parts joined, one a line, within `budget` segments: the parts after `cut` are
    dropped from the last, then the part at `cut` is shortened; the parts before `cut` stay
    whole, even if they must take more."""
    kept = list(parts)
    while len(kept) > cut + 1 and segments(_joined(kept)) > budget:
        kept.pop()
    if segments(_joined(kept)) <= budget or len(kept) <= cut:
        return _joined(kept)
    name = kept[cut]
    low, high = 0, len(name)  # the longest prefix of the shortened part that fits
    while low < high:
        middle = (low + high + 1) // 2
        if segments(_joined([*kept[:cut], name[:middle].rstrip() + "…"])) <= budget:
            low = middle
        else:
            high = middle - 1
    kept[cut] = name[:low].rstrip() + "…" if low else ""
    return _joined(kept)


def short_link(link: str | None) -> str:
    """A link as an SMS carries it: phones link a bare host and path as well."""
    return (link or "").removeprefix("https://")


def sms(words: Words, site: str, items: list[Item], link: str | None) -> str:
    """The SMS: what is wrong, the device, the link, the place; one segment, or up to three
    (with what to do) when something critical is in it."""
    critical = any(item.severity is Severity.CRITICAL and item.purpose is not Purpose.RESOLVED
                   for item in items)  # fmt: skip
    budget = 3 if critical else 1
    if len(items) == 1:
        item = items[0]
        what = words(f"reason.{item.type}")
        if item.purpose is Purpose.RESOLVED:
            what = f"{words('notice.resolved')}: {what}"
        todo = words(f"todo.{item.type}") if critical else ""
        parts = [what, short_link(link), item.device_name or item.device_id, item.place or site, todo]
        return _fit(parts, budget, 2)
    what = "; ".join(dict.fromkeys(words(f"reason.{item.type}") for item in items))
    parts = [f"{site}: {words('notice.n_alerts', n=len(items))}", short_link(link), what]
    return _fit(parts, budget, 2)


def device_link(public_url: str | None, device_id: str) -> str | None:
    """The device's page on this server, when the installation says where people reach it."""
    return f"{public_url.rstrip('/')}/devices/{quote(device_id)}" if public_url else None


def _block(words: Words, site: str, item: Item, public_url: str | None, takes: Mapping[int, str]) -> str:
    what = words(f"reason.{item.type}")
    device = f"{item.device_name} ({item.device_id})" if item.device_name else item.device_id
    where = f"{words('notice.where')}: " + ", ".join(part for part in (device, item.place, site) if part)
    link = device_link(public_url, item.device_id)
    if link:
        where += f"\n{words('notice.link')}: {link}"
    take = takes.get(item.alert_id)
    if take and item.purpose is not Purpose.RESOLVED:
        where += f"\n{words('notice.take')}: {take}"
    if item.purpose is Purpose.RESOLVED:
        return f"{words('notice.resolved')}: {what}\n{where}"
    heading = (
        f"{words(f'notice.{item.purpose}')}. "
        if item.purpose in (Purpose.REMINDER, Purpose.ESCALATION)
        else ""
    )
    said = (
        f"{heading}{what} [{words(f'ui.{item.severity}')}]\n{where}\n"
        f"{words('notice.todo')}: {words(f'todo.{item.type}')}\n"
        f"{words('notice.detail')}: {words.phrase(item.detail)}"
    )
    if item.purpose is Purpose.ESCALATION:
        told = "; ".join(f"{name} ({channel}, {words.moment(at)})" for name, channel, at in item.told)
        said += f"\n{words('notice.told')}: {told or words('notice.told_nobody')}"
    return said


def render(
    words: Words,
    site: str,
    items: list[Item],
    public_url: str | None = None,
    takes: Mapping[int, str] | None = None,
) -> Message:
    """One message for everything a contact is told about one site at once; with `public_url`,
    each device's page is linked, and with `takes` (alert id: link) each alert's one-tap link."""
    takes = takes or {}
    text = "\n\n".join(_block(words, site, item, public_url, takes) for item in items)
    if len(items) == 1:
        first = items[0]
        take = takes.get(first.alert_id) if first.purpose is not Purpose.RESOLVED else None
        link = take or device_link(public_url, first.device_id)
        prefix = f"{words('notice.resolved')}: " if first.purpose is Purpose.RESOLVED else ""
        subject = f"[aedmon] {site}: {prefix}{words(f'reason.{first.type}')} – {first.device_id}"
    else:
        link = board_link(public_url, site)
        subject = f"[aedmon] {site}: {words('notice.n_alerts', n=len(items))}"
    return Message(subject, text, sms(words, site, items, link))


def board_link(public_url: str | None, site: str) -> str | None:
    """The site's readiness board, for a message about several devices."""
    return f"{public_url.rstrip('/')}/board/{quote(site)}" if public_url else None


def render_digest(
    words: Words,
    site: str,
    day: date,
    devices: int,
    items: list[Item],
    public_url: str | None = None,
    takes: Mapping[int, str] | None = None,
) -> Message:
    """The daily summary of one site: how many devices, and every alert still open."""
    digest = f"{words('notice.digest')} {words.day(day)}"
    subject = f"[aedmon] {site}: {digest}"
    head = f"{digest}, {site}: {words('notice.n_devices', n=devices)}."
    link = short_link(board_link(public_url, site))
    if not items:
        return Message(subject, f"{head}\n\n{words('notice.none')}", _fit([head, link], 1, 0))
    counted = f"{head} {words('notice.n_alerts', n=len(items))}."
    return Message(
        f"{subject}, {words('notice.n_alerts', n=len(items))}",
        f"{head}\n\n{render(words, site, items, public_url, takes).text}",
        _fit([counted, link], 1, 0),
    )
