"""A simulated AED speaking serial-aed v1 on a pseudo-terminal.

`AedModel` is the device's firmware, pure: commands and time in, sentences out. It keeps
the last 32 unacknowledged AEDST/AEDEV sentences and resends them after AEDID, as the
protocol asks. `run_on_pty` puts it on a pty (and optionally a stable symlink to it, like
/dev/serial/by-id) and plays scripted faults.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from aedmon.clock import Clock
from aedmon.errors import ProtocolError
from aedmon.protocols import serial_aed
from aedmon.protocols.framing import LineFramer
from aedmon.reading import (
    CODES,
    DeviceKind,
    DeviceState,
    EventType,
    Reading,
    ReadingType,
    TestResult,
    TestType,
)

from .faults import Fault, Schedule
from .pty import Pty, SerialLine

log = logging.getLogger(__name__)

FAULTS = frozenset(
    {
        "fail",
        "pads-expired",
        "pads-expiring",
        "pads-disconnected",
        "battery-low",
        "recover",
        "selftest",
        "silence",
        "noise",
        "reset",
        "resend",
        "lid-open",
    }
)
RESEND_BUFFER = 32


@dataclass
class AedModel:
    serial: str
    site: str = "sim"
    manufacturer: str = "Acme"
    model: str = "Lifeguard 3"
    firmware: str = "2.4.1"
    seq: int = 0
    battery_pct: int = 87
    battery_expiry: date | None = None
    pads_expiry: date | None = None
    pads_connected: bool = True
    temp_c: float = 21.5
    extra_codes: tuple[str, ...] = ()
    unacked: OrderedDict[int, bytes] = field(default_factory=OrderedDict)
    last_selftest: bytes | None = None

    def _next_seq(self) -> int:
        value = self.seq
        self.seq = (self.seq + 1) % 65536
        return value

    def _base(self, kind: ReadingType, now: datetime) -> dict[str, object]:
        return {
            "device_id": self.serial,
            "site": self.site,
            "kind": DeviceKind.AED,
            "type": kind,
            "device_time": now.replace(microsecond=0),
            "arrival_time": now,
        }

    def codes(self, today: date) -> tuple[str, ...]:
        found: list[str] = list(self.extra_codes)
        if self.pads_expiry is not None:
            if self.pads_expiry < today:
                found.append("P02")
            elif self.pads_expiry <= today + timedelta(days=30):
                found.append("P01")
        if not self.pads_connected:
            found.append("P03")
        if self.battery_pct <= 5:
            found.append("B02")
        elif self.battery_pct <= 20:
            found.append("B01")
        if self.battery_expiry is not None and self.battery_expiry < today:
            found.append("B03")
        if not 0 <= self.temp_c <= 50:
            found.append("T01")
        return tuple(dict.fromkeys(found))

    def identity(self, now: datetime) -> bytes:
        reading = Reading(
            **self._base(ReadingType.IDENTITY, now),
            manufacturer=self.manufacturer,
            model=self.model,
            firmware=self.firmware,
        )
        return serial_aed.encode_reading(reading)

    def selftest(self, now: datetime, test: TestType = TestType.DAILY) -> bytes:
        codes = self.codes(now.date())
        result = TestResult.PASS
        for code in codes:
            forced = CODES[code].forces if code in CODES else TestResult.WARN
            if forced is TestResult.FAIL or (forced is TestResult.WARN and result is TestResult.PASS):
                result = forced
        reading = Reading(
            **self._base(ReadingType.SELFTEST, now),
            seq=self._next_seq(),
            test=test,
            result=result,
            codes=codes,
            battery_pct=self.battery_pct,
            battery_expiry=self.battery_expiry,
            pads_expiry=self.pads_expiry,
            pads_connected=self.pads_connected,
            temp_c=self.temp_c,
        )
        line = serial_aed.encode_reading(reading)
        self._remember(reading.seq, line)
        self.last_selftest = line
        return line

    def heartbeat(self, now: datetime) -> bytes:
        test = self.codes(now.date())
        failing = any(CODES[c].forces is TestResult.FAIL for c in test if c in CODES)
        reading = Reading(
            **self._base(ReadingType.HEARTBEAT, now),
            seq=self._next_seq(),
            state=DeviceState.NOT_READY if failing else DeviceState.READY,
        )
        return serial_aed.encode_reading(reading)

    def event(self, now: datetime, event: EventType, detail: str = "") -> bytes:
        reading = Reading(
            **self._base(ReadingType.EVENT, now),
            seq=self._next_seq(),
            event=event,
            detail=detail or None,
        )
        line = serial_aed.encode_reading(reading)
        self._remember(reading.seq, line)
        return line

    def _remember(self, seq: int | None, line: bytes) -> None:
        if seq is None:
            return
        self.unacked[seq] = line
        while len(self.unacked) > RESEND_BUFFER:
            self.unacked.popitem(last=False)

    def resend(self) -> list[bytes]:
        return list(self.unacked.values())

    def on_command(self, line: bytes, now: datetime) -> list[bytes]:
        """The device's answer to one line from the bridge."""
        try:
            command, seq = serial_aed.parse_command(serial_aed.parse_sentence(line))
        except ProtocolError:
            return []
        if command == "QRYID":
            return [self.identity(now), *self.resend()]
        if command == "QRYST":
            return [self.last_selftest] if self.last_selftest else [self.selftest(now, TestType.USER)]
        if seq is not None:
            self.unacked.pop(seq, None)
        return []

    def apply(self, fault: str, today: date) -> None:
        """Change the device's condition for a scripted fault."""
        if fault == "fail":
            self.extra_codes = ("C02",)
        elif fault == "pads-expired":
            self.pads_expiry = today - timedelta(days=22)
        elif fault == "pads-expiring":
            self.pads_expiry = today + timedelta(days=17)
        elif fault == "pads-disconnected":
            self.pads_connected = False
        elif fault == "battery-low":
            self.battery_pct = 14
        elif fault == "recover":
            self.extra_codes = ()
            self.pads_expiry = today + timedelta(days=700)
            self.pads_connected = True
            self.battery_pct = 96


