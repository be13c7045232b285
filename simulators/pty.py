"""The simulator's end of a serial line: a raw pty (with an optional stable symlink, as
udev gives real ports), or a real port / pyserial URL when one is given."""

from __future__ import annotations

import contextlib
import os
import select
import tty
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Pty:
    master: int
    slave: int
    path: str
    link: Path | None = None

    @classmethod
    def open(cls, link: Path | None = None) -> Pty:
        master, slave = os.openpty()
        tty.setraw(slave)
        path = os.ttyname(slave)
        if link is not None:
            link.unlink(missing_ok=True)
            link.symlink_to(path)
        return cls(master, slave, path, link)

    def write(self, data: bytes) -> bool:
        """False when nobody can read it (the line is down)."""
        try:
            os.write(self.master, data)
        except OSError:
            return False
        return True

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.master, 1024)
        except OSError:
            return b""

    def close(self) -> None:
        if self.link is not None:
            self.link.unlink(missing_ok=True)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class SerialLine:
    """A pyserial URL (a real port, `socket://…`) as the simulator's line."""

    def __init__(self, url: str, baudrate: int = 9600) -> None:
        import serial

        self._port = serial.serial_for_url(url, baudrate=baudrate, timeout=0)
        self.path = url

    def write(self, data: bytes) -> bool:
        try:
            self._port.write(data)
        except OSError:
            return False
        return True

    def read(self, timeout: float) -> bytes:
        self._port.timeout = timeout
        try:
            return bytes(self._port.read(1024))
        except OSError:
            return b""

    def close(self) -> None:
        self._port.close()
