"""The readiness board: a page per site and one for the fleet, served by the server itself.

The page is a shell; it reads the devices from the API every few seconds with a viewer key
taken from the link's fragment (`/board#token=…`), which browsers never send to a server."""

from __future__ import annotations

import hmac
import logging
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from aedmon.profiles import Profiles
from aedmon.reading import ID_RE
from server import alerts, evaluation, store
from server.api.deps import NowDep, PolicyDep, SessionDep
from server.api.stickers import public_url, qr_svg
from server.i18n import LANGUAGES, Words, pick_language, script_words
from server.rules.findings import AlertType
from server.rules.readiness import Readiness
from server.store.models import Device

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
REPORT_INTERVAL = timedelta(minutes=1)
# jinja2.ext.i18n: `_()` in a template says a message id in the reader's language (the page's
# context carries that language's `gettext`).
templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=True, extensions=["jinja2.ext.i18n"]
    )
)
router = APIRouter(include_in_schema=False)


def _language(request: Request) -> str:
    """The language asked for (`?lang=`), else the browser's."""
    language = request.query_params.get("lang", "")
    return language if language in LANGUAGES else pick_language(request.headers.get("accept-language"))


def _page(request: Request, template: str, words: Words | None = None, **context: object) -> HTMLResponse:
    """A page in the reader's language, with the catalogue's words for it and its scripts."""
    words = words or Words(_language(request), request.app.state.time_zone)
    said = {
        "language": words.language,
        "languages": LANGUAGES,
        "words": words,
        "gettext": words.gettext,
        "ngettext": words.ngettext,
        "script_words": {words.language: script_words(words.language)},
    }
    page: HTMLResponse = templates.TemplateResponse(request, template, {**context, **said})
    return page


@router.get("/i18n/{language}.json")
def catalogue_for_scripts(language: str) -> JSONResponse:
    """The words the pages' scripts say, in one language (from the same catalogues as the pages)."""
    if language not in LANGUAGES:
        return JSONResponse({"detail": "no such language"}, status_code=404)
    return JSONResponse(script_words(language), headers={"Cache-Control": "public, max-age=300"})


def _board(request: Request, site: str | None) -> HTMLResponse:
    tiles, attribution = request.app.state.map_tiles
    return _page(request, "board.html", site=site, tiles=tiles, attribution=attribution)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    """Sign in with one's e-mail and password, or through the organisation's identity provider
    when one is set; the session then speaks for every page."""
    refused = request.query_params.get("sso", "")
    return _page(
        request,
        "login.html",
        sso_name=request.app.state.sso_name if request.app.state.sso is not None else None,
        sso_refused=f"ui.sso_{refused}" if refused in SSO_REFUSALS else None,
    )


SSO_REFUSALS = ("failed", "unverified", "not_invited", "unavailable")


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request) -> HTMLResponse:
    """One's own account: change the password, add or remove a second factor."""
    return _page(request, "account.html")


ZONES = ("Europe/Sofia", "Europe/Kyiv", "Europe/Prague", "Europe/Bucharest", "Europe/Warsaw", "UTC")


@router.get("/setup", response_class=HTMLResponse)
def setup_page(request: Request) -> HTMLResponse:
    """Make the first administrator and name the installation, with the link the server said
    at its start; once someone exists, the page says so and points to signing in."""
    return _page(request, "setup.html", open=request.app.state.setup.open, zones=ZONES,
                 zone=request.app.state.time_zone)  # fmt: skip


@router.get("/invite", response_class=HTMLResponse)
def invite_page(request: Request) -> HTMLResponse:
    """Set one's password from an invitation; its token is in the link's fragment."""
    return _page(request, "invite.html")


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request) -> HTMLResponse:
    """Devices, imports, people and keys, for administrators (the API decides what they may do)."""
    tiles, attribution = request.app.state.map_tiles
    return _page(request, "admin.html", tiles=tiles, attribution=attribution, profiles=SHIPPED_PROFILES)


# The sensor profiles aedmon ships, offered on the device form (a bridge's own may be typed).
SHIPPED_PROFILES = sorted({profile.name for profile in Profiles.load().by_name.values()})


@router.get("/stickers", response_class=HTMLResponse)
def sticker_sheet(request: Request) -> HTMLResponse:
    """A sheet of QR stickers for a site (`?site=`) or a selection (`?ids=`), to print."""
    return _page(request, "stickers.html")


@router.get("/board", response_class=HTMLResponse)
def fleet_board(request: Request) -> HTMLResponse:
    return _board(request, None)


