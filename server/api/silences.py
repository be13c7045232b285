"""Maintenance windows: alerts of a device or site inside one are recorded but not notified."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy.orm import Session

from server import store
from server.access import Access
from server.store.models import Silence

from .deps import NowDep, SessionDep, SilenceId, TechnicianRole, ViewerRole
from .schemas import SilenceIn, SilenceOut

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/silences", tags=["silences"])


def _covers(session: Session, access: Access, device_id: str | None, site: str | None) -> bool:
    """Whether the window's device or site is the caller's (a device it does not see, or one not
    registered, is no one's but an installation-wide key's)."""
    if access.visible is None:
        return True
    if site is not None and not access.sees(site):
        return False
    if device_id is not None:
        device = store.devices.get(session, device_id)
        return device is not None and access.sees(device.site)
    return site is not None


@router.post("", status_code=status.HTTP_201_CREATED)
def create_silence(body: SilenceIn, session: SessionDep, now: NowDep, role: TechnicianRole) -> SilenceOut:
    if not _covers(session, role, body.device_id, body.site):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such device or site")
    starts_at = body.starts_at or now
    if body.ends_at <= max(starts_at, now):
        raise HTTPException(422, "ends_at must be in the future")
    silence = store.silences.add(
        session,
        Silence(
            device_id=body.device_id,
            site=body.site,
            reason=body.reason,
            starts_at=starts_at,
            ends_at=body.ends_at,
            created_by=role.name,
            created_at=now,
        ),
    )
    session.commit()
    log.info("silence set", extra={"silence": silence.id, "device": body.device_id, "site": body.site})
    return _out(silence, _names(session, [silence]))


@router.delete("/{silence_id}")
def end_silence(silence_id: SilenceId, session: SessionDep, now: NowDep, role: TechnicianRole) -> SilenceOut:
    """End a silence now; it stays on record."""
    silence = store.silences.get(session, silence_id)
    if silence is None or not _covers(session, role, silence.device_id, silence.site):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no silence {silence_id}")
    if silence.ends_at > now:
        silence.ends_at = max(now, silence.starts_at)
        session.commit()
        log.info("silence ended", extra={"silence": silence_id, "by": role.name})
    return _out(silence, _names(session, [silence]))


@router.get("")
def list_silences(
    session: SessionDep,
    now: NowDep,
    access: ViewerRole,
    active: Annotated[bool, Query(description="only those in force now")] = False,
    ended: Annotated[bool, Query(description="false: only those in force or planned")] = True,
) -> list[SilenceOut]:
    """Maintenance windows, newest first, each with its device's name."""
    found = store.silences.listed(
        session, active_at=now if active else None, sites=access.visible, ending_after=None if ended else now
    )
    names = _names(session, found)
    return [_out(silence, names) for silence in found]


def _names(session: Session, silences: Sequence[Silence]) -> dict[str, str]:
    """The names of the silences' devices, by id."""
    ids = sorted({s.device_id for s in silences if s.device_id is not None})
    return {device.id: device.name for device in store.devices.by_ids(session, ids)}


def _out(silence: Silence, names: dict[str, str]) -> SilenceOut:
    out = SilenceOut.model_validate(silence)
    return out.model_copy(update={"device_name": names.get(silence.device_id or "")})
