"""A serial line source: any pyserial URL, framed into sentences, decoded, committed, acked.

One thread per port. It sends the decoder's greeting on every connect (QRYID for an AED),
writes each reading to the outbox and only then acknowledges it on the line (ACKSQ), and
when the port vanishes (USB unplugged, pty closed) it reopens it with backoff.

One sentence can fail only itself: whatever the decoder raises is a counted rejection. A
sentence of a type the protocol does not use (a receiver's proprietary chatter) is counted
by type and summed up in the log once a minute. A
reading the outbox cannot commit (disk full) is not acknowledged, so the device keeps it in
its resend buffer; the first commit that succeeds again sends the greeting once more, which
makes the device resend what it holds.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

import serial
from pydantic import ValidationError

from aedmon.clock import Clock
from aedmon.errors import ProtocolError, StorageUnavailable, UnknownSentence
from aedmon.logs import Throttle
from aedmon.protocols import LineDecoder
from aedmon.protocols.framing import LineFramer
from firmware_bridge import metrics
from firmware_bridge.outbox import Outbox

log = logging.getLogger(__name__)

# Distinct sentence types one port counts by name; a device inventing more is counted as "other".
SENTENCE_TYPES_MAX = 32


class SerialSource(threading.Thread):
    def __init__(
        self,
        url: str,
        decoder: LineDecoder,
        outbox: Outbox,
        stop: threading.Event,
        clock: Clock,
        *,
        baudrate: int = 9600,
        max_backoff: float = 10.0,
    ) -> None:
        super().__init__(name=f"serial-{url}", daemon=True)
        self.url, self.decoder, self.outbox, self.stop, self.clock = url, decoder, outbox, stop, clock
        self.baudrate, self.max_backoff = baudrate, max_backoff
        self.source = f"serial:{url}"
        self.connected = threading.Event()
        self._unstored = False  # a reading could not be committed; the device still holds it
        self._storage_told = Throttle()
        self._unknown_told = Throttle()
        self._unknown: Counter[str] = Counter()  # unknown sentence types since the last summary
        self._counted_types: set[str] = set()

    def run(self) -> None:
        backoff, announced = 0.25, False
        while not self.stop.is_set():
            try:
                port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.2)
            except (serial.SerialException, OSError, ValueError) as exc:
                if not announced:
                    log.warning("cannot open port, retrying", extra={"port": self.url, "error": str(exc)})
                    announced = True
                self.stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            log.info("port open", extra={"port": self.url})
            metrics.PORT_STATE.labels(self.source).set(1)
            metrics.RECONNECTS.labels(self.source).inc()
            self.connected.set()
            backoff, announced = 0.25, False
            try:
                self._pump(port)
            except (serial.SerialException, OSError) as exc:
                log.warning("port lost, reopening", extra={"port": self.url, "error": str(exc)})
            finally:
                self.connected.clear()
                metrics.PORT_STATE.labels(self.source).set(0)
                port.close()

    def _pump(self, port: serial.SerialBase) -> None:
        framer = LineFramer()
        greeting = self.decoder.greeting()
        if greeting:
            port.write(greeting)
        while not self.stop.is_set():
            data = port.read(max(1, port.in_waiting))
            if not data:
                continue
            framed = framer.feed(data)
            if framed.noise_bytes:
                metrics.NOISE_BYTES.labels(self.source).inc(framed.noise_bytes)
            if framed.overlong:
                metrics.REJECTED.labels(self.source, "overlong").inc(framed.overlong)
                log.warning("overlong line discarded", extra={"port": self.url, "count": framed.overlong})
            for line in framed.sentences:
                self._handle(port, line)

    def _handle(self, port: serial.SerialBase, line: bytes) -> None:
        try:
            reading = self.decoder.decode(line, arrival=self.clock(), source=self.source)
        except UnknownSentence as exc:
            self._count_unknown(exc.sentence)
            return
        except ProtocolError as exc:
            self._reject(line, exc.reason, str(exc))
            return
        except ValidationError as exc:  # a field outside what any store accepts
            self._reject(line, "bad_field", str(exc.errors()[0]["msg"]))
            return
        except Exception as exc:  # noqa: BLE001  one sentence can fail only itself
            self._reject(line, "unreadable", f"{exc.__class__.__name__}: {str(exc)[:200]}")
            return
        if reading is None:
            return
        try:
            added = self.outbox.append(reading)
        except StorageUnavailable as exc:
            metrics.STORAGE_ERRORS.labels(self.source).inc()
            self._unstored = True
            if self._storage_told.due():
                log.error(
                    "outbox cannot store; not acknowledged, the device keeps it to resend",
                    extra={"port": self.url, "error": str(exc)},
                )
            return
        if added:
            metrics.READINGS_IN.labels(self.source, reading.type.value).inc()
            log.info(
                "reading stored",
                extra={"device": reading.device_id, "type": reading.type.value, "seq": reading.seq},
            )
        else:
            metrics.DUPLICATES.labels(self.source).inc()
        ack = self.decoder.acknowledgement(reading)
        if ack:
            port.write(ack)
        if self._unstored:
            self._unstored = False
            log.info("outbox stores again; asking the device to resend", extra={"port": self.url})
            port.write(self.decoder.greeting())

    def _count_unknown(self, sentence: str) -> None:
        counted = self._counted_types
        name = sentence if sentence in counted or len(counted) < SENTENCE_TYPES_MAX else "other"
        self._counted_types.add(name)
        metrics.UNKNOWN_SENTENCES.labels(self.source, name).inc()
        self._unknown[name] += 1
        if self._unknown_told.due():
            log.info(
                "sentences of types this line's protocol does not use, ignored",
                extra={"port": self.url, "since_last": dict(self._unknown.most_common(8))},
            )
            self._unknown.clear()

    def _reject(self, line: bytes, reason: str, error: str) -> None:
        metrics.REJECTED.labels(self.source, reason).inc()
        log.warning(
            "sentence rejected", extra={"port": self.url, "reason": reason, "error": error, "line": line[:80]}
        )
