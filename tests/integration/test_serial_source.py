"""The serial source on real pseudo-terminals: QRYID on connect, ACKSQ after the outbox
write, counted noise, and reconnecting when the port vanishes and comes back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from aedmon.clock import utc_now
from aedmon.protocols.nmea import GnssDecoder
from aedmon.protocols.serial_aed import AedLineDecoder
from aedmon.reading import ReadingType, TestResult
from firmware_bridge import metrics
from firmware_bridge.outbox import Outbox
from firmware_bridge.sources.serial import SerialSource
from simulators.aed import AedModel, AedSimulator
from simulators.gnss import GnssSimulator
from simulators.mqtt_devices import Place

from ..conftest import wait_until
from ..unit.gnss_captures import CAPTURES, FIXES


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def readings_of(outbox: Outbox, kind: ReadingType) -> list[object]:
    return [e.reading for e in outbox.batch("server", 1000) if e.reading.type is kind]


def test_selftests_are_stored_acknowledged_and_dropped_from_the_device_buffer(
    tmp_path: Path, stop: threading.Event
) -> None:
    link = tmp_path / "ttyAED0"
    model = AedModel("SN10442")
    sim = AedSimulator(model, utc_now, selftest_interval_s=0.3, heartbeat_interval_s=0.5, link=link).start()
    outbox = Outbox(tmp_path / "o.db", sinks=["server"])
    try:
        SerialSource(str(link), AedLineDecoder("town-hall"), outbox, stop, utc_now).start()
        wait_until(lambda: len(readings_of(outbox, ReadingType.SELFTEST)) >= 3, what="three self-tests")
        wait_until(lambda: len(readings_of(outbox, ReadingType.IDENTITY)) == 1, what="AEDID after QRYID")
        wait_until(lambda: len(model.unacked) <= 1, what="ACKSQ to empty the resend buffer")
    finally:
        sim.close()
    identity = readings_of(outbox, ReadingType.IDENTITY)[0]
    assert identity.manufacturer == "Acme"  # type: ignore[attr-defined]


def test_line_noise_and_bad_checksums_are_counted_and_good_sentences_still_arrive(
    tmp_path: Path, stop: threading.Event
) -> None:
    link = tmp_path / "ttyAED1"
    sim = AedSimulator(AedModel("SN2"), utc_now, selftest_interval_s=0.3, link=link).start()
    outbox = Outbox(tmp_path / "o.db", sinks=["server"])
    source = f"serial:{link}"
    checksum_before = metrics.REJECTED.labels(source, "checksum")._value.get()
    try:
        SerialSource(str(link), AedLineDecoder("town-hall"), outbox, stop, utc_now).start()
        wait_until(lambda: len(readings_of(outbox, ReadingType.SELFTEST)) >= 1, what="a self-test")
        sim.trigger("noise")
        sim.trigger("reset")
        wait_until(lambda: metrics.REJECTED.labels(source, "checksum")._value.get() > checksum_before)
        wait_until(lambda: metrics.NOISE_BYTES.labels(source)._value.get() > 0, what="noise counted")
        wait_until(
            lambda: any(r.test == "power_on" for r in readings_of(outbox, ReadingType.SELFTEST)),  # type: ignore[attr-defined]
            what="the power-on self-test after the reset",
        )
    finally:
        sim.close()


def test_port_that_vanishes_and_comes_back_is_reopened_and_the_backlog_resent(
    tmp_path: Path, stop: threading.Event
) -> None:
    link = tmp_path / "ttyUSB0"
    model = AedModel("SN3")
    sim = AedSimulator(model, utc_now, selftest_interval_s=0.3, link=link).start()
    outbox = Outbox(tmp_path / "o.db", sinks=["server"])
    reader = SerialSource(str(link), AedLineDecoder("town-hall"), outbox, stop, utc_now)
    reader.start()
    wait_until(lambda: len(readings_of(outbox, ReadingType.SELFTEST)) >= 1, what="first self-test")
    sim.close()  # USB unplugged: the pty and its link are gone
    wait_until(lambda: not reader.connected.is_set(), what="the bridge to notice")
    # While unplugged the device tested and failed; those sentences wait in its buffer.
    model.apply("fail", utc_now().date())
    missed = [model.selftest(utc_now()) for _ in range(3)]
    assert len(model.unacked) >= 3
    sim2 = AedSimulator(model, utc_now, selftest_interval_s=3600, link=link).start()  # plugged back in
    try:
        wait_until(reader.connected.is_set, what="reconnect")
        wait_until(
            lambda: (
                len([r for r in readings_of(outbox, ReadingType.SELFTEST) if r.result is TestResult.FAIL])
                >= 3
            ),  # type: ignore[attr-defined]
            what="the resent failures",
        )
    finally:
        sim2.close()
    assert len(missed) == 3


@pytest.mark.parametrize("name", ["mt3339.nmea", "bu353-glonass.nmea", "garmin-geko201.nmea"])
def test_real_gnss_capture_written_to_a_pty_becomes_locations(
    tmp_path: Path, stop: threading.Event, name: str
) -> None:
    from datetime import timedelta

    link = tmp_path / "ttyGNSS"
    sim = GnssSimulator(utc_now, place=Place(0, 0), interval_s=0.005, replay=CAPTURES / name, link=link)
    outbox = Outbox(tmp_path / "o.db", sinks=["server"])
    reader = SerialSource(str(link), GnssDecoder("MU-01", "unit", timedelta(0)), outbox, stop, utc_now)
    reader.start()
    wait_until(reader.connected.is_set, what="port open")
    sim.start()
    try:
        sim.thread.join(timeout=30)
        wait_until(lambda: outbox.rows == FIXES[name], timeout=10, what=f"{FIXES[name]} locations")
        threading.Event().wait(0.5)
        assert outbox.rows == FIXES[name]
    finally:
        sim.close()


def nmea(body: str) -> bytes:
    checksum = 0
    for char in body.encode("ascii"):
        checksum ^= char
    return f"${body}*{checksum:02X}\r\n".encode("ascii")


def test_a_receivers_proprietary_flood_is_counted_by_type_and_logged_once(
    tmp_path: Path, stop: threading.Event, caplog: pytest.LogCaptureFixture
) -> None:
    """A receiver sending 100 proprietary sentences per fix: fixes still arrive, the log stays quiet."""
    from datetime import timedelta

    from aedmon.protocols.nmea import encode_gga, encode_rmc
    from simulators.pty import Pty

    link = tmp_path / "ttyGNSS"
    pty = Pty.open(link)
    outbox = Outbox(tmp_path / "o.db", sinks=["server"])
    reader = SerialSource(str(link), GnssDecoder("MU-09", "unit"), outbox, stop, utc_now)
    source = f"serial:{link}"
    before = {
        name: metrics.UNKNOWN_SENTENCES.labels(source, name)._value.get() for name in ("PUBX", "PGRME", "XYZ")
    }
    caplog.set_level("INFO", logger="firmware_bridge.sources.serial")
    reader.start()
    wait_until(reader.connected.is_set, what="port open")
    try:
        start = utc_now().replace(microsecond=0)
        for second in range(5):
            moment = start + timedelta(seconds=second)
            chatter = nmea("PGRME,15.0,M,45.0,M,25.0,M") * 60 + nmea("GPXYZ,1,2") * 20
            chatter += nmea(
                "PUBX,00,081350.00,4717.113210,N,00833.915187,E,546.589,G3,2.1,2.0,0.007,77.52,0.007,,"
            )
            pty.write(chatter + encode_gga(moment, 42.1, 23.2) + encode_rmc(moment, 42.1, 23.2))
        wait_until(lambda: outbox.rows == 5, timeout=15, what="five locations through the chatter")
        wait_until(
            lambda: metrics.UNKNOWN_SENTENCES.labels(source, "PUBX")._value.get() - before["PUBX"] == 5,
            what="every proprietary sentence counted",
        )
    finally:
        pty.close()
    counted = {
        name: metrics.UNKNOWN_SENTENCES.labels(source, name)._value.get() - before[name] for name in before
    }
    assert counted == {"PUBX": 5, "PGRME": 300, "XYZ": 100}
    said = [
        r
        for r in caplog.records
        if r.name == "firmware_bridge.sources.serial" and "does not use" in r.message
    ]
    assert len(said) == 1  # once a minute, not 405 lines
    assert not [r for r in caplog.records if r.levelname == "WARNING" and "rejected" in r.message]
