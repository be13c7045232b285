"""Open data, no token: opted-in AEDs as GeoJSON with OpenStreetMap's tags, for public maps."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from server import evaluation, store
from server.evaluation import BridgesSeen
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
