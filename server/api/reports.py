"""Reports for programme managers: the consumables forecast, as JSON or CSV; what the
programme achieved (readiness, response, checks), as JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from aedmon.reading import ID_PATTERN, DeviceKind, ReadingType
from server import store
from server.reports.compliance import inert_row
from server.reports.forecast import Consumable, Expiry, Row, forecast
from server.reports.programme import (
    AlertTimes,
    Change,
    Place,
    Round,
    Spread,
    ready_share,
    replaced,
    response_times,
    uses,
)
from server.rules.findings import AlertType
from server.store.models import Device

from .deps import NowDep, SessionDep, SpeakerDep, ViewerRole

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)  # the days a report may ask of


@router.get("/consumables", response_model=None)
def consumables(
    session: SessionDep,
    now: NowDep,
    speaker: SpeakerDep,
    access: ViewerRole,
    site: str | None = None,
    months: Annotated[int, Query(ge=1, le=36)] = 12,
    format: Literal["json", "csv"] = "json",  # noqa: A002  (the API's own word)
) -> list[Row] | Response:
    """Pads and batteries expiring in each of the next `months` months, per site, from each
    device's latest self-test."""
    expiries = []
    for device in store.devices.listed(session, site=site, sites=access.visible):
        test = store.facts.latest_reading(session, device.id, ReadingType.SELFTEST)
        if test is None:
            continue
        if test.pads_expiry is not None:
            expiries.append(Expiry(device.id, device.site, Consumable.PADS, test.pads_expiry))
        if test.battery_expiry is not None:
            expiries.append(Expiry(device.id, device.site, Consumable.BATTERY, test.battery_expiry))
    rows = forecast(expiries, now.date(), months)
    if format == "json":
        return rows
    out = io.StringIO()
    writer = csv.writer(out)
    words = speaker.at({}, "")
    writer.writerow(
        inert_row(
            [
                words(column)
                for column in ("csv.site", "csv.month", "csv.pads", "csv.batteries", "csv.devices")
            ]
        )
    )
    for row in rows:
        writer.writerow(inert_row([row.site, row.month, row.pads, row.batteries, " ".join(row.devices)]))
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="consumables-{now.date().isoformat()}.csv"'},
    )


class SpreadOut(BaseModel):
    count: int
    median: float | None = Field(description="seconds")
    p90: float | None = Field(description="seconds, the 90th percentile (nearest rank)")


class ResponseOut(BaseModel):
    time_to_acknowledge_s: SpreadOut
    time_to_repair_s: SpreadOut


class UseOut(BaseModel):
    at: datetime
    back_in_service_s: float | None = Field(description="until it was usable again; null if not yet")


class VisitOut(BaseModel):
    community: str
    arrived: datetime
    left: datetime


class UnitOut(BaseModel):
    days_in_service: int = Field(description="the local days it moved: its shifts")
    shifts_checked: int = Field(description="of those, the days with a check before the shift")
    communities: int = Field(description="the communities it serves")
    visits: list[VisitOut] = Field(description="stops of ten minutes or more inside a community's circle")


class DeviceShare(BaseModel):
    id: str
    name: str
    site: str
    site_name: str = Field(description="the site's name (its id where it has none)")
    ready_share: float | None = Field(description="0–1 of the time on record; null when none is")
    on_record_s: float
    downtime_by_cause: dict[str, float] = Field(
        description="seconds not ready, by the verdict's worst reason"
    )
    begins: datetime | None = Field(description="where the device's history begins, when inside the period")
    checks_done: int
    checks_due: int = Field(description="one monthly check per local month the period touches")
    checked_by: list[str]
    rescues: list[UseOut] = Field(description="each rescue (in_use) begun in the period")
    pads_replaced: int = Field(description="times the pads' date moved later in the self-tests")
    batteries_replaced: int
    pads_due: int = Field(description="1 when the pads' date (the newest self-test's) falls in the period")
    batteries_due: int
    unit: UnitOut | None = Field(default=None, description="a mobile unit's days in service and visits")


class ProgrammeOut(BaseModel):
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    time_zone: str = Field(description="the zone whose local days the period is")
    site: str | None
    area: str | None
    device_id: str | None = None
    ready_share: float | None = Field(description="of all the devices' time on record")
    devices: list[DeviceShare]
    response: dict[str, ResponseOut] = Field(description="by severity, alerts opened in the period")

    model_config = {"populate_by_name": True}


