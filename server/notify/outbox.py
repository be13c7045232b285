"""The durable notification outbox: plan in the alert's own transaction, deliver after.

`plan` runs inside the transaction that opens, reopens or resolves an alert, and writes one
row per routed contact, keyed by (alert, occurrence, purpose, contact): planned once, however
often the server restarts or several servers evaluate the same device. Inside a maintenance
window the row is written as `silenced`: recorded, never sent.

`Notifier.deliver_due` claims due rows, groups them per contact and site (a critical alert
is due at once, others wait `group_window` so that what opens together goes out as one
message), renders them in the contact's language, and tries the contact's channels in
order until one delivers. A channel that fails falls back to the next; when all fail the
rows are retried with exponential backoff, and after `MAX_ATTEMPTS` marked failed.

Delivery is once per row in every case but one: a crash between a channel accepting a
message and the row being marked sent. Webhooks carry `X-Aedmon-Delivery` so a receiver can
drop that repeat.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from aedmon.clock import Clock
from server.rules.findings import AlertType, Severity
from server.store import queries
from server.store.models import Alert, Contact, Device, Notification, Silence

from .channels import Channel, ChannelError
from .messages import Item, render, render_digest

log = logging.getLogger(__name__)

SEVERITY_RANK = {Severity.INFO: 0, Severity.MINOR: 1, Severity.MAJOR: 2, Severity.CRITICAL: 3}
MAX_ATTEMPTS = 10
# A row claimed by a server that died mid-send is claimed again after its lease: a critical
# alert within 10 s (a slow send may then be told twice, with the same webhook-id, which a
# receiver drops), anything else after a minute.
LEASE = timedelta(seconds=60)
CRITICAL_LEASE = timedelta(seconds=8)


def _serving() -> Select[Contact]:
    """The contacts still told of anything: not removed."""
    return select(Contact).where(Contact.retired_at.is_(None))


def _serves_site(contact: Contact, site: str) -> bool:
    return not contact.sites or site in contact.sites


def routes(contact: Contact, site: str, severity: Severity) -> bool:
    """Whether this contact hears of an alert of this severity at this site."""
    return (
        _serves_site(contact, site)
        and SEVERITY_RANK[severity] >= SEVERITY_RANK[Severity(contact.min_severity)]
    )


def plan_escalations(session: Session, now: datetime, after: timedelta) -> int:
    """An open critical alert nobody acknowledged: sent again after `after` to the same
    contacts, and after twice that to the escalation contacts. Each step once per occurrence."""
    stale = session.scalars(
        select(Alert).where(
            Alert.state == "open",
            Alert.severity == Severity.CRITICAL.value,
            Alert.last_opened_at <= now - after,
        )
    ).all()
    for alert in stale:
        plan(session, alert, "reminder", now)
        if alert.last_opened_at <= now - 2 * after:
            plan(session, alert, "escalation", now)
    session.commit()
    return len(stale)


def plan_digests(session: Session, now: datetime, hour: int) -> int:
    """Once a day from `hour` UTC: each site's summary to the contacts of that site. Keyed by
    site and date, so a restart or a second server never sends a second one that day."""
    if now.hour < hour:
        return 0
    day = now.date().isoformat()
    planned = 0
    sites = sorted(set(session.scalars(select(Device.site))))
    contacts = list(session.scalars(_serving()))
    for site in sites:
        devices = list(session.scalars(select(Device).where(Device.site == site)))
        open_alerts = session.scalars(
            select(Alert)
            .where(Alert.device_id.in_([d.id for d in devices]), Alert.state != "resolved")
            .order_by(Alert.id)
        ).all()
        by_id = {d.id: d for d in devices}
        items = [_body(alert, by_id[alert.device_id], "alert", now) for alert in open_alerts]
        body = {"purpose": "digest", "severity": Severity.INFO.value, "day": day, "devices": len(devices),
                "items": items}  # fmt: skip
        for contact in contacts:
            if _serves_site(contact, site):
                planned += queries.insert_notification_once(
                    session,
                    {
                        "dedupe_key": f"digest:{site}:{day}",
                        "contact_id": contact.id,
                        "alert_id": None,
                        "site": site,
                        "purpose": "digest",
                        "state": "pending",
                        "due_at": now,
                        "attempts": 0,
                        "body": body,
                        "created_at": now,
                    },
                )
    session.commit()
    return planned


def _body(alert: Alert, device: Device, purpose: str, now: datetime) -> dict[str, Any]:
    return {
        "alert_id": alert.id,
        "purpose": purpose,
        "type": alert.type,
        "severity": alert.severity,
        "device_id": device.id,
        "device_name": device.name,
        "place": device.place,
        "detail": alert.message,
        "at": now.isoformat(),
    }


def silenced(session: Session, device: Device, now: datetime) -> bool:
    return (
        session.scalars(
            select(Silence.id)
            .where(Silence.starts_at <= now, Silence.ends_at > now)
            .where(or_(Silence.device_id == device.id, Silence.site == device.site))
            .limit(1)
        ).first()
        is not None
    )


def plan(session: Session, alert: Alert, purpose: str, now: datetime) -> int:
    """Write the notifications of one alert event; returns how many contacts it routes to.
    An escalation goes to the escalation contacts of the site, everything else by routing."""
    device = session.get(Device, alert.device_id)
    if device is None:
        return 0
    severity = Severity(alert.severity)
    if purpose == "escalation":
        contacts = [c for c in session.scalars(_serving()) if c.escalation and _serves_site(c, device.site)]
    else:
        contacts = [c for c in session.scalars(_serving()) if routes(c, device.site, severity)]
    item = _body(alert, device, purpose, now)
    state = "silenced" if silenced(session, device, now) else "pending"
    key = f"alert:{alert.id}:{alert.occurrences}:{purpose}"
    for contact in contacts:
        queries.insert_notification_once(
            session,
            {
                "dedupe_key": key,
                "contact_id": contact.id,
                "alert_id": alert.id,
                "site": device.site,
                "purpose": purpose,
                "state": state,
                "due_at": now,
                "attempts": 0,
                "body": item,
                "created_at": now,
            },
        )
    return len(contacts)


class Notifier:
    """Delivers due notifications; `wake()` after a commit sends without waiting a tick."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        channels: Sequence[Channel],
        clock: Clock,
        *,
        group_window: timedelta = timedelta(seconds=5),
        interval_s: float = 1.0,
    ) -> None:
        self.sessions, self.channels, self.clock = sessions, list(channels), clock
        self.group_window, self.interval_s = group_window, interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=15)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            try:
                self.deliver_due()
            except Exception:  # the loop must outlive any one bad round; the rows stay pending
                log.exception("notification round failed")

    def _is_due(self, row: Notification, now: datetime) -> bool:
        critical = row.body.get("severity") == Severity.CRITICAL
        if row.state == "sending":  # claimed by a server that never finished: its lease ran out
            return row.due_at < now - (CRITICAL_LEASE if critical else LEASE)
        if row.attempts:
            return row.due_at <= now
        urgent = critical or row.purpose != "alert"
        return row.due_at <= now if urgent else row.due_at + self.group_window <= now

    def deliver_due(self) -> int:
        """One round: claim, group, send. Returns how many notifications were delivered."""
        now = self.clock()
        with self.sessions() as session:
            candidates = session.scalars(
                select(Notification)
                .where(
                    or_(
                        Notification.state == "pending",
                        (Notification.state == "sending") & (Notification.due_at < now - CRITICAL_LEASE),
                    )
                )
                .where(Notification.due_at <= now)
                .order_by(Notification.id)
                .limit(500)
            ).all()
            due = [row.id for row in candidates if self._is_due(row, now)]
            if not due:
                return 0
            # Claim: only rows still unclaimed are taken, so two servers never send one row.
            claimed = (
                session.execute(
                    update(Notification)
                    .where(Notification.id.in_(due), Notification.state.in_(["pending", "sending"]))
                    .values(state="sending", due_at=now)
                    .returning(Notification.id)
                )
                .scalars()
                .all()
            )
            session.commit()
            rows = session.scalars(select(Notification).where(Notification.id.in_(claimed))).all()
            groups: dict[tuple[int, str, int], list[Notification]] = defaultdict(list)
            for row in rows:
                alone = row.id if row.purpose == "digest" else 0  # a digest is a message of its own
                groups[(row.contact_id, row.site, alone)].append(row)
            contacts = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(
                [contact_id for contact_id, _, _ in groups]
            )))}  # fmt: skip
            # The people of the site itself (contacts named for it) are told before those who
            # hear of every site: when an AED is taken, the building's staff hear it first.
            order = sorted(groups, key=lambda key: 0 if contacts[key[0]].sites else 1)
            delivered = 0
            for contact_id, site, alone in order:
                delivered += self._deliver(
                    session, contacts[contact_id], site, groups[(contact_id, site, alone)]
                )
            return delivered

    def _deliver(self, session: Session, contact: Contact, site: str, group: list[Notification]) -> int:
        now = self.clock()
        if contact.retired_at is not None:  # removed after these were planned: told nothing more
            for row in group:
                row.state, row.last_error = "cancelled", "contact removed"
            session.commit()
            return 0
        if group[0].purpose == "digest":
            body = group[0].body
            items = [_item(item) for item in body["items"]]
            message = render_digest(contact.language, site, str(body["day"]), int(body["devices"]), items)
            alerts = list(body["items"])
        else:
            message = render(contact.language, site, [_item(row.body) for row in group])
            alerts = [dict(row.body) for row in group]
        payload: dict[str, Any] = {
            "delivery": ",".join(str(row.id) for row in group),
            "site": site,
            "language": contact.language,
            "purpose": group[0].purpose if group[0].purpose == "digest" else "alerts",
            "alerts": alerts,
        }
        errors = []
        for channel in self.channels:
            if not channel.serves(contact):
                continue
            try:
                channel.send(contact, message, payload)
            except ChannelError as exc:
                errors.append(f"{channel.name}: {exc}")
                log.warning(
                    "channel failed, trying the next", extra={"channel": channel.name, "error": str(exc)}
                )
                continue
            for row in group:
                row.state, row.channel, row.sent_at, row.last_error = "sent", channel.name, now, None
            session.commit()
            log.info(
                "notification sent",
                extra={"contact": contact.id, "channel": channel.name, "alerts": len(group), "site": site},
            )
            return len(group)
        for row in group:
            row.attempts += 1
            row.last_error = "; ".join(errors) or "no channel serves this contact"
            if row.attempts >= MAX_ATTEMPTS:
                row.state = "failed"
            else:
                row.state = "pending"
                row.due_at = now + timedelta(seconds=min(2**row.attempts, 300))
        session.commit()
        log.warning("notification not delivered", extra={"contact": contact.id, "errors": "; ".join(errors)})
        return 0


def _item(body: dict[str, Any]) -> Item:
    return Item(
        alert_id=int(body["alert_id"]),
        purpose=str(body["purpose"]),
        type=AlertType(body["type"]),
        severity=str(body["severity"]),
        device_id=str(body["device_id"]),
        device_name=str(body["device_name"]),
        place=str(body["place"]),
        detail=str(body["detail"]),
        at=datetime.fromisoformat(str(body["at"])),
    )
