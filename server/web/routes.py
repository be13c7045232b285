"""The readiness board: a page per site and one for the fleet, served by the server itself.

The page is a shell; it reads the devices from the API every few seconds with a viewer key
taken from the link's fragment (`/board#token=…`), which browsers never send to a server."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from aedmon.reading import ID_RE
from server.notify.messages import TEXTS

from .i18n import LANGUAGES, UI, pick_language

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)


def _board(request: Request, site: str | None) -> HTMLResponse:
    language = pick_language(request.headers.get("accept-language"))
    return templates.TemplateResponse(
        request,
        "board.html",
        {"site": site, "language": language, "languages": LANGUAGES, "ui": UI},
    )


@router.get("/board", response_class=HTMLResponse)
def fleet_board(request: Request) -> HTMLResponse:
    return _board(request, None)


@router.get("/console", response_class=HTMLResponse)
def console(request: Request) -> HTMLResponse:
    """Open alerts for technicians, most severe and oldest first, to acknowledge with a note."""
    language = pick_language(request.headers.get("accept-language"))
    labels = {lang: {str(kind): words[0] for kind, words in TEXTS[lang].items()} for lang in LANGUAGES}
    return templates.TemplateResponse(
        request, "console.html", {"language": language, "languages": LANGUAGES, "ui": UI, "labels": labels}
    )


@router.get("/board/{site}", response_class=HTMLResponse)
def site_board(request: Request, site: str) -> HTMLResponse:
    if not ID_RE.match(site):
        return HTMLResponse("no such site", status_code=404)
    return _board(request, site)
