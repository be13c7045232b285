"""Monthly visual inspections, and the hash-chained compliance record of tests and inspections."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from server import store
from server.reports.compliance import ChainedEntry, Entry, EntryKind, chain, inert_row
from server.store.models import Device, Inspection

from .deps import InspectorRole, NowDep, SessionDep, SpeakerDep, ViewerRole
from .devices import visible_device
from .schemas import InspectionIn, InspectionOut

router = APIRouter(prefix="/api/v1", tags=["inspections"])
COMPLIANCE_COLUMNS = (
    *("csv.number", "csv.time", "csv.device_id", "csv.site", "csv.kind", "csv.result", "csv.details"),
    *("csv.by", "csv.previous", "csv.hash"),
)
CHECKS = {
    "status_light_ok": "status light",
    "pads_sealed_in_date": "pads sealed and in date",
    "cabinet_intact": "cabinet intact",
}


@router.post("/devices/{device_id}/inspections", status_code=status.HTTP_201_CREATED)
def record_inspection(
    device_id: str, body: InspectionIn, session: SessionDep, now: NowDep, role: InspectorRole
) -> InspectionOut:
    visible_device(session, role, device_id)
    at = body.at or now
    if at > now + timedelta(minutes=5):
        raise HTTPException(422, "an inspection cannot be in the future")
    inspection = store.inspections.add(
        session,
        Inspection(
            device_id=device_id,
            at=at,
            inspector=body.inspector,
            recorded_by=role.name,
            status_light_ok=body.status_light_ok,
            pads_sealed_in_date=body.pads_sealed_in_date,
            cabinet_intact=body.cabinet_intact,
            notes=body.notes,
            created_at=now,
        ),
    )
    session.commit()
    return InspectionOut.model_validate(inspection)


@router.get("/devices/{device_id}/inspections")
def list_inspections(device_id: str, session: SessionDep, access: ViewerRole) -> list[InspectionOut]:
    visible_device(session, access, device_id)
    return [InspectionOut.model_validate(row) for row in store.inspections.of_device(session, device_id)]


def _entries(session: SessionDep, devices: list[Device], start: datetime, end: datetime) -> list[Entry]:
    ids = [d.id for d in devices]
    site_of = {d.id: d.site for d in devices}
    entries = []
    for row in store.readings.selftests_between(session, ids, start, end):
        body = row.body
        details = f"test={body.get('test')} codes={'|'.join(body.get('codes') or []) or '-'} seq={row.seq}"
        entries.append(
            Entry(row.device_time.isoformat(), row.device_id, site_of[row.device_id], EntryKind.SELFTEST,
                  str(body.get("result")), details, "device")
        )  # fmt: skip
    for item in store.inspections.between(session, ids, start, end):
        failed = [label for name, label in CHECKS.items() if not getattr(item, name)]
        result = "ok" if not failed else "not ok: " + ", ".join(failed)
        entries.append(
            Entry(item.at.isoformat(), item.device_id, site_of[item.device_id], EntryKind.INSPECTION, result,
                  item.notes, f"{item.inspector} ({item.recorded_by})")
        )  # fmt: skip
    return entries


@router.get("/reports/compliance", response_model=None)
def compliance(
    session: SessionDep,
    speaker: SpeakerDep,
    access: ViewerRole,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    site: str | None = None,
    device_id: str | None = None,
    format: Literal["json", "csv"] = "json",  # noqa: A002  (the API's own word)
) -> list[ChainedEntry] | Response:
    """Every self-test and inspection from `from` to `to` (inclusive days, UTC), hash-chained.
    The CSV's headings are in the language asked for (`?lang=`); its rows are the record itself,
    as hashed, in no language."""
    if end < start:
        raise HTTPException(422, "to is before from")
    # retired devices too: their record of the period stays theirs
    devices = list(
        store.devices.listed(session, site=site, device_id=device_id, sites=access.visible, retired=True)
    )
    begin = datetime.combine(start, time(), tzinfo=UTC)
    stop = datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC)
    horizon = store.retention.pruned_before(session, "compliance")
    if horizon is not None and begin < horizon:
        # a record printed short would still verify; refused, it cannot mislead
        day = horizon.date().isoformat()
        raise HTTPException(410, f"the record before {day} was deleted at the end of its compliance period")
    rows = chain(_entries(session, devices, begin, stop))
    if format == "json":
        return rows
    out = io.StringIO()
    writer = csv.writer(out)
    words = speaker.at({}, "")
    writer.writerow(inert_row([words(column) for column in COMPLIANCE_COLUMNS]))
    for row in rows:
        e = row.entry
        writer.writerow(inert_row([row.number, e.time, e.device_id, e.site, e.kind, e.result, e.details,
                                   e.by, row.previous, row.hash]))  # fmt: skip
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
