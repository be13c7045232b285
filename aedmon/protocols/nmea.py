"""NMEA 0183 from a GNSS receiver → location Readings, through pynmea2.

RMC is the location sentence (it alone carries the date); GGA and GNS add the fix
quality, the satellites in use and HDOP, which becomes `accuracy_m`. A receiver that
never sends RMC (GGA, GNS or GLL only) still gives locations, dated from the arrival
clock, once three fixes have come with no RMC; one location per moment, whichever of
them tells it first.

What is a fix follows gpsd: a GGA or GNS needs a fix quality (or mode) and at least three
satellites in use (an empty count is none); an RMC or GLL needs status A and a mode that
is not N, E, M or S. A GLL or RMC at the moment a GGA or GNS already said "no fix" is not
one either. Any talker (GP, GN, GL, GB…) is accepted. Other standard sentences (GSV, GSA,
VTG, ZDA…) are ignored; proprietary ones (`$P…`) and types pynmea2 does not know raise
`UnknownSentence`, whose `sentence` names the type, for the source to count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pynmea2

from aedmon.errors import ChecksumError, MalformedSentence, UnknownSentence
from aedmon.reading import DeviceKind, LocationSource, Reading, ReadingType

from . import LineContext

KNOTS_TO_KMH = 1.852
# Typical user-equivalent range error of a consumer receiver: accuracy ≈ HDOP × UERE.
UERE_M = 5.0
# GGA quality: 1 GPS, 2 DGPS, 3 PPS, 4 RTK, 5 float RTK. 6 estimated, 7 manual, 8 simulator.
FIX_QUALITIES = frozenset({1, 2, 3, 4, 5})
# RMC, GLL and GNS modes (NMEA 2.3+): N no fix, E estimated, M manual, S simulator are not real fixes.
NO_FIX_MODES = frozenset({"N", "E", "M", "S"})
# gpsd: fewer satellites in use than this is no fix, whatever the quality field says.
MIN_SATELLITES = 3
# Fixes without any RMC before the stream is taken for a receiver that sends no RMC.
DATELESS_AFTER = 3
_CHECKSUM_RE = re.compile(r"\*[0-9A-Fa-f]{2}$")
_ADDRESS_RE = re.compile(r"^\$(?:(P[A-Z0-9]{1,7})|[A-Z0-9]{2}([A-Z0-9]{1,6}))(?:,|\*)")


def parse_nmea(line: bytes) -> pynmea2.NMEASentence:
    """One framed NMEA line, checksum required; UnknownSentence for a proprietary or unknown type."""
    try:
        text = line.decode("ascii")
    except UnicodeDecodeError as exc:
        raise MalformedSentence("non-ASCII byte in NMEA sentence") from exc
    if _CHECKSUM_RE.search(text) is None:
        raise ChecksumError("checksum missing")
    try:
        msg = pynmea2.parse(text, check=True)
    except pynmea2.ChecksumError as exc:
        raise ChecksumError(str(exc.args[0] if exc.args else exc)) from exc
    except pynmea2.SentenceTypeError as exc:
        raise UnknownSentence(sentence_name(text)) from exc
    except (pynmea2.ParseError, ValueError, AttributeError, TypeError) as exc:
        if text.startswith("$P"):  # a proprietary sentence pynmea2 knows the maker of but not the type
            raise UnknownSentence(sentence_name(text)) from exc
        raise MalformedSentence(f"unparseable NMEA: {exc}") from exc
    if isinstance(msg, pynmea2.ProprietarySentence):
        raise UnknownSentence(sentence_name(text))
    return msg


def sentence_name(text: str) -> str:
    """The type a sentence's address names: `GSV` for `$GPGSV`, `PGRME` for a Garmin one."""
    match = _ADDRESS_RE.match(text)
    if match is None:
        return "other"
    return match[1] or match[2]