def noise_bytes(rng: random.Random) -> bytes:
    """Line noise: random bytes without `$`, then a sentence with a wrong checksum."""
    junk = bytes(b for b in rng.randbytes(rng.randint(5, 40)) if b != 0x24)
    return junk + b"\r\n$AEDHB,SN00000,1,20260101T000000Z,READY*00\r\n"


class AedSimulator:
    """Runs an AedModel on a pty in a thread; faults fire at their scheduled seconds."""

    def __init__(
        self,
        model: AedModel,
        clock: Clock,
        *,
        selftest_interval_s: float = 86400,
        heartbeat_interval_s: float = 60,
        faults: list[Fault] | None = None,
        link: Path | None = None,
        port: str | None = None,
        seed: int = 1,
    ) -> None:
        self.model, self.clock = model, clock
        self.selftest_interval_s, self.heartbeat_interval_s = selftest_interval_s, heartbeat_interval_s
        self.schedule = Schedule(list(faults or []))
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._triggers: list[str] = []
        self.link = link
        self.line: Pty | SerialLine = SerialLine(port) if port else Pty.open(link)
        self.path = self.line.path
        self.silent_until = 0.0
        self.thread = threading.Thread(target=self._run, name=f"aed-{model.serial}", daemon=True)

    def start(self) -> AedSimulator:
        self.thread.start()
        return self

    def trigger(self, fault: str) -> None:
        """Fire a fault now (for tests driving the simulator in-process)."""
        with self._lock:
            self._triggers.append(fault)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.line.close()

    def _write(self, data: bytes, elapsed: float) -> None:
        if elapsed < self.silent_until or not data:
            return
        self.line.write(data)  # a down line loses nothing: the resend buffer keeps what matters

    def _run(self) -> None:
        started = self.clock()
        framer = LineFramer()
        next_test = 0.0
        next_beat = self.heartbeat_interval_s
        while not self.stop.is_set():
            now = self.clock()
            elapsed = (now - started).total_seconds()
            for line in framer.feed(self.line.read(0.1)).sentences:
                for answer in self.model.on_command(line, now):
                    self._write(answer, elapsed)
            with self._lock:
                fired = [*self.schedule.due(elapsed), *(Fault(name, elapsed) for name in self._triggers)]
                self._triggers.clear()
            for fault in fired:
                next_test = self._fire(fault, now, elapsed, next_test)
            if elapsed >= next_test:
                self._write(self.model.selftest(now), elapsed)
                next_test = elapsed + self.selftest_interval_s
            if elapsed >= next_beat:
                self._write(self.model.heartbeat(now), elapsed)
                next_beat = elapsed + self.heartbeat_interval_s

    def _fire(self, fault: Fault, now: datetime, elapsed: float, next_test: float) -> float:
        name = fault.name
        log.info("fault", extra={"device": self.model.serial, "fault": name})
        if name == "silence":
            self.silent_until = elapsed + (fault.duration_s or 30)
            return next_test
        if name == "noise":
            self._write(noise_bytes(self.rng), elapsed)
            return next_test
        if name == "resend":
            for line in self.model.resend():
                self._write(line, elapsed)
            return next_test
        if name == "reset":
            half = self.model.heartbeat(now)
            self._write(half[: len(half) // 2], elapsed)
            self._write(self.model.identity(now), elapsed)
            self._write(self.model.event(now, EventType.POWER_ON), elapsed)
            for line in self.model.resend():
                self._write(line, elapsed)
            self._write(self.model.selftest(now, TestType.POWER_ON), elapsed)
            return next_test
        if name == "lid-open":
            self._write(self.model.event(now, EventType.LID_OPEN), elapsed)
            return next_test
        self.model.apply(name, now.date())
        return elapsed  # a changed condition shows in a self-test straight away
