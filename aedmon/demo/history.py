"""A month of history for the demo, written into its database once its devices are registered,
so that the programme's report, the compliance record and the device pages have something to
say: nightly self-tests (one AED failing two nights and repaired), a rescue and the service
after it with new pads, the monthly checks, a door left open, and the mobile unit's rounds to
two villages with the crew's checks before each shift but one.

Only the past is written: every moment is before the demo started, so the live devices'
readings, verdicts and alerts follow it as they would a real month."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aedmon.reading import Reading, ReadingType, TestResult, TestType
from server import store
from server.i18n import english
from server.rules.findings import AlertType, Phrase, Severity
from server.store.database import make_engine, session_factory
from server.store.models import Alert, AlertState, Inspection, ShiftCheck, Verdict

DAYS = 30
ROUND_DAYS = (27, 24, 20, 17, 13, 10, 6, 3)  # days ago the mobile unit went out
UNCHECKED_DAY = 17  # the one day it went out with no check
CHECKLIST = ("Носилката е закрепена", "Кутията с лекарства е запечатана", "Радиостанцията работи")
COMMUNITIES = (("Рударци", 42.6150, 23.1400, 800.0), ("Кладница", 42.5800, 23.1800, 800.0))


@dataclass(frozen=True)
class Town:
    """What the demo registered: where its devices are."""

    town_hall: str
    street: str
    unit_site: str
    aeds: tuple[str, ...]
    cabinet: str
    unit: str
    unit_base: tuple[float, float]


class Month:
    """Moments of the month before `now`, in the town's zone."""

    def __init__(self, now: datetime, zone: ZoneInfo) -> None:
        self.today = now.astimezone(zone).date()
        self.zone = zone

    def at(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        day = self.today - timedelta(days=days_ago)
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone).astimezone(UTC)


def written(device: str, site: str, kind: ReadingType, at: datetime, **fields: object) -> Reading:
    """A reading as written into the store straight (unnumbered, arrived when it was said)."""
    return Reading.model_validate(
        {
            "device_id": device,
            "site": site,
            "type": kind,
            "device_time": at,
            "arrival_time": at,
            "seq": None,
            **fields,
        }
    )


def _selftests(town: Town, month: Month) -> Iterator[Reading]:
    """Each AED's nightly test: SN10003 fails two nights (code C02) until its pads are changed;
    SN10001 gets new pads the day after its rescue."""
    for serial in town.aeds:
        for days_ago in range(DAYS, 0, -1):
            failed = serial == town.aeds[2] and days_ago in (12, 11)
            pads = date(2027, 2, 1)
            if serial == town.aeds[0] and days_ago < 8:
                pads = date(2029, 3, 1)  # replaced after the rescue
            if serial == town.aeds[2] and days_ago < 11:
                pads = date(2029, 4, 1)
            yield written(
                serial,
                town.town_hall,
                ReadingType.SELFTEST,
                month.at(days_ago, 3),
                test=TestType.DAILY,
                result=TestResult.FAIL if failed else TestResult.PASS,
                codes=["C02"] if failed else [],
                battery_pct=92 - (DAYS - days_ago) // 10,
                battery_expiry=date(2029, 5, 31),
                pads_expiry=pads,
            )


