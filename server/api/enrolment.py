"""Enrolling a fleet: devices from a spreadsheet (CSV) or from an OpenStreetMap export of
`emergency=defibrillator`, previewed row by row (`dry_run=true`) and then applied.

Both are idempotent: a CSV row is matched by its device id, an OpenStreetMap object by its
reference (node/123). Each row says what it would do (create, update, unchanged) or why it
cannot (error); applying does the rows that can be done and leaves the rest, so a file
fixed and imported again finishes the job. Devices from OpenStreetMap stay unconfirmed
until an admin confirms them; a spreadsheet is the admin's own word, so its rows confirm.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, status
from pydantic import AfterValidator, BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from aedmon.reading import ID_PATTERN, DeviceKind, lower_site
from server import evaluation, store
from server.access import Access
from server.rules.facts import Policy
from server.store.database import yield_to_writers
from server.store.devices import NewDevice
from server.store.models import Device

from .deps import AdminRole, NowDep, PolicyDep, SessionDep
from .devices import audit_device, may_place, place
from .schemas import DeviceIn

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/devices", tags=["devices"])

CSV_COLUMNS = tuple(name for name in DeviceIn.model_fields)
REQUIRED_COLUMNS = ("id", "site", "kind")
MAX_ROWS = 20_000
CHUNK = 250  # rows an import plans and does in one transaction
TRUE_WORDS = frozenset({"yes", "true", "1", "y"})
FALSE_WORDS = frozenset({"no", "false", "0", "n"})
# What an OpenStreetMap object gives a device; everything else stays the admin's.
OSM_FIELDS = ("name", "place", "lat", "lon", "indoor", "level", "opening_hours", "access")
OSM_ACCESS = frozenset({"yes", "permissive", "customers", "private", "no"})


class Outcome(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"


class RowOut(BaseModel):
    row: int = Field(description="the CSV line (the header is line 1) or the OSM object's place in the file")
    id: str | None = Field(description="the device id, when the row has a readable one")
    ref: str | None = Field(default=None, description="the OpenStreetMap object (node/123)")
    outcome: Outcome
    changes: list[str] = Field(default_factory=list, description="the fields an update changes")
    error: str | None = None


class ImportOut(BaseModel):
    dry_run: bool
    counts: dict[Outcome, int]
    rows: list[RowOut]


@dataclass
class Row:
    """One device a file asks for: its values (those `given`), or why it cannot be read."""

    row: int
    values: dict[str, Any] = field(default_factory=dict)
    ref: str | None = None
    error: str | None = None


@dataclass
class Plan:
    row: Row
    outcome: Outcome
    body: DeviceIn | None = None
    device: Device | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


# --- reading a spreadsheet ---------------------------------------------------------------


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"the file is not UTF-8 text (byte {err.start}); save it as 'CSV UTF-8'",
        ) from None


def _delimiter(header_line: str) -> str:
    """Spreadsheets where the decimal mark is a comma save CSV with semicolons."""
    return max((",", ";", "\t"), key=header_line.count)


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    unknown = [name for name in names if name not in CSV_COLUMNS]
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"unknown columns {shown}; the columns are {', '.join(CSV_COLUMNS)}",
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"columns given twice: {', '.join(twice)}")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"missing columns: {', '.join(missing)}")
    return names


def _cell(name: str, text: str) -> Any:
    """A cell as the device's field takes it; booleans in words, decimals with a point or a comma."""
    if name in ("public", "indoor"):
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(f"{name}: say yes or no")
    if name in ("lat", "lon", "geofence_m") and "," in text and "." not in text:
        return text.replace(",", ".", 1)
    return text


def csv_rows(body: bytes) -> Iterator[Row]:
    """The spreadsheet's rows; an empty cell leaves the field as it is (or its default)."""
    text = _text(body)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "the file is empty")
        names = _header(header)
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if line > MAX_ROWS + 1:
                raise HTTPException(
                    status.HTTP_413_CONTENT_TOO_LARGE, f"at most {MAX_ROWS} rows a file; split it"
                )
            if len(cells) > len(names):
                yield Row(line, error=f"{len(cells)} cells but {len(names)} columns")
                continue
            row = Row(line)
            try:
                row.values = {
                    name: _cell(name, cell.strip())
                    for name, cell in zip(names, cells, strict=False)
                    if cell.strip()
                }
            except ValueError as err:
                row.error = str(err)
            yield row
    except csv.Error as err:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"line {reader.line_num} cannot be read as CSV: {err}"
        ) from None


