"""GNSS path on real receiver captures: fixes become locations, the rest does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aedmon.errors import ChecksumError, ProtocolError
from aedmon.protocols.framing import LineFramer
from aedmon.protocols.nmea import GnssDecoder, encode_gga, encode_rmc
from aedmon.reading import LocationSource, Reading, ReadingType

from .gnss_captures import CAPTURES, FIXES

ARRIVAL = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def decode_file(name: str, decoder: GnssDecoder) -> tuple[list[Reading], dict[str, int]]:
    framed = LineFramer().feed((CAPTURES / name).read_bytes())
    readings, errors = [], {}
    for line in framed.sentences:
        try:
            reading = decoder.decode(line, arrival=ARRIVAL)
        except ProtocolError as exc:
            errors[exc.reason] = errors.get(exc.reason, 0) + 1
            continue
        if reading is not None:
            readings.append(reading)
    return readings, errors


@pytest.mark.parametrize(("name", "fixes"), sorted(FIXES.items()))
def test_each_fix_in_a_real_capture_becomes_one_location(name: str, fixes: int) -> None:
    readings, _ = decode_file(name, GnssDecoder("MU-01", "unit"))
    assert len(readings) == fixes
    for reading in readings:
        assert reading.type is ReadingType.LOCATION
        assert reading.location_source is LocationSource.GNSS
        assert reading.lat is not None
        assert reading.lon is not None
    assert len({r.device_time for r in readings}) == fixes


def test_capture_positions_are_where_the_receivers_were() -> None:
    hamilton, _ = decode_file("bu353s4.nmea", GnssDecoder("MU-01", "unit"))
    assert all(-38.0 < r.lat < -37.5 and 175.0 < r.lon < 175.5 for r in hamilton)  # type: ignore[operator]
    bend, _ = decode_file("mt3339.nmea", GnssDecoder("MU-01", "unit"))
    assert all(43.9 < r.lat < 44.2 and -121.5 < r.lon < -121.1 for r in bend)  # type: ignore[operator]
    assert all(r.accuracy_m is not None and r.accuracy_m < 20 for r in bend)


def test_simulator_mode_garmin_capture_gives_no_location_and_counts_its_broken_sentence() -> None:
    readings, errors = decode_file("garmin-geko201.nmea", GnssDecoder("MU-01", "unit"))
    assert readings == []
    assert errors == {"checksum": 1}  # "$GPBOD,,T,,M,,*": a star with no checksum


def test_min_interval_thins_a_one_hertz_receiver() -> None:
    readings, _ = decode_file("mt3339.nmea", GnssDecoder("MU-01", "unit", timedelta(seconds=10)))
    assert 2 <= len(readings) <= 4
    gaps = [
        (b.device_time - a.device_time).total_seconds() for a, b in zip(readings, readings[1:], strict=False)
    ]
    assert all(gap >= 10 for gap in gaps)


def test_simulator_sentences_round_trip_with_hdop_as_accuracy() -> None:
    moment = datetime(2026, 11, 23, 10, 0, 5, tzinfo=UTC)
    decoder = GnssDecoder("MU-01", "unit")
    lines = LineFramer().feed(
        encode_gga(moment, -33.8688, 151.2093, 1.2) + encode_rmc(moment, -33.8688, 151.2093, 54)
    )
    out = [decoder.decode(line, arrival=ARRIVAL) for line in lines.sentences]
    assert out[0] is None  # GGA waits for the RMC that carries the date
    location = out[1]
    assert location is not None
    assert location.device_time == moment
    assert abs(location.lat - -33.8688) < 1e-5
    assert abs(location.lon - 151.2093) < 1e-5
    assert location.accuracy_m == 6.0
    assert location.speed_kmh == pytest.approx(54, abs=0.05)


def test_gga_only_receiver_still_gives_locations_dated_by_arrival() -> None:
    decoder = GnssDecoder("MU-01", "unit")
    out = []
    for second in range(5):
        moment = ARRIVAL - timedelta(seconds=5 - second)
        out.append(decoder.decode(encode_gga(moment, 42.0, 23.0).rstrip(), arrival=ARRIVAL))
    found = [r for r in out if r is not None]
    assert len(found) == 3
    assert found[0].device_time == ARRIVAL - timedelta(seconds=3)


def test_wrong_checksum_is_rejected() -> None:
    line = encode_rmc(ARRIVAL, 42.0, 23.0).rstrip()
    with pytest.raises(ChecksumError):
        GnssDecoder("MU-01", "unit").decode(line[:-2] + b"00", arrival=ARRIVAL)
