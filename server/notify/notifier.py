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

Isolation: a slow or dead receiver delays only its own messages.
- Claiming, reading and recording are short transactions of their own: no transaction is
  open, and no database lock held, while a channel sends.
- Each contact's groups go to a bounded pool of workers (`workers`) as one job, told in
  turn; a contact with a job in flight is left for a later round, everyone else goes on. The
  site's own people start first and the rest once they are told, or after `HEAD_START` at
  the latest, so a slow receiver of the building's staff holds nobody else for long.
- Each attempt on a channel has a total deadline (`attempt_deadline_s`), not a per-read
  timeout: a receiver that answers a byte every few seconds is abandoned when it passes (its
  thread left to end by itself, at most `MAX_ABANDONED` per channel, past which the channel
  fails at once) and counts as that channel's failure, so the next channel is tried.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from aedmon.clock import Clock
from server import store
from server.i18n import Words
from server.metrics import NOTIFY_ATTEMPTS
from server.rules.findings import Severity
from server.store.models import Contact, Notification, NotificationState, Purpose

from . import links
from .apprise_channel import ServiceChannel
from .channels import Channel, ChannelError
from .messages import Item, Message, device_link, render, render_digest
from .routing import quiet_until, site_first
from .services import Holder, redact

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# A row claimed by a server that died mid-send is claimed again after its lease: a critical
# alert within 10 s (a slow send may then be told twice, with the same webhook-id, which a
# receiver drops), anything else after a minute.
LEASE = timedelta(seconds=60)
CRITICAL_LEASE = timedelta(seconds=8)
MAX_ABANDONED = 16  # attempts past their deadline still running, per channel
HEAD_START = 1.0  # seconds the site's own people are told before those of every site, at most
MAX_TRIES_KEPT = 40  # each notification's record of its channels' answers, newest kept


@dataclass(frozen=True)
class _Group:
    """One message, read and rendered, ready to send with no store open."""

    site: str
    row_ids: list[int]
    message: Message
    payload: dict[str, Any]


def _occurrence(row: Notification | dict[str, Any]) -> int | None:
    """Which occurrence of its alert a notification (or a digest's item) tells of."""
    if isinstance(row, dict):
        found = row.get("occurrence")
        return found if isinstance(found, int) and not isinstance(found, bool) else None
    if isinstance(row.body.get("occurrence"), int):
        return int(row.body["occurrence"])
    parts = row.dedupe_key.split(":")  # alert:<id>:<occurrence>:<purpose>
    return int(parts[2]) if len(parts) == 4 and parts[0] == "alert" and parts[2].isdigit() else None


@dataclass
class _Job:
    """What one contact is told this round, message after message."""

    contact: Contact  # detached from its session, its columns loaded
    groups: list[_Group]


