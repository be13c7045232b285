"""One-line log records with their structured extras as key=value pairs."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if extras:
            line += " " + " ".join(
                f"{k}={v!r}" if isinstance(v, str | bytes) else f"{k}={v}" for k, v in extras.items()
            )
        return line


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)


class Throttle:
    """Whether a repeated condition is due to be said again: at most once per `every_s`.

    A full disk or a receiver's hundred proprietary sentences a second must not become a
    hundred log lines a second; the counters carry the exact numbers.
    """

    def __init__(self, every_s: float = 60.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.every_s, self._monotonic = every_s, monotonic
        self._last: float | None = None

    def due(self) -> bool:
        now = self._monotonic()
        if self._last is not None and now - self._last < self.every_s:
            return False
        self._last = now
        return True