# --- reading an OpenStreetMap export --------------------------------------------------------


def _osm_objects(export: Mapping[str, Any]) -> Iterator[tuple[str | None, Mapping[str, Any], Any, Any]]:
    """(reference, tags, lat, lon) of each object of an Overpass JSON or a GeoJSON export."""
    if isinstance(export.get("elements"), list):
        for element in export["elements"]:
            if not isinstance(element, dict):
                yield None, {}, None, None
                continue
            ref = _ref(element.get("type"), element.get("id"))
            # A node has its position; a way or relation its centre ('out center').
            centre = element if element.get("type") == "node" else element.get("center")
            where: dict[str, Any] = centre if isinstance(centre, dict) else {}
            yield ref, _tags(element.get("tags")), where.get("lat"), where.get("lon")
    elif export.get("type") == "FeatureCollection" and isinstance(export.get("features"), list):
        for feature in export["features"]:
            if not isinstance(feature, dict):
                yield None, {}, None, None
                continue
            tags = _tags(feature.get("properties"))
            ref_text = tags.get("@id") or feature.get("id")
            kind, _, number = ref_text.partition("/") if isinstance(ref_text, str) else ("", "", "")
            ref = _ref(kind, number)
            lon, lat = _point(feature.get("geometry"))
            yield ref, tags, lat, lon
    else:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "not an OpenStreetMap export: expected Overpass JSON ('elements') or a GeoJSON FeatureCollection",
        )


def _ref(kind: object, number: object) -> str | None:
    if kind not in ("node", "way", "relation"):
        return None
    if isinstance(number, bool) or not isinstance(number, int | str):
        return None
    text = str(number)
    return f"{kind}/{text}" if text.isascii() and text.isdigit() and 0 < len(text) <= 20 else None


def _tags(tags: object) -> dict[str, str]:
    if not isinstance(tags, dict):
        return {}
    return {key: value for key, value in tags.items() if isinstance(key, str) and isinstance(value, str)}


def _point(geometry: object) -> tuple[Any, Any]:
    """A point's position, or the middle of a polygon's outer ring (a building mapped as an area)."""
    if not isinstance(geometry, dict):
        return None, None
    coordinates = geometry.get("coordinates")
    try:
        if geometry.get("type") == "Point":
            return coordinates[0], coordinates[1]  # type: ignore[index]
        if geometry.get("type") == "Polygon":
            ring = coordinates[0]  # type: ignore[index]
            ring = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring  # closed: once
            lons = [float(point[0]) for point in ring]
            lats = [float(point[1]) for point in ring]
            return sum(lons) / len(lons), sum(lats) / len(lats)
    except (TypeError, ValueError, IndexError, KeyError, ZeroDivisionError):
        pass
    return None, None


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def osm_rows(export: Mapping[str, Any], site: str, area: str | None) -> Iterator[Row]:
    for number, (ref, tags, lat, lon) in enumerate(_osm_objects(export), start=1):
        if ref is None:
            yield Row(number, error="no OpenStreetMap reference (node/…, way/…)")
        elif tags.get("emergency") != "defibrillator":
            yield Row(number, ref=ref, error="not tagged emergency=defibrillator")
        elif (
            isinstance(lat, bool)
            or isinstance(lon, bool)
            or not isinstance(lat, int | float)
            or not isinstance(lon, int | float)
        ):
            yield Row(number, ref=ref, error="no position (export ways with 'out center')")
        else:
            place_words = [tags.get("defibrillator:location", ""), tags.get("description", "")]
            indoor = tags.get("indoor", {"indoor": "yes", "outdoor": "no"}.get(tags.get("location", ""), ""))
            values: dict[str, Any] = {
                "id": "osm-" + ref.replace("/", "-"),
                "site": site,
                "kind": DeviceKind.AED.value,
                "name": tags.get("name", ""),
                "place": "; ".join(word.strip() for word in place_words if word.strip()),
                "lat": lat,
                "lon": lon,
                "indoor": {"yes": True, "no": False}.get(indoor),
                "level": tags.get("level"),
                "opening_hours": tags.get("opening_hours"),
                "access": tags.get("access") if tags.get("access") in OSM_ACCESS else None,
                "public": tags.get("access") in ("yes", "permissive"),
            }
            if area is not None:
                values["area"] = area
            yield Row(number, values=values, ref=ref)


