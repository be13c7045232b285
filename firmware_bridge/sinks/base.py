"""The sink seam and the drain loop that moves outbox rows into a sink.

A drain never stalls on one reading. What the sink refuses for good (a per-reading
rejection, or a batch refused as it is and split down to the one reading it cannot take)
goes to that sink's dead letters. An outage (unreachable, 5xx, timeout) is retried with
backoff; but when the same head keeps failing, the head is tried alone and the rest
without it, and if the rest goes through the head is isolated as a dead letter, so a
poison reading never holds back what stands behind it.

A full disk never ends a drain: when what was delivered cannot be recorded in the outbox
(its commit fails), the drain says so, waits with backoff and goes on; the same readings are
delivered again (delivery is idempotent) until the record can be written.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence
from typing import Protocol

from aedmon.errors import BatchRefused, SinkUnauthorized, SinkUnavailable, StorageUnavailable
from aedmon.logs import Throttle
from aedmon.reading import Reading
from firmware_bridge import metrics
from firmware_bridge.outbox import Entry, Outbox

log = logging.getLogger(__name__)

Refusal = tuple[int, str]  # (index in the batch, why the sink will never take it)
Dead = list[tuple[Entry, str]]


class Sink(Protocol):
    name: str

    def deliver(self, readings: Sequence[Reading]) -> Sequence[Refusal]:
        """Deliver `readings` (repeats must be harmless) and return the ones refused for good;
        raise SinkUnavailable to retry the batch later, BatchRefused if it cannot take it as it is."""
        ...


class Drain(threading.Thread):
    """Delivers one sink's backlog, alerting readings first (Outbox.batch); an outage backs off
    without blocking others."""

    def __init__(
        self,
        outbox: Outbox,
        sink: Sink,
        stop: threading.Event,
        *,
        batch_size: int = 1000,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        isolate_after: int = 3,
    ) -> None:
        super().__init__(name=f"drain-{sink.name}", daemon=True)
        self.outbox, self.sink, self.stop = outbox, sink, stop
        self.batch_size = batch_size
        self.min_backoff, self.max_backoff = min_backoff, max_backoff
        self.isolate_after = isolate_after
        self.failing_since: float | None = None
        self.last_write_s: float | None = None  # how long the last delivered batch took
        self._head: tuple[int, int] = (0, 0)  # (id of the head that failed, how many times)

    def run(self) -> None:
        backoff, told = self.min_backoff, Throttle()
        while not self.stop.is_set():
            try:
                backoff = self._round(backoff)
            except StorageUnavailable as exc:  # a full disk: wait for space, never end the drain
                if told.due():
                    log.error(
                        "outbox cannot be read or written; delivery goes on when it can (what was "
                        "delivered meanwhile is delivered again)",
                        extra={"sink": self.sink.name, "error": str(exc)},
                    )
                self.stop.wait(backoff * (0.5 + random.random()))  # noqa: S311  jitter, not crypto
                backoff = min(backoff * 2, self.max_backoff)

    def _round(self, backoff: float) -> float:
        """One batch: delivered and recorded, or backed off. The backoff for the next."""
        entries = self.outbox.batch(self.sink.name, self.batch_size)
        if not entries:
            self.outbox.wait(1.0)
            return backoff
        started = time.monotonic()
        try:
            dead = self._deliver(entries)
        except SinkUnavailable as exc:
            if self._isolated(entries, exc):
                return self.min_backoff
            self._failed(exc, started)
            self.stop.wait(backoff * (0.5 + random.random()))  # noqa: S311  jitter, not crypto
            return min(backoff * 2, self.max_backoff)
        self.last_write_s = time.monotonic() - started
        metrics.SINK_SECONDS.labels(self.sink.name).observe(self.last_write_s)
        self._advance(entries, dead)
        if self.failing_since is not None:
            log.info(
                "sink back",
                extra={"sink": self.sink.name, "outage_s": round(started - self.failing_since, 1)},
            )
            self.failing_since = None
        log.info("delivered %d readings to %s", len(entries) - len(dead), self.sink.name)
        return self.min_backoff

    def _deliver(self, entries: list[Entry]) -> Dead:
        """Deliver these entries; the ones the sink refuses for good, with why. A refused
        batch is split in halves until each refusal is one reading."""
        try:
            refusals = self.sink.deliver([entry.reading for entry in entries])
        except BatchRefused as exc:
            if len(entries) == 1:
                return [(entries[0], str(exc))]
            middle = len(entries) // 2
            return self._deliver(entries[:middle]) + self._deliver(entries[middle:])
        return [(entries[index], reason) for index, reason in refusals if 0 <= index < len(entries)]

    def _isolated(self, entries: list[Entry], exc: SinkUnavailable) -> bool:
        """When the same head has failed `isolate_after` times: deliver it alone, then the rest
        without it. If the rest goes through, the head is the poison: it becomes a dead letter."""
        head_id, failures = self._head
        failures = failures + 1 if head_id == entries[0].id else 1
        self._head = (entries[0].id, failures)
        if failures < self.isolate_after or isinstance(exc, SinkUnauthorized):
            return False
        try:
            self._advance(entries[:1], self._deliver(entries[:1]))
            return True  # it went through alone
        except SinkUnavailable:
            pass
        if len(entries) == 1:
            rest = self.outbox.batch(self.sink.name, self.batch_size + 1)[1:]
            if not rest:
                return False  # nothing behind it to tell a poison reading from an outage
        else:
            rest = entries[1:]
        try:
            dead = self._deliver(rest)
        except SinkUnavailable:
            return False  # the rest fails too: an outage, not one bad reading
        reason = f"failed {failures} times while readings behind it went through: {exc}"
        log.error(
            "reading isolated: the sink keeps failing on it alone",
            extra={"sink": self.sink.name, "key": entries[0].reading.key, "error": str(exc)},
        )
        self._advance(rest, [(entries[0], reason), *dead])
        return True

    def _advance(self, entries: Sequence[Entry], dead: Dead) -> None:
        # the dead leave this sink's queue too, as dead letters
        done = [entry.id for entry in entries] + [entry.id for entry, _ in dead]
        self.outbox.advance(self.sink.name, done, dead)
        self._head = (0, 0)
        delivered = len(entries) - len(dead)
        metrics.SINK_DELIVERED.labels(self.sink.name).inc(delivered)
        metrics.OUTBOX_ROWS.set(self.outbox.rows)
        for entry, reason in dead:
            metrics.DEAD_LETTERS.labels(self.sink.name).inc()
            log.warning(
                "reading refused by the sink: kept as a dead letter",
                extra={"sink": self.sink.name, "key": entry.reading.key, "reason": reason[:300]},
            )

    def _failed(self, exc: SinkUnavailable, started: float) -> None:
        metrics.SINK_ERRORS.labels(self.sink.name).inc()
        if isinstance(exc, SinkUnauthorized):
            metrics.SINK_UNAUTHORIZED.labels(self.sink.name).inc()
        if self.failing_since is not None:
            return
        self.failing_since = started
        if isinstance(exc, SinkUnauthorized):
            log.error(
                "the sink refused this bridge's credentials; nothing is delivered until they are "
                "fixed (readings stay in the outbox)",
                extra={"sink": self.sink.name, "error": str(exc)},
            )
        else:
            log.warning(
                "sink unavailable, retrying with backoff", extra={"sink": self.sink.name, "error": str(exc)}
            )
