"""Sites: their name and time zone (in which their pages and notices say times)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from aedmon.reading import ID_RE
from server import store
from server.access import Access
from server.rules.readiness import Readiness
from server.store.models import INT32_MAX, Site

from .caching import etagged
from .deps import AdminRole, SessionDep, ViewerRole
from .paging import NOT_OURS, key_of, link_next
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
        language=site.language,
        devices=sum(counts.values()),
        counts={readiness: counts.get(readiness.value, 0) for readiness in Readiness},
    )


def _get(session: Session, access: Access, site_id: str) -> Site:
    site = store.sites.get(session, site_id.lower()) if ID_RE.match(site_id) else None
    if site is None or not access.sees(site.id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such site")
    return site


def _key(site: SiteOut) -> list[Any]:
    counts = site.counts
    return [counts[Readiness.NOT_READY], counts[Readiness.ATTENTION], counts[Readiness.UNKNOWN], site.id]


def _after(cursor: str) -> tuple[int, int, int, str]:
    """The (not ready, attention, unknown, site) a cursor of ours names; 400 for anything else."""
    key = key_of(cursor)
    if (
        len(key) == 4
        and all(type(n) is int and 0 <= n <= INT32_MAX for n in key[:3])
        and isinstance(key[3], str)
        and ID_RE.match(key[3])
    ):
        return key[0], key[1], key[2], key[3]
    raise HTTPException(status.HTTP_400_BAD_REQUEST, NOT_OURS)


@router.get("", response_model=list[SiteOut])
def list_sites(
    request: Request,
    response: Response,
    session: SessionDep,
    access: ViewerRole,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
    cursor: Annotated[str | None, Query(max_length=300, description="from a Link header's next page")] = None,
    q: Annotated[str | None, Query(max_length=200, description="in the id or name")] = None,
) -> Response:
    """Sites with their devices' counts by readiness, worst first (most not ready, then
    needing attention, then unknown), a page at a time: the counts are kept with each
    evaluation, and read here through their index. When there may be more, the `Link` header
    names the next page."""
    found = store.snapshots.sites_worst_first(
        session, access.visible, _after(cursor) if cursor else None, limit, q.strip() if q else None
    )
    rows = store.sites.by_ids(session, [count.site for count in found])
    sites = [_out(request, rows[count.site], count.counts) for count in found if count.site in rows]
    if len(found) == limit:
        link_next(request, response, _key(sites[-1]))
    return etagged(request, sites, SITES, response)


SITES = TypeAdapter(list[SiteOut])


@router.get("/{site_id}")
def get_site(site_id: str, request: Request, session: SessionDep, access: ViewerRole) -> SiteOut:
    site = _get(session, access, site_id)
    return _out(request, site, store.snapshots.counts_of(session, site.id))


@router.patch("/{site_id}")
def change_site(
    site_id: str, body: SitePatch, request: Request, session: SessionDep, access: AdminRole
) -> SiteOut:
    """Name the site, or set its time zone or language (null: the installation's)."""
    site = _get(session, access, site_id)
    changes = body.model_dump(exclude_unset=True)
    if "name" in changes:
        if changes["name"] is None:
            raise HTTPException(422, "name cannot be null")
        site.name = changes["name"]
    if "time_zone" in changes:
        site.time_zone = changes["time_zone"]
    if "language" in changes:
        site.language = changes["language"]
    session.commit()
    return _out(request, site, store.snapshots.counts_of(session, site.id))
