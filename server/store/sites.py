"""Sites: made when their first device is, with a time zone pages and notices use."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import changes
from .conflicts import insert_or_skip
from .models import Site


def ensure(session: Session, site_id: str, now: datetime) -> None:
    """The site's row, made if it is new (another server may make it at the same moment)."""
    if session.get(Site, site_id) is None:
        insert_or_skip(session, Site, id=site_id, name="", time_zone=None, created_at=now)


def get(session: Session, site_id: str) -> Site | None:
    return session.get(Site, site_id)


def time_zones(session: Session, site_ids: Sequence[str]) -> dict[str, str | None]:
    """Each site's own time zone, None where it keeps the installation's default."""
    zones: dict[str, str | None] = {}
    for site_id, time_zone in session.execute(select(Site.id, Site.time_zone).where(Site.id.in_(site_ids))):
        zones[site_id] = time_zone
    return zones


def listed(session: Session, sites: frozenset[str] | None = None) -> Sequence[Site]:
    query = select(Site).order_by(Site.id)
    if sites is not None:
        query = query.where(Site.id.in_(sorted(sites)))
    return session.scalars(query).all()


def of_areas(session: Session, area_ids: Sequence[str]) -> set[str]:
    """The sites of these areas."""
    return set(session.scalars(select(Site.id).where(Site.area_id.in_(area_ids))))


def by_ids(session: Session, site_ids: Sequence[str]) -> dict[str, Site]:
    return {site.id: site for site in session.scalars(select(Site).where(Site.id.in_(site_ids)))}


def set_area(session: Session, site_id: str, area_id: str | None, now: datetime) -> None:
    site = session.get(Site, site_id)
    if site is not None and site.area_id != area_id:
        site.area_id = area_id
        changes.access_changed(session, now)  # who sees it changed: streams re-authorise