# --- planning and applying --------------------------------------------------------------------


def _validation_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "row"
    return f"{where}: {first['msg']}"[:300]


def _current(device: Device, name: str, session: Session) -> Any:
    if name == "area":
        site = store.sites.get(session, device.site)
        return site.area_id if site else None
    return getattr(device, name)


@dataclass
class _Planned:
    """What the rows planned so far mean for the next: the ids they took and the sites they make."""

    seen_ids: dict[str, int] = field(default_factory=dict)
    new_sites: dict[str, str | None] = field(default_factory=dict)  # as if made already


def _plan(session: Session, access: Access, rows: list[Row], planned: _Planned, *, osm: bool) -> list[Plan]:
    """What each row would do, given the store and the rows before it."""
    plans: list[Plan] = []
    seen_ids, new_sites = planned.seen_ids, planned.new_sites
    devices = store.devices.by_osm_refs(session, [r.ref for r in rows if r.ref]) if osm else {}
    for row in rows:
        if row.error is not None:
            plans.append(Plan(row, Outcome.ERROR, error=row.error))
            continue
        try:
            body = DeviceIn.model_validate(row.values)
        except ValidationError as err:
            plans.append(Plan(row, Outcome.ERROR, error=_validation_error(err)))
            continue
        if body.id in seen_ids:
            plans.append(Plan(row, Outcome.ERROR, body, error=f"the same device as row {seen_ids[body.id]}"))
            continue
        seen_ids[body.id] = row.row
        device = devices.get(row.ref) if row.ref else None
        device = device or store.devices.get(session, body.id)
        if device is not None and not access.sees(device.site):
            plans.append(Plan(row, Outcome.ERROR, body, error="this id cannot be used"))
            continue
        if device is not None and osm and device.osm_ref != row.ref:
            plans.append(
                Plan(row, Outcome.ERROR, body, error="this id is taken by a device not from this object")
            )
            continue
        # Imported again, an OpenStreetMap device stays where the admin put it.
        site, area = (device.site, None) if (device is not None and osm) else (body.site, body.area)
        made_here = site in new_sites and (area is None or area == new_sites[site])
        if not made_here and not may_place(session, access, site, area):
            plans.append(Plan(row, Outcome.ERROR, body, error="no such site or area within your scope"))
            continue
        if store.sites.get(session, site) is None:
            new_sites.setdefault(site, area)
        plans.append(_compare(session, row, body, device, osm))
    return plans


def _compare(session: Session, row: Row, body: DeviceIn, device: Device | None, osm: bool) -> Plan:
    if device is None:
        return Plan(row, Outcome.CREATE, body)
    given = OSM_FIELDS if osm else tuple(name for name in body.model_fields_set if name != "id")
    changes: dict[str, Any] = {}
    for name in given:
        value = getattr(body, name)
        value = value.value if isinstance(value, StrEnum) else value
        if value != _current(device, name, session):
            changes[name] = value
    if not osm and not device.confirmed:
        changes["confirmed"] = True
    if not osm and device.retired_at is not None:
        changes["retired"] = False
    return Plan(row, Outcome.UPDATE if changes else Outcome.UNCHANGED, body, device, changes)


def _create_all(
    session: Session, access: Access, plans: list[Plan], now: datetime, osm: bool
) -> tuple[list[Device], Access]:
    """Make the new devices of these plans with one statement, each site placed once; answers
    them and the caller's access (a new site of its area is its own)."""
    placed: set[tuple[str, str | None]] = set()
    new: list[NewDevice] = []
    for plan in plans:
        body = plan.body
        assert body is not None
        if (body.site, body.area) not in placed:
            access = place(session, access, body.site, body.area, now)
            placed.add((body.site, body.area))
        fields = body.model_dump(exclude={"id", "site", "kind", "access", "area"})
        new.append(
            NewDevice(
                id=body.id,
                site=body.site,
                kind=body.kind,
                access=body.access.value if body.access else None,
                created_at=now,
                confirmed=not osm,
                osm_ref=plan.row.ref,
                **fields,
            )
        )
    made = store.devices.insert_many_if_new(session, new)
    devices = list(store.devices.by_ids(session, sorted(made)))
    found = {device.id: device for device in devices}
    for plan in plans:
        assert plan.body is not None
        device = found.get(plan.body.id)
        if device is None:
            plan.outcome = Outcome.ERROR
            plan.error = "another request made this device meanwhile; import again"
            continue
        audit_device(
            session, access, device, "imported", plan.body.model_dump(mode="json", exclude_unset=True), now
        )
    return devices, access


