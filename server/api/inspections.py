"""Monthly visual inspections, mobile units' shift checks, and the hash-chained compliance
record of self-tests, inspections and shift checks."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from aedmon.reading import DeviceKind
from server import evaluation, store
from server.reports.compliance import Entry, EntryKind, chain, inert_row
from server.rules.shift import ShiftSeen, seen_before_shift
from server.store.models import Device, Inspection, ShiftCheck

from .deps import InspectorRole, NowDep, PolicyDep, SessionDep, SpeakerDep, ViewerRole
from .devices import visible_device
from .reports import FIRST_DAY, LAST_DAY
from .schemas import InspectionIn, InspectionOut, ShiftCheckIn, ShiftCheckOut, ShiftFacts

router = APIRouter(prefix="/api/v1", tags=["inspections"])
COMPLIANCE_COLUMNS = (
    *("csv.number", "csv.time", "csv.device_id", "csv.site", "csv.kind", "csv.result", "csv.details"),
    *("csv.by", "csv.previous", "csv.hash"),
)
# The record's own words for each check (hashed as they are, so never translated here; the
# page says them in the reader's language from `said`).
CHECKS = {
    "status_light_ok": "status light",
    "pads_sealed_in_date": "pads sealed and in date",
    "cabinet_intact": "cabinet intact",
    "alarm_ok": "alarm working",  # asked since 0.23: older inspections' rows hash as before
}
SHIFT_CHECKS = {"aed_ready": "AED ready", "o2_ok": "oxygen above its minimum", "fridge_ok": "fridge in range"}


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
            alarm_ok=body.alarm_ok,
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


def _shift_seen(session: SessionDep, device: Device, now: datetime, policy: PolicyDep) -> ShiftSeen:
    found = evaluation.assess(session, device, now, policy)
    states = store.readings.states_between(
        session, device.id, now - timedelta(hours=policy.fridge_window_h), now
    )
    pressures = [s.o2_pressure_bar for s in states if s.o2_pressure_bar is not None]
    latest = found.facts.latest_state
    newest = pressures[0] if pressures else latest.o2_pressure_bar if latest is not None else None
    fridge = [s.fridge_temp_c for s in states if s.fridge_temp_c is not None]
    return seen_before_shift(found.evaluation.findings, newest, fridge, policy)


def _mobile_unit(session: SessionDep, role: ViewerRole, device_id: str) -> Device:
    device = visible_device(session, role, device_id)
    if device.kind != DeviceKind.MOBILE_UNIT.value:
        raise HTTPException(422, "only a mobile unit has shifts to check")
    return device


@router.get("/devices/{device_id}/shift-check")
def shift_check_due(
    device_id: str, session: SessionDep, now: NowDep, policy: PolicyDep, speaker: SpeakerDep, role: ViewerRole
) -> ShiftFacts:
    """What the server sees of a mobile unit now, for its crew's check before a shift: its AED,
    its oxygen, its fridge over the window, and the programme's checklist to tick."""
    device = _mobile_unit(session, role, device_id)
    seen = _shift_seen(session, device, now, policy)
    words = speaker.at(store.sites.time_zones(session, [device.site]), device.site)
    low, high = policy.fridge_temp_c
    return ShiftFacts(
        aed_ready=seen.aed_ready,
        aed_reasons=[words("reason." + fault) for fault in seen.aed_faults],
        o2_bar=seen.o2_bar,
        o2_min_bar=policy.o2_min_bar,
        o2_ok=seen.o2_ok,
        fridge_min_c=seen.fridge_min_c,
        fridge_max_c=seen.fridge_max_c,
        fridge_low_c=low,
        fridge_high_c=high,
        fridge_window_h=policy.fridge_window_h,
        fridge_ok=seen.fridge_ok,
        checklist=list(policy.shift_checklist),
        last_check_at=store.inspections.last_shift_check(session, device.id),
    )


