"""The communities a mobile unit serves: circles an admin places on the map. A stop of ten
minutes or more inside one is a visit, which the programme's report counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field

from aedmon.reading import DeviceKind
from server import store
from server.store.models import Community, Device

from . import audit
from .deps import AdminRole, NowDep, SessionDep, ViewerRole
from .devices import visible_device
from .schemas import Line

router = APIRouter(prefix="/api/v1/devices/{device_id}/communities", tags=["communities"])
MAX_COMMUNITIES = 200  # a unit's round; more is a mistake, not a programme


class CommunityIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: Annotated[Line, Field(min_length=1, max_length=200)]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(default=500, ge=50, le=20_000, description="the circle's radius, in metres")


class CommunityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    device_id: str
    name: str
    lat: float
    lon: float
    radius_m: float


def _unit(session: SessionDep, access: ViewerRole, device_id: str) -> Device:
    device = visible_device(session, access, device_id)
    if device.kind != DeviceKind.MOBILE_UNIT.value:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "only a mobile unit serves communities")
    return device


@router.get("")
def list_communities(device_id: str, session: SessionDep, access: ViewerRole) -> list[CommunityOut]:
    _unit(session, access, device_id)
    found = store.communities.of_devices(session, [device_id])[device_id]
    return [CommunityOut.model_validate(community) for community in found]


@router.post("", status_code=status.HTTP_201_CREATED)
def add_community(
    device_id: str, body: CommunityIn, session: SessionDep, now: NowDep, access: AdminRole
) -> CommunityOut:
    device = _unit(session, access, device_id)
    if store.communities.count(session, device_id) >= MAX_COMMUNITIES:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"a unit serves at most {MAX_COMMUNITIES}")
    community = store.communities.add(
        session, Community(device_id=device_id, created_at=now, **body.model_dump())
    )
    audit.note(session, access, audit.Subject.DEVICE, device_id, "community added", now,
               body.model_dump(), site=device.site)  # fmt: skip
    session.commit()
    return CommunityOut.model_validate(community)


@router.delete("/{community_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_community(
    device_id: str, community_id: int, session: SessionDep, now: NowDep, access: AdminRole
) -> Response:
    device = _unit(session, access, device_id)
    community = store.communities.get(session, device_id, community_id)
    if community is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such community of this unit")
    audit.note(session, access, audit.Subject.DEVICE, device_id, "community removed", now,
               {"name": community.name}, site=device.site)  # fmt: skip
    store.communities.remove(session, community)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
