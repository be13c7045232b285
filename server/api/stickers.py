"""QR stickers for the cabinets: each device's code for its public page, with its name and
place, for a site or a selection, to print from the browser on a sheet."""

from __future__ import annotations

import io
from typing import Annotated
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from aedmon.reading import ID_RE
from server import store

from .deps import SessionDep, SiteQuery, ViewerRole

router = APIRouter(prefix="/api/v1/stickers", tags=["devices"])
MAX_STICKERS = 500  # a site's sheet
MAX_PICKED = 100  # a selection, named in the query string (which stays well inside URL limits)


class StickerOut(BaseModel):
    id: str
    site: str
    name: str
    place: str
    url: str = Field(description="the public page the code opens")
    svg: str = Field(description="the QR code as inline SVG")


def qr_svg(url: str) -> str:
    """The code as SVG to put inline in a page (no XML declaration)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode().split("?>", 1)[-1]


def public_url(base: str, device_id: str, key: str) -> str:
    return f"{base.rstrip('/')}/d/{device_id}?{urlencode({'k': key})}"


@router.get("")
def stickers(
    request: Request,
    session: SessionDep,
    access: ViewerRole,
    site: SiteQuery = None,
    ids: Annotated[
        str | None, Query(max_length=65 * MAX_PICKED, description="device ids, comma-separated")
    ] = None,
) -> list[StickerOut]:
    """The stickers of a site's devices, or of the devices listed (those the caller sees)."""
    if site is None and not ids:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "name a site or some device ids")
    wanted = [part.strip() for part in (ids or "").split(",") if part.strip()]
    if any(not ID_RE.match(part) for part in wanted) or len(wanted) > MAX_PICKED:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"ids: up to {MAX_PICKED} device ids, comma-separated"
        )
    devices = store.devices.listed(session, site=site, sites=access.visible)
    if wanted:
        order = {device_id: index for index, device_id in enumerate(wanted)}
        devices = sorted((d for d in devices if d.id in order), key=lambda d: order[d.id])
    base = str(request.base_url)
    return [
        StickerOut(
            id=device.id,
            site=device.site,
            name=device.name,
            place=device.place,
            url=(url := public_url(base, device.id, device.public_key)),
            svg=qr_svg(url),
        )
        for device in devices[:MAX_STICKERS]
        if device.public_key and device.kind != "bridge"
    ]