@router.post("/devices/{device_id}/shift-checks", status_code=status.HTTP_201_CREATED)
def record_shift_check(
    device_id: str,
    body: ShiftCheckIn,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    role: InspectorRole,
) -> ShiftCheckOut:
    """The crew's check before a shift, with what the server sees at this moment, into the
    compliance record. Every item of the programme's checklist is answered, and only those."""
    device = _mobile_unit(session, role, device_id)
    asked, answered = set(policy.shift_checklist), set(body.answers)
    if asked != answered:
        missing, unknown = sorted(asked - answered), sorted(answered - asked)
        said = "; ".join(
            part for part in (missing and f"not answered: {', '.join(missing)}",
                              unknown and f"not on the checklist: {', '.join(unknown)}") if part
        )  # fmt: skip
        raise HTTPException(422, said)
    seen = _shift_seen(session, device, now, policy)
    check = store.inspections.add_shift_check(
        session,
        ShiftCheck(
            device_id=device.id, at=now, inspector=body.inspector, recorded_by=role.name,
            aed_ready=seen.aed_ready, o2_bar=seen.o2_bar, o2_ok=seen.o2_ok, fridge_min_c=seen.fridge_min_c,
            fridge_max_c=seen.fridge_max_c, fridge_ok=seen.fridge_ok,
            answers={item: body.answers[item] for item in policy.shift_checklist}, notes=body.notes,
            created_at=now,
        ),
    )  # fmt: skip
    evaluation.evaluate(session, device, now, policy)  # a shift_unchecked alert ends with the check
    session.commit()
    return ShiftCheckOut.model_validate(check)


@router.get("/devices/{device_id}/shift-checks")
def list_shift_checks(device_id: str, session: SessionDep, access: ViewerRole) -> list[ShiftCheckOut]:
    _mobile_unit(session, access, device_id)
    checks = store.inspections.shift_checks_of(session, device_id)
    return [ShiftCheckOut.model_validate(row) for row in checks]


class Said(BaseModel):
    """A row of the record as a page says it to a person (not hashed): the result and each
    check by key, the self-test's kind and codes, the notes."""

    result: str = Field(description="PASS/WARN/FAIL for a self-test, else ok or not_ok")
    checked: list[str] = Field(default_factory=list, description="the checks asked, by key")
    failed: list[str] = Field(default_factory=list, description="those not in order, by key or item")
    test: str | None = None
    codes: list[str] = Field(default_factory=list)
    notes: str = ""
    inspector: str = ""
    time_zone: str = Field(default="UTC", description="the site's, in which a page shows the row's time")


def _inspection_entry(item: Inspection, site: str) -> tuple[Entry, Said]:
    asked = [name for name in CHECKS if getattr(item, name) is not None]
    failed = [name for name in asked if not getattr(item, name)]
    result = "ok" if not failed else "not ok: " + ", ".join(CHECKS[name] for name in failed)
    details = item.notes
    if item.alarm_ok is not None:  # since 0.23 the row names what was checked; older rows as they were
        checked = "checked: " + ", ".join(CHECKS[name] for name in asked)
        details = checked + (f"; {item.notes}" if item.notes else "")
    by = f"{item.inspector} ({item.recorded_by})"
    entry = Entry(item.at.isoformat(), item.device_id, site, EntryKind.INSPECTION, result, details, by)
    said = Said(result="ok" if not failed else "not_ok", checked=asked, failed=failed, notes=item.notes,
                inspector=item.inspector)  # fmt: skip
    return entry, said


def _shift_entry(item: ShiftCheck, site: str) -> tuple[Entry, Said]:
    failed = [name for name in SHIFT_CHECKS if not getattr(item, name)]
    failed_items = [name for name, ticked in item.answers.items() if not ticked]
    words = [SHIFT_CHECKS[name] for name in failed] + failed_items
    result = "ok" if not words else "not ok: " + ", ".join(words)
    bar = "-" if item.o2_bar is None else f"{item.o2_bar:g}"
    fridge = "-" if item.fridge_min_c is None else f"{item.fridge_min_c:g}..{item.fridge_max_c:g}"
    checked = ", ".join([*SHIFT_CHECKS.values(), *item.answers])
    details = f"oxygen={bar} bar fridge={fridge} C; checked: {checked}"
    details += f"; {item.notes}" if item.notes else ""
    by = f"{item.inspector} ({item.recorded_by})"
    entry = Entry(item.at.isoformat(), item.device_id, site, EntryKind.SHIFT_CHECK, result, details, by)
    said = Said(result="ok" if not words else "not_ok", checked=[*SHIFT_CHECKS, *item.answers],
                failed=failed + failed_items, notes=item.notes, inspector=item.inspector)  # fmt: skip
    return entry, said


