"""What is written to the notification outbox, in the transaction of the alert event itself.

`plan` runs inside the transaction that opens, reopens or resolves an alert, and writes one
row per routed contact, keyed by (alert, occurrence, purpose, contact): planned once, however
often the server restarts or several servers evaluate the same device. Inside a maintenance
window the row is written as `silenced`: recorded, never sent. Reminders, escalations and
the daily digest are planned the same way by the scheduler.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from server import store
from server.i18n import english
from server.i18n import zone as zone_of
from server.rules.findings import Severity
from server.store.models import Alert, Device, NotificationState, Purpose

from .routing import on_holiday, recipients, serves_site


def item_body(alert: Alert, device: Device, purpose: Purpose, now: datetime) -> dict[str, Any]:
    """One alert event as a notification row carries it (and a webhook receives it)."""
    detail = alert.detail
    return {
        "alert_id": alert.id,
        "occurrence": alert.occurrences,
        "purpose": purpose.value,
        "type": alert.type,
        "severity": alert.severity,
        "device_id": device.id,
        "device_name": device.name,
        "place": device.place,
        "detail": english(detail),
        "phrase": detail.to_json(),
        "at": now.isoformat(),
    }


MAX_TOLD = 10


def told_of(session: Session, alert: Alert) -> list[dict[str, str]]:
    """The people told of this occurrence of the alert, each once, earliest first: their name,
    the channel that delivered and when."""
    prefix = f"alert:{alert.id}:{alert.occurrences}:"
    sent = [row for row in store.notifications.listed(session, alert_id=alert.id, limit=200)
            if row.sent_at is not None and row.channel and row.dedupe_key.startswith(prefix)]  # fmt: skip
    contacts = store.contacts.by_ids(session, sorted({row.contact_id for row in sent}))
    told: dict[int, dict[str, str]] = {}
    for row in sorted(sent, key=lambda row: row.sent_at or row.created_at):
        if row.contact_id in contacts and row.contact_id not in told and row.sent_at is not None:
            name = contacts[row.contact_id].name
            told[row.contact_id] = {"name": name, "channel": str(row.channel), "at": row.sent_at.isoformat()}
    return list(told.values())[:MAX_TOLD]


def plan(session: Session, alert: Alert, purpose: Purpose, now: datetime) -> int:
    """Write the notifications of one alert event; returns how many contacts it routes to."""
    device = store.devices.get(session, alert.device_id)
    if device is None:
        return 0
    present = [contact for contact in store.contacts.serving(session) if not on_holiday(contact, now)]
    contacts = recipients(present, device.site, Severity(alert.severity), purpose)
    body = item_body(alert, device, purpose, now)
    if purpose is Purpose.ESCALATION:  # who was told already, on which channel, since when
        body["told"] = told_of(session, alert)
    silenced = store.silences.covers(session, device.id, device.site, now)
    for contact in contacts:
        store.notifications.insert_once(
            session,
            dedupe_key=f"alert:{alert.id}:{alert.occurrences}:{purpose.value}",
            contact_id=contact.id,
            alert_id=alert.id,
            site=device.site,
            purpose=purpose,
            state=NotificationState.SILENCED if silenced else NotificationState.PENDING,
            body=body,
            now=now,
        )
    return len(contacts)


def plan_escalations(session: Session, now: datetime, after: timedelta) -> int:
    """An open critical alert nobody acknowledged: sent again after `after` to the same
    contacts, and after twice that to the escalation contacts. Each step once per occurrence."""
    stale = store.alerts.critical_open_since(session, now - after)
    for alert in stale:
        plan(session, alert, Purpose.REMINDER, now)
        if alert.last_opened_at <= now - 2 * after:
            plan(session, alert, Purpose.ESCALATION, now)
    session.commit()
    return len(stale)


def plan_digests(session: Session, now: datetime, hour: int, default_zone: str = "UTC") -> int:
    """Once a day from `hour` in each site's own time zone (the installation's where it names
    none): the site's summary to the contacts of that site. Keyed by site and local date, so a
    restart or a second server never sends a second one that day."""
    planned = 0
    contacts = [contact for contact in store.contacts.serving(session) if not on_holiday(contact, now)]
    sites = store.devices.sites(session)
    zones = store.sites.time_zones(session, sites)
    for site in sites:
        local = now.astimezone(zone_of(zones.get(site) or default_zone))
        if local.hour < hour:
            continue
        day = local.date().isoformat()
        devices = store.devices.listed(session, site=site)
        by_id = {d.id: d for d in devices}
        open_alerts = store.alerts.open_of_devices(session, list(by_id))
        items = [item_body(alert, by_id[alert.device_id], Purpose.ALERT, now) for alert in open_alerts]
        body = {"purpose": Purpose.DIGEST.value, "severity": Severity.INFO.value, "day": day,
                "devices": len(devices), "items": items}  # fmt: skip
        for contact in contacts:
            if serves_site(contact, site):
                planned += store.notifications.insert_once(
                    session,
                    dedupe_key=f"digest:{site}:{day}",
                    contact_id=contact.id,
                    alert_id=None,
                    site=site,
                    purpose=Purpose.DIGEST,
                    state=NotificationState.PENDING,
                    body=body,
                    now=now,
                )
    session.commit()
    return planned
