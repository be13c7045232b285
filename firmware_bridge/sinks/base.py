"""The sink seam and the drain loop that moves outbox rows into a sink with backoff."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence
from typing import Protocol

from aedmon.errors import SinkUnavailable
from aedmon.reading import Reading
from firmware_bridge import metrics
from firmware_bridge.outbox import Outbox

log = logging.getLogger(__name__)


class Sink(Protocol):
    name: str

    def deliver(self, readings: Sequence[Reading]) -> None:
        """Deliver all of `readings` or raise SinkUnavailable; repeats must be harmless."""
        ...


class Drain(threading.Thread):
    """Delivers one sink's backlog in order; an outage backs off without blocking others."""

    def __init__(
        self,
        outbox: Outbox,
        sink: Sink,
        stop: threading.Event,
        *,
        batch_size: int = 200,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        super().__init__(name=f"drain-{sink.name}", daemon=True)
        self.outbox, self.sink, self.stop = outbox, sink, stop
        self.batch_size = batch_size
        self.min_backoff, self.max_backoff = min_backoff, max_backoff
        self.failing_since: float | None = None
        self.last_write_s: float | None = None  # how long the last delivered batch took

    def run(self) -> None:
        backoff = self.min_backoff
        while not self.stop.is_set():
            entries = self.outbox.batch(self.sink.name, self.batch_size)
            if not entries:
                self.outbox.wait(1.0)
                continue
            started = time.monotonic()
            try:
                self.sink.deliver([entry.reading for entry in entries])
            except SinkUnavailable as exc:
                metrics.SINK_ERRORS.labels(self.sink.name).inc()
                if self.failing_since is None:
                    self.failing_since = started
                    log.warning(
                        "sink unavailable, retrying with backoff",
                        extra={"sink": self.sink.name, "error": str(exc)},
                    )
                self.stop.wait(backoff * (0.5 + random.random()))  # noqa: S311  jitter, not crypto
                backoff = min(backoff * 2, self.max_backoff)
                continue
            self.last_write_s = time.monotonic() - started
            metrics.SINK_SECONDS.labels(self.sink.name).observe(self.last_write_s)
            self.outbox.advance(self.sink.name, entries[-1].id)
            metrics.SINK_DELIVERED.labels(self.sink.name).inc(len(entries))
            metrics.OUTBOX_ROWS.set(self.outbox.rows)
            if self.failing_since is not None:
                log.info(
                    "sink back",
                    extra={"sink": self.sink.name, "outage_s": round(started - self.failing_since, 1)},
                )
                self.failing_since = None
            backoff = self.min_backoff
            log.info("delivered %d readings to %s", len(entries), self.sink.name)