@router.get("/console", response_class=HTMLResponse)
def console(request: Request) -> HTMLResponse:
    """Open alerts for technicians, most severe and oldest first, to acknowledge with a note;
    filtered by site, severity and type, grouped by site if asked."""
    return _page(request, "console.html", alert_types=[kind.value for kind in AlertType])


@router.get("/devices/{device_id}", response_class=HTMLResponse)
def device_page(request: Request, device_id: str) -> HTMLResponse:
    """One device: its history as charts, its alerts, its inspection log."""
    if not ID_RE.match(device_id):
        return HTMLResponse("no such device", status_code=404)
    tiles, attribution = request.app.state.map_tiles
    return _page(request, "device.html", device_id=device_id, tiles=tiles, attribution=attribution)


@router.get("/reports/{kind}", response_class=HTMLResponse)
def report_page(request: Request, kind: str) -> HTMLResponse:
    """A printable report: `compliance` (self-tests and inspections, hash-chained) or
    `consumables` (pads and batteries to order); the query string is the API's."""
    if kind not in ("compliance", "consumables", "programme"):
        return HTMLResponse("no such report", status_code=404)
    return _page(request, "report.html", kind=kind)


@router.get("/status/{area}", response_class=HTMLResponse)
def area_status_page(request: Request, area: str) -> HTMLResponse:
    """The public status page of an area (a municipality's AEDs), embeddable in its own site."""
    if not ID_RE.match(area):
        return HTMLResponse("no such area", status_code=404)
    tiles, attribution = request.app.state.map_tiles
    return _page(request, "status.html", area=area, tiles=tiles, attribution=attribution)


@router.get("/board/{site}", response_class=HTMLResponse)
def site_board(request: Request, site: str) -> HTMLResponse:
    if not ID_RE.match(site):
        return HTMLResponse("no such site", status_code=404)
    return _board(request, site.lower())


def _device_by_key(session: SessionDep, device_id: str, key: str) -> Device:
    """The device if the key matches its QR code's; else 404, saying nothing of whether it exists."""
    device = store.devices.get(session, device_id) if ID_RE.match(device_id) else None
    if device is None or not device.public_key or not hmac.compare_digest(device.public_key, key):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such page")
    return device


@router.get("/d/{device_id}", response_class=HTMLResponse)
def public_device(
    request: Request,
    device_id: str,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    k: str = "",
    sent: str = "",
) -> HTMLResponse:
    """The page the QR code on the cabinet opens: is this AED ready, and a form to report a problem."""
    device = _device_by_key(session, device_id, k)
    found = evaluation.assess(session, device, now, policy)
    facts, verdict = found.facts, found.verdict
    url = public_url(str(request.base_url), device.id, k)
    site = store.sites.get(session, device.site)
    words = Words(_language(request), (site.time_zone if site else None) or request.app.state.time_zone)
    nearest = None
    fix = facts.latest_location
    here = (fix.lat, fix.lon) if fix else (device.lat, device.lon)
    if verdict.readiness is not Readiness.READY and here[0] is not None and here[1] is not None:
        nearest = evaluation.nearest_ready(session, here[0], here[1], now, policy, device.id)
    return _page(
        request,
        "device_public.html",
        words,
        device=device,
        readiness=verdict.readiness.value,
        reasons=[] if verdict.readiness is Readiness.READY else verdict.reasons,
        test=facts.latest_selftest,
        key=k,
        sent=sent,
        qr=qr_svg(url),
        nearest=nearest,
    )


@router.post("/d/{device_id}/report")
def report_problem(
    device_id: str,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    k: Annotated[str, Form()],
    text: Annotated[str, Form(min_length=3, max_length=500)],
    contact: Annotated[str, Form(max_length=120)] = "",
    lang: Annotated[str, Form(max_length=8)] = "",
) -> RedirectResponse:
    """A passer-by's report raises `reported_problem`; the key from the QR code is its token,
    and one report a minute per device is taken."""
    device = _device_by_key(session, device_id, k)
    latest = store.alerts.last_event_at(session, device.id, AlertType.REPORTED_PROBLEM)
    back = f"/d/{device.id}?{urlencode({'k': k, 'lang': lang if lang in LANGUAGES else ''})}"
    if latest is not None and now - latest < REPORT_INTERVAL:
        return RedirectResponse(f"{back}&sent=wait", status_code=status.HTTP_303_SEE_OTHER)
    alerts.report_problem(session, device.id, " ".join(text.split()), " ".join(contact.split()), now)
    evaluation.evaluate(session, device, now, policy)  # the device needs attention from now
    session.commit()
    log.info("problem reported on the public page", extra={"device": device.id})
    return RedirectResponse(f"{back}&sent=yes", status_code=status.HTTP_303_SEE_OTHER)
