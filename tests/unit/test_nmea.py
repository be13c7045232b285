"""GNSS path on real receiver captures: fixes become locations, the rest does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aedmon.errors import ChecksumError, ProtocolError, UnknownSentence
from aedmon.protocols.framing import LineFramer
from aedmon.protocols.nmea import GnssDecoder, encode_gga, encode_gll, encode_gns, encode_rmc
from aedmon.reading import LocationSource, Reading, ReadingType

from .gnss_captures import CAPTURES, FIXES

ARRIVAL = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def decode_file(
    name: str, decoder: GnssDecoder, unknown: dict[str, int] | None = None
) -> tuple[list[Reading], dict[str, int]]:
    return decode_lines(LineFramer().feed((CAPTURES / name).read_bytes()).sentences, decoder, unknown)


def decode_lines(
    lines: list[bytes], decoder: GnssDecoder, unknown: dict[str, int] | None = None
) -> tuple[list[Reading], dict[str, int]]:
    """Readings and rejections by reason; unknown sentence types counted in `unknown`."""
    readings, errors = [], {}
    for line in lines:
        try:
            reading = decoder.decode(line, arrival=ARRIVAL)
        except UnknownSentence as exc:
            if unknown is not None:
                unknown[exc.sentence] = unknown.get(exc.sentence, 0) + 1
            continue
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
    unknown: dict[str, int] = {}
    readings, errors = decode_file("garmin-geko201.nmea", GnssDecoder("MU-01", "unit"), unknown)
    assert readings == []
    assert errors == {"checksum": 1}  # "$GPBOD,,T,,M,,*": a star with no checksum
    assert unknown == {"PGRME": 17, "PGRMZ": 17}  # Garmin's own sentences, counted by type


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


def test_proprietary_and_unknown_sentences_are_named_by_type_not_rejected() -> None:
    unknown: dict[str, int] = {}
    _, errors = decode_file("beidou-gb.nmea", GnssDecoder("MU-01", "unit"), unknown)
    assert unknown == {"PSRFEPE": 5}
    assert "unknown_sentence" not in errors
    for line, name in (
        (b"$GPXYZ,1,2*4F", "XYZ"),
        (
            b"$PUBX,00,081350.00,4717.113210,N,00833.915187,E,546.589,G3,2.1,2.0,0.007,77.52,0.007,,"
            b"0.92,1.19,0.77,9,0,0*5F",
            "PUBX",
        ),
        (b"$PMTK001,604,3*32", "PMTK001"),
    ):
        with pytest.raises(UnknownSentence) as caught:
            GnssDecoder("MU-01", "unit").decode(line, arrival=ARRIVAL)
        assert caught.value.sentence == name
        assert caught.value.reason == "unknown_sentence"


def rmc_fixes(name: str) -> list[Reading]:
    readings, _ = decode_file(name, GnssDecoder("MU-01", "unit"))
    return readings


@pytest.mark.parametrize("encode", [encode_gns, encode_gll], ids=["GNS only", "GLL only"])
@pytest.mark.parametrize("name", ["bu353s4.nmea", "mt3339.nmea"])
def test_a_receiver_without_rmc_gives_the_same_positions_from_gns_or_gll(encode: Any, name: str) -> None:
    """The fixes of a real capture, told again as a receiver that sends only GNS (or GLL) would."""
    truth = rmc_fixes(name)
    lines = [encode(r.device_time, r.lat, r.lon).rstrip() for r in truth]
    readings, errors = decode_lines(lines, GnssDecoder("MU-01", "unit"))
    assert errors == {}
    assert len(readings) == len(truth) - 2  # three fixes before a dateless stream is trusted
    for got, want in zip(readings, truth[2:], strict=True):
        assert got.device_time.time() == want.device_time.time()
        assert got.lat == pytest.approx(want.lat, abs=1e-5)
        assert got.lon == pytest.approx(want.lon, abs=1e-5)
    if encode is encode_gns:
        assert all(r.accuracy_m == 4.5 for r in readings)  # HDOP 0.9 × 5 m


@pytest.mark.parametrize("satellites", [0, 1, 2])
def test_a_fix_without_three_satellites_is_no_location(satellites: int) -> None:
    decoder = GnssDecoder("MU-01", "unit")
    out = []
    for second in range(5):
        moment = ARRIVAL - timedelta(seconds=5 - second)
        out.append(
            decoder.decode(encode_gga(moment, 42.0, 23.0, satellites=satellites).rstrip(), arrival=ARRIVAL)
        )
        out.append(
            decoder.decode(encode_gns(moment, 42.0, 23.0, satellites=satellites).rstrip(), arrival=ARRIVAL)
        )
        out.append(decoder.decode(encode_gll(moment, 42.0, 23.0).rstrip(), arrival=ARRIVAL))
        out.append(decoder.decode(encode_rmc(moment, 42.0, 23.0).rstrip(), arrival=ARRIVAL))
    assert out == [None] * 20


def test_an_empty_satellite_count_is_no_fix() -> None:
    line = b"$GPGGA,070000.00,4200.0000,N,02300.0000,E,1,,0.9,550.0,M,36.0,M,,"
    decoder = GnssDecoder("MU-01", "unit")
    checksum = 0
    for byte in line[1:]:
        checksum ^= byte
    sentence = line + f"*{checksum:02X}".encode()
    assert [decoder.decode(sentence, arrival=ARRIVAL) for _ in range(4)] == [None] * 4


def test_gga_and_gll_of_one_moment_give_one_location() -> None:
    decoder = GnssDecoder("MU-01", "unit")
    found = []
    for second in range(6):
        moment = ARRIVAL - timedelta(seconds=6 - second)
        for line in (encode_gga(moment, 42.0, 23.0), encode_gll(moment, 42.0, 23.0)):
            reading = decoder.decode(line.rstrip(), arrival=ARRIVAL)
            if reading is not None:
                found.append(reading.device_time)
    assert len(found) == len(set(found)) == 5