def _update(session: Session, access: Access, plan: Plan, now: datetime) -> tuple[Device, Access]:
    """Change the device as the row says; answers it and the caller's access."""
    device = plan.device
    assert device is not None
    changes = dict(plan.changes)
    area = changes.pop("area", None)
    if "site" in changes or area is not None:
        access = place(session, access, changes.get("site", device.site), area, now)
    retired = changes.pop("retired", None)
    for name, value in changes.items():
        setattr(device, name, value)
    if retired is False:
        device.retired_at = None
    audit_device(session, access, device, "imported", plan.changes, now)
    return device, access


def _run(
    session: Session,
    access: Access,
    rows: list[Row],
    dry_run: bool,
    now: datetime,
    policy: Policy,
    *,
    osm: bool,
) -> ImportOut:
    """Plan and do the rows CHUNK at a time, each chunk a transaction of its own: a long file
    never holds the store, so ingest and alerting go on between its chunks."""
    plans: list[Plan] = []
    planned = _Planned()
    for start in range(0, len(rows), CHUNK):
        chunk = _plan(session, access, rows[start : start + CHUNK], planned, osm=osm)
        if not dry_run:
            changed, access = _create_all(
                session, access, [p for p in chunk if p.outcome is Outcome.CREATE], now, osm
            )
            for plan in chunk:
                if plan.outcome is Outcome.UPDATE:
                    device, access = _update(session, access, plan, now)
                    changed.append(device)
            session.flush()
            evaluation.evaluate_many(session, changed, now, policy)
        session.commit()
        yield_to_writers(session)
        plans.extend(chunk)
    counts = {outcome: sum(plan.outcome is outcome for plan in plans) for outcome in Outcome}
    if not dry_run:
        log.info("devices imported", extra={"by": access.name, **{str(k): v for k, v in counts.items()}})
    return ImportOut(
        dry_run=dry_run,
        counts=counts,
        rows=[
            RowOut(
                row=plan.row.row,
                id=plan.body.id if plan.body else _readable_id(plan.row.values.get("id")),
                ref=plan.row.ref,
                outcome=plan.outcome,
                changes=sorted(plan.changes),
                error=plan.error,
            )
            for plan in plans
        ],
    )


def _readable_id(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) <= 64 and value.isprintable() else None


DryRun = Annotated[bool, Query(description="true: say what each row would do and change nothing")]


@router.post("/import")
def import_csv(
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    access: AdminRole,
    body: Annotated[bytes, Body(media_type="text/csv", description="a header, then a device a line")] = b"",
    dry_run: DryRun = True,
) -> ImportOut:
    """Devices from a spreadsheet saved as CSV (see docs/devices-sample.csv): each row's outcome
    (create, update, unchanged, or error and why); with `dry_run=false`, the rows that can be done."""
    return _run(session, access, list(csv_rows(body)), dry_run, now, policy, osm=False)


@router.post("/import-osm")
def import_osm(
    export: Annotated[
        dict[str, Any], Body(description="Overpass JSON or GeoJSON of emergency=defibrillator")
    ],
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    access: AdminRole,
    site: Annotated[
        str,
        Query(pattern=ID_PATTERN, description="the site the new devices join"),
        AfterValidator(lower_site),
    ],
    area: Annotated[str | None, Query(pattern=ID_PATTERN, description="the area of a new site")] = None,
    dry_run: DryRun = True,
) -> ImportOut:
    """Defibrillators mapped in OpenStreetMap: name, position, indoor, level, opening hours and
    description. New ones are unconfirmed until an admin confirms them; imported again, a
    device takes OpenStreetMap's changes and keeps its site, confirmation and public flag."""
    return _run(session, access, list(osm_rows(export, site, area)), dry_run, now, policy, osm=True)