class _Deadline:
    """Runs a channel's send with a total deadline; an attempt past it is abandoned."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._abandoned: dict[str, list[threading.Thread]] = defaultdict(list)
        self._lock = threading.Lock()

    def send(self, channel: Channel, contact: Contact, message: Message, payload: dict[str, Any]) -> None:
        with self._lock:
            stalled = [thread for thread in self._abandoned[channel.name] if thread.is_alive()]
            self._abandoned[channel.name] = stalled
            if len(stalled) >= MAX_ABANDONED:
                raise ChannelError(f"{len(stalled)} earlier sends are still stalled past their deadline")
        failure: list[BaseException] = []

        def attempt() -> None:
            try:
                channel.send(contact, message, payload)
            except BaseException as exc:  # handed to the waiting worker
                failure.append(exc)

        thread = threading.Thread(target=attempt, name=f"send-{channel.name}", daemon=True)
        thread.start()
        thread.join(self.seconds)
        if thread.is_alive():
            with self._lock:
                self._abandoned[channel.name].append(thread)
            raise ChannelError(f"no answer within {self.seconds:g} s")
        if failure:
            raise failure[0]


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
        workers: int = 8,
        attempt_deadline_s: float = 10.0,
        services: Holder | None = None,
        link_key: bytes | None = None,
    ) -> None:
        self.sessions, self.channels, self.clock = sessions, list(channels), clock
        self.group_window, self.interval_s = group_window, interval_s
        self.default_time_zone = default_time_zone
        self.public_url = public_url
        self.services = services or Holder()
        self.link_key = link_key  # one-tap links are written only with a key and a public URL
        self._deadline = _Deadline(attempt_deadline_s)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify")
        self._busy: set[int] = set()  # the contacts with a job in flight
        self._busy_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notifier", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            try:
                self._dispatch()
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

    @staticmethod
    def _wait_out_quiet_hours(session: Session, due: list[Notification], now: datetime) -> list[Notification]:
        """What is not critical waits out its contact's quiet hours: due again when they end,
        and then told together. A critical alert (and its escalation) never waits."""
        waiting = [row for row in due if row.state == NotificationState.PENDING
                   and row.body.get("severity") != Severity.CRITICAL]  # fmt: skip
        if not waiting:
            return due
        contacts = store.contacts.by_ids(session, sorted({row.contact_id for row in waiting}))
        ends = {cid: quiet_until(contact, now) for cid, contact in contacts.items()}
        held = set()
        for row in waiting:
            end = ends.get(row.contact_id)
            if end is not None:
                row.due_at = end
                held.add(row.id)
        return [row for row in due if row.id not in held]

    def deliver_due(self) -> int:
        """One round, waiting for its sends: how many notifications were delivered."""
        return sum(future.result() for future in self._dispatch())

    def _dispatch(self) -> list[Future[int]]:
        """One round: claim what is due (but the rows of contacts with a group in flight here),
        group it, say it, and hand each group to the pool."""
        now = self.clock()
        with self._busy_lock:
            busy = set(self._busy)
        with self.sessions() as session:
            candidates = store.notifications.candidates(session, now, CRITICAL_LEASE)
            due = [row for row in candidates if row.contact_id not in busy and self._is_due(row, now)]
            due = self._wait_out_quiet_hours(session, due, now)
            if not due:
                session.commit()
                return []
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
            jobs: dict[int, _Job] = {}
            for contact_id, site, alone in sorted(groups, key=lambda key: site_first(contacts[key[0]])):
                group, contact = groups[(contact_id, site, alone)], contacts[contact_id]
                if contact.retired_at is not None:  # removed after these were planned: told nothing more
                    for row in group:
                        row.state, row.last_error = NotificationState.CANCELLED, "contact removed"
                    continue
                words = Words(contact.language, zones.get(site) or self.default_time_zone)
                made = self._group(site, group, words, contact_id, now)
                jobs.setdefault(contact_id, _Job(contact, [])).groups.append(made)
            session.commit()
        # the session is closed: nothing of the store is held while the channels send
        with self._busy_lock:
            self._busy.update(jobs)  # their contacts' ids
        own = [job for job in jobs.values() if site_first(job.contact) == 0]
        first = [self._pool.submit(self._send, job) for job in own]
        if first and len(own) < len(jobs):
            wait(first, timeout=HEAD_START)
        rest = [self._pool.submit(self._send, job) for job in jobs.values() if site_first(job.contact) != 0]
        return first + rest

    def _takes(
        self, told: list[tuple[dict[str, Any], int | None]], contact_id: int, now: datetime
    ) -> dict[int, str]:
        """Each alert's one-tap link for this contact (none for a resolved one)."""
        if not (self.link_key and self.public_url):
            return {}
        takes = {}
        for body, occurrence in told:
            if occurrence is None or body.get("purpose") == Purpose.RESOLVED.value:
                continue
            alert_id = int(body["alert_id"])
            token = links.issue(self.link_key, alert_id, occurrence, contact_id, now)
            takes[alert_id] = links.link(self.public_url, token)
        return takes

    def _group(
        self, site: str, group: list[Notification], words: Words, contact_id: int, now: datetime
    ) -> _Group:
        if group[0].purpose == Purpose.DIGEST:
            body = group[0].body
            items = [Item.from_body(item) for item in body["items"]]
            day = date.fromisoformat(str(body["day"]))
            takes = self._takes([(item, _occurrence(item)) for item in body["items"]], contact_id, now)
            message = render_digest(words, site, day, int(body["devices"]), items, self.public_url, takes)
            alerts = [self._linked(item, takes) for item in body["items"]]
        else:
            takes = self._takes([(row.body, _occurrence(row)) for row in group], contact_id, now)
            items = [Item.from_body(row.body) for row in group]
            message = render(words, site, items, self.public_url, takes)
            alerts = [self._linked(row.body, takes) for row in group]
        payload: dict[str, Any] = {
            "delivery": ",".join(str(row.id) for row in group),
            "site": site,
            "language": words.language,
            "purpose": Purpose.DIGEST.value if group[0].purpose == Purpose.DIGEST else "alerts",
            "alerts": alerts,
        }
        return _Group(site, [row.id for row in group], message, payload)

    def _linked(self, body: dict[str, Any], takes: dict[int, str]) -> dict[str, Any]:
        """An alert as the machine channels carry it, with its device's page when there is one
        and its one-tap link for this contact."""
        linked = dict(body)
        link = device_link(self.public_url, str(body.get("device_id", "")))
        if link:
            linked["link"] = link
        take = takes.get(int(body.get("alert_id", 0) or 0))
        if take:
            linked["take"] = take
        return linked

    def attempts(self, contact: Contact) -> list[Channel]:
        """The contact's channels in the order they are tried: its addresses on the
        installation's services as it lists them, then its webhook, e-mail and MQTT. An address
        on a service the file no longer names is skipped (and said in the record)."""
        services = self.services.services
        listed: list[Channel] = []
        for entry in contact.channels or []:
            service = services.get(str(entry.get("service", ""))) if isinstance(entry, dict) else None
            if service is not None:
                listed.append(ServiceChannel(service, str(entry.get("address", ""))))
        return [*listed, *(channel for channel in self.channels if channel.serves(contact))]

    def unknown_services(self, contact: Contact) -> list[str]:
        """The services the contact lists that the channels file does not name (any more)."""
        named = self.services.services.by_name
        listed = [entry for entry in contact.channels or [] if isinstance(entry, dict)]
        return [str(entry.get("service")) for entry in listed if str(entry.get("service", "")) not in named]

    def try_one(
        self, channel: Channel, contact: Contact, message: Message, payload: dict[str, Any]
    ) -> str | None:
        """One attempt on one channel within the deadline: None when it delivered, else why
        not (redacted). Counted per channel."""
        try:
            self._deadline.send(channel, contact, message, payload)
        except ChannelError as exc:
            NOTIFY_ATTEMPTS.labels(channel.name, "failed").inc()
            return redact(str(exc))[:300]
        NOTIFY_ATTEMPTS.labels(channel.name, "delivered").inc()
        return None

    def _send(self, job: _Job) -> int:
        """Tell the contact each group in turn, with no store open, each outcome recorded in a
        short transaction. How many notifications were delivered."""
        delivered = 0
        try:
            for group in job.groups:
                delivered += self._try_channels(job.contact, group)
        except Exception:  # a worker outlives any one job; its rows are claimed again after their lease
            log.exception("notification job failed", extra={"contact": job.contact.id})
        finally:
            with self._busy_lock:
                self._busy.discard(job.contact.id)
        return delivered

    def _try_channels(self, contact: Contact, group: _Group) -> int:
        errors: list[str] = []
        tries: list[dict[str, Any]] = [
            {"channel": name, "at": self.clock().isoformat(), "error": "no such service in the channels file"}
            for name in self.unknown_services(contact)
        ]
        for channel in self.attempts(contact):
            error = self.try_one(channel, contact, group.message, group.payload)
            tries.append({"channel": channel.name, "at": self.clock().isoformat(), "error": error})
            if error is not None:
                errors.append(f"{channel.name}: {error}")
                log.warning(
                    "channel failed, trying the next", extra={"channel": channel.name, "error": error}
                )
                continue
            self._record(group, channel.name, errors, tries)
            log.info(
                "notification sent",
                extra={
                    "contact": contact.id,
                    "channel": channel.name,
                    "alerts": len(group.row_ids),
                    "site": group.site,
                },
            )
            return len(group.row_ids)
        self._record(group, None, errors, tries)
        log.warning("notification not delivered", extra={"contact": contact.id, "errors": "; ".join(errors)})
        return 0

    def _record(
        self, group: _Group, channel: str | None, errors: list[str], tries: list[dict[str, Any]]
    ) -> None:
        """Sent on `channel`; or (None) not delivered: retried with backoff, failed after
        MAX_ATTEMPTS. Each channel's answer is kept on the row."""
        now = self.clock()
        with self.sessions() as session:
            for row in store.notifications.by_ids(session, group.row_ids):
                row.tries = [*(row.tries or []), *tries][-MAX_TRIES_KEPT:]
                if channel is not None:
                    row.state, row.channel, row.sent_at, row.last_error = (
                        NotificationState.SENT,
                        channel,
                        now,
                        None,
                    )
                    continue
                row.attempts += 1
                row.last_error = "; ".join(errors) or "no channel serves this contact"
                if row.attempts >= MAX_ATTEMPTS:
                    row.state = NotificationState.FAILED
                else:
                    row.state = NotificationState.PENDING
                    row.due_at = now + timedelta(seconds=min(2**row.attempts, 300))
            session.commit()
