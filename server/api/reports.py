"""Reports for programme managers: the consumables forecast, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from aedmon.reading import ReadingType
from server import store
from server.reports.compliance import inert_row
from server.reports.forecast import Consumable, Expiry, Row, forecast

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
