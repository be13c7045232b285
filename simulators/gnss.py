"""A simulated GNSS receiver on a pty: GGA + RMC once a second along a circle, or a replay
of a real capture line by line. Sentences are built with the bridge's own NMEA module."""

from __future__ import annotations

import math
import threading
from pathlib import Path

from aedmon.clock import Clock
from aedmon.protocols.nmea import encode_gga, encode_rmc

from .faults import Fault, Schedule
from .mqtt_devices import Place
from .pty import Pty

FAULTS = frozenset({"nofix", "move", "noise"})


class GnssSimulator:
    def __init__(
        self,
        clock: Clock,
        *,
        place: Place,
        interval_s: float = 1.0,
        faults: list[Fault] | None = None,
        replay: Path | None = None,
        link: Path | None = None,
    ) -> None:
        self.clock, self.place, self.interval_s = clock, place, interval_s
        self.schedule = Schedule(list(faults or []))
        self.replay = replay
        self.pty = Pty.open(link)
        self.path = self.pty.path
        self.stop = threading.Event()
        self.no_fix_until = 0.0
        self.north_m = 0.0
        self.thread = threading.Thread(target=self._run, name="gnss", daemon=True)

    def start(self) -> GnssSimulator:
        self.thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.pty.close()

    def _run(self) -> None:
        if self.replay is not None:
            for line in self.replay.read_bytes().splitlines():
                if self.stop.wait(self.interval_s):
                    return
                self.pty.write(line.rstrip(b"\r") + b"\r\n")
            return
        started = self.clock()
        step = 0
        while not self.stop.wait(self.interval_s):
            now = self.clock()
            elapsed = (now - started).total_seconds()
            for fault in self.schedule.due(elapsed):
                if fault.name == "nofix":
                    self.no_fix_until = elapsed + (fault.duration_s or 30)
                elif fault.name == "move":
                    self.north_m += 25_000
                elif fault.name == "noise":
                    self.pty.write(b"\x00\xff garbage\r\n$GPRMC,bad*00\r\n")
            step += 1
            angle = step / 60 * 2 * math.pi
            here = self.place.offset(200 * math.sin(angle) + self.north_m, 200 * math.cos(angle))
            moment = now.replace(microsecond=0)
            if elapsed < self.no_fix_until:
                self.pty.write(b"$GNRMC,,V,,,,,,,,,,N*4D\r\n")
                continue
            self.pty.write(
                encode_gga(moment, here.lat, here.lon) + encode_rmc(moment, here.lat, here.lon, 25.0)
            )
