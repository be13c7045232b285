"""Sites: their name and time zone (in which their pages and notices say times)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy.orm import Session

from aedmon.reading import ID_RE
from server import store
from server.access import Access
from server.rules.readiness import Readiness
from server.store.models import Site

from .deps import AdminRole, SessionDep, ViewerRole
from .schemas import SiteOut, SitePatch

router = APIRouter(prefix="/api/v1/sites", tags=["sites"])


def _out(request: Request, site: Site, counts: dict[str, int]) -> SiteOut:
    default: str = request.app.state.time_zone
    return SiteOut(
        id=site.id,
        name=site.name,
        area=site.area_id,
        time_zone=site.time_zone or default,
        own_time_zone=site.time_zone,
        devices=sum(counts.values()),
        counts={readiness: counts.get(readiness.value, 0) for readiness in Readiness},
    )


def worst_first(site: SiteOut) -> tuple[int, int, int, str]:
    counts = site.counts
    return (-counts[Readiness.NOT_READY], -counts[Readiness.ATTENTION], -counts[Readiness.UNKNOWN], site.id)


def _get(session: Session, access: Access, site_id: str) -> Site:
    site = store.sites.get(session, site_id) if ID_RE.match(site_id) else None
    if site is None or not access.sees(site.id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such site")
    return site


@router.get("")
def list_sites(request: Request, session: SessionDep, access: ViewerRole) -> list[SiteOut]:
    """Every site with its devices' counts by readiness (from their snapshots, in one
    aggregate query), worst first: most not ready, then needing attention, then unknown."""
    counts = store.snapshots.counts_by_site(session, access.visible)
    sites = [
        _out(request, site, counts.get(site.id, {})) for site in store.sites.listed(session, access.visible)
    ]
    return sorted(sites, key=worst_first)


@router.get("/{site_id}")
def get_site(site_id: str, request: Request, session: SessionDep, access: ViewerRole) -> SiteOut:
    site = _get(session, access, site_id)
    counts = store.snapshots.counts_by_site(session, frozenset({site.id}))
    return _out(request, site, counts.get(site.id, {}))


@router.patch("/{site_id}")
def change_site(
    site_id: str, body: SitePatch, request: Request, session: SessionDep, access: AdminRole
) -> SiteOut:
    """Name the site, or set its time zone (null: the installation's)."""
    site = _get(session, access, site_id)
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes:
        if changes["name"] is None:
            raise HTTPException(422, "name cannot be null")
        site.name = changes["name"]
    if "time_zone" in changes:
        site.time_zone = changes["time_zone"]
    session.commit()
    counts = store.snapshots.counts_by_site(session, frozenset({site.id}))
    return _out(request, site, counts.get(site.id, {}))
