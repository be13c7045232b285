"""The communities mobile units serve (circles an admin places on the map)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Community


def of_devices(session: Session, device_ids: Sequence[str]) -> dict[str, list[Community]]:
    found: dict[str, list[Community]] = {device_id: [] for device_id in device_ids}
    for start in range(0, len(device_ids), 500):
        chunk = list(device_ids[start : start + 500])
        query = select(Community).where(Community.device_id.in_(chunk)).order_by(Community.name, Community.id)
        for community in session.scalars(query):
            found[community.device_id].append(community)
    return found


def count(session: Session, device_id: str) -> int:
    return session.scalar(select(func.count()).where(Community.device_id == device_id)) or 0


def add(session: Session, community: Community) -> Community:
    session.add(community)
    session.flush()
    return community


def get(session: Session, device_id: str, community_id: int) -> Community | None:
    community = session.get(Community, community_id)
    return community if community is not None and community.device_id == device_id else None


def remove(session: Session, community: Community) -> None:
    session.delete(community)
    session.flush()
