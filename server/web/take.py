"""One tap to take an alert: the page a notification's link opens, and its "I'm on it".

GET shows what happened and changes nothing, so a chat app's link preview cannot take the
alert; the form posts back with the page's own CSRF token. The link is the authority for
its one alert, for the contact it was sent to: the acknowledgement is recorded in the
contact's name, in the alert's history and the audit. A token that is altered, used, expired,
for an alert that was resolved or has reopened since, or of a removed contact gets a page
that says which, and never any alert's data but its own.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from server import alerts, evaluation, store
from server.api.deps import NowDep, PolicyDep, SessionDep
from server.i18n import Words
from server.notify import links
from server.store.models import Alert, AlertState, Contact

from .routes import _language, _page

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


class Standing(StrEnum):
    OPEN = "open"  # may be taken now
    TAKEN = "taken"  # acknowledged (by this link or anyone)
    RESOLVED = "resolved"
    EXPIRED = "expired"
    INVALID = "invalid"  # not ours, altered, or naming what is gone


def _standing(
    session: Session, key: bytes | None, token: str, now: datetime
) -> tuple[Standing, Alert | None, Contact | None]:
    take = links.read(key, token) if key else None
    if take is None:
        return Standing.INVALID, None, None
    alert, contact = store.alerts.get(session, take.alert_id), store.contacts.get(session, take.contact_id)
    if alert is None or contact is None or contact.retired_at is not None:
        return Standing.INVALID, None, None
    if alert.occurrences != take.occurrence:  # reopened since: another matter, another link
        return Standing.INVALID, None, None
    if now >= take.expires:
        return Standing.EXPIRED, None, contact
    if alert.state == AlertState.RESOLVED:
        return Standing.RESOLVED, alert, contact
    if alert.state == AlertState.ACKNOWLEDGED:
        return Standing.TAKEN, alert, contact
    return Standing.OPEN, alert, contact


def _show(request: Request, session: Session, token: str, now: datetime, done: bool = False) -> HTMLResponse:
    key: bytes | None = request.app.state.link_key
    standing, alert, contact = _standing(session, key, token, now)
    device = store.devices.get(session, alert.device_id) if alert else None
    site = store.sites.get(session, device.site) if device else None
    zone = (site.time_zone if site else None) or request.app.state.time_zone
    words = Words(contact.language if contact else _language(request), zone)  # a stranger: their browser's
    page = _page(
        request,
        "take.html",
        words,
        standing=standing.value,
        alert=alert,
        device=device,
        site=site,
        token=token,
        form=links.form_token(key, token) if key and standing is Standing.OPEN else "",
        done=done,
    )
    page.status_code = status.HTTP_404_NOT_FOUND if standing is Standing.INVALID else status.HTTP_200_OK
    page.headers.update(HEADERS)
    return page


@router.get("/t/{token}", response_class=HTMLResponse)
def take_page(request: Request, token: str, session: SessionDep, now: NowDep, done: str = "") -> HTMLResponse:
    """What happened, and "I'm on it"; nothing changes."""
    return _show(request, session, token[: links.MAX_TOKEN_CHARS + 1], now, done == "1")


@router.post("/t/{token}", response_model=None)
def take(
    request: Request,
    token: str,
    session: SessionDep,
    now: NowDep,
    policy: PolicyDep,
    form: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse | RedirectResponse:
    """Take the alert in the contact's name, once."""
    key: bytes | None = request.app.state.link_key
    standing, alert, contact = _standing(session, key, token, now)
    if standing is not Standing.OPEN or alert is None or contact is None or key is None:
        return _show(request, session, token, now)
    if not hmac.compare_digest(form.encode(), links.form_token(key, token).encode()):
        return _show(request, session, token, now)  # not this page's form: nothing changes
    if alerts.acknowledge(session, alert, contact.name, None, now):
        store.audit.note(session, at=now, actor=f"{contact.name} (contact {contact.id}, one-tap link)",
                         action="took alert", subject="contact", subject_id=str(contact.id),
                         site=None, changes={"alert": alert.id, "device": alert.device_id})  # fmt: skip
        device = store.devices.get(session, alert.device_id)
        if device is not None:
            evaluation.evaluate(session, device, now, policy)
        session.commit()
        log.info("alert taken by a one-tap link", extra={"alert": alert.id, "contact": contact.id})
    return RedirectResponse(f"/t/{token}?done=1", status_code=status.HTTP_303_SEE_OTHER, headers=HEADERS)