def _round(town: Town, month: Month, days_ago: int) -> Iterator[Reading]:
    """One day's round: from the base to each village, a stop in each, and back; the fridge and
    the oxygen said every half hour."""
    base = town.unit_base
    stops = [base, *((lat, lon) for _, lat, lon, _ in COMMUNITIES), base]

    def fix(minute: int, lat: float, lon: float, speed_kmh: float) -> Reading:
        at = month.at(days_ago, minute // 60, minute % 60)
        return written(town.unit, town.unit_site, ReadingType.LOCATION, at, lat=lat, lon=lon,
                        speed_kmh=speed_kmh, accuracy_m=5.0)  # fmt: skip

    minute = 8 * 60
    for (lat1, lon1), (lat2, lon2) in zip(stops, stops[1:], strict=False):
        for step in range(6):  # half an hour's drive, a fix every 5 minutes
            share = step / 6
            yield fix(minute, lat1 + (lat2 - lat1) * share, lon1 + (lon2 - lon1) * share, 40.0)
            minute += 5
        if (lat2, lon2) != base:
            for _ in range(9):  # 45 minutes at the village
                yield fix(minute, lat2, lon2, 0.0)
                minute += 5
    for half_hour in range(16):
        at = month.at(days_ago, 7 + half_hour // 2, 30 * (half_hour % 2))
        yield written(
            town.unit,
            town.unit_site,
            ReadingType.STATUS,
            at,
            fridge_temp_c=4.5 + (half_hour % 5) / 5,
            o2_pressure_bar=180.0 - days_ago - half_hour,
        )


def _alert(
    device: str,
    kind: AlertType,
    severity: Severity,
    said: Phrase,
    opened: datetime,
    acknowledged: datetime | None,
    resolved: datetime,
) -> Alert:
    return Alert(
        device_id=device,
        type=kind.value,
        severity=severity.value,
        state=AlertState.RESOLVED.value,
        message=english(said),
        params=said.to_json(),
        opened_at=opened,
        last_opened_at=opened,
        occurrences=1,
        acknowledged_at=acknowledged,
        acknowledged_by="technician" if acknowledged else None,
        resolved_at=resolved,
    )


def seed_month(database_url: str, now: datetime, zone: ZoneInfo, town: Town) -> int:
    """Write the month before `now`; how many rows were written."""
    month = Month(now, zone)
    hall, unit = town.aeds, town.unit
    readings = [*_selftests(town, month)]
    for days_ago in ROUND_DAYS:
        readings += _round(town, month, days_ago)
    rescue = month.at(8, 17, 20)
    verdicts = [
        Verdict(device_id=d, site=s, at=month.at(DAYS, 0), readiness="ready", reasons=[])
        for d, s in [
            *((a, town.town_hall) for a in hall),
            (town.cabinet, town.street),
            (unit, town.unit_site),
        ]
    ]
    verdicts += [
        Verdict(
            device_id=hall[2],
            site=town.town_hall,
            at=month.at(12, 3),
            readiness="not_ready",
            reasons=["self_test_failed"],
        ),
        Verdict(device_id=hall[2], site=town.town_hall, at=month.at(10, 14), readiness="ready", reasons=[]),
        Verdict(device_id=hall[0], site=town.town_hall, at=rescue, readiness="not_ready", reasons=["in_use"]),
        Verdict(
            device_id=hall[0],
            site=town.town_hall,
            at=rescue + timedelta(minutes=30),
            readiness="not_ready",
            reasons=["needs_service"],
        ),
        Verdict(device_id=hall[0], site=town.town_hall, at=month.at(7, 11), readiness="ready", reasons=[]),
        Verdict(
            device_id=town.cabinet,
            site=town.street,
            at=month.at(5, 10),
            readiness="attention",
            reasons=["door_open"],
        ),
        Verdict(
            device_id=town.cabinet, site=town.street, at=month.at(5, 10, 35), readiness="ready", reasons=[]
        ),
        Verdict(
            device_id=unit,
            site=town.unit_site,
            at=month.at(UNCHECKED_DAY, 8, 5),
            readiness="attention",
            reasons=["shift_unchecked"],
        ),
        Verdict(
            device_id=unit,
            site=town.unit_site,
            at=month.at(UNCHECKED_DAY - 1, 0),
            readiness="ready",
            reasons=[],
        ),
    ]
    alerts = [
        _alert(
            hall[2],
            AlertType.SELF_TEST_FAILED,
            Severity.CRITICAL,
            Phrase("detail.self_test_failed", {"at": month.at(12, 3), "codes": ("C02",)}),
            month.at(12, 3),
            month.at(12, 8, 40),
            month.at(10, 14),
        ),
        _alert(
            hall[0],
            AlertType.IN_USE,
            Severity.INFO,
            Phrase("detail.in_use", {"since_at": rescue}),
            rescue,
            rescue + timedelta(minutes=4),
            rescue + timedelta(minutes=30),
        ),
        _alert(
            hall[0],
            AlertType.NEEDS_SERVICE,
            Severity.MAJOR,
            Phrase("detail.needs_service", {"used_at": rescue}),
            rescue + timedelta(minutes=30),
            month.at(7, 9, 15),
            month.at(7, 11),
        ),
        _alert(
            town.cabinet,
            AlertType.DOOR_OPEN,
            Severity.MAJOR,
            Phrase("detail.door_open", {"open_s": 900.0}),
            month.at(5, 10),
            month.at(5, 10, 6),
            month.at(5, 10, 35),
        ),
        _alert(
            unit,
            AlertType.SHIFT_UNCHECKED,
            Severity.MAJOR,
            Phrase("detail.shift_unchecked", {"at": month.at(UNCHECKED_DAY, 8, 5)}),
            month.at(UNCHECKED_DAY, 8, 5),
            month.at(UNCHECKED_DAY, 9, 30),
            month.at(UNCHECKED_DAY - 1, 0),
        ),
    ]
    inspectors = ("Мария Петрова", "Мария Петрова", "Иван Георгиев")
    inspections = [
        Inspection(
            device_id=serial,
            at=month.at(20, 10, 15 * n),
            inspector=who,
            recorded_by="staff",
            status_light_ok=True,
            pads_sealed_in_date=True,
            cabinet_intact=True,
            alarm_ok=True,
            notes="",
            created_at=month.at(20, 10, 15 * n),
        )
        for n, (serial, who) in enumerate(zip(hall, inspectors, strict=True))
    ]
    checks = [
        ShiftCheck(
            device_id=unit,
            at=month.at(days_ago, 7, 40),
            inspector="Петя Иванова",
            recorded_by="staff",
            aed_ready=True,
            o2_bar=180.0 - days_ago,
            o2_ok=True,
            fridge_min_c=4.5,
            fridge_max_c=5.3,
            fridge_ok=True,
            answers=dict.fromkeys(CHECKLIST, True),
            notes="",
            created_at=month.at(days_ago, 7, 40),
        )
        for days_ago in ROUND_DAYS
        if days_ago != UNCHECKED_DAY
    ]
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            stored = store.readings.insert_many(session, [(r, r.device_time, True) for r in readings], now)
            session.add_all([*verdicts, *alerts, *inspections, *checks])
            session.commit()
    finally:
        engine.dispose()
    return len(stored) + len(verdicts) + len(alerts) + len(inspections) + len(checks)
