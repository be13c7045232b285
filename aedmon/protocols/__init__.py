"""Device protocols: bytes ⇄ Reading, pure.

Serial line protocols are registered in `LINE_PROTOCOLS` by name; `--serial NAME=URL`
picks one (the default is `serial-aed`, `--gnss URL` is `nmea`). To add a protocol for a
new device, write one module with a `decoder_for(line: LineContext) -> LineDecoder` and
add one line to the table below. See the README, "Adding a device protocol".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from aedmon.reading import Reading


@dataclass(frozen=True)
class LineContext:
    """What a line decoder may need to know of the port it serves."""

    site: str
    device_id: str | None = None  # for devices that do not name themselves (a GNSS receiver)
    min_interval: timedelta = timedelta(0)


class LineDecoder(Protocol):
    """One serial line's protocol: what to say on connect, how to read a sentence, how to ack."""

    def greeting(self) -> bytes: ...

    def decode(self, line: bytes, *, arrival: datetime, source: str) -> Reading | None:
        """One framed `$…` sentence → a Reading, None to ignore it, or raise ProtocolError."""
        ...

    def acknowledgement(self, reading: Reading) -> bytes: ...


def _registry() -> dict[str, Callable[[LineContext], LineDecoder]]:
    from . import nmea, serial_aed

    return {
        "serial-aed": serial_aed.decoder_for,
        "nmea": nmea.decoder_for,
    }


LINE_PROTOCOLS = _registry()
DEFAULT_LINE_PROTOCOL = "serial-aed"
