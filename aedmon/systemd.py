"""Telling systemd how a process is: READY=1 once it serves, WATCHDOG=1 while it is really well.

The protocol is sd_notify(3)'s: one datagram of `KEY=value` lines to the AF_UNIX socket named
by NOTIFY_SOCKET (an abstract socket when the name starts with "@"). Without NOTIFY_SOCKET
(not under systemd) nothing is sent. The watchdog is fed at half its period (WATCHDOG_USEC),
and only while `healthy()` says so: a process that is up but deaf, or whose store is lost, stops
feeding it, and systemd restarts it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def notify(message: str) -> bool:
    """Send one notification; whether it was sent (False when not under systemd)."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.settimeout(1)
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:
        log.warning("systemd not told", extra={"told": message.split("=")[0], "error": str(exc)})
        return False
    return True


def watchdog_period_s() -> float | None:
    """The watchdog's period systemd asked for (WatchdogSec=), if it is for this process."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1_000_000


class Watchdog(threading.Thread):
    """Feeds systemd's watchdog every half period while `healthy()` is true; says why not
    (once per change) when it is not."""

    def __init__(self, healthy: Callable[[], str | None], stop: threading.Event, period_s: float) -> None:
        super().__init__(name="systemd-watchdog", daemon=True)
        self.healthy = healthy  # None when well, else why not
        self.stop = stop
        self.period_s = period_s
        self.fed = 0

    def run(self) -> None:
        said: str | None = None
        while not self.stop.wait(self.period_s / 2):
            try:
                why = self.healthy()
            except Exception as exc:  # noqa: BLE001  (a health check that fails is ill health)
                why = f"health check failed: {exc.__class__.__name__}"
            if why is None:
                if notify("WATCHDOG=1"):
                    self.fed += 1
            elif why != said:
                log.error("not feeding systemd's watchdog", extra={"reason": why})
            said = why


def start_watchdog(healthy: Callable[[], str | None], stop: threading.Event) -> Watchdog | None:
    period = watchdog_period_s()
    if period is None or not os.environ.get("NOTIFY_SOCKET"):
        return None
    dog = Watchdog(healthy, stop, period)
    dog.start()
    return dog