@dataclass
class GnssDecoder:
    """Turns a receiver's stream into location readings for one device.

    `min_interval` thins a 1 Hz receiver: a fix closer in time than this to the last
    emitted one is skipped, so the server is not sent 86 400 locations a day.
    """

    device_id: str
    site: str
    min_interval: timedelta = timedelta(0)
    kind: DeviceKind = DeviceKind.MOBILE_UNIT
    _seen_rmc: bool = False
    _dateless_fixes: int = 0
    _no_fix_at: time | None = None
    _hdop: float | None = None
    _hdop_time: time | None = None
    _last_emit: datetime | None = None

    def greeting(self) -> bytes:
        return b""  # a receiver talks without being asked

    def acknowledgement(self, reading: Reading) -> bytes:
        return b""

    def decode(self, line: bytes, *, arrival: datetime, source: str = "") -> Reading | None:
        msg = parse_nmea(line)
        kind = getattr(msg, "sentence_type", "")
        handler = {"RMC": self._rmc, "GGA": self._gga, "GNS": self._gns, "GLL": self._gll}.get(kind)
        if handler is None:
            return None
        try:
            return handler(msg, arrival, source)
        except (ValueError, TypeError, AttributeError) as exc:
            raise MalformedSentence(f"bad {kind} fields: {exc}") from exc

    def _gga(self, msg: pynmea2.NMEASentence, arrival: datetime, source: str) -> Reading | None:
        fixed = int(msg.gps_qual or 0) in FIX_QUALITIES
        return self._counted_fix(msg, fixed, arrival, source)

    def _gns(self, msg: pynmea2.NMEASentence, arrival: datetime, source: str) -> Reading | None:
        # one mode letter per constellation: a fix when any of them has a real one
        modes = set(str(msg.mode_indicator or "")) - NO_FIX_MODES
        return self._counted_fix(msg, bool(modes), arrival, source)

    def _counted_fix(
        self, msg: pynmea2.NMEASentence, fixed: bool, arrival: datetime, source: str
    ) -> Reading | None:
        """A GGA or GNS: a fix only with its satellites; its HDOP dates the accuracy."""
        satellites = int(msg.num_sats) if str(msg.num_sats or "").strip() else 0
        if not fixed or satellites < MIN_SATELLITES or not msg.lat or not msg.lon:
            self._no_fix_at = msg.timestamp
            return None
        hdop = msg.hdop if msg.sentence_type == "GNS" else msg.horizontal_dil
        self._hdop = float(hdop) if hdop else None
        self._hdop_time = msg.timestamp
        return self._dateless(msg, arrival, source)

    def _gll(self, msg: pynmea2.NMEASentence, arrival: datetime, source: str) -> Reading | None:
        mode = getattr(msg, "faa_mode", None) or ""
        if msg.status != "A" or mode in NO_FIX_MODES or not msg.lat or not msg.lon:
            return None
        if msg.timestamp is not None and msg.timestamp == self._no_fix_at:
            return None
        return self._dateless(msg, arrival, source)

    def _dateless(self, msg: pynmea2.NMEASentence, arrival: datetime, source: str) -> Reading | None:
        """A fix with a time of day but no date: a location only from a receiver without RMC."""
        self._dateless_fixes += 1
        if self._seen_rmc or self._dateless_fixes < DATELESS_AFTER or msg.timestamp is None:
            return None
        moment = _combine(arrival.date(), msg.timestamp)
        if moment - arrival > timedelta(hours=12):  # just after midnight at the receiver
            moment -= timedelta(days=1)
        return self._emit(moment, msg.latitude, msg.longitude, None, arrival, source)

    def _rmc(self, msg: pynmea2.NMEASentence, arrival: datetime, source: str) -> Reading | None:
        self._seen_rmc = True
        mode = getattr(msg, "mode_indicator", None) or ""
        if msg.status != "A" or mode in NO_FIX_MODES or not msg.lat or not msg.lon:
            return None
        if msg.datestamp is None or msg.timestamp is None or msg.timestamp == self._no_fix_at:
            return None
        moment = _combine(msg.datestamp, msg.timestamp)
        speed = float(msg.spd_over_grnd) * KNOTS_TO_KMH if msg.spd_over_grnd else None
        return self._emit(moment, msg.latitude, msg.longitude, speed, arrival, source)

    def _emit(
        self,
        moment: datetime,
        lat: float,
        lon: float,
        speed_kmh: float | None,
        arrival: datetime,
        source: str,
    ) -> Reading | None:
        if self._last_emit is not None and (
            moment == self._last_emit or abs(moment - self._last_emit) < self.min_interval
        ):
            return None  # one location per moment, and no closer together than min_interval
        self._last_emit = moment
        accuracy = None
        if self._hdop is not None and self._hdop_time == moment.timetz():
            accuracy = round(self._hdop * UERE_M, 1)
        return Reading(
            device_id=self.device_id,
            site=self.site,
            kind=self.kind,
            type=ReadingType.LOCATION,
            device_time=moment,
            arrival_time=arrival,
            source=source,
            lat=round(lat, 7),
            lon=round(lon, 7),
            accuracy_m=accuracy,
            speed_kmh=None if speed_kmh is None else round(speed_kmh, 2),
            location_source=LocationSource.GNSS,
        )


