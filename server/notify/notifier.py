"""The notifier: claims due rows of the outbox, groups them, says them, and sends them.

`Notifier.deliver_due` claims due rows, groups them per contact and site (a critical alert
is due at once, others wait `group_window` so that what opens together goes out as one
message), renders them in the contact's language and the site's time zone, and tries the
contact's channels in order until one delivers. A channel that fails falls back to the
next; when all fail the rows are retried with exponential backoff, and after `MAX_ATTEMPTS`
marked failed.

Delivery is once per row in every case but one: a crash between a channel accepting a
message and the row being marked sent. Webhooks carry their Standard Webhooks id so a
receiver can drop that repeat.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from aedmon.clock import Clock
from server import store
from server.i18n import Words
from server.rules.findings import Severity
from server.store.models import Contact, Notification, NotificationState, Purpose

from .channels import Channel, ChannelError
from .messages import Item, device_link, render, render_digest
from .routing import site_first

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# A row claimed by a server that died mid-send is claimed again after its lease: a critical
# alert within 10 s (a slow send may then be told twice, with the same webhook-id, which a
# receiver drops), anything else after a minute.
LEASE = timedelta(seconds=60)
CRITICAL_LEASE = timedelta(seconds=8)


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
        default_time_zone: str | None = None,
        public_url: str | None = None,
    ) -> None:
        self.sessions, self.channels, self.clock = sessions, list(channels), clock
        self.group_window, self.interval_s = group_window, interval_s
        self.default_time_zone = default_time_zone
        self.public_url = public_url
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

    @staticmethod
    def _lease(row: Notification) -> timedelta:
        return CRITICAL_LEASE if row.body.get("severity") == Severity.CRITICAL else LEASE

    def _is_due(self, row: Notification, now: datetime) -> bool:
        critical = row.body.get("severity") == Severity.CRITICAL
        if row.state == NotificationState.SENDING:  # claimed by a server that never finished
            return row.due_at < now - self._lease(row)
        if row.attempts:
            return row.due_at <= now
        urgent = critical or row.purpose != Purpose.ALERT
        return row.due_at <= now if urgent else row.due_at + self.group_window <= now

    def deliver_due(self) -> int:
        """One round: claim, group, send. Returns how many notifications were delivered."""
        now = self.clock()
        with self.sessions() as session:
            candidates = store.notifications.candidates(session, now, CRITICAL_LEASE)
            due = [row for row in candidates if self._is_due(row, now)]
            if not due:
                return 0
            # Claim: only rows still as they were read are taken, so two servers never send one row.
            pending = [row.id for row in due if row.state == NotificationState.PENDING]
            stale: dict[timedelta, list[int]] = defaultdict(list)
            for row in due:
                if row.state == NotificationState.SENDING:
                    stale[self._lease(row)].append(row.id)
            claimed = store.notifications.claim(session, pending, stale, now)
            session.commit()
            rows = store.notifications.by_ids(session, claimed)
            groups: dict[tuple[int, str, int], list[Notification]] = defaultdict(list)
            for row in rows:
                alone = row.id if row.purpose == Purpose.DIGEST else 0  # a digest is a message of its own
                groups[(row.contact_id, row.site, alone)].append(row)
            contacts = store.contacts.by_ids(session, [contact_id for contact_id, _, _ in groups])
            zones = store.sites.time_zones(session, sorted({site for _, site, _ in groups}))
            delivered = 0
            for contact_id, site, alone in sorted(groups, key=lambda key: site_first(contacts[key[0]])):
                words = Words(contacts[contact_id].language, zones.get(site) or self.default_time_zone)
                group = groups[(contact_id, site, alone)]
                delivered += self._deliver(session, contacts[contact_id], site, group, words)
            return delivered

    def _linked(self, body: dict[str, Any]) -> dict[str, Any]:
        """An alert as the machine channels carry it, with its device's page when there is one."""
        link = device_link(self.public_url, str(body.get("device_id", "")))
        return {**body, "link": link} if link else dict(body)

    def _deliver(
        self, session: Session, contact: Contact, site: str, group: list[Notification], words: Words
    ) -> int:
        now = self.clock()
        if contact.retired_at is not None:  # removed after these were planned: told nothing more
            for row in group:
                row.state, row.last_error = NotificationState.CANCELLED, "contact removed"
            session.commit()
            return 0
        if group[0].purpose == Purpose.DIGEST:
            body = group[0].body
            items = [Item.from_body(item) for item in body["items"]]
            day = date.fromisoformat(str(body["day"]))
            message = render_digest(words, site, day, int(body["devices"]), items, self.public_url)
            alerts = [self._linked(item) for item in body["items"]]
        else:
            message = render(words, site, [Item.from_body(row.body) for row in group], self.public_url)
            alerts = [self._linked(row.body) for row in group]
        payload: dict[str, Any] = {
            "delivery": ",".join(str(row.id) for row in group),
            "site": site,
            "language": words.language,
            "purpose": Purpose.DIGEST.value if group[0].purpose == Purpose.DIGEST else "alerts",
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
                row.state, row.channel, row.sent_at, row.last_error = (
                    NotificationState.SENT,
                    channel.name,
                    now,
                    None,
                )
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
                row.state = NotificationState.FAILED
            else:
                row.state = NotificationState.PENDING
                row.due_at = now + timedelta(seconds=min(2**row.attempts, 300))
        session.commit()
        log.warning("notification not delivered", extra={"contact": contact.id, "errors": "; ".join(errors)})
        return 0