def _spread(found: Spread) -> SpreadOut:
    return SpreadOut(count=found.count, median=found.median_s, p90=found.p90_s)


def _months(start: date, end: date) -> int:
    """How many calendar months the days [start, end] touch."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


@router.get("/programme", response_model=None, responses={200: {"model": ProgrammeOut}})
def programme(
    request: Request,
    session: SessionDep,
    speaker: SpeakerDep,
    access: ViewerRole,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to", description="the last day, included")],
    site: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    area: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    device_id: Annotated[str | None, Query(pattern=ID_PATTERN, description="one device")] = None,
    format: Literal["json", "csv"] = "json",  # noqa: A002  (the API's own word)
) -> dict[str, Any] | Response:
    """What the programme achieved in a period, for its funder and its council: each device's
    share of time ready (from the verdict history, never from samples) and its downtime by
    cause, the time to acknowledge and to repair alerts per severity, the monthly checks done
    against due, the rescues and the time back in service after each, the pads and batteries
    replaced and due, and for a mobile unit its days in service, the shifts of them checked and
    its visits to the communities it serves. `site` and `area` exclude each other; with neither,
    the reader's scope; `device_id` narrows either to one device. Days are the site's local
    days (an area's or the whole's: the installation's zone)."""
    if site and area:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "site and area exclude each other")
    if end < start or (end - start).days > 3700:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "from must be on or before to, within ten years"
        )
    if not FIRST_DAY <= start <= end <= LAST_DAY:  # a day's neighbours in any zone are days too
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"days from {FIRST_DAY} to {LAST_DAY}")
    sites = access.visible
    if area:
        in_area = frozenset(store.sites.of_areas(session, [area]))
        sites = in_area if sites is None else sites & in_area
    # what the programme looks after, not the bridges that carry its readings
    listed = store.devices.listed(session, site=site, device_id=device_id, sites=sites)
    devices = [device for device in listed if device.kind != DeviceKind.BRIDGE]
    zone_name = request.app.state.time_zone
    one_site = site or (devices[0].site if device_id and devices else None)
    if one_site and access.sees(one_site):  # another area's site says nothing, not even its zone
        own = store.sites.get(session, one_site)
        zone_name = (own.time_zone if own else None) or zone_name
    zone = ZoneInfo(zone_name)
    begin = datetime.combine(start, time(0), zone)
    finish = datetime.combine(end + timedelta(days=1), time(0), zone)
    ids = [device.id for device in devices]
    history = store.verdicts.of_period(session, ids, begin, finish)
    checks: dict[str, list[str]] = {device_id: [] for device_id in ids}
    for inspection in store.inspections.between(session, ids, begin, finish):
        checks[inspection.device_id].append(inspection.inspector)
    opened = store.alerts.opened_between(session, ids, begin, finish)
    rescues: dict[str, set[datetime]] = {device_id: set() for device_id in ids}
    for alert in opened:
        if alert.type == AlertType.IN_USE.value:
            rescues[alert.device_id] |= {
                at for at in (alert.opened_at, alert.last_opened_at) if begin <= at < finish
            }
    said = _expiries_said(session, ids, begin, finish)
    named = store.sites.by_ids(session, sorted({device.site for device in devices}))
    units = _units(session, [d for d in devices if d.kind == "mobile_unit"], begin, finish, zone)
    shares, ready_total, on_record_total = [], 0.0, 0.0
    for device in devices:
        changes = [Change(v.at, v.readiness, tuple(v.reasons), v.id) for v in history[device.id]]
        share = ready_share(changes, begin, finish)
        ready_total += share.ready_s
        on_record_total += share.on_record_s
        shares.append(
            DeviceShare(
                id=device.id,
                name=device.name,
                site=device.site,
                site_name=(named[device.site].name if device.site in named else "") or device.site,
                ready_share=share.ready_share,
                on_record_s=share.on_record_s,
                downtime_by_cause=share.downtime_by_cause,
                begins=share.begins,
                checks_done=len(checks[device.id]),
                checks_due=_months(start, end) if device.kind == "aed" else 0,
                checked_by=sorted(set(checks[device.id])),
                rescues=[
                    UseOut(at=use.at, back_in_service_s=use.back_in_service_s)
                    for use in uses(rescues[device.id], changes)
                ],
                pads_replaced=replaced(said[device.id]["pads"]),
                batteries_replaced=replaced(said[device.id]["battery"]),
                pads_due=_due(said[device.id]["pads"], start, end),
                batteries_due=_due(said[device.id]["battery"], start, end),
                unit=units.get(device.id),
            )  # fmt: skip
        )
    alerts = [AlertTimes(a.id, a.severity, a.opened_at, a.acknowledged_at, a.resolved_at) for a in opened]
    response = {
        severity: ResponseOut(
            time_to_acknowledge_s=_spread(r.to_acknowledge), time_to_repair_s=_spread(r.to_repair)
        )
        for severity, r in response_times(alerts, begin, finish).items()
    }
    made = ProgrammeOut(
        start=start, end=end, time_zone=zone_name, site=site, area=area, device_id=device_id,
        ready_share=ready_total / on_record_total if on_record_total else None,
        devices=shares, response=response,
    )  # fmt: skip
    if format == "json":
        return made.model_dump(mode="json", by_alias=True)
    return _programme_csv(made, speaker.at({}, ""))


