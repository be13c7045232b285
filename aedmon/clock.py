"""The one clock: what every part that needs the time is given, never reads for itself.

Production code is wired with `utc_now` in its entry point (the command line, the app
factory); tests pass a `MovableClock` and move time instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Now, timezone-aware in UTC."""

    def __call__(self) -> datetime: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class MovableClock:
    """A clock that stands still until moved: for tests and simulations."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("a clock's time must be timezone-aware")
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> datetime:
        self.now += by
        return self.now