class ComplianceRow(BaseModel):
    """A row of the record as hashed (`entry`, `previous`, `hash`), and as said to a person."""

    number: int
    entry: Entry
    previous: str
    hash: str
    said: Said


def _entries(
    session: SessionDep, devices: list[Device], start: datetime, end: datetime
) -> list[tuple[Entry, Said]]:
    ids = [d.id for d in devices]
    site_of = {d.id: d.site for d in devices}
    entries = []
    for row in store.readings.selftests_between(session, ids, start, end):
        body = row.body
        codes = list(body.get("codes") or [])
        details = f"test={body.get('test')} codes={'|'.join(codes) or '-'} seq={row.seq}"
        result = str(body.get("result"))
        entries.append((
            Entry(row.device_time.isoformat(), row.device_id, site_of[row.device_id], EntryKind.SELFTEST,
                  result, details, "device"),
            Said(result=result, test=str(body.get("test")), codes=[str(code) for code in codes]),
        ))  # fmt: skip
    for item in store.inspections.between(session, ids, start, end):
        entries.append(_inspection_entry(item, site_of[item.device_id]))
    for check in store.inspections.shift_checks_between(session, ids, start, end):
        entries.append(_shift_entry(check, site_of[check.device_id]))
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
) -> list[ComplianceRow] | Response:
    """Every self-test, inspection and shift check from `from` to `to` (inclusive days of the
    site's time zone, or the installation's when several sites are asked), hash-chained. Each
    row says itself for a person too (`said`, not hashed). The CSV's headings are in the
    language asked for (`?lang=`); its rows are the record itself, as hashed, in no language."""
    if end < start:
        raise HTTPException(422, "to is before from")
    if not FIRST_DAY <= start <= end <= LAST_DAY:  # a day's neighbours in any zone are days too
        raise HTTPException(422, f"days from {FIRST_DAY} to {LAST_DAY}")
    # retired devices too: their record of the period stays theirs
    devices = list(
        store.devices.listed(session, site=site, device_id=device_id, sites=access.visible, retired=True)
    )
    one_site = site or (devices[0].site if device_id and devices else None)
    zones = store.sites.time_zones(session, [one_site]) if one_site else {}
    zone = speaker.at(zones, one_site or "").zone
    begin = datetime.combine(start, time(), tzinfo=zone).astimezone(UTC)
    stop = datetime.combine(end + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    horizon = store.retention.pruned_before(session, "compliance")
    if horizon is not None and begin < horizon:
        # a record printed short would still verify; refused, it cannot mislead
        day = horizon.date().isoformat()
        raise HTTPException(410, f"the record before {day} was deleted at the end of its compliance period")
    entries = _entries(session, devices, begin, stop)
    sites = sorted({d.site for d in devices})
    site_zones = store.sites.time_zones(session, sites)
    zone_of = {name: speaker.at(site_zones, name).zone.key for name in sites}  # once a site, not a row
    said = {
        id(entry): words.model_copy(update={"time_zone": zone_of[entry.site]}) for entry, words in entries
    }
    rows = chain([entry for entry, _ in entries])
    if format == "json":
        return [ComplianceRow(number=r.number, entry=r.entry, previous=r.previous, hash=r.hash,
                              said=said[id(r.entry)]) for r in rows]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    words = speaker.at({}, "")
    writer.writerow(inert_row([words(column) for column in COMPLIANCE_COLUMNS]))
    for row in rows:
        e = row.entry
        writer.writerow(inert_row([row.number, e.time, e.device_id, e.site, e.kind, e.result, e.details,
                                   e.by, row.previous, row.hash]))  # fmt: skip
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