Said = dict[str, list[tuple[datetime, date | None]]]


def _expiries_said(session: SessionDep, ids: list[str], begin: datetime, finish: datetime) -> dict[str, Said]:
    """The pads' and battery's dates each device's self-tests said, from two days before the
    period (a daily test's last before it) to its end."""
    said: dict[str, Said] = {device_id: {"pads": [], "battery": []} for device_id in ids}
    for row in store.readings.selftests_between(session, ids, begin - timedelta(days=2), finish):
        for name in ("pads", "battery"):
            text = row.body.get(f"{name}_expiry")
            try:
                day = date.fromisoformat(text) if isinstance(text, str) else None
            except ValueError:
                day = None
            said[row.device_id][name].append((row.device_time, day))
    return said


def _due(said: list[tuple[datetime, date | None]], start: date, end: date) -> int:
    """1 when the newest date said falls in [start, end]."""
    dates = [day for _, day in sorted(said, key=lambda pair: pair[0]) if day is not None]
    return int(bool(dates) and start <= dates[-1] <= end)


def _units(
    session: SessionDep, units: list[Device], begin: datetime, finish: datetime, zone: ZoneInfo
) -> dict[str, UnitOut]:
    """Each mobile unit's days in service, the shifts of them checked, and its visits."""
    ids = [unit.id for unit in units]
    if not ids:
        return {}
    served = store.communities.of_devices(session, ids)
    checked: dict[str, set[date]] = {unit_id: set() for unit_id in ids}
    for check in store.inspections.shift_checks_between(session, ids, begin, finish):
        checked[check.device_id].add(check.at.astimezone(zone).date())
    out = {}
    for unit_id in ids:
        places = [Place(c.name, c.lat, c.lon, c.radius_m) for c in served[unit_id]]
        went = Round(zone, places)
        for fix in store.readings.fixes_between(session, unit_id, begin, finish):
            went.add(fix)
        out[unit_id] = UnitOut(
            days_in_service=len(went.days), shifts_checked=len(went.days & checked[unit_id]),
            communities=len(places),
            visits=[VisitOut(community=v.community, arrived=v.arrived, left=v.left) for v in went.visits()],
        )  # fmt: skip
    return out


PROGRAMME_COLUMNS = ("csv.device_id", "csv.name", "csv.site", "csv.ready_share", "csv.on_record_s",
                     "csv.downtime", "csv.checks_done", "csv.checks_due", "csv.by", "csv.rescues",
                     "csv.pads_replaced", "csv.batteries_replaced", "csv.days_in_service",
                     "csv.shifts_checked", "csv.visits")  # fmt: skip


def _programme_csv(made: ProgrammeOut, words: Callable[[str], str]) -> Response:
    """One row per device, the figures as the JSON has them (seconds, a share 0–1, reason keys),
    the headings in the reader's language."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(inert_row([words(column) for column in PROGRAMME_COLUMNS]))
    for d in made.devices:
        downtime = " ".join(f"{cause}={seconds:g}" for cause, seconds in sorted(d.downtime_by_cause.items()))
        share = "" if d.ready_share is None else f"{d.ready_share:.4f}"
        unit = [d.unit.days_in_service, d.unit.shifts_checked, len(d.unit.visits)] if d.unit else ["", "", ""]
        writer.writerow(inert_row([d.id, d.name, d.site, share, f"{d.on_record_s:g}", downtime, d.checks_done,
                                   d.checks_due, ", ".join(d.checked_by), len(d.rescues), d.pads_replaced,
                                   d.batteries_replaced, *unit]))  # fmt: skip
    name = f"programme-{made.start.isoformat()}-{made.end.isoformat()}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
