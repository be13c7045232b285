"""Where the real receiver captures live, and the fixes each holds (shared/data/gnss/README.md)."""

from __future__ import annotations

from pathlib import Path

CAPTURES = Path(__file__).resolve().parents[3] / "shared" / "data" / "gnss"
FIXES = {
    "bu353s4.nmea": 25,
    "mt3339.nmea": 30,
    "bu353-glonass.nmea": 9,
    "beidou-gb.nmea": 2,
    "garmin-geko201.nmea": 0,
}
