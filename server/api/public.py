"""Open data, no token: opted-in AEDs as GeoJSON with OpenStreetMap's tags, for public maps;
and an area's public status (how many ready, its public AEDs, its last 90 days)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse

from aedmon.reading import ID_RE, DeviceKind
from server import evaluation, store
from server.evaluation import BridgesSeen
from server.reports.programme import Change, ready_share
from server.rules.readiness import Readiness

from .deps import NowDep, PolicyDep, SessionDep

router = APIRouter(prefix="/api/v1/public", tags=["public"])

AVAILABLE = {
    Readiness.READY: "yes",
    Readiness.ATTENTION: "yes",
    Readiness.NOT_READY: "no",
    Readiness.UNKNOWN: "unknown",
}


@router.get("/aeds.geojson")
def aeds_geojson(session: SessionDep, now: NowDep, policy: PolicyDep) -> JSONResponse:
    """Each AED whose owner opted in (`public`), where it is and whether it is ready now."""
    features: list[dict[str, Any]] = []
    bridges_seen: BridgesSeen = {}
    for device in store.devices.public_located(session):
        found = evaluation.assess(session, device, now, policy, bridges_seen)
        facts, verdict = found.facts, found.verdict
        tags: dict[str, Any] = {"emergency": "defibrillator"}
        if device.place:
            tags["defibrillator:location"] = device.place
        if device.indoor is not None:
            tags["indoor"] = "yes" if device.indoor else "no"
        if device.access:
            tags["access"] = device.access
        if device.opening_hours:
            tags["opening_hours"] = device.opening_hours
        if device.level:
            tags["level"] = device.level
        if device.name:
            tags["name"] = device.name
        test = facts.latest_selftest
        features.append(
            {
                "type": "Feature",
                "id": device.id,
                "geometry": {"type": "Point", "coordinates": [device.lon, device.lat]},
                "properties": {
                    **tags,
                    "aedmon:available": AVAILABLE[verdict.readiness],
                    "aedmon:readiness": verdict.readiness.value,
                    "aedmon:last_check": None if test is None else test.device_time.isoformat(),
                },
            }
        )
    body = {"type": "FeatureCollection", "features": features}
    return JSONResponse(body, media_type="application/geo+json", headers={"Access-Control-Allow-Origin": "*"})


STATUS_DAYS = 90


@router.get("/status/{area}")
def area_status(area: str, request: Request, session: SessionDep, now: NowDep) -> JSONResponse:
    """A municipality's public status: how many of its devices are ready now, each public AED
    with its state and place, and the last 90 local days' share of time ready (from the
    verdict history). Nothing private: counts, and what the owners opted in to show."""
    known = store.areas.get(session, area) if ID_RE.match(area) else None
    if known is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such area")
    sites = frozenset(store.sites.of_areas(session, [area]))
    devices = [d for d in store.devices.listed(session, sites=sites) if d.kind == DeviceKind.AED.value]
    snapshots = store.snapshots.of_devices(session, [d.id for d in devices])
    counts = dict.fromkeys(store.snapshots.READINESS, 0)
    for device in devices:  # its AEDs only, never its cabinets', units' or bridges' states
        counts[snapshots[device.id].readiness if device.id in snapshots else "unknown"] += 1
    shown = [
        {"name": d.name or d.id, "place": d.place, "lat": d.lat, "lon": d.lon,
         "readiness": snapshots[d.id].readiness if d.id in snapshots else "unknown"}
        for d in devices if d.public and d.lat is not None and d.lon is not None
    ]  # fmt: skip
    zone = ZoneInfo(request.app.state.time_zone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=STATUS_DAYS - 1)
    begin = datetime.combine(first, time(0), zone)
    history = store.verdicts.of_period(session, [d.id for d in devices], begin, now)
    changes = {
        device_id: [Change(v.at, v.readiness, tuple(v.reasons), v.id) for v in found]
        for device_id, found in history.items()
    }
    days = []
    for offset in range(STATUS_DAYS):
        day = first + timedelta(days=offset)
        start = datetime.combine(day, time(0), zone)
        end = min(datetime.combine(day + timedelta(days=1), time(0), zone), now)
        shares = [ready_share(found, start, end) for found in changes.values()] if end > start else []
        on_record = sum(s.on_record_s for s in shares)
        ready = sum(s.ready_s for s in shares) / on_record if on_record else None
        days.append({"day": day.isoformat(), "ready_share": ready})
    body = {"area": area, "name": known.name or area, "counts": counts, "public": shown, "days": days,
            "time_zone": zone.key}  # fmt: skip
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=60"})
