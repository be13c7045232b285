"""Where the real receiver captures live, and the fixes each holds: tests/data/gnss/, copied from
the project's shared/data/gnss/ (gpsd's regression tests, BSD-2; its README.md and
LICENSE.gpsd beside them), so that a clone of the project stands alone."""

from __future__ import annotations

from pathlib import Path

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "gnss"
FIXES = {
    "bu353s4.nmea": 25,
    "mt3339.nmea": 30,
    "bu353-glonass.nmea": 9,
    "beidou-gb.nmea": 2,
    "garmin-geko201.nmea": 0,
}
