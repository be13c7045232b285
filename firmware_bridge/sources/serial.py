"""A serial line source: any pyserial URL, framed into sentences, decoded, committed, acked.

One thread per port. It sends the decoder's greeting on every connect (QRYID for an AED),
writes each reading to the outbox and only then acknowledges it on the line (ACKSQ), and
when the port vanishes (USB unplugged, pty closed) it reopens it with backoff.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

import serial

from aedmon.errors import ProtocolError
from firmware_bridge import metrics
from firmware_bridge.outbox import Outbox
from firmware_bridge.protocols import LineDecoder
from firmware_bridge.protocols.framing import LineFramer

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


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
        except ProtocolError as exc:
            metrics.REJECTED.labels(self.source, exc.reason).inc()
            log.warning(
                "sentence rejected",
                extra={"port": self.url, "reason": exc.reason, "error": str(exc), "line": line[:80]},
            )
            return
        if reading is None:
            return
        if self.outbox.append(reading):
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
