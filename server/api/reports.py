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

from aedmon.reading import ID_PATTERN, ReadingType
from server import store
from server.reports.compliance import inert_row
from server.reports.forecast import Consumable, Expiry, Row, forecast
from server.reports.programme import AlertTimes, Change, Spread, ready_share, response_times

from .deps import NowDep, SessionDep, SpeakerDep, ViewerRole

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


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


class DeviceShare(BaseModel):
    id: str
    name: str
    site: str
    ready_share: float | None = Field(description="0–1 of the time on record; null when none is")
    on_record_s: float
    downtime_by_cause: dict[str, float] = Field(
        description="seconds not ready, by the verdict's worst reason"
    )
    begins: datetime | None = Field(description="where the device's history begins, when inside the period")
    checks_done: int
    checks_due: int = Field(description="one monthly check per local month the period touches")
    checked_by: list[str]


class ProgrammeOut(BaseModel):
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    time_zone: str = Field(description="the zone whose local days the period is")
    site: str | None
    area: str | None
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
    format: Literal["json", "csv"] = "json",  # noqa: A002  (the API's own word)
) -> dict[str, Any] | Response:
    """What the programme achieved in a period, for its funder and its council: each device's
    share of time ready (from the verdict history, never from samples) and its downtime by
    cause, the time to acknowledge and to repair alerts per severity, and the monthly checks
    done against due. `site` and `area` exclude each other; with neither, the reader's scope.
    Days are the site's local days (an area's or the whole's: the installation's zone)."""
    if site and area:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "site and area exclude each other")
    if end < start or (end - start).days > 3700:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "from must be on or before to, within ten years"
        )
    sites = access.visible
    if area:
        in_area = frozenset(store.sites.of_areas(session, [area]))
        sites = in_area if sites is None else sites & in_area
    devices = store.devices.listed(session, site=site, sites=sites)
    zone_name = request.app.state.time_zone
    if site and access.sees(site):  # another area's site says nothing, not even its zone
        own = store.sites.get(session, site)
        zone_name = (own.time_zone if own else None) or zone_name
    zone = ZoneInfo(zone_name)
    begin = datetime.combine(start, time(0), zone)
    finish = datetime.combine(end + timedelta(days=1), time(0), zone)
    ids = [device.id for device in devices]
    history = store.verdicts.of_period(session, ids, begin, finish)
    checks: dict[str, list[str]] = {device_id: [] for device_id in ids}
    for inspection in store.inspections.between(session, ids, begin, finish):
        checks[inspection.device_id].append(inspection.inspector)
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
                ready_share=share.ready_share,
                on_record_s=share.on_record_s,
                downtime_by_cause=share.downtime_by_cause,
                begins=share.begins,
                checks_done=len(checks[device.id]),
                checks_due=_months(start, end) if device.kind == "aed" else 0,
                checked_by=sorted(set(checks[device.id])),
            )  # fmt: skip
        )
    alerts = [
        AlertTimes(a.id, a.severity, a.opened_at, a.acknowledged_at, a.resolved_at)
        for a in store.alerts.opened_between(session, ids, begin, finish)
    ]
    response = {
        severity: ResponseOut(
            time_to_acknowledge_s=_spread(r.to_acknowledge), time_to_repair_s=_spread(r.to_repair)
        )
        for severity, r in response_times(alerts, begin, finish).items()
    }
    made = ProgrammeOut(
        start=start, end=end, time_zone=zone_name, site=site, area=area,
        ready_share=ready_total / on_record_total if on_record_total else None,
        devices=shares, response=response,
    )  # fmt: skip
    if format == "json":
        return made.model_dump(mode="json", by_alias=True)
    return _programme_csv(made, speaker.at({}, ""))


PROGRAMME_COLUMNS = ("csv.device_id", "csv.name", "csv.site", "csv.ready_share", "csv.on_record_s",
                     "csv.downtime", "csv.checks_done", "csv.checks_due", "csv.by")  # fmt: skip


def _programme_csv(made: ProgrammeOut, words: Callable[[str], str]) -> Response:
    """One row per device, the figures as the JSON has them (seconds, a share 0–1, reason keys),
    the headings in the reader's language."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(inert_row([words(column) for column in PROGRAMME_COLUMNS]))
    for d in made.devices:
        downtime = " ".join(f"{cause}={seconds:g}" for cause, seconds in sorted(d.downtime_by_cause.items()))
        share = "" if d.ready_share is None else f"{d.ready_share:.4f}"
        writer.writerow(inert_row([d.id, d.name, d.site, share, f"{d.on_record_s:g}", downtime, d.checks_done,
                                   d.checks_due, ", ".join(d.checked_by)]))  # fmt: skip
    name = f"programme-{made.start.isoformat()}-{made.end.isoformat()}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
