"""Whether the server is really at work, told to what watches it from outside.

The scheduler's evaluation beats the `Pulse` each time it has run (evaluated the devices due,
or found that another server holds the job) against the database. While the pulse is recent:
systemd's watchdog is fed (WATCHDOG=1), and the `Heartbeat` pings the installation's
dead-man's switch (`--heartbeat-url`: a Healthchecks.io or Uptime Kuma push URL) each
interval. A hung scheduler, a lost database or a stopped server stops both, so that what is
not aedmon tells people that aedmon is not watching.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit

import httpx

from aedmon.logs import Throttle
from server.metrics import EVALUATED

log = logging.getLogger(__name__)

PING_DEADLINE_S = 10.0  # one ping, connect to last byte
SLACK_S = 5.0  # a slow evaluation is not a hung one


class Pulse:
    """When the scheduler last ran its evaluation against the database."""

    def __init__(self, evaluate_interval_s: float) -> None:
        self.stale_after_s = 3 * evaluate_interval_s + SLACK_S
        self._last: float | None = None
        self._started = time.monotonic()

    def beat(self) -> None:
        self._last = time.monotonic()
        EVALUATED.set(time.time())

    def unwell(self) -> str | None:
        """Why the server is not at work (None when it is)."""
        since = self._last if self._last is not None else self._started
        quiet_s = time.monotonic() - since
        if self._last is None and quiet_s <= self.stale_after_s:
            return None  # just started: the first evaluation is on its way
        if quiet_s > self.stale_after_s:
            return f"the scheduler has not evaluated for {quiet_s:.0f} s"
        return None


def where(url: str) -> str:
    """A push URL as it may be logged: its host only (its path is its secret)."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def ping(url: str, deadline_s: float = PING_DEADLINE_S) -> str | None:
    """GET the URL within a total deadline; why it failed, or None. The request runs in a thread
    of its own that is abandoned at the deadline, however slowly the other end answers."""
    outcome: list[str | None] = []

    def attempt() -> None:
        try:
            with httpx.Client(timeout=deadline_s, follow_redirects=False) as client:
                answer = client.get(url)
            outcome.append(None if answer.is_success else f"answered {answer.status_code}")
        except httpx.HTTPError as exc:
            outcome.append(exc.__class__.__name__)

    worker = threading.Thread(target=attempt, name="heartbeat-ping", daemon=True)
    worker.start()
    worker.join(deadline_s)
    if worker.is_alive() or not outcome:
        return f"no answer within {deadline_s:g} s"
    return outcome[0]


class Heartbeat(threading.Thread):
    """Pings the dead-man's switch every interval while the pulse says the server is at work."""

    def __init__(self, url: str, every_s: float, pulse: Pulse, stop: threading.Event) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.url, self.every_s, self.pulse, self.stop = url, every_s, pulse, stop
        self.sent = 0
        self._told = Throttle(every_s=600)

    def run(self) -> None:
        while True:
            why = self.pulse.unwell()
            if why is None:
                failed = ping(self.url, min(PING_DEADLINE_S, self.every_s))
                if failed is None:
                    self.sent += 1
                elif self._told.due():
                    log.warning("heartbeat not taken", extra={"to": where(self.url), "error": failed})
            elif self._told.due():
                log.error("no heartbeat sent: the server is not at work", extra={"reason": why})
            if self.stop.wait(self.every_s):
                return