def decoder_for(line: LineContext) -> GnssDecoder:
    return GnssDecoder(line.device_id or f"{line.site}-gnss", line.site, line.min_interval)


def _combine(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment.replace(tzinfo=None), tzinfo=UTC)


def encode_rmc(moment: datetime, lat: float, lon: float, speed_kmh: float = 0.0) -> bytes:
    """An RMC sentence with a fix, for the GNSS simulator."""
    fields = (
        moment.strftime("%H%M%S.00"),
        "A",
        *_lat_fields(lat),
        *_lon_fields(lon),
        f"{speed_kmh / KNOTS_TO_KMH:.2f}",
        "0.0",
        moment.strftime("%d%m%y"),
        "",
        "",
        "A",
    )
    return (str(pynmea2.RMC("GN", "RMC", fields).render()) + "\r\n").encode("ascii")


def encode_gga(moment: datetime, lat: float, lon: float, hdop: float = 0.9, satellites: int = 9) -> bytes:
    """A GGA sentence with a GPS fix, for the GNSS simulator."""
    fields = (
        moment.strftime("%H%M%S.00"),
        *_lat_fields(lat),
        *_lon_fields(lon),
        "1",
        f"{satellites:02d}",
        f"{hdop:.1f}",
        "550.0",
        "M",
        "36.0",
        "M",
        "",
        "",
    )
    return (str(pynmea2.GGA("GN", "GGA", fields).render()) + "\r\n").encode("ascii")


def encode_gns(moment: datetime, lat: float, lon: float, hdop: float = 0.9, satellites: int = 9) -> bytes:
    """A GNS sentence with a GPS and GLONASS fix, for receivers that send no GGA or RMC."""
    fields = (
        moment.strftime("%H%M%S.00"),
        *_lat_fields(lat),
        *_lon_fields(lon),
        "AANN",
        f"{satellites:02d}",
        f"{hdop:.1f}",
        "550.0",
        "36.0",
        "",
        "",
    )
    return (str(pynmea2.GNS("GN", "GNS", fields).render()) + "\r\n").encode("ascii")


def encode_gll(moment: datetime, lat: float, lon: float) -> bytes:
    """A GLL sentence with a valid autonomous fix."""
    fields = (*_lat_fields(lat), *_lon_fields(lon), moment.strftime("%H%M%S.00"), "A", "A")
    return (str(pynmea2.GLL("GP", "GLL", fields).render()) + "\r\n").encode("ascii")


def _lat_fields(lat: float) -> tuple[str, str]:
    degrees = int(abs(lat))
    minutes = (abs(lat) - degrees) * 60
    return f"{degrees:02d}{minutes:07.4f}", "N" if lat >= 0 else "S"


def _lon_fields(lon: float) -> tuple[str, str]:
    degrees = int(abs(lon))
    minutes = (abs(lon) - degrees) * 60
    return f"{degrees:03d}{minutes:07.4f}", "E" if lon >= 0 else "W"
