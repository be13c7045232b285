"""A full disk is survivable in the drain path: on a real, small file system (tmpfs) the outbox
fills, then the disk is filled to the last byte, and the drain delivers but cannot record it;
it never ends, and once space returns every reading is delivered and recorded."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aedmon.errors import StorageUnavailable
from aedmon.reading import Reading
from firmware_bridge.outbox import Outbox
from firmware_bridge.sinks.base import Drain

from .. import factories
from ..conftest import wait_until

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs of the test's own (mounting needs root, as CI and the README's command run)."""
    if os.geteuid() != 0:  # never a skip: run the suite as root, as the README's command does
        pytest.fail("the full-disk test mounts a tmpfs and needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


class Counting:
    name = "server"

    def __init__(self) -> None:
        self.delivered: list[int] = []

    def deliver(self, readings: Sequence[Reading]) -> list[tuple[int, str]]:
        self.delivered += [r.seq or 0 for r in readings]
        return []


def fill(path: Path) -> None:
    """Write to `path` until the file system has no byte left."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (1 << 20, 65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, b"\0" * size)
    finally:
        os.close(descriptor)


def test_a_full_disk_mid_drain_never_ends_the_drain_and_nothing_is_lost(small_disk: Path) -> None:
    box = Outbox(small_disk / "outbox.db", sinks=["server"])
    stored = 600
    for start in range(0, stored, 100):
        box.append_many([
            factories.heartbeat(site="s", at=T0 + timedelta(seconds=seq), seq=seq, extra={"note": "n" * 1000})
            for seq in range(start, start + 100)
        ])  # fmt: skip
    box._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # nothing left in reserve in the WAL
    filler = small_disk / "filler"
    fill(filler)  # the disk full to the last byte
    with pytest.raises(OSError, match="No space") as full:
        (small_disk / "probe").write_bytes(b"x" * 4096)
    assert full.value.errno == errno.ENOSPC
    with pytest.raises(StorageUnavailable):  # the outbox cannot take more either
        box.append(factories.heartbeat(site="s", at=T0, seq=9999, extra={"note": "n" * 1000}))
    sink = Counting()
    stop = threading.Event()
    drain = Drain(box, sink, stop, batch_size=200, min_backoff=0.05, max_backoff=0.2)
    drain.start()
    try:
        wait_until(lambda: len(sink.delivered) >= 200, timeout=10, what="a batch delivered")
        stop.wait(1.5)
        assert drain.is_alive()  # it could not record the delivery, and goes on trying
        assert box.depth("server") == stored  # nothing recorded, nothing lost
        filler.unlink()  # space returns
        wait_until(lambda: box.depth("server") == 0, timeout=30, what="the outbox drained")
        assert drain.is_alive()
    finally:
        stop.set()
        drain.join(5)
        box.close()
    assert sorted(set(sink.delivered)) == list(range(stored))
